"""Shared fixtures: real SQLite files and a real PostgreSQL database, migrated by Alembic."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity import migrate
from capacity.db import create_engine, session_factory
from capacity.geocoder import Gazetteer
from capacity.models import Centre, ServedMunicipality, Unit, User, utcnow

# One database per test run (pid suffix), so parallel runs on one machine never collide.
_BASE_URL = make_url(
    os.environ.get("HAVN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/havn_test")
)
POSTGRES_URL = _BASE_URL.set(database=f"{_BASE_URL.database}_{os.getpid()}").render_as_string(
    hide_password=False
)
TABLES = (
    "referral_requests",
    "referrals",
    "watches",
    "login_sessions",
    "recovery_codes",
    "holds",
    "availability",
    "units",
    "served_municipalities",
    "api_tokens",
    "users",
    "centres",
    "events",
    "daily_counts",
)


async def _database(url: str, create: bool) -> None:
    target = make_url(url)
    admin = await asyncpg.connect(
        host=target.host,
        port=target.port or 5432,
        user=target.username,
        password=target.password,
        database="postgres",
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        if create:
            await admin.execute(f'CREATE DATABASE "{target.database}"')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run (never skipped), dropped after."""
    asyncio.run(_database(POSTGRES_URL, create=True))
    migrate.upgrade(POSTGRES_URL)
    yield POSTGRES_URL
    asyncio.run(_database(POSTGRES_URL, create=False))


async def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            # The audit log refuses TRUNCATE by trigger; replica mode skips triggers for cleanup.
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            await connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a new SQLite file, or the emptied PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'havn.sqlite3'}"
        migrate.upgrade(url)
        return url
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(_empty_postgres(url))
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with session_factory(engine)() as session:
        yield session


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def make_centre(
    centre_id: str,
    gazetteer: Gazetteer,
    host: str,
    serves: tuple[str, ...] = (),
    **fields: object,
) -> Centre:
    """A centre at `host`'s public point with a women's and a men's unit."""
    place = gazetteer.municipality(host)
    assert place is not None, host
    now = utcnow()
    centre = Centre(
        id=centre_id,
        name=f"{place.municipality} krisesenter",
        country="NO",
        region=place.county,
        host_municipality=host,
        status="open",
        languages=["nb", "en"],
        interpreter=True,
        # The registry stores only the public point: the municipality's, rounded.
        latitude=round(place.latitude, 2),
        longitude=round(place.longitude, 2),
        is_demo=False,
        version=1,
        created_at=now,
        updated_at=now,
    )
    for key, value in fields.items():
        setattr(centre, key, value)
    centre.municipalities = [ServedMunicipality(municipality_code=c) for c in serves or (host,)]
    centre.units = [
        Unit(
            kind="women", beds=10, rooms=8, family_rooms=2, accessible_rooms=1, children_max_age=17
        ),
        Unit(kind="men", beds=3, rooms=3, family_rooms=1, accessible_rooms=0, children_max_age=17),
    ]
    return centre


PASSWORD = "correct horse battery staple"
ADMIN_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the seeded admin's authenticator secret


def totp_code(secret: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or `steps_ahead` 30-second steps later)."""
    import pyotp

    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(utcnow()) + steps_ahead)


async def seed_people(session: AsyncSession) -> dict[str, str]:
    """Users for each role (their own chosen passwords) and one API token per kind."""
    from capacity import accounts

    for username, role, centre in (
        ("staff-a", "staff", "bodo"),
        ("staff-b", "staff", "oslo"),
        ("adviser", "adviser", None),
        ("admin", "admin", None),
    ):
        await accounts.create_user(
            session,
            username=username,
            display_name=username.title(),
            role=role,
            centre_id=centre,
            password=PASSWORD,
            actor=username,
        )
    # Administrators must sign in with two factors: the seeded one has an authenticator.
    admin = await session.scalar(select(User).where(User.username == "admin"))
    assert admin is not None
    admin.totp_secret = ADMIN_TOTP
    admin.totp_confirmed_at = utcnow()
    tokens = {}
    for name, role, centre in (
        ("token-a", "staff", "bodo"),
        ("token-b", "staff", "oslo"),
        ("token-adviser", "adviser", None),
    ):
        _, plain = await accounts.create_token(
            session, name=name, role=role, centre_id=centre, actor="admin"
        )
        tokens[name] = plain
    await session.commit()
    return tokens
