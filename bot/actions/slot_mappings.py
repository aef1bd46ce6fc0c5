"""action_validate_slot_mappings: reads every user message into slots, in and out of the form.

Running on every turn is what makes corrections work at any point ("actually I'm in Bodø",
"we are three children") and what sets the answer language. Places are resolved through
the registry's geocoder as soon as they are said.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions import understanding
from actions.base import FORM, INTERRUPTIONS, Configured
from actions.registry_client import Candidate, RegistryUnavailable
from actions.understanding import SOME

log = logging.getLogger(__name__)

Slots = dict[str, Any]

_ALSO = re.compile(r"\b(also|too|as well|and|plus|også|òg|i tillegg|dessuten|og)\b")
_SPEAKING = re.compile(
    r"\b(speak|speaks|speaking|language|interpreter|snakker|snakkar|snakke|språk|tolk)\b"
)
_ORDINALS = (
    ("1", "first", "første", "fyrste", "den første"),
    ("2", "second", "andre", "den andre"),
    ("3", "third", "tredje", "den tredje"),
    ("4", "fourth", "fjerde"),
    ("5", "fifth", "femte"),
)
MAX_CANDIDATES = 5


class ValidateSlotMappings(Configured, ValidationAction):
    def name(self) -> str:
        return "action_validate_slot_mappings"

    # ------------------------------------------------------------ extraction

    def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        text = _text(tracker)
        metadata = tracker.latest_message.get("metadata") or {}
        site = metadata.get("language") if isinstance(metadata, dict) else None
        previous = tracker.get_slot("language")
        written = "" if text.startswith("/") else text  # button payloads are not language
        language = understanding.answer_language(written, site, previous)
        return {} if language == previous else {"language": language}

    def extract_place(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if _interrupted(tracker):
            return {}
        text = _text(tracker)
        candidates = tracker.get_slot("place_candidates") or []
        choice = _choose(text, candidates) if candidates else None
        if choice:
            return {"place": choice}
        entities = list(tracker.get_latest_entity_values("place"))
        if entities:
            return {"place": entities[-1]}
        if _asked(tracker, "place") and not text.startswith("/"):
            answer = understanding.postcode(text) or understanding.place_from_answer(text)
            return {"place": answer} if answer else {}
        if _intent(tracker) in ("inform", "find_place"):
            code = understanding.postcode(text)
            return {"place": code} if code else {}
        return {}

    def extract_gender(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if _interrupted(tracker):
            return {}
        for value in tracker.get_latest_entity_values("gender"):
            gender = value if value in ("woman", "man", "other") else None
            gender = gender or understanding.read_gender(str(value))
            if gender:
                return {"gender": gender}
        if _asked(tracker, "gender"):
            gender = understanding.read_gender(_text(tracker))
            return {"gender": gender} if gender else {}
        return {}

    def extract_children(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if _interrupted(tracker):
            return {}
        asked = _asked(tracker, "children")
        intent = _intent(tracker)
        if asked and intent == "deny":
            return {"children": "none", "children_count": 0}
        said = understanding.read_children(_text(tracker), asked)
        if said.none:
            return {"children": "none", "children_count": 0}
        if said.ages and (said.count is None or said.count <= len(said.ages)):
            return {"children": ",".join(said.ages), "children_count": len(said.ages)}
        known = tracker.get_slot("children")
        if said.count is not None:
            if known and known not in ("none", SOME) and len(known.split(",")) == said.count:
                return {}
            # Asked after the answer, with the number: "How old are the three children?"
            return {"children": None, "children_count": said.count}
        if said.some and not (known and known not in ("none", SOME)):
            return {"children": SOME, "children_count": None}
        if asked and intent == "affirm":
            return {"children": SOME}  # "yes": the question for their ages follows
        return {}

    def extract_adults(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if _interrupted(tracker):
            return {}
        adults = understanding.read_adults(_text(tracker))
        return {"adults": adults} if adults else {}

    def extract_asked(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """The refinement offered after an answer holds for one message only."""
        return {"asked": None} if tracker.get_slot("asked") else {}

    def extract_needs(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if _interrupted(tracker):
            return {}
        text = _text(tracker)
        asked = _asked(tracker, "needs")
        entity_needs = [
            str(value)
            for value in tracker.get_latest_entity_values("need")
            if str(value) in understanding.NEEDS
        ]
        found = understanding.unique(entity_needs + understanding.read_needs(text))
        if found:
            previous = [n for n in tracker.get_slot("needs") or [] if n in understanding.NEEDS]
            if previous and not asked and _ALSO.search(text.lower()):
                found = understanding.unique(previous + found)
            ordered = [need for need in understanding.NEEDS if need in found]
            return {"needs": ordered}
        if asked and (_intent(tracker) == "deny" or understanding.says_none(text)):
            return {"needs": ["none"]}
        if asked and _intent(tracker) == "affirm":
            return {"needs": None}  # "yes": asked again, with the list to choose from
        return {}

    def extract_speaks(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if _interrupted(tracker):
            return {}
        text = _text(tracker)
        asked = _asked(tracker, "speaks")
        if not asked and not _SPEAKING.search(text.lower()):
            return {}
        for value in tracker.get_latest_entity_values("speaks"):
            code = understanding.language_code(str(value))
            if code:
                return {"speaks": code}
        code = understanding.read_spoken_language(text, asked)
        if code:
            return {"speaks": code}
        if asked and _intent(tracker) == "deny":
            return {"speaks": understanding.NO_LANGUAGE_NEED}
        return {}

    # ------------------------------------------------------------ validation

    async def validate_place(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """Resolve the place with the registry's geocoder; ask back when it is ambiguous or
        unknown (the form's question for `place` reads the slots set here)."""
        if not value:
            return {}
        query = str(value).strip()[:100]
        if query == tracker.get_slot("place_query"):
            return {"place": query}
        try:
            async with self.registry() as registry:
                found = await registry.geocode(query)
        except RegistryUnavailable as exc:
            log.warning("geocoding failed, the search will try the place as written: %s", exc)
            return _resolved(query, query)
        if found.status == "found" and found.places:
            return _resolved(query, found.places[0].name)
        if found.status == "ambiguous" and found.places:
            labels = understanding.unique(
                Candidate(p.name, p.county, "").label for p in found.places
            )
            if len(labels) > 1:
                return {
                    "place": None,
                    "place_candidates": labels[:MAX_CANDIDATES],
                    "place_unknown": None,
                }
            return _resolved(labels[0], found.places[0].name)
        return {"place": None, "place_unknown": query, "place_candidates": None}

    def validate_language(self, value: Any, *_: Any) -> Slots:
        return {"language": value}

    def validate_gender(self, value: Any, *_: Any) -> Slots:
        return {"gender": value}

    def validate_children(self, value: Any, *_: Any) -> Slots:
        return {"children": value}

    def validate_children_count(self, value: Any, *_: Any) -> Slots:
        return {"children_count": value}

    def validate_adults(self, value: Any, *_: Any) -> Slots:
        return {"adults": value}

    def validate_asked(self, value: Any, *_: Any) -> Slots:
        return {"asked": value}

    def validate_needs(self, value: Any, *_: Any) -> Slots:
        return {"needs": value}

    def validate_speaks(self, value: Any, *_: Any) -> Slots:
        return {"speaks": value}

    def validate_place_query(self, value: Any, *_: Any) -> Slots:
        return {"place_query": value}

    def validate_place_name(self, value: Any, *_: Any) -> Slots:
        return {"place_name": value}

    def validate_place_candidates(self, value: Any, *_: Any) -> Slots:
        return {"place_candidates": value}

    def validate_place_unknown(self, value: Any, *_: Any) -> Slots:
        return {"place_unknown": value}


def _resolved(query: str, name: str) -> Slots:
    return {
        "place": query,
        "place_query": query,
        "place_name": name,
        "place_candidates": None,
        "place_unknown": None,
    }


def _text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def _intent(tracker: Tracker) -> str | None:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name") if isinstance(intent, dict) else None


def _interrupted(tracker: Tracker) -> bool:
    return _intent(tracker) in INTERRUPTIONS


def _asked(tracker: Tracker, slot: str) -> bool:
    """True when the form, or the offer after an answer, just asked for this slot."""
    if tracker.active_loop_name == FORM:
        return tracker.get_slot("requested_slot") == slot
    return tracker.get_slot("asked") == slot


def _choose(text: str, candidates: list[str]) -> str | None:
    """The candidate a reply picks: by its label, its county, or its position."""
    if text.startswith("/"):
        payload = text.partition("{")[2]
        try:
            chosen = json.loads("{" + payload).get("place") if payload else None
        except ValueError:
            chosen = None
        return chosen if chosen in candidates else None
    said = text.strip().lower().strip(".!")
    for label in candidates:
        if said == label.lower():
            return label
    for label in candidates:
        county = label.rpartition(", ")[2].lower()
        if county and county in said:
            return label
    for position, words in enumerate(_ORDINALS[: len(candidates)]):
        if said in words or said.removeprefix("den ").removeprefix("the ") in words:
            return candidates[position]
    return None
