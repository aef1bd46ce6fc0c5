"""Settings: read from HAVN_* environment variables in one place, typed, failing loudly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path


class SettingsError(ValueError):
    """A HAVN_* variable has a value the app cannot use."""


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS = (
    Setting("HAVN_DATA_DIR", "./data", "Folder for the default SQLite file"),
    Setting(
        "HAVN_DATABASE_URL",
        "sqlite:///<HAVN_DATA_DIR>/havn.sqlite3",
        "sqlite:///path or postgresql://user@host:port/db (the async driver is picked for you)",
    ),
    Setting("HAVN_STALE_AFTER_HOURS", "24", "Numbers older than this show as 'call to check'"),
    Setting(
        "HAVN_INDEX_REFRESH_SECONDS",
        "1.0",
        "How often a worker checks the database for changes made by other workers",
    ),
    Setting(
        "HAVN_REDIS_URL", "", "redis://host:port/db for live updates and rate limits (optional)"
    ),
    Setting(
        "HAVN_SECRET_KEY",
        "<generated into HAVN_DATA_DIR/secret_key>",
        "Signs session cookies; set the same value on every worker",
    ),
    Setting(
        "HAVN_FEED_POLL_SECONDS",
        "2",
        "How often each worker polls the database for changes (the fallback when Redis is down)",
    ),
    Setting("HAVN_BOT_URL", "http://127.0.0.1:5005", "The Rasa server the web chat relays to"),
    Setting("HAVN_CHAT_HOURS", "24", "How long a chat transcript is kept"),
    Setting("HAVN_HOST", "127.0.0.1", "Address `havn serve` listens on"),
    Setting("HAVN_PORT", "8000", "Port `havn serve` listens on"),
    Setting("HAVN_WORKERS", "1", "Worker processes for `havn serve`"),
    Setting("HAVN_LOG_LEVEL", "info", "debug, info, warning or error"),
    Setting(
        "HAVN_OPERATOR_TOKEN",
        "",
        "Bearer token for /readyz and /metrics (unset: only direct requests from this machine)",
    ),
)


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    stale_after: timedelta
    index_refresh_seconds: float
    host: str
    port: int
    workers: int
    log_level: str
    redis_url: str | None = None
    secret_key: str | None = None
    feed_poll_seconds: float = 2.0
    bot_url: str = "http://127.0.0.1:5005"
    chat_hours: float = 24.0
    operator_token: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every HAVN_* setting; raises SettingsError naming the bad variable."""
        env = os.environ if environ is None else environ
        unknown = sorted(key for key in env if key.startswith("HAVN_") and key not in _NAMES)
        if unknown:
            raise SettingsError(f"Unknown setting {', '.join(unknown)} (see README)")
        data_dir = Path(env.get("HAVN_DATA_DIR", "./data"))
        level = env.get("HAVN_LOG_LEVEL", "info").lower()
        if level not in ("debug", "info", "warning", "error"):
            raise SettingsError("HAVN_LOG_LEVEL must be debug, info, warning or error")
        return cls(
            data_dir=data_dir,
            database_url=env.get(
                "HAVN_DATABASE_URL", f"sqlite:///{(data_dir / 'havn.sqlite3').as_posix()}"
            ),
            stale_after=timedelta(hours=_number(env, "HAVN_STALE_AFTER_HOURS", 24, 0.01, 24 * 60)),
            index_refresh_seconds=_number(env, "HAVN_INDEX_REFRESH_SECONDS", 1.0, 0, 60),
            host=env.get("HAVN_HOST", "127.0.0.1"),
            port=int(_number(env, "HAVN_PORT", 8000, 1, 65535)),
            workers=int(_number(env, "HAVN_WORKERS", 1, 1, 64)),
            log_level=level,
            redis_url=env.get("HAVN_REDIS_URL") or None,
            secret_key=_secret(env.get("HAVN_SECRET_KEY")),
            feed_poll_seconds=_number(env, "HAVN_FEED_POLL_SECONDS", 2.0, 0.05, 60),
            bot_url=_url(env.get("HAVN_BOT_URL", "http://127.0.0.1:5005")),
            chat_hours=_number(env, "HAVN_CHAT_HOURS", 24, 0.01, 24 * 30),
            operator_token=_token(env.get("HAVN_OPERATOR_TOKEN")),
        )

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


# Read by others, not by the web app: the tests and the bot (bot/README.md documents them).
OTHERS = {
    "HAVN_TEST_POSTGRES_URL",
    "HAVN_TEST_BOT",
    "HAVN_API_URL",
    "HAVN_BOT_HOST",
    "HAVN_BOT_NOW",
    "HAVN_BOT_API_TIMEOUT",
}
_NAMES = {setting.name for setting in SETTINGS} | OTHERS


def _url(value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value) > 300:
        raise SettingsError("HAVN_BOT_URL must be an http:// or https:// address")
    return value.rstrip("/")


def _secret(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) < 32:
        raise SettingsError("HAVN_SECRET_KEY must have at least 32 characters")
    return value


def _token(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) < 32 or not value.isascii() or not value.isprintable() or " " in value:
        raise SettingsError(
            "HAVN_OPERATOR_TOKEN must have at least 32 printable ASCII characters and no spaces"
        )
    return value


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {raw!r}")
    return value
