"""Live updates across worker processes: Redis publish/subscribe, and polling when Redis is down.

Each test starts real uvicorn worker processes on PostgreSQL and, where needed, a private
redis-server on a free port (so stopping it cannot disturb anything else). Bounded in time.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx2
import pytest

from capacity import registry
from capacity.db import create_engine, session_factory
from capacity.geocoder import Gazetteer
from tests.conftest import _empty_postgres, make_centre, seed_people

ROOT = Path(__file__).parent.parent
SECRET = "x" * 48


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


class Worker:
    """One `uvicorn web.app:create_app` process."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "web.app:create_app",
                "--factory",
                "--port",
                str(self.port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        wait_for_port(self.port)
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


@pytest.fixture
async def registry_url(postgres_url: str, gazetteer: Gazetteer) -> AsyncIterator[tuple[str, str]]:
    await _empty_postgres(postgres_url)
    engine = create_engine(postgres_url)
    async with session_factory(engine)() as session:
        for centre_id, code in (("bodo", "1804"), ("oslo", "0301")):
            centre = make_centre(centre_id, gazetteer, code)
            await registry.add_centre(session, centre, actor="test")
            await registry.set_availability(
                session,
                centre.units[0],
                free_beds=3,
                free_family_rooms=1,
                free_accessible_rooms=1,
                actor="test",
                source="staff",
            )
        await session.commit()
        tokens = await seed_people(session)
    await engine.dispose()
    yield postgres_url, tokens["token-a"]


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


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


async def put_beds(client: httpx2.AsyncClient, base: str, token: str, beds: int) -> None:
    url = f"{base}/api/v1/centres/bodo/units/women/availability"
    etag = (await client.get(url)).headers["etag"]
    response = await client.put(
        url,
        json={"free_beds": beds, "free_family_rooms": 1, "free_accessible_rooms": 1},
        headers={"Authorization": f"Bearer {token}", "If-Match": etag},
    )
    assert response.status_code == 200, response.text


async def next_change(
    client: httpx2.AsyncClient, base: str, trigger: object, within: float
) -> tuple[dict[str, object], float]:
    """Open /events, run `trigger`, return the first change event and how long it took."""
    async with client.stream("GET", f"{base}/events?centre=bodo", timeout=within + 5) as stream:
        lines = stream.aiter_lines()
        assert (await anext(lines)).startswith("retry:")
        started = time.perf_counter()
        await trigger  # type: ignore[misc]
        async with asyncio.timeout(within):
            async for line in lines:
                if line.startswith("data:"):
                    return json.loads(line[5:]), time.perf_counter() - started
    raise AssertionError("no change event")


async def metric(client: httpx2.AsyncClient, base: str, name: str) -> float:
    for line in (await client.get(f"{base}/metrics")).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(name)


async def test_a_change_in_one_worker_reaches_a_subscriber_of_another_through_redis(
    registry_url: tuple[str, str], redis_server: RedisServer, tmp_path: Path
) -> None:
    url, token = registry_url
    # Polling every 60 s: an event within 10 s can only have come through Redis.
    env = environment(url, tmp_path, redis_server.port, poll=60)
    first, second = Worker(env), Worker(env)
    try:
        async with httpx2.AsyncClient() as client:
            change, seconds = await next_change(
                client, second.base, put_beds(client, first.base, token, 2), within=10
            )
            assert change["action"] == "availability.set" and change["centre"] == "bodo"
            assert seconds < 10
            assert (await client.get(f"{second.base}/api/v1/centres/bodo")).json()["units"][0][
                "availability"
            ]["free_places"] == 2
    finally:
        first.stop()
        second.stop()


async def test_redis_down_falls_back_to_polling_and_push_resumes(
    registry_url: tuple[str, str], redis_server: RedisServer, tmp_path: Path
) -> None:
    url, token = registry_url
    env = environment(url, tmp_path, redis_server.port, poll=1)
    first, second = Worker(env), Worker(env)
    try:
        async with httpx2.AsyncClient() as client:
            assert await metric(client, second.base, "havn_feed_redis_connected") == 1
            redis_server.stop()
            ready = await client.get(f"{second.base}/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["database"] == "ok"
            # Writes keep working and the change still arrives, by polling the database.
            change, _ = await next_change(
                client, second.base, put_beds(client, first.base, token, 1), within=15
            )
            assert change["centre"] == "bodo"
            assert await metric(client, second.base, "havn_feed_redis_connected") == 0
            redis_server.start()
            deadline = time.monotonic() + 30
            while await metric(client, second.base, "havn_feed_redis_connected") != 1:
                assert time.monotonic() < deadline, "the subscriber did not come back"
                await asyncio.sleep(0.5)
            assert (await client.get(f"{second.base}/readyz")).status_code == 200
            change, _ = await next_change(
                client, second.base, put_beds(client, first.base, token, 3), within=15
            )
            assert change["action"] == "availability.set"
    finally:
        first.stop()
        second.stop()


async def test_without_redis_one_worker_pushes_its_own_changes(
    registry_url: tuple[str, str], tmp_path: Path
) -> None:
    url, token = registry_url
    worker = Worker(environment(url, tmp_path, None, poll=60))
    try:
        async with httpx2.AsyncClient() as client:
            change, seconds = await next_change(
                client, worker.base, put_beds(client, worker.base, token, 2), within=10
            )
            assert change["centre"] == "bodo" and seconds < 10
    finally:
        worker.stop()
