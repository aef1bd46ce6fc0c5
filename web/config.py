"""Settings: read from HAVN_* environment variables in one place, typed, failing loudly."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from capacity.models import ROLES


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
    Setting(
        "HAVN_MAX_STREAMS",
        "1000",
        "Open live-update streams (/events) per worker; beyond it a 503 with Retry-After",
    ),
    Setting("HAVN_BOT_URL", "http://127.0.0.1:5005", "The Rasa server the web chat relays to"),
    Setting("HAVN_CHAT_HOURS", "24", "How long a chat transcript is kept"),
    Setting("HAVN_HOST", "127.0.0.1", "Address `havn serve` listens on"),
    Setting("HAVN_PORT", "8000", "Port `havn serve` listens on"),
    Setting("HAVN_WORKERS", "1", "Worker processes for `havn serve`"),
    Setting("HAVN_LOG_LEVEL", "info", "debug, info, warning or error"),
    Setting(
        "HAVN_TRUSTED_PROXIES",
        "",
        "Addresses or networks of the proxies whose X-Forwarded-For/-Proto are believed",
    ),
    Setting("HAVN_HTTPS", "false", "true when served over HTTPS: Secure cookies and HSTS"),
    Setting(
        "HAVN_TWO_FACTOR_ROLES",
        "admin",
        "Roles that must sign in with an authenticator code (admin always must)",
    ),
    Setting(
        "HAVN_OPERATOR_TOKEN",
        "",
        "Bearer token for /readyz and /metrics (unset: only direct requests from this machine)",
    ),
    Setting(
        "HAVN_REFERRAL_ANSWER_MINUTES",
        "15",
        "A referral request unanswered this long is flagged overdue on the adviser's console",
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
    max_streams: int = 1000
    bot_url: str = "http://127.0.0.1:5005"
    chat_hours: float = 24.0
    trusted_proxies: tuple[str, ...] = ()
    https: bool = False
    two_factor_roles: frozenset[str] = frozenset({"admin"})
    operator_token: str | None = None
    referral_answer_minutes: int = 15

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
            max_streams=int(_number(env, "HAVN_MAX_STREAMS", 1000, 1, 100_000)),
            bot_url=_url(env.get("HAVN_BOT_URL", "http://127.0.0.1:5005")),
            chat_hours=_number(env, "HAVN_CHAT_HOURS", 24, 0.01, 24 * 30),
            trusted_proxies=_proxies(env.get("HAVN_TRUSTED_PROXIES", "")),
            https=_flag(env, "HAVN_HTTPS"),
            two_factor_roles=_roles(env.get("HAVN_TWO_FACTOR_ROLES", "admin")),
            operator_token=_token(env.get("HAVN_OPERATOR_TOKEN")),
            referral_answer_minutes=int(
                _number(env, "HAVN_REFERRAL_ANSWER_MINUTES", 15, 1, 24 * 60)
            ),
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


def _proxies(value: str) -> tuple[str, ...]:
    found = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise SettingsError(
                f"HAVN_TRUSTED_PROXIES lists addresses or networks (10.0.0.0/8), got {item!r}"
            ) from None
        found.append(item)
    return tuple(found)


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "false").strip().lower()
    if raw not in ("true", "false", "1", "0", "yes", "no"):
        raise SettingsError(f"{name} must be true or false, got {raw!r}")
    return raw in ("true", "1", "yes")


def _roles(value: str) -> frozenset[str]:
    roles = {item.strip().lower() for item in value.split(",") if item.strip()}
    unknown = sorted(roles - set(ROLES))
    if unknown:
        raise SettingsError(f"HAVN_TWO_FACTOR_ROLES takes {', '.join(ROLES)}, got {unknown[0]!r}")
    return frozenset(roles | {"admin"})


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
