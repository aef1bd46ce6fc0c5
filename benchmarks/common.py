"""Shared set-up for the benchmarks: a throw-away PostgreSQL database with centres and tokens,
uvicorn workers on it, a listener on a worker's live stream, and the latency summary."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from capacity import accounts, migrate, registry
from capacity.db import create_engine, session_factory
from capacity.geocoder import Gazetteer
from capacity.models import Centre, ServedMunicipality, Unit, utcnow

ROOT = Path(__file__).parent.parent
PASSWORD = "benchmark password, long enough"
BASE = os.environ.get("HAVN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/havn_bench")


async def fresh_database(url: str = BASE) -> str:
    target = make_url(url)
    admin = await asyncpg.connect(
        host=target.host, port=target.port or 5432, user=target.username, database="postgres"
    )
    await admin.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{target.database}"')
    await admin.close()
    await asyncio.to_thread(migrate.upgrade, url)
    return url


async def seed(url: str, centres: int, beds: int = 100) -> dict[str, str]:
    """`centres` centres with one women's unit each; returns an admin-role token per centre."""
    gazetteer = Gazetteer.load()
    places = gazetteer.municipalities()
    engine = create_engine(url)
    tokens = {}
    async with session_factory(engine)() as session:
        now = utcnow()
        for i in range(centres):
            place = places[i % len(places)]
            centre = Centre(
                id=f"bench-{i}",
                name=f"Bench {i}",
                country="NO",
                region=place.county,
                host_municipality=place.municipality_code,
                status="open",
                languages=["nb"],
                interpreter=True,
                latitude=round(place.latitude, 2),  # only the public point is stored
                longitude=round(place.longitude, 2),
                is_demo=True,
                version=1,
                created_at=now,
                updated_at=now,
            )
            centre.municipalities = [ServedMunicipality(municipality_code=place.municipality_code)]
            centre.units = [
                Unit(kind="women", beds=beds, rooms=beds, family_rooms=10, accessible_rooms=5)
            ]
            await registry.add_centre(session, centre, actor="bench")
            await registry.set_availability(
                session,
                centre.units[0],
                free_beds=beds // 2,
                free_family_rooms=5,
                free_accessible_rooms=2,
                actor="bench",
                source="demo",
            )
            _, tokens[centre.id] = await accounts.create_token(
                session, name=f"bench-{i}", role="staff", centre_id=centre.id, actor="bench"
            )
        await session.commit()
    await engine.dispose()
    return tokens


async def staff_member(url: str, centre_id: str) -> None:
    """A staff member of `centre_id` (username "bench-staff"), to sign in with `sign_in`."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        await accounts.create_user(
            session,
            username="bench-staff",
            display_name="Bench Staff",
            role="staff",
            centre_id=centre_id,
            password=PASSWORD,
            actor="bench-staff",
        )
        await session.commit()
    await engine.dispose()


async def sign_in(client: httpx.AsyncClient, base: str) -> None:
    """Sign `client` in at the worker as "bench-staff": its live stream then carries every
    change of the staff member's centre, not only the coalesced signal anonymous pages get."""
    page = (await client.get(f"{base}/login")).text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    reply = await client.post(
        f"{base}/login",
        data={"csrf": found.group(1), "username": "bench-staff", "password": PASSWORD},
    )
    assert reply.status_code == 303, reply.text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_worker(
    env: dict[str, str], app: str = "web.app:create_app", port: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Serve `app` (an app factory) with uvicorn on `port` (a free one by default); returns
    the process and its base URL once it takes connections. SystemExit when it does not."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--factory",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{app} did not start")


@contextmanager
def workers(url: str, count: int = 2) -> Iterator[list[str]]:
    """`count` workers of the app on the database at `url`, sharing Redis (db 15 of the local
    server) for live updates; yields their base URLs and stops them afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVN_")}
    env.update(
        HAVN_DATABASE_URL=url,
        HAVN_DATA_DIR="/tmp/havn-bench",
        HAVN_SECRET_KEY="b" * 40,
        HAVN_REDIS_URL="redis://127.0.0.1:6379/15",
        HAVN_FEED_POLL_SECONDS="30",
    )
    started: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        for _ in range(count):
            started.append(start_worker(env))
        yield [base for _, base in started]
    finally:
        for process, _ in started:
            process.terminate()
            process.wait()


async def listen(
    client: httpx.AsyncClient,
    base: str,
    centre: str,
    on_event: Callable[[dict[str, Any], float], bool],
) -> asyncio.Task[None]:
    """Follow the worker's live stream for `centre` in a task: `on_event(event, arrived)` for
    each event (`arrived` from time.perf_counter) until it returns True. Returns once the
    stream is open and has had half a second to settle."""
    ready = asyncio.Event()

    async def follow() -> None:
        async with client.stream("GET", f"{base}/events?centre={centre}") as stream:
            ready.set()
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    if on_event(event, time.perf_counter()):
                        return

    task = asyncio.create_task(follow())
    await ready.wait()
    await asyncio.sleep(0.5)
    return task


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def latency(ms: list[float]) -> str:
    """Median, p99 and maximum of latencies in milliseconds, for one line of a report."""
    return (
        f"p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
        f"max {max(ms):.1f} ms"
    )
