"""Live updates across worker processes: Redis publish/subscribe, and polling when Redis is down.

Each test starts real uvicorn worker processes on PostgreSQL and, where needed, a private
redis-server on a free port (so stopping it cannot disturb anything else). Bounded in time.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx2

from capacity import accounts
from capacity.db import create_engine, session_factory
from tests.helpers import (
    add_people,
)
from tests.system.workers import (
    RedisServer,
    Worker,
    changes,
    environment,
    fresh_tokens,
    log_in,
    put_beds,
    read_events,
)


async def next_change(
    client: httpx2.AsyncClient, base: str, trigger: object, within: float
) -> tuple[dict[str, object], float]:
    """Open /events as an adviser, run `trigger`, return the first change and how long it took."""
    async with httpx2.AsyncClient() as adviser:
        await log_in(adviser, base, "adviser")
        return await _next_change(adviser, base, trigger, within)


async def _next_change(
    client: httpx2.AsyncClient, base: str, trigger: object, within: float
) -> tuple[dict[str, object], float]:
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


async def place_hold(client: httpx2.AsyncClient, base: str, token: str, adults: int) -> None:
    response = await client.post(
        f"{base}/api/v1/holds",
        json={"centre": "bodo", "unit": "women", "adults": str(adults), "minutes": 60},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text


async def create_accounts(url: str) -> None:
    """An administrator adds a user and an API token (through the registry, like the admin page)."""
    await add_people(url, ("new-staff", "staff", "bodo"), actor="admin")
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        await accounts.create_token(
            session, name="new-token", role="staff", centre_id="bodo", actor="admin"
        )
        await session.commit()
    await engine.dispose()


async def test_an_anonymous_watcher_learns_nothing_but_a_coalesced_refresh(
    registry_url: tuple[str, str], tmp_path: Path
) -> None:
    url, token = registry_url
    worker = Worker(environment(url, tmp_path, None, poll=0.2))
    try:
        async with httpx2.AsyncClient() as watcher, httpx2.AsyncClient() as writer:
            _, adviser_token = await fresh_tokens(url)

            async def hold_and_accounts() -> None:
                await place_hold(writer, worker.base, adviser_token, adults=3)
                await create_accounts(url)

            # A hold, a new user and a new token move nothing public: not even a signal.
            quiet = await read_events(watcher, worker.base, hold_and_accounts(), seconds=3)
            assert quiet == []
            # The public numbers leave the new hold out: free stays what the staff published.
            public = (await watcher.get(f"{worker.base}/api/v1/centres/bodo")).json()
            availability = public["units"][0]["availability"]
            assert availability["free_places"] == 3 and "held_places" not in availability
            assert "held" not in json.dumps(public)

            async def burst() -> None:
                for beds in (4, 3, 4, 3):
                    await put_beds(writer, worker.base, token, beds)

            lines = await read_events(watcher, worker.base, burst(), seconds=6.5)
            assert lines, "public pages must still learn that something changed"
            assert all(line in ("event: change", "data: refresh") for line in lines), lines
            assert 1 <= lines.count("data: refresh") <= 2
            # Once the staff publish numbers again, the hold they saw counts, still unnamed.
            public = (await watcher.get(f"{worker.base}/api/v1/centres/bodo")).json()
            availability = public["units"][0]["availability"]
            assert availability["free_places"] == 0 and "held_places" not in availability
    finally:
        worker.stop()


async def test_each_role_stream_shows_only_what_the_role_may_see(
    registry_url: tuple[str, str], tmp_path: Path
) -> None:
    url, token = registry_url
    worker = Worker(environment(url, tmp_path, None, poll=0.2))
    oslo_token, adviser_token = await fresh_tokens(url)
    try:
        async with (
            httpx2.AsyncClient() as staff_b,
            httpx2.AsyncClient() as adviser,
            httpx2.AsyncClient() as admin,
            httpx2.AsyncClient() as writer,
        ):
            for client, name in ((staff_b, "staff-b"), (adviser, "adviser"), (admin, "admin")):
                await log_in(client, worker.base, name)

            async def everything() -> None:
                await asyncio.sleep(0.5)  # every stream is open
                await put_beds(writer, worker.base, token, 2)
                await place_hold(writer, worker.base, adviser_token, adults=1)
                await create_accounts(url)
                response = await writer.put(
                    f"{worker.base}/api/v1/centres/oslo/units/women/availability",
                    json={"free_beds": 1, "free_family_rooms": 0, "free_accessible_rooms": 0},
                    headers={
                        "Authorization": f"Bearer {oslo_token}",
                        "If-Match": (
                            await writer.get(
                                f"{worker.base}/api/v1/centres/oslo/units/women/availability"
                            )
                        ).headers["etag"],
                    },
                )
                assert response.status_code == 200, response.text

            seen = await asyncio.gather(
                read_events(staff_b, worker.base, everything(), seconds=3),
                read_events(adviser, worker.base, asyncio.sleep(0.5), seconds=5),
                read_events(admin, worker.base, asyncio.sleep(0.5), seconds=5),
            )
    finally:
        worker.stop()
    staff_seen, adviser_seen, admin_seen = (changes(lines) for lines in seen)
    assert [(c["action"], c["centre"]) for c in staff_seen] == [("availability.set", "oslo")]
    adviser_actions = {(c["action"], c["centre"]) for c in adviser_seen}
    assert adviser_actions == {
        ("availability.set", "bodo"),
        ("hold.placed", "bodo"),
        ("availability.set", "oslo"),
    }
    admin_actions = {c["action"] for c in admin_seen}
    assert {"user.created", "token.created", "hold.placed"} <= admin_actions


async def test_an_open_stream_does_not_keep_the_server_from_stopping(
    registry_url: tuple[str, str], tmp_path: Path
) -> None:
    url, _ = registry_url
    worker = Worker(environment(url, tmp_path, None, poll=1))
    try:
        async with (
            httpx2.AsyncClient() as client,
            client.stream("GET", f"{worker.base}/events", timeout=30) as stream,
        ):
            assert (await anext(stream.aiter_lines())).startswith("retry:")
            started = time.monotonic()
            worker.process.terminate()
            await asyncio.to_thread(worker.process.wait, 8)
            assert time.monotonic() - started < 5
    finally:
        worker.stop()


async def test_beyond_the_stream_limit_events_answer_503_with_retry_after(
    registry_url: tuple[str, str], tmp_path: Path
) -> None:
    url, _ = registry_url
    env = environment(url, tmp_path, None, poll=1) | {"HAVN_MAX_STREAMS": "2"}
    worker = Worker(env)
    try:
        async with httpx2.AsyncClient() as client:
            async with (
                client.stream("GET", f"{worker.base}/events", timeout=10) as one,
                client.stream("GET", f"{worker.base}/events", timeout=10) as two,
            ):
                assert one.status_code == two.status_code == 200
                third = await client.get(f"{worker.base}/events", timeout=10)
                assert third.status_code == 503
                assert int(third.headers["retry-after"]) > 0
                assert third.json()["code"] == "busy"
            # Closed streams give their places back.
            await asyncio.sleep(0.5)
            async with client.stream("GET", f"{worker.base}/events", timeout=10) as again:
                assert again.status_code == 200
    finally:
        worker.stop()
