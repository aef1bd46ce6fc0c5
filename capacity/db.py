"""Database engines: plain URLs in, async SQLAlchemy engines out."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from capacity.errors import InvalidInput

ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+asyncpg"}


def async_url(url: str) -> URL:
    """Turn `sqlite:///path` or `postgresql://user@host/db` into the async driver's URL.

    Raises InvalidInput for anything that is not SQLite or PostgreSQL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInput(f"Not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend not in ASYNC_DRIVERS:
        raise InvalidInput(f"Unsupported database {backend!r}: use sqlite:/// or postgresql://")
    return parsed.set(drivername=ASYNC_DRIVERS[backend])


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Build an engine for `url`. SQLite gets foreign keys, WAL and a busy timeout."""
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"timeout": 30})
        if target.database and target.database != ":memory:" and "uri" not in target.query:
            private_sqlite_file(Path(target.database))
    engine = create_async_engine(target, pool_pre_ping=True, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def private_folder(path: Path) -> None:
    """Create `path` readable by this user only (0700); a folder that exists keeps its mode."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def private_sqlite_file(path: Path) -> None:
    """Make the SQLite file at `path` (created empty when missing) and its -wal and -shm files
    readable and writable by this user only (0600). SQLite creates -wal and -shm with the
    database file's mode, so they stay private when it does."""
    if not path.parent.exists():
        private_folder(path.parent)
    with contextlib.suppress(FileExistsError):  # another worker made it first
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        # Tighten files made before this rule; a file of another account is left alone.
        if file.exists() and (stat := file.stat()).st_mode & 0o077 and stat.st_uid == os.getuid():
            file.chmod(0o600)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # aiosqlite's connection opens transactions itself; pragmas must run outside one.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
