"""action_search: the centre responsible for the place, and the nearest that can take the
person now, as soon as the place is known; then one offer to narrow the answer down."""

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
    Result,
    SearchRequest,
)
from actions.understanding import NEEDS, NO_LANGUAGE_NEED, SOME

log = logging.getLogger(__name__)

LIMIT = 3
MAX_ADULTS = 6
# `search_outcome`: found (someone can take them now), none (no confirmed place that fits),
# ask (a slot was cleared: the form asks again), error (the registry cannot be reached).
FOUND, NONE, ASK, ERROR = "found", "none", "ask", "error"
# What to clear when the registry refuses a value (the search then runs without it).
_FIELD_SLOTS = {
    "q": "place",
    "children": "children",
    "adults": "adults",
    "needs": "needs",
    "gender": "gender",
    "language": "speaks",
}
# Children said but not their ages: the search counts them as small children until then.
UNKNOWN_AGE = "0"


def search_request(tracker: Tracker) -> SearchRequest:
    """The search for the slots as they are now: only the place is needed."""
    children = tracker.get_slot("children")
    count = int(tracker.get_slot("children_count") or 0)
    if children == SOME:
        ages: tuple[str, ...] = (UNKNOWN_AGE,) * max(count, 1)
    elif children and children != "none":
        ages = tuple(children.split(","))
    else:
        ages = (UNKNOWN_AGE,) * min(count, 12) if children != "none" else ()
    needs = tracker.get_slot("needs") or []
    speaks = tracker.get_slot("speaks")
    adults = int(tracker.get_slot("adults") or 1)
    return SearchRequest(
        place=tracker.get_slot("place_query") or tracker.get_slot("place") or "",
        gender=tracker.get_slot("gender"),
        adults=min(max(adults, 1), MAX_ADULTS),
        children=ages,
        needs=tuple(need for need in needs if need in NEEDS),
        language=speaks if speaks and speaks not in (NO_LANGUAGE_NEED, "nb", "nn") else None,
        limit=LIMIT,
    )


def answer_cards(results: tuple[Result, ...]) -> list[Result]:
    """The centre responsible for the place, then the nearest that can take them now when
    that is another one; without a responsible centre, the best result."""
    responsible = next((r for r in results if r.responsible), None)
    nearest_now = min(
        (r for r in results if r.group == "now"),
        key=lambda r: r.distance_km if r.distance_km is not None else float("inf"),
        default=None,
    )
    cards = [card for card in (responsible, nearest_now) if card is not None]
    if not cards and results:
        cards = [results[0]]
    if len(cards) == 2 and cards[0].id == cards[1].id:
        cards.pop()
    return cards


def refinement(tracker: Tracker) -> tuple[str, dict[str, Any], str] | None:
    """The one question that would change the answer most, as (response, values, slot it
    asks for), or None when nothing is left to ask. Each is offered once."""
    offered = tracker.get_slot("offered") or []
    count = int(tracker.get_slot("children_count") or 0)
    children = tracker.get_slot("children")
    if children == SOME:
        return "utter_ask_children_ages", {}, "children"
    if count and not (children and children != "none"):
        return "utter_ask_children_ages_count", {"count": count}, "children"
    if not tracker.get_slot("gender") and "gender" not in offered:
        # Never asks again what was said: with the children known, only who needs the place.
        known = bool(children) or count > 0
        return ("utter_refine_who" if known else "utter_refine"), {}, "gender"
    if tracker.get_slot("needs") is None and "needs" not in offered:
        return "utter_refine_needs", {}, "needs"
    return None


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
            extra = {"children_count": None} if slot == "children" else {}
            return _ask(**{slot: None}, **extra)
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
        for number, result in enumerate(answer_cards(answer.results), start=1):
            dispatcher.utter_message(text=wording.result_card(number, result, now, language))
        events = [SlotSet("place_name", place), SlotSet("search_outcome", outcome)]
        if outcome == NONE:
            return events  # the handover follows, with the summary
        question = refinement(tracker)
        if question is None:
            dispatcher.utter_message(response="utter_results_outro")
            return events
        response, values, slot = question
        dispatcher.utter_message(response=response, **values)
        offered = list(tracker.get_slot("offered") or [])
        return [*events, SlotSet("asked", slot), SlotSet("offered", [*offered, slot])]


def _ask(**slots: Any) -> list[dict[str, Any]]:
    return [SlotSet(name, value) for name, value in slots.items()] + [
        SlotSet("search_outcome", ASK)
    ]
