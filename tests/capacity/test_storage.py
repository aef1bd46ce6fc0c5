"""Schema, audit trail and writes, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity import audit, migrate, registry
from capacity.db import async_url, create_engine, session_factory
from capacity.errors import Conflict, InvalidInput
from capacity.models import Availability, Centre, Event, ServedMunicipality, Unit

NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)


def new_centre(centre_id: str = "test-centre") -> Centre:
    centre = Centre(
        id=centre_id,
        name="Test krisesenter",
        country="NO",
        region="Nordland",
        host_municipality="1804",
        status="open",
        languages=["nb", "en"],
        interpreter=True,
        latitude=67.28,
        longitude=14.40,
        is_demo=False,
        version=1,
        created_at=NOW,
        updated_at=NOW,
    )
    centre.units = [Unit(kind="women", beds=10, rooms=8, family_rooms=2, accessible_rooms=1)]
    centre.municipalities = [ServedMunicipality(municipality_code="1804")]
    return centre


async def add(session: AsyncSession, centre_id: str = "test-centre") -> Centre:
    centre = await registry.add_centre(session, new_centre(centre_id), actor="tester")
    await session.commit()
    return centre


async def test_migrations_and_models_agree(engine: AsyncEngine) -> None:
    assert await migrate.schema_drift(engine) == []


def test_migrations_downgrade_and_upgrade_again(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/roundtrip.sqlite3"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    migrate.upgrade(url)

    async def tables() -> set[str]:
        engine = create_engine(url)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT name FROM sqlite_master WHERE type='table'")
            )
            found = {row[0] for row in rows}
        await engine.dispose()
        return found

    assert {"centres", "units", "availability", "holds", "events"} <= asyncio.run(tables())


@pytest.mark.parametrize(
    "url,driver",
    [
        ("sqlite:///data/x.sqlite3", "sqlite+aiosqlite"),
        ("postgresql://user@db:5432/havn", "postgresql+asyncpg"),
    ],
)
def test_plain_database_urls_get_the_async_driver(url: str, driver: str) -> None:
    assert async_url(url).drivername == driver


@pytest.mark.parametrize("url", ["mysql://x@y/z", "not a url", "", "oracle://a"])
def test_other_databases_are_refused_clearly(url: str) -> None:
    with pytest.raises(InvalidInput):
        async_url(url)


async def test_adding_a_centre_is_audited(session: AsyncSession) -> None:
    await add(session)
    (event,) = await audit.history(session, "test-centre")
    assert event.action == "centre.created" and event.actor == "tester"
    assert event.before is None and event.after is not None
    assert event.after["name"] == "Test krisesenter" and event.after["serves"] == ["1804"]


async def test_adding_the_same_centre_twice_is_a_conflict(session: AsyncSession) -> None:
    await add(session)
    with pytest.raises(Conflict):
        await registry.add_centre(session, new_centre(), actor="tester")


async def test_events_cannot_be_changed_or_deleted(session: AsyncSession) -> None:
    await add(session)
    with pytest.raises(DBAPIError, match="append-only"):
        await session.execute(update(Event).values(actor="someone else"))
    await session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        await session.execute(delete(Event))
    await session.rollback()
    assert await session.scalar(select(func.count()).select_from(Event)) == 1


async def test_setting_availability_records_before_and_after(session: AsyncSession) -> None:
    centre = await add(session)
    unit = centre.units[0]
    await registry.set_availability(
        session,
        unit,
        free_beds=3,
        free_family_rooms=1,
        free_accessible_rooms=0,
        actor="staff-a",
        source="staff",
        now=NOW,
    )
    await registry.set_availability(
        session,
        unit,
        free_beds=2,
        free_family_rooms=1,
        free_accessible_rooms=0,
        actor="staff-b",
        source="staff",
        now=NOW + timedelta(minutes=5),
    )
    await session.commit()
    events = await audit.history(session, centre.id)
    assert [e.action for e in events] == ["availability.set", "availability.set", "centre.created"]
    assert events[0].before is not None and events[0].after is not None
    assert events[0].before["free_beds"] == 3 and events[0].after["free_beds"] == 2
    assert events[0].after["version"] == 2 and events[0].actor == "staff-b"
    stored = await session.get(Availability, unit.id)
    assert stored is not None and stored.as_of == NOW + timedelta(minutes=5)
    assert stored.as_of.tzinfo is not None


@pytest.mark.parametrize(
    "beds,family,accessible",
    [(-1, 0, 0), (11, 0, 0), (0, 3, 0), (0, 0, 2), (True, 0, 0), ("3", 0, 0), (2.5, 0, 0)],
)
async def test_impossible_numbers_are_refused_and_nothing_is_lost(
    session: AsyncSession, beds: object, family: object, accessible: object
) -> None:
    centre = await add(session)
    unit = centre.units[0]
    await registry.set_availability(
        session,
        unit,
        free_beds=4,
        free_family_rooms=1,
        free_accessible_rooms=1,
        actor="staff",
        source="staff",
    )
    await session.commit()
    with pytest.raises(InvalidInput):
        await registry.set_availability(
            session,
            unit,
            free_beds=beds,
            free_family_rooms=family,  # type: ignore[arg-type]
            free_accessible_rooms=accessible,
            actor="staff",
            source="staff",
        )
    await session.rollback()
    stored = await session.get(Availability, unit.id, populate_existing=True)
    assert stored is not None and (stored.free_beds, stored.version) == (4, 1)


async def test_the_database_itself_refuses_negative_numbers(session: AsyncSession) -> None:
    centre = await add(session)
    await registry.set_availability(
        session,
        centre.units[0],
        free_beds=1,
        free_family_rooms=0,
        free_accessible_rooms=0,
        actor="staff",
        source="staff",
    )
    await session.commit()
    with pytest.raises(IntegrityError):
        await session.execute(update(Availability).values(free_beds=-1))
    await session.rollback()


async def test_a_stale_version_cannot_overwrite_a_newer_value(session: AsyncSession) -> None:
    centre = await add(session)
    unit = centre.units[0]
    first = await registry.set_availability(
        session,
        unit,
        free_beds=4,
        free_family_rooms=1,
        free_accessible_rooms=0,
        actor="a",
        source="staff",
    )
    await session.commit()
    await registry.set_availability(
        session,
        unit,
        free_beds=3,
        free_family_rooms=1,
        free_accessible_rooms=0,
        actor="b",
        source="staff",
        expected_version=first.version,
    )
    await session.commit()
    with pytest.raises(Conflict) as caught:
        await registry.set_availability(
            session,
            unit,
            free_beds=9,
            free_family_rooms=1,
            free_accessible_rooms=0,
            actor="a",
            source="staff",
            expected_version=1,
        )
    assert caught.value.detail["current"]["free_beds"] == 3
    await session.rollback()


async def test_concurrent_writers_with_the_same_version_exactly_one_wins(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    centre = await add(session)
    unit = centre.units[0]
    await registry.set_availability(
        session,
        unit,
        free_beds=4,
        free_family_rooms=1,
        free_accessible_rooms=0,
        actor="seed",
        source="staff",
    )
    await session.commit()
    sessions = session_factory(engine)

    async def write(beds: int) -> str:
        async with sessions() as own:
            own_unit = await own.get(Unit, unit.id)
            assert own_unit is not None
            try:
                await registry.set_availability(
                    own,
                    own_unit,
                    free_beds=beds,
                    free_family_rooms=0,
                    free_accessible_rooms=0,
                    actor=f"writer-{beds}",
                    source="staff",
                    expected_version=1,
                )
                await own.commit()
                return "won"
            except Conflict:
                await own.rollback()
                return "lost"

    outcomes = await asyncio.gather(*(write(beds) for beds in range(1, 9)))
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]
    events = await audit.history(session, centre.id)
    assert [e.action for e in events].count("availability.set") == 2


async def test_load_index_reflects_the_registry_and_its_revision(session: AsyncSession) -> None:
    centre = await add(session)
    before = await registry.load_index(session)
    await registry.set_availability(
        session,
        centre.units[0],
        free_beds=2,
        free_family_rooms=0,
        free_accessible_rooms=0,
        actor="staff",
        source="staff",
    )
    await session.commit()
    after = await registry.load_index(session)
    assert after.revision > before.revision
    (facts,) = after.units
    assert facts.free_beds == 2 and facts.as_of is not None and not facts.demo
    assert after.centres[0].serves == ("1804",)
