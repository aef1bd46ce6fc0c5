"""Helpers for the tests that run the app as operators do: uvicorn worker processes on
PostgreSQL, a private redis-server, and what a client reads from their /events streams."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx2

from capacity import accounts
from capacity.db import create_engine, session_factory
from tests.helpers import ADMIN_TOTP, PASSWORD, free_port, totp_code, wait_for_port, web_process

SECRET = "x" * 48


class RedisServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Worker:
    """One `uvicorn web.app:create_app` process."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.process = web_process(self.port, env)
        wait_for_port(self.port)
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()  # never leave a server behind, even when a test fails
            self.process.wait(timeout=5)


def environment(
    database_url: str, tmp_path: Path, redis_port: int | None, poll: float
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVN_")}
    env.update(
        HAVN_DATABASE_URL=database_url,
        HAVN_DATA_DIR=str(tmp_path),
        HAVN_SECRET_KEY=SECRET,
        HAVN_FEED_POLL_SECONDS=str(poll),
        HAVN_INDEX_REFRESH_SECONDS="0",
    )
    if redis_port is not None:
        env["HAVN_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    return env


async def put_beds(client: httpx2.AsyncClient, base: str, token: str, beds: int) -> None:
    url = f"{base}/api/v1/centres/bodo/units/women/availability"
    etag = (await client.get(url)).headers["etag"]
    response = await client.put(
        url,
        json={"free_beds": beds, "free_family_rooms": 1, "free_accessible_rooms": 1},
        headers={"Authorization": f"Bearer {token}", "If-Match": etag},
    )
    assert response.status_code == 200, response.text


async def log_in(client: httpx2.AsyncClient, base: str, username: str) -> None:
    """Log the client in through the login form, as a person would (session cookie)."""
    page = (await client.get(f"{base}/login")).text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    response = await client.post(
        f"{base}/login",
        data={"csrf": found.group(1), "username": username, "password": PASSWORD},
    )
    assert response.status_code == 303, response.text
    if response.headers["location"] == "/login/code":  # the seeded admin types the app's code
        page = (await client.get(f"{base}/login/code")).text
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found is not None
        response = await client.post(
            f"{base}/login/code", data={"csrf": found.group(1), "code": totp_code(ADMIN_TOTP)}
        )
        assert response.status_code == 303, response.text


async def read_events(
    client: httpx2.AsyncClient, base: str, during: object, seconds: float
) -> list[str]:
    """Every line (comments and retry aside) of /events while `during` runs and `seconds` after."""
    lines: list[str] = []
    async with client.stream("GET", f"{base}/events", timeout=seconds + 10) as stream:
        source = stream.aiter_lines()
        assert (await anext(source)).startswith("retry:")

        async def collect() -> None:
            async for line in source:
                if line and not line.startswith(":"):
                    lines.append(line)

        reader = asyncio.create_task(collect())
        await during  # type: ignore[misc]
        await asyncio.sleep(seconds)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    return lines


def changes(lines: list[str]) -> list[dict[str, object]]:
    return [json.loads(line[5:]) for line in lines if line.startswith("data:")]


async def fresh_tokens(url: str) -> tuple[str, str]:
    """Fresh tokens for a staff member of Oslo and an adviser (the seeded plain texts are gone)."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        _, oslo = await accounts.create_token(
            session, name="oslo-2", role="staff", centre_id="oslo", actor="admin"
        )
        _, adviser = await accounts.create_token(
            session, name="adviser-2", role="adviser", centre_id=None, actor="admin"
        )
        await session.commit()
    await engine.dispose()
    return oslo, adviser
