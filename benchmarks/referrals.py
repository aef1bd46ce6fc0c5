"""Referral → staff screen latency across worker processes (PostgreSQL and Redis).

Two uvicorn workers share a PostgreSQL database and Redis (db 15 of the local server). A
centre's staff member is signed in at worker B with its dashboard's live stream open; an
adviser sends referrals (to that centre and another) through worker A's API, one at a time.
Latency counts from just before the POST to the moment the staff dashboard's live section,
refreshed on the `referral.asked` event as the browser does (an htmx GET of the section),
has come back showing the new request. Run on demand:
`.venv/bin/python -m benchmarks.referrals [referrals]` (200 by default).
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta
from typing import Any

import httpx

from benchmarks.common import (
    fresh_database,
    latency,
    listen,
    seed,
    sign_in,
    staff_member,
    workers,
)
from capacity import accounts
from capacity.db import create_engine, session_factory
from capacity.models import utcnow

REFERRALS = 200


async def adviser_token(url: str) -> str:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        _, token = await accounts.create_token(
            session, name="bench-adviser", role="adviser", centre_id=None, actor="bench"
        )
        await session.commit()
    await engine.dispose()
    return token


async def main(referrals: int = REFERRALS) -> None:
    url = await fresh_database()
    await seed(url, centres=2, beds=1000)  # 500 free at each: every referral fits
    await staff_member(url, "bench-0")
    adviser = await adviser_token(url)
    latencies: list[float] = []
    events: asyncio.Queue[float] = asyncio.Queue()

    def arrived(change: dict[str, Any], at: float) -> bool:
        if change.get("action") == "referral.asked":
            events.put_nowait(at)
        return False

    with workers(url) as (a, b):
        async with (
            httpx.AsyncClient(timeout=30) as staff,
            httpx.AsyncClient(timeout=30) as sender,
        ):
            await sign_in(staff, b)
            task = await listen(staff, b, "bench-0", arrived)
            section = {"HX-Request": "true", "HX-Target": "referrals", "Havn-Live": "refresh"}
            for _ in range(referrals):
                started = time.perf_counter()
                reply = await sender.post(
                    f"{a}/api/v1/referrals",
                    json={
                        "centres": ["bench-0", "bench-1"],
                        "gender": "woman",
                        "adults": 1,
                        "arrival_by": (utcnow() + timedelta(hours=1)).isoformat(),
                        "callback": "+47 22 00 11 22",
                    },
                    headers={"Authorization": f"Bearer {adviser}"},
                )
                reply.raise_for_status()
                asked = next(r["id"] for r in reply.json()["requests"] if r["centre"] == "bench-0")
                await asyncio.wait_for(events.get(), 10)
                shown = (await staff.get(f"{b}/staff", headers=section)).text
                assert f'id="referral-{asked}"' in shown
                latencies.append(time.perf_counter() - started)
            task.cancel()
    ms = [value * 1000 for value in latencies]
    print(f"referral → staff screen at another worker over {len(ms)} referrals: {latency(ms)}")


if __name__ == "__main__":
    asyncio.run(main(*(int(arg) for arg in sys.argv[1:2])))
