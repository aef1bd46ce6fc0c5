"""The form's question, which depends on what was said before: where?"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


class AskPlace(Action):
    """Where are you? Or: which of these places? Or: I could not find that place."""

    def name(self) -> str:
        return "action_ask_place"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        candidates = tracker.get_slot("place_candidates") or []
        unknown = tracker.get_slot("place_unknown")
        if candidates:
            buttons = [
                {"title": label, "payload": "/inform" + json.dumps({"place": label})}
                for label in candidates
            ]
            dispatcher.utter_message(
                response="utter_ask_place_choice",
                candidates="; ".join(candidates),
                buttons=buttons,
            )
        elif unknown:
            dispatcher.utter_message(response="utter_place_not_found", query=unknown)
        else:
            dispatcher.utter_message(response="utter_ask_place")
        return []
