"""Holds: rules, expiry, authorisation, and the last place under contention (both engines)."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity import audit, holds, registry
from capacity.accounts import Principal
from capacity.db import session_factory
from capacity.errors import Conflict, Forbidden, InvalidInput, NotFound
from capacity.models import Availability, Centre, Event, Hold, ServedMunicipality, Unit, utcnow
from capacity.party import Child, Need, Party

ADVISER = Principal("adviser-1", "adviser")
STAFF_A = Principal("staff-a", "staff", "centre-a")
STAFF_B = Principal("staff-b", "staff", "centre-b")


def centre(centre_id: str) -> Centre:
    now = utcnow()
    built = Centre(
        id=centre_id,
        name=centre_id,
        country="NO",
        region="R",
        host_municipality="1804",
        status="open",
        languages=["nb"],
        interpreter=True,
        latitude=67.28,
        longitude=14.4,
        is_demo=False,
        version=1,
        created_at=now,
        updated_at=now,
    )
    built.units = [Unit(kind="women", beds=10, rooms=8, family_rooms=2, accessible_rooms=1)]
    built.municipalities = [ServedMunicipality(municipality_code="1804")]
    return built


async def setup(session: AsyncSession, free: int = 3, family: int = 1) -> tuple[Unit, Unit]:
    a = await registry.add_centre(session, centre("centre-a"), actor="test")
    b = await registry.add_centre(session, centre("centre-b"), actor="test")
    for c in (a, b):
        await registry.set_availability(
            session,
            c.units[0],
            free_beds=free,
            free_family_rooms=family,
            free_accessible_rooms=1,
            actor="test",
            source="staff",
        )
    await session.commit()
    return a.units[0], b.units[0]


async def numbers(session: AsyncSession, unit: Unit | int) -> Availability:
    unit_id = unit if isinstance(unit, int) else unit.id
    found = await session.get(Availability, unit_id, populate_existing=True)
    assert found is not None
    return found


async def test_a_hold_takes_places_out_of_what_is_free_for_others(session: AsyncSession) -> None:
    unit, _ = await setup(session, free=3)
    party = Party(children=(Child(4),))
    hold = await holds.place_hold(
        session, holds.HoldRequest(unit.id, party, note="arrives by bus"), actor=ADVISER
    )
    await session.commit()
    assert (hold.places, hold.family_rooms, hold.status) == (2, 1, "active")
    assert hold.party == {"gender": "woman", "adults": 1, "children": [4], "needs": []}
    stored = await numbers(session, unit)
    assert (stored.free_beds, stored.held_beds, stored.held_family_rooms) == (3, 2, 1)
    with pytest.raises(Conflict) as caught:
        await holds.place_hold(session, holds.HoldRequest(unit.id, Party(adults=2)), actor=ADVISER)
    assert caught.value.detail == {"free": 1, "needed": 2}
    await session.rollback()


async def test_confirming_takes_the_places_and_releasing_gives_them_back(
    session: AsyncSession,
) -> None:
    unit, _ = await setup(session, free=3)
    first = await holds.place_hold(session, holds.HoldRequest(unit.id, Party()), actor=ADVISER)
    second = await holds.place_hold(session, holds.HoldRequest(unit.id, Party()), actor=ADVISER)
    await session.commit()
    await holds.confirm(session, first.id, actor=STAFF_A)
    await holds.release(session, second.id, actor=ADVISER)
    await session.commit()
    stored = await numbers(session, unit)
    assert (stored.free_beds, stored.held_beds, stored.version) == (2, 0, 2)
    with pytest.raises(Conflict, match="already confirmed"):
        await holds.release(session, first.id, actor=ADVISER)
    await session.rollback()
    actions = [e.action for e in await audit.history(session, "centre-a")]
    assert actions[:4] == ["hold.released", "hold.confirmed", "hold.placed", "hold.placed"]


async def test_holds_expire_by_themselves_and_only_once(session: AsyncSession) -> None:
    unit, _ = await setup(session, free=2)
    hold = await holds.place_hold(
        session, holds.HoldRequest(unit.id, Party(adults=2), minutes=5), actor=ADVISER
    )
    await session.commit()
    assert await holds.expire_due(session, utcnow() + timedelta(minutes=4)) == 0
    assert await holds.expire_due(session, utcnow() + timedelta(minutes=6)) == 1
    await session.commit()
    assert await holds.expire_due(session, utcnow() + timedelta(minutes=7)) == 0
    stored = await numbers(session, unit)
    assert (stored.free_beds, stored.held_beds) == (2, 0)
    expired = await session.get(Hold, hold.id, populate_existing=True)
    assert expired is not None and expired.status == "expired"
    with pytest.raises(Conflict):
        await holds.confirm(session, hold.id, actor=ADVISER)
    await session.rollback()


async def test_a_hold_the_database_refuses_to_end_stays_held_and_others_still_expire(
    engine: AsyncEngine,
) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        unit, _ = await setup(session, free=3)
        stuck = await holds.place_hold(
            session, holds.HoldRequest(unit.id, Party(adults=2), minutes=5), actor=ADVISER
        )
        later = await holds.place_hold(
            session, holds.HoldRequest(unit.id, Party(adults=1), minutes=6), actor=ADVISER
        )
        await session.commit()
        # Counters that drifted below the holds (a manual repair gone wrong): giving back the
        # first hold's two places would make them negative, and the CHECK refuses that.
        await session.execute(
            update(Availability).where(Availability.unit_id == unit.id).values(held_beds=1)
        )
        await session.commit()

    async with sessions() as session:
        assert await holds.expire_due(session, utcnow() + timedelta(minutes=10)) == 1
        await session.commit()  # on PostgreSQL too: the refused statement did not poison it

    async with sessions() as session:
        statuses = {h.id: h.status for h in await session.scalars(select(Hold).order_by(Hold.id))}
        assert statuses == {stuck.id: "active", later.id: "expired"}
        assert (await numbers(session, unit)).held_beds == 0
        actions = [e.action for e in await audit.history(session, "centre-a")]
        assert actions.count("hold.expired") == 1
        # The next sweep refuses the same hold again, quietly, and ends nothing by mistake.
        assert await holds.expire_due(session, utcnow() + timedelta(minutes=11)) == 0
        await session.commit()


async def test_staff_hold_only_at_their_own_centre(session: AsyncSession) -> None:
    unit_a, unit_b = await setup(session)
    await holds.place_hold(session, holds.HoldRequest(unit_a.id, Party()), actor=STAFF_A)
    with pytest.raises(Forbidden):
        await holds.place_hold(session, holds.HoldRequest(unit_b.id, Party()), actor=STAFF_A)
    await session.commit()
    hold = (await holds.holds_for(session, centre_id="centre-a"))[0]
    with pytest.raises(Forbidden):
        await holds.release(session, hold.id, actor=STAFF_B)
    with pytest.raises(Forbidden):
        await holds.place_hold(
            session, holds.HoldRequest(unit_a.id, Party()), actor=Principal("x", "public")
        )
    await session.rollback()


@pytest.mark.parametrize(
    "request_changes",
    [{"minutes": 2}, {"minutes": 100_000}, {"note": "x" * 301}, {"unit_id": 999_999}],
)
async def test_bad_holds_are_refused_and_change_nothing(
    session: AsyncSession, request_changes: dict[str, object]
) -> None:
    unit, _ = await setup(session)
    unit_id = unit.id
    values = {"unit_id": unit_id, "party": Party(), **request_changes}
    with pytest.raises((InvalidInput, NotFound)):
        await holds.place_hold(session, holds.HoldRequest(**values), actor=ADVISER)  # type: ignore[arg-type]
    await session.rollback()
    assert (await numbers(session, unit_id)).held_beds == 0


async def test_staff_cannot_lower_free_places_below_what_is_held(session: AsyncSession) -> None:
    unit, _ = await setup(session, free=3)
    unit_id = unit.id
    await holds.place_hold(session, holds.HoldRequest(unit.id, Party(adults=2)), actor=ADVISER)
    await session.commit()
    with pytest.raises(InvalidInput, match="2 places are held"):
        await registry.set_availability(
            session,
            unit,
            free_beds=1,
            free_family_rooms=1,
            free_accessible_rooms=1,
            actor="staff-a",
            source="staff",
        )
    await session.rollback()
    assert (await numbers(session, unit_id)).free_beds == 3


async def test_wheelchair_needs_a_free_accessible_room(session: AsyncSession) -> None:
    unit, _ = await setup(session, free=5)
    party = Party(needs=frozenset({Need.WHEELCHAIR}))
    await holds.place_hold(session, holds.HoldRequest(unit.id, party), actor=ADVISER)
    with pytest.raises(Conflict):
        await holds.place_hold(session, holds.HoldRequest(unit.id, party), actor=ADVISER)
    await session.rollback()


async def test_two_advisers_and_the_last_place_exactly_one_wins(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    unit, _ = await setup(session, free=1)
    unit_id = unit.id
    sessions = session_factory(engine)

    async def attempt(name: str) -> str:
        async with sessions() as own:
            try:
                await holds.place_hold(
                    own, holds.HoldRequest(unit_id, Party()), actor=Principal(name, "adviser")
                )
                await own.commit()
                return "won"
            except Conflict:
                await own.rollback()
                return "lost"

    results = await asyncio.gather(*(attempt(f"adviser-{i}") for i in range(10)))
    assert sorted(results) == ["lost"] * 9 + ["won"]
    assert (await numbers(session, unit_id)).held_beds == 1


async def test_stress_many_holders_and_staff_no_double_booking(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    """Bounded: 4 units, 120 operations, about a few seconds; checks invariants afterwards."""
    units = []
    for i in range(4):
        c = await registry.add_centre(session, centre(f"stress-{i}"), actor="test")
        await registry.set_availability(
            session,
            c.units[0],
            free_beds=5,
            free_family_rooms=2,
            free_accessible_rooms=1,
            actor="test",
            source="staff",
        )
        units.append((c.units[0].id, c.id))
    await session.commit()
    sessions = session_factory(engine)
    rng = random.Random(3)
    outcomes: list[str] = []

    async def worker(n: int) -> None:
        for _ in range(15):
            unit_id, centre_id = rng.choice(units)
            async with sessions() as own:
                try:
                    kind = rng.random()
                    if kind < 0.6:
                        party = Party(children=(Child(3),)) if rng.random() < 0.3 else Party()
                        await holds.place_hold(
                            own,
                            holds.HoldRequest(unit_id, party),
                            actor=Principal(f"a{n}", "adviser"),
                        )
                        outcomes.append("held")
                    elif kind < 0.8:
                        live = await holds.holds_for(own, centre_id=centre_id)
                        if live:
                            await holds.confirm(own, live[0].id, actor=Principal(f"s{n}", "admin"))
                            outcomes.append("confirmed")
                    else:
                        own_unit = await own.get(Unit, unit_id)
                        assert own_unit is not None
                        current = await own.get(Availability, unit_id)
                        assert current is not None
                        await registry.set_availability(
                            own,
                            own_unit,
                            free_beds=min(10, current.held_beds + rng.randint(0, 3)),
                            free_family_rooms=max(current.held_family_rooms, rng.randint(0, 2)),
                            free_accessible_rooms=max(
                                current.held_accessible_rooms, rng.randint(0, 1)
                            ),
                            actor=f"s{n}",
                            source="staff",
                            expected_version=current.version,
                        )
                        outcomes.append("updated")
                    await own.commit()
                except (Conflict, InvalidInput):
                    await own.rollback()
                    outcomes.append("refused")

    await asyncio.wait_for(asyncio.gather(*(worker(n) for n in range(8))), timeout=120)
    assert "held" in outcomes and "refused" in outcomes
    for unit_id, centre_id in units:
        stored = await numbers(session, unit_id)
        live = await holds.holds_for(session, centre_id=centre_id)
        assert stored.held_beds == sum(h.places for h in live)
        assert stored.held_family_rooms == sum(h.family_rooms for h in live)
        assert 0 <= stored.held_beds <= stored.free_beds
    placed = await session.scalar(
        select(func.count()).select_from(Event).where(Event.action == "hold.placed")
    )
    assert placed == outcomes.count("held")
    confirmed = await session.scalar(
        select(func.count()).select_from(Event).where(Event.action == "hold.confirmed")
    )
    assert confirmed == outcomes.count("confirmed")
