"""Live-update latency across worker processes, and update throughput on PostgreSQL.

Two uvicorn workers share a PostgreSQL database and Redis (db 15 of the local server).
1,000 sequential updates go to worker A; a subscriber of worker B's /events notes when each
arrives. Latency is measured from just before the update is sent (so it includes the whole
request) to the event at B. Then 8 concurrent clients update 40 centres through worker A.
Run on demand: `.venv/bin/python benchmarks/live.py`.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time

import httpx

from benchmarks.common import fresh_database, percentile, seed, start_worker

UPDATES = 1000


async def main() -> None:
    url = await fresh_database()
    tokens = await seed(url, centres=40)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVN_")}
    env.update(
        HAVN_DATABASE_URL=url,
        HAVN_DATA_DIR="/tmp/havn-bench",
        HAVN_SECRET_KEY="b" * 40,
        HAVN_REDIS_URL="redis://127.0.0.1:6379/15",
        HAVN_FEED_POLL_SECONDS="30",
    )
    workers = [start_worker(env), start_worker(env)]
    (_, a), (_, b) = workers
    sent: dict[int, float] = {}
    latencies: list[float] = []
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            done = asyncio.Event()

            async def listen() -> None:
                async with client.stream("GET", f"{b}/events?centre=bench-0") as stream:
                    ready.set()
                    async for line in stream.aiter_lines():
                        if line.startswith("data:"):
                            json.loads(line[5:])  # one event per update, in commit order
                            arrived = time.perf_counter()
                            index = len(latencies)
                            if index in sent:
                                latencies.append(arrived - sent[index])
                            if len(latencies) >= UPDATES:
                                done.set()
                                return

            ready = asyncio.Event()
            task = asyncio.create_task(listen())
            await ready.wait()
            await asyncio.sleep(0.5)
            unit = f"{a}/api/v1/centres/bench-0/units/women/availability"
            headers = {"Authorization": f"Bearer {tokens['bench-0']}"}
            etag = (await client.get(unit)).headers["etag"]
            started = time.perf_counter()
            for i in range(UPDATES):
                sent[i] = time.perf_counter()
                response = await client.put(
                    unit,
                    json={
                        "free_beds": 10 + i % 40,
                        "free_family_rooms": 5,
                        "free_accessible_rooms": 2,
                    },
                    headers={**headers, "If-Match": etag},
                )
                response.raise_for_status()
                etag = response.headers["etag"]
            await asyncio.wait_for(done.wait(), 30)
            sequential = UPDATES / (time.perf_counter() - started)
            task.cancel()

            async def writer(n: int, count: int) -> None:
                for j in range(count):
                    centre = f"bench-{(n * 5 + j) % 40}"
                    target = f"{a}/api/v1/centres/{centre}/units/women/availability"
                    for _ in range(5):  # retry on 409: another writer changed it
                        etag = (await client.get(target)).headers["etag"]
                        reply = await client.put(
                            target,
                            json={
                                "free_beds": j % 50,
                                "free_family_rooms": 5,
                                "free_accessible_rooms": 2,
                            },
                            headers={"Authorization": f"Bearer {tokens[centre]}", "If-Match": etag},
                        )
                        if reply.status_code == 200:
                            break

            started = time.perf_counter()
            await asyncio.gather(*(writer(n, 125) for n in range(8)))
            concurrent = 1000 / (time.perf_counter() - started)
    finally:
        for process, _ in workers:
            process.terminate()
            process.wait()
    ms = [value * 1000 for value in latencies]
    print(
        f"update → SSE at another worker over {len(ms)} updates: "
        f"p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
        f"max {max(ms):.1f} ms"
    )
    print(
        f"updates/s on PostgreSQL through HTTP: {sequential:.0f} sequential (one client), "
        f"{concurrent:.0f} with 8 concurrent clients (GET + PUT each)"
    )


if __name__ == "__main__":
    asyncio.run(main())
