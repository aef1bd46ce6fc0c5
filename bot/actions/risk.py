"""action_risk_group: what applies to someone the usual path misses (human trafficking,
active substance use, disability, a man with children, LGBTQ+ people, people without legal
residence), said in their words; the search that follows looks for centres that fit."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import understanding

# The intent, the response that answers it, and the need the search should then filter on.
GROUPS: dict[str, tuple[str, str | None]] = {
    "trafficking": ("utter_risk_trafficking", "trafficking"),
    "substance_use": ("utter_risk_substance_use", "substance_use"),
    "disability": ("utter_risk_disability", None),
    "men": ("utter_risk_men", None),
    "lgbtq": ("utter_risk_lgbtq", "lgbtq"),
    "no_residence": ("utter_risk_no_residence", None),
}
DISABILITY_NEEDS = ("wheelchair", "hearing", "vision")


class RiskGroup(Action):
    def name(self) -> str:
        return "action_risk_group"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent not in GROUPS:
            return []
        response, need = GROUPS[intent]
        dispatcher.utter_message(response=response)
        text = str(tracker.latest_message.get("text") or "")
        known = [n for n in tracker.get_slot("needs") or [] if n in understanding.NEEDS]
        added = [need] if need else []
        if intent == "disability":
            added = [n for n in understanding.read_needs(text) if n in DISABILITY_NEEDS]
        events: list[dict[str, Any]] = []
        needs = [n for n in understanding.NEEDS if n in {*known, *added}]
        if needs != known:
            events.append(SlotSet("needs", needs))
        if intent == "men" and tracker.get_slot("gender") != "man":
            events.append(SlotSet("gender", "man"))
        return events
