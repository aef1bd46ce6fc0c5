"""action_search: the best matches from the registry for what the person told us."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import wording
from actions.base import Configured
from actions.registry_client import (
    AmbiguousPlace,
    InvalidInput,
    PlaceNotFound,
    RegistryUnavailable,
    SearchRequest,
)
from actions.understanding import NEEDS, NO_LANGUAGE_NEED

log = logging.getLogger(__name__)

LIMIT = 3
# `search_outcome`: found (someone can take them now), none (no confirmed place that fits),
# ask (a slot was cleared: the form asks again), error (the registry cannot be reached).
FOUND, NONE, ASK, ERROR = "found", "none", "ask", "error"
# What to clear when the registry refuses a value, so that the form asks for it again.
_FIELD_SLOTS = {
    "q": "place",
    "children": "children",
    "needs": "needs",
    "gender": "gender",
    "language": "speaks",
}


def search_request(tracker: Tracker) -> SearchRequest:
    """The search for the slots as they are now (the form has filled them all)."""
    children = tracker.get_slot("children")
    needs = tracker.get_slot("needs") or []
    speaks = tracker.get_slot("speaks")
    return SearchRequest(
        place=tracker.get_slot("place_query") or tracker.get_slot("place") or "",
        gender=tracker.get_slot("gender"),
        children=tuple(children.split(",")) if children and children != "none" else (),
        needs=tuple(need for need in needs if need in NEEDS),
        language=speaks if speaks and speaks not in (NO_LANGUAGE_NEED, "nb", "nn") else None,
        limit=LIMIT,
    )


class SearchCentres(Configured, Action):
    def name(self) -> str:
        return "action_search"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        request = search_request(tracker)
        try:
            async with self.registry() as registry:
                answer = await registry.search(request)
        except AmbiguousPlace as exc:
            labels = [candidate.label for candidate in exc.candidates][:5]
            return _ask(place=None, place_query=None, place_candidates=labels)
        except PlaceNotFound:
            return _ask(place=None, place_query=None, place_unknown=request.place)
        except InvalidInput as exc:
            log.info("the registry refused the field %s", exc.field)  # not the person's words
            slot = _FIELD_SLOTS.get(exc.field or "", "place")
            dispatcher.utter_message(response="utter_search_invalid")
            return _ask(**{slot: None})
        except RegistryUnavailable as exc:
            log.warning("search failed: %s", exc)
            dispatcher.utter_message(response="utter_registry_down")
            return [SlotSet("search_outcome", ERROR)]

        language = tracker.get_slot("language") or "nb"
        place = answer.understood.name
        outcome = FOUND if answer.can_take_now else NONE
        intro = "utter_results_intro" if outcome == FOUND else "utter_results_none"
        dispatcher.utter_message(response=intro, place=place)
        now = self.settings.now()
        for number, result in enumerate(answer.results, start=1):
            dispatcher.utter_message(text=wording.result_card(number, result, now, language))
        dispatcher.utter_message(response="utter_results_outro")
        return [SlotSet("place_name", place), SlotSet("search_outcome", outcome)]


def _ask(**slots: Any) -> list[dict[str, Any]]:
    return [SlotSet(name, value) for name, value in slots.items()] + [
        SlotSet("search_outcome", ASK)
    ]
