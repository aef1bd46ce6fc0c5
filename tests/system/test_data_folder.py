"""The data folder and the SQLite files are private to the account that runs Havn.

They hold every centre's private notes, password hashes and the key that signs sessions:
the folder is 0700 and the database (with its -wal and -shm), and the secret key 0600,
whatever the umask.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from capacity import migrate
from tests.helpers import havn
from web.app import create_app
from web.config import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual umask (022): files would be world-readable unless Havn says otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def sqlite_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("havn.sqlite3*"))


def test_havn_db_upgrade_makes_a_private_folder_and_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"HAVN_DATA_DIR": str(data)}
    assert havn("db", "upgrade", env=env).returncode == 0
    assert mode(data) == 0o700
    assert [mode(file) for file in sqlite_files(data)] == [0o600] * len(sqlite_files(data))
    assert havn("demo", "load", env=env).returncode == 0
    assert mode(data) == 0o700
    assert {mode(file) for file in sqlite_files(data)} == {0o600}


def test_a_database_made_before_is_made_private_on_the_next_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'havn.sqlite3'}"
    migrate.upgrade(url)
    (data / "havn.sqlite3").chmod(0o644)  # as SQLite made it before this rule
    migrate.upgrade(url)
    assert mode(data / "havn.sqlite3") == 0o600


def test_the_app_started_in_a_fresh_folder_keeps_it_private(tmp_path: Path) -> None:
    database = tmp_path / "db" / "havn.sqlite3"
    migrate.upgrade(f"sqlite:///{database}")
    data = tmp_path / "fresh"
    settings = Settings.from_environ(
        {"HAVN_DATA_DIR": str(data), "HAVN_DATABASE_URL": f"sqlite:///{database}"}
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/centres").status_code == 200
        # While the app runs, SQLite's write-ahead log and shared memory are open too.
        files = sqlite_files(database.parent)
        assert {file.name for file in files} >= {"havn.sqlite3-wal", "havn.sqlite3-shm"}
        assert {mode(file) for file in files} == {0o600}
    assert mode(data) == 0o700 and mode(database.parent) == 0o700
    assert mode(data / "secret_key") == 0o600
