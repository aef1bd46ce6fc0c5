"""Fixtures for every level: real SQLite files and a real PostgreSQL database, migrated by
Alembic once per run (each test gets a copy of the migrated SQLite file, or the emptied
PostgreSQL database), and cheap Argon2 parameters so that hashing does not dominate the run."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity import accounts, migrate
from capacity.db import create_engine, session_factory
from capacity.geocoder import Gazetteer
from tests.helpers import copy_database, empty_postgres, reset_database

# One database per test run (pid suffix), so parallel runs on one machine never collide.
_BASE_URL = make_url(
    os.environ.get("HAVN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/havn_test")
)
POSTGRES_URL = _BASE_URL.set(database=f"{_BASE_URL.database}_{os.getpid()}").render_as_string(
    hide_password=False
)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2id with the smallest parameters, in tests only: the production ones (64 MiB, three
    passes) cost a large part of a second per hash on this machine, and most tests seed four
    people and log in. Verifying reads the parameters from the hash itself, so the worker
    processes of tests/system (production parameters) verify these hashes, and rehash them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        accounts._dummy_hash.cache_clear()
        yield
    accounts._dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest revision once per run, to be copied, never opened."""
    path = tmp_path_factory.mktemp("template") / "havn.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(migrated_sqlite: Path, tmp_path: Path) -> str:
    """A migrated, empty SQLite database of this test's own."""
    return copy_database(migrated_sqlite, tmp_path)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run (never skipped), dropped after."""
    asyncio.run(reset_database(POSTGRES_URL, create=True))
    migrate.upgrade(POSTGRES_URL)
    yield POSTGRES_URL
    asyncio.run(reset_database(POSTGRES_URL, create=False))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database: a new SQLite file, or the emptied PostgreSQL database."""
    if request.param == "sqlite":
        url: str = request.getfixturevalue("sqlite_url")
        return url
    url = request.getfixturevalue("postgres_url")
    asyncio.run(empty_postgres(url))
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
    return Gazetteer.packaged()
