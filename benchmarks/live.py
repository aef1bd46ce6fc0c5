"""Live-update latency across worker processes, and update throughput on PostgreSQL.

Two uvicorn workers share a PostgreSQL database and Redis (db 15 of the local server).
1,000 sequential updates go to worker A; a staff member of the centre, signed in at worker B,
follows its /events and notes when each arrives (an anonymous stream gets only a coalesced
signal). Latency is measured from just before the update is sent (so it includes the whole
request) to the event at B. Then 8 concurrent clients update 40 centres through worker A.
Run on demand: `.venv/bin/python -m benchmarks.live [updates]` (1,000 by default).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import httpx

from benchmarks.common import fresh_database, latency, listen, seed, sign_in, staff_member, workers

UPDATES = 1000


async def main(updates: int = UPDATES) -> None:
    url = await fresh_database()
    tokens = await seed(url, centres=40)
    await staff_member(url, "bench-0")
    sent: dict[int, float] = {}
    latencies: list[float] = []
    with workers(url) as (a, b):
        async with (
            httpx.AsyncClient(timeout=30) as client,
            httpx.AsyncClient(timeout=30) as staff,
        ):
            done = asyncio.Event()

            def arrived(_event: dict[str, Any], at: float) -> bool:
                index = len(latencies)  # one event per update, in commit order
                if index in sent:
                    latencies.append(at - sent[index])
                if len(latencies) >= updates:
                    done.set()
                    return True
                return False

            await sign_in(staff, b)  # an anonymous stream gets only a coalesced signal
            task = await listen(staff, b, "bench-0", arrived)
            unit = f"{a}/api/v1/centres/bench-0/units/women/availability"
            headers = {"Authorization": f"Bearer {tokens['bench-0']}"}
            etag = (await client.get(unit)).headers["etag"]
            started = time.perf_counter()
            for i in range(updates):
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
            sequential = updates / (time.perf_counter() - started)
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

            each = max(1, updates // 8)
            started = time.perf_counter()
            await asyncio.gather(*(writer(n, each) for n in range(8)))
            concurrent = 8 * each / (time.perf_counter() - started)
    ms = [value * 1000 for value in latencies]
    print(f"update → SSE at another worker over {len(ms)} updates: {latency(ms)}")
    print(
        f"updates/s on PostgreSQL through HTTP: {sequential:.0f} sequential (one client), "
        f"{concurrent:.0f} with 8 concurrent clients (GET + PUT each)"
    )


if __name__ == "__main__":
    asyncio.run(main(*(int(arg) for arg in sys.argv[1:2])))
