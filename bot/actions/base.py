"""What every action shares: settings read at run time, and a way to reach the registry."""

from __future__ import annotations

from typing import Any

import httpx

from actions.registry_client import RegistryClient
from actions.settings import Settings

# Intents that interrupt whatever is going on: no slot is read from them, so an active
# form rejects and the rules for the interruption run first.
INTERRUPTIONS = frozenset(
    {
        "danger",
        "stop",
        "ask_human",
        "ask_crisis_centre",
        "ask_arrival",
        "ask_bring",
        "out_of_scope",
        "bot_challenge",
        "greet",
        "thanks",
        "ask_centre",
        "someone_else",
    }
)
FORM = "shelter_form"


class Configured:
    """Mixin for actions that need settings or the registry.

    rasa-sdk builds actions without arguments: settings are then read from the environment
    on each run. Tests pass `settings` and a fake `transport`.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._settings = settings
        self._transport = transport

    @property
    def settings(self) -> Settings:
        return self._settings or Settings.from_env()

    def registry(self) -> RegistryClient:
        return self.settings.registry(self._transport)
