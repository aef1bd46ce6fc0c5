"""Referrals and watches on the live streams of a real worker (PostgreSQL): a centre's staff
see their own requests arrive, an adviser alone learns that a place opened for their watch,
and the anonymous stream stays an opaque refresh."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx2

from capacity import watches
from capacity.accounts import Principal
from capacity.db import create_engine, session_factory
from capacity.models import utcnow
from capacity.party import Gender, Party
from capacity.search import Point
from tests.helpers import add_people
from tests.system.workers import (
    Worker,
    changes,
    environment,
    fresh_tokens,
    log_in,
    put_beds,
    read_events,
)


async def watch_for_four_near_bodo(url: str) -> str:
    """The adviser's watch (as the console makes it): 4 women within 50 km of Bodø."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        made = await watches.watch(
            session,
            watches.WatchDraft(
                party=Party(gender=Gender.WOMAN, adults=4),
                near=Point(67.28, 14.40),
                place="Bodø",
                max_km=50,
            ),
            actor=Principal("adviser", "adviser"),
        )
        await session.commit()
        watch_id = made.id
    await engine.dispose()
    return watch_id


async def test_a_watch_match_reaches_only_its_adviser_and_requests_only_their_centre(
    registry_url: tuple[str, str], tmp_path: Path
) -> None:
    url, token = registry_url
    await add_people(url, ("adviser-2", "adviser", None))
    _, adviser_token = await fresh_tokens(url)
    await watch_for_four_near_bodo(url)
    worker = Worker(environment(url, tmp_path, None, poll=0.2))
    try:
        async with (
            httpx2.AsyncClient() as owner,
            httpx2.AsyncClient() as other_adviser,
            httpx2.AsyncClient() as staff_a,
            httpx2.AsyncClient() as staff_b,
            httpx2.AsyncClient() as anonymous,
            httpx2.AsyncClient() as writer,
        ):
            for client, name in (
                (owner, "adviser"),
                (other_adviser, "adviser-2"),
                (staff_a, "staff-a"),
                (staff_b, "staff-b"),
            ):
                await log_in(client, worker.base, name)

            async def opening_and_referral() -> None:
                await asyncio.sleep(0.5)  # every stream is open
                await put_beds(writer, worker.base, token, 5)  # now 4 women fit at Bodø
                sent = await writer.post(
                    f"{worker.base}/api/v1/referrals",
                    json={
                        "centres": ["bodo"],
                        "gender": "woman",
                        "adults": 1,
                        "arrival_by": (utcnow() + timedelta(hours=1)).isoformat(),
                        "callback": "+47 22 00 11 22",
                    },
                    headers={"Authorization": f"Bearer {adviser_token}"},
                )
                assert sent.status_code == 201, sent.text

            seen = await asyncio.gather(
                read_events(owner, worker.base, opening_and_referral(), seconds=3),
                read_events(other_adviser, worker.base, asyncio.sleep(0.5), seconds=5),
                read_events(staff_a, worker.base, asyncio.sleep(0.5), seconds=5),
                read_events(staff_b, worker.base, asyncio.sleep(0.5), seconds=5),
                read_events(anonymous, worker.base, asyncio.sleep(0.5), seconds=5),
            )
    finally:
        worker.stop()
    owner_seen, other_seen, a_seen, b_seen = (
        {c["action"] for c in changes(lines)} for lines in seen[:4]
    )
    assert "watch.matched" in owner_seen
    assert "watch.matched" not in other_seen
    assert "referral.asked" in a_seen and "watch.matched" not in a_seen
    assert "referral.sent" not in a_seen  # it names every asked centre
    assert not {"referral.asked", "referral.sent"} & b_seen
    assert all(line in ("event: change", "data: refresh") for line in seen[4]), seen[4]
