"""Fixtures for every level: real SQLite files and a real PostgreSQL database, migrated by
Alembic once per run (each test gets a copy of the migrated SQLite file, or the emptied
PostgreSQL database), and cheap Argon2 parameters so that hashing does not dominate the run."""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity import accounts, migrate
from capacity.db import create_engine, session_factory
from capacity.geocoder import Gazetteer
from tests.helpers import (
    EARLY_RASA,
    bot_installed,
    copy_database,
    empty_postgres,
    listening,
    reset_database,
    start_rasa,
)

# One database per test run (pid suffix), so parallel runs on one machine never collide.
_BASE_URL = make_url(
    os.environ.get("HAVN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/havn_test")
)
POSTGRES_URL = _BASE_URL.set(database=f"{_BASE_URL.database}_{os.getpid()}").render_as_string(
    hide_password=False
)


_RASA = pytest.StashKey[tuple[subprocess.Popen[bytes], IO[bytes]]]()


def pytest_configure(config: pytest.Config) -> None:
    """When the run includes the bot's end-to-end test and must not skip it (make test sets
    HAVN_TEST_BOT=required), start the bot's Rasa server now: loading its model takes most of
    a minute of one core, which then passes while the other tests run. Only the first process
    starts it; xdist's workers find its log in the environment (tests/system/test_bot_e2e.py)."""
    wanted = any("system" in arg or arg.rstrip("/") in ("tests", ".", "") for arg in config.args)
    if (
        os.environ.get("HAVN_TEST_BOT") != "required"
        or hasattr(config, "workerinput")
        or EARLY_RASA in os.environ
        or not wanted
        or not bot_installed()
        or listening(5005)  # someone's bot runs there: the test will say so
    ):
        return
    log = Path(tempfile.mkdtemp(prefix="havn-rasa-")) / "rasa.log"
    handle = log.open("wb")
    config.stash[_RASA] = (start_rasa(handle), handle)
    os.environ[EARLY_RASA] = str(log)


def pytest_unconfigure(config: pytest.Config) -> None:
    started = config.stash.get(_RASA, None)
    if started is None:
        return
    process, handle = started
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    handle.close()
    os.environ.pop(EARLY_RASA, None)


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
