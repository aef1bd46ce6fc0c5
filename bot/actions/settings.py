"""The action server's settings: read from the environment in one place, typed, failing loudly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx

from actions.registry_client import RegistryClient


class SettingsError(ValueError):
    """An environment variable has a value the action server cannot use."""


# name, default, meaning (the README's table is checked against this by a test)
SETTINGS = (
    ("HAVN_API_URL", "http://127.0.0.1:8000", "Base URL of the registry's JSON API"),
    ("HAVN_BOT_API_TIMEOUT", "5", "Seconds to wait for the registry before giving up"),
    ("HAVN_BOT_NOW", "", "A fixed ISO time for the clock (tests); empty means the real time"),
)


@dataclass(frozen=True, slots=True)
class Settings:
    api_url: str = "http://127.0.0.1:8000"
    timeout: float = 5.0
    fixed_now: datetime | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the HAVN_* settings the bot uses; raises SettingsError naming a bad one."""
        env = os.environ if env is None else env
        api_url = env.get("HAVN_API_URL", "http://127.0.0.1:8000").rstrip("/")
        if urlsplit(api_url).scheme not in ("http", "https"):
            raise SettingsError("HAVN_API_URL must start with http:// or https://")
        try:
            timeout = float(env.get("HAVN_BOT_API_TIMEOUT", "5"))
        except ValueError:
            raise SettingsError("HAVN_BOT_API_TIMEOUT must be a number of seconds") from None
        if not 0.1 <= timeout <= 60:
            raise SettingsError("HAVN_BOT_API_TIMEOUT must be between 0.1 and 60 seconds")
        return cls(
            api_url=api_url,
            timeout=timeout,
            fixed_now=_instant(env.get("HAVN_BOT_NOW", "")),
        )

    def registry(self, transport: httpx.AsyncBaseTransport | None = None) -> RegistryClient:
        """A new client of the registry (close it after use)."""
        return RegistryClient(self.api_url, self.timeout, transport)

    def now(self) -> datetime:
        """The current time, aware; the fixed one when HAVN_BOT_NOW is set."""
        return self.fixed_now or datetime.now(timezone.utc)


def _instant(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        instant = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SettingsError(
            "HAVN_BOT_NOW must be an ISO time like 2025-03-04T10:00+01:00"
        ) from None
    if instant.tzinfo is None:
        raise SettingsError("HAVN_BOT_NOW needs a time zone, like 2025-03-04T10:00+01:00")
    return instant
