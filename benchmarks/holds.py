"""Holds per second on PostgreSQL: contention on one unit, and spread over many units.

16 concurrent tasks, each in its own session, place a hold and release it again, for a fixed
number of rounds. With contention every task fights for the same availability row (5 free
places); spread, they work on 200 units. Counts placed holds and refusals. Run on demand.
"""

from __future__ import annotations

import asyncio
import random
import time

from benchmarks.common import fresh_database, seed
from capacity import holds
from capacity.accounts import Principal
from capacity.db import create_engine, session_factory
from capacity.errors import Conflict
from capacity.models import Unit
from capacity.party import Party

TASKS = 16
ROUNDS = 60


async def run(url: str, unit_ids: list[int]) -> tuple[float, int, int]:
    engine = create_engine(url, pool_size=TASKS, max_overflow=0)
    sessions = session_factory(engine)
    placed = refused = 0

    async def worker(n: int) -> None:
        nonlocal placed, refused
        rng = random.Random(n)
        adviser = Principal(f"bench-{n}", "adviser")
        for _ in range(ROUNDS):
            unit_id = rng.choice(unit_ids)
            async with sessions() as session:
                try:
                    hold = await holds.place_hold(
                        session, holds.HoldRequest(unit_id, Party()), actor=adviser
                    )
                    await session.commit()
                    placed += 1
                except Conflict:
                    await session.rollback()
                    refused += 1
                    continue
                await holds.release(session, hold.id, actor=adviser)
                await session.commit()

    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(TASKS)))
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed, placed, refused


async def main() -> None:
    url = await fresh_database()
    await seed(url, centres=200, beds=10)
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        from sqlalchemy import select

        unit_ids = list(await session.scalars(select(Unit.id).order_by(Unit.id)))
    await engine.dispose()
    for name, chosen in (("one unit (5 free places)", unit_ids[:1]), ("200 units", unit_ids)):
        elapsed, placed, refused = await run(url, chosen)
        attempts = placed + refused
        print(
            f"{name}: {placed / elapsed:.0f} holds placed+released/s, "
            f"{attempts / elapsed:.0f} attempts/s ({refused} refused as full), {TASKS} tasks"
        )


if __name__ == "__main__":
    asyncio.run(main())
