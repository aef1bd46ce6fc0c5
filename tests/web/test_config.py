"""Settings: typed, defaulted, loud when wrong, and every one documented."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.helpers import ROOT
from web.config import SETTINGS, Settings, SettingsError

README = ROOT / "README.md"


def test_defaults_need_no_environment_at_all() -> None:
    settings = Settings.from_environ({})
    assert settings.database_url == "sqlite:///data/havn.sqlite3"
    assert settings.stale_after == timedelta(hours=24)
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_the_sqlite_file_follows_the_data_dir() -> None:
    assert Settings.from_environ({"HAVN_DATA_DIR": "/srv/havn"}).database_url == (
        "sqlite:////srv/havn/havn.sqlite3"
    )


@pytest.mark.parametrize(
    "env",
    [
        {"HAVN_PORT": "eighty"},
        {"HAVN_PORT": "70000"},
        {"HAVN_STALE_AFTER_HOURS": "-1"},
        {"HAVN_STALE_AFTER_HOURS": "nan"},
        {"HAVN_LOG_LEVEL": "loud"},
        {"HAVN_DATABSE_URL": "sqlite:///typo.sqlite3"},
        {"HAVN_TRUSTED_PROXIES": "10.0.0.1, loadbalancer"},
        {"HAVN_TRUSTED_PROXIES": "*"},
        {"HAVN_HTTPS": "maybe"},
        {"HAVN_TWO_FACTOR_ROLES": "staff,root"},
        {"HAVN_OPERATOR_TOKEN": "too short"},
        {"HAVN_OPERATOR_TOKEN": "x" * 31 + " y"},
    ],
)
def test_bad_settings_fail_loudly_naming_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match=next(iter(env))):
        Settings.from_environ(env)


def test_every_setting_is_documented_in_the_readme() -> None:
    documented = set(re.findall(r"`(HAVN_[A-Z_]+)`", README.read_text(encoding="utf-8")))
    assert {setting.name for setting in SETTINGS} <= documented


def test_administrators_always_need_two_factor_whatever_the_setting() -> None:
    assert Settings.from_environ({}).two_factor_roles == {"admin"}
    chosen = Settings.from_environ({"HAVN_TWO_FACTOR_ROLES": "staff, adviser"})
    assert chosen.two_factor_roles == {"staff", "adviser", "admin"}
    proxies = Settings.from_environ({"HAVN_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"})
    assert proxies.trusted_proxies == ("10.0.0.0/8", "192.0.2.1")
