"""The operator's command line, run as a real process."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import havn


def test_upgrade_and_demo_load_twice(tmp_path: Path) -> None:
    env = {"HAVN_DATA_DIR": str(tmp_path / "data")}
    first = havn("db", "upgrade", env=env)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "data" / "havn.sqlite3").exists()
    loaded = havn("demo", "load", env=env)
    assert loaded.returncode == 0 and "centres added" in loaded.stdout
    assert not loaded.stdout.startswith("demo registry: 0")
    again = havn("demo", "load", env=env)
    assert again.returncode == 0 and "demo registry: 0 centres added" in again.stdout


def test_a_bad_setting_stops_with_its_name(tmp_path: Path) -> None:
    result = havn("db", "upgrade", env={"HAVN_STALE_AFTER_HOURS": "soon"})
    assert result.returncode == 2 and "HAVN_STALE_AFTER_HOURS" in result.stderr


def test_an_unsupported_database_is_refused_clearly(tmp_path: Path) -> None:
    result = havn("db", "upgrade", env={"HAVN_DATABASE_URL": "mysql://root@localhost/havn"})
    assert result.returncode == 1 and "Unsupported database" in result.stderr


def test_the_first_administrator_is_added_from_the_command_line(tmp_path: Path) -> None:
    env = {"HAVN_DATA_DIR": str(tmp_path)}
    assert havn("db", "upgrade", env=env).returncode == 0
    added = havn("user", "add", "kari", "--role", "admin", env=env, stdin="a long temporary one\n")
    assert added.returncode == 0, added.stderr
    again = havn("user", "add", "kari", "--role", "admin", env=env, stdin="a long temporary one\n")
    assert again.returncode == 1 and "taken" in again.stderr
    short = havn("user", "add", "ola", "--role", "adviser", env=env, stdin="short\n")
    assert short.returncode == 1 and "12" in short.stderr
