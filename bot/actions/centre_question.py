"""action_ask_centre: a question about one centre ("tar Salten imot hunder?", "does the Tromsø
centre have a wheelchair room?"), answered from the registry with the data's age and the
demo label."""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import understanding, wording
from actions.base import Configured
from actions.registry_client import (
    CentreInfo,
    PlaceNotFound,
    RegistryError,
    RegistryUnavailable,
    SearchRequest,
    UnitInfo,
)

log = logging.getLogger(__name__)

# Words in centres' names that do not tell one centre from another.
_GENERIC = frozenset({
    "krisesenter", "krisesenteret", "krisesentre", "krise", "og", "i", "for", "iks", "omegn",
    "incestsenteret", "incestsenter", "interkommunale", "senter", "senteret", "kompetansesenter",
    "vold", "nære", "relasjoner", "regionen",
})  # fmt: skip
_ROOM = frozenset({
    "plass", "plasser", "plassar", "ledig", "ledige", "rom", "room", "rooms", "space", "free",
    "bed", "beds", "seng", "senger", "natt", "tonight", "kveld", "sadji", "saji", "guorus",
})  # fmt: skip

TEXT = {
    "nb": {
        "unit_women": "Avdeling for kvinner", "unit_men": "Avdeling for menn",
        "yes": "ja", "no": "nei",
        "accepts": "{need}: {answer}",
        "children": "barn kan bo her: {answer}",
        "children_age": "barn kan bo her (til {age} år)",
        "boys_age": "gutter til {age} år",
        "free": "{n} ledige plasser",
        "free_accessible": "{n} ledige rullestoltilpassede rom",
        "no_numbers": "ingen ferske tall: ring og spør",
        "closed": "Senteret er stengt nå. Ring VO-linjen på 116 006.",
        "phone": "Telefon: {phone}. Ring før du drar, så vet de at du kommer.",
    },
    "nn": {
        "unit_women": "Avdeling for kvinner", "unit_men": "Avdeling for menn",
        "yes": "ja", "no": "nei",
        "accepts": "{need}: {answer}",
        "children": "born kan bu her: {answer}",
        "children_age": "born kan bu her (til {age} år)",
        "boys_age": "gutar til {age} år",
        "free": "{n} ledige plassar",
        "free_accessible": "{n} ledige rullestoltilpassa rom",
        "no_numbers": "ingen ferske tal: ring og spør",
        "closed": "Senteret er stengt no. Ring VO-linjen på 116 006.",
        "phone": "Telefon: {phone}. Ring før du dreg, så veit dei at du kjem.",
    },
    "en": {
        "unit_women": "Women's unit", "unit_men": "Men's unit",
        "yes": "yes", "no": "no",
        "accepts": "{need}: {answer}",
        "children": "children can stay: {answer}",
        "children_age": "children can stay (up to {age})",
        "boys_age": "boys up to {age}",
        "free": "{n} free places",
        "free_accessible": "{n} free wheelchair-accessible rooms",
        "no_numbers": "no recent numbers: call to ask",
        "closed": "The centre is closed now. Call VO-linjen on 116 006.",
        "phone": "Phone: {phone}. Call before you go, so they know you are coming.",
    },
}  # fmt: skip


def _plain(text: str) -> str:
    """Lower case without diacritics ("Tromsø" → "tromso"), for matching names."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ø", "o").replace("æ", "ae"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def find_centre(text: str, centres: tuple[CentreInfo, ...]) -> CentreInfo | None:
    """The centre a message names by a distinctive word of its name or its host municipality
    ("Salten", "Tromsø", "Alta"), or None when no centre or several equally match."""
    said = set(understanding.tokens(_plain(text)))
    scores: list[tuple[int, CentreInfo]] = []
    for centre in centres:
        names = set(understanding.tokens(_plain(centre.name))) - _GENERIC
        if centre.municipality:
            names |= set(understanding.tokens(_plain(centre.municipality)))
        score = len(names & said)
        if score:
            scores.append((score, centre))
    scores.sort(key=lambda pair: -pair[0])
    if not scores or (len(scores) > 1 and scores[0][0] == scores[1][0]):
        return None
    return scores[0][1]


def describe(
    centre: CentreInfo, text: str, gender: str | None, now: datetime, language: str
) -> str:
    """The answer about `centre`: for each unit (the person's when known), what was asked
    (needs, children, free places), how old the numbers are, and the demo label."""
    language = wording.language_or_default(language)
    words = TEXT.get(language, TEXT["nb"])
    asked_needs = understanding.read_needs(text)
    asks_children = understanding.mentions_children(text)
    asks_room = bool(set(understanding.tokens(text)) & _ROOM) or not (asked_needs or asks_children)
    wanted = {"woman": "women", "man": "men"}.get(gender or "")
    units = [u for u in centre.units if not wanted or u.kind == wanted] or list(centre.units)
    lines = [centre.name]
    if centre.status != "open":
        lines.append(words["closed"])
    for unit in units:
        parts = [_need(unit, need, words, language) for need in asked_needs]
        if asks_children:
            parts.append(_children(unit, words))
        if asks_room or "wheelchair" in asked_needs:
            parts.append(_numbers(unit, words, "wheelchair" in asked_needs))
        lines.append(f"{words.get('unit_' + unit.kind, unit.kind)}: " + "; ".join(parts) + ".")
        lines.append(wording.status(unit, now, language))
    phone = centre.phone or "116 006"
    lines.append(words["phone"].format(phone=phone))
    return "\n".join(lines)


def _need(unit: UnitInfo, need: str, words: dict[str, str], language: str) -> str:
    answer = words["yes"] if unit.accepts.get(need) else words["no"]
    return words["accepts"].format(need=wording.need_word(need, language), answer=answer)


def _children(unit: UnitInfo, words: dict[str, str]) -> str:
    if not unit.accepts.get("children"):
        return words["children"].format(answer=words["no"])
    age = unit.accepts.get("children_max_age")
    text = (
        words["children_age"].format(age=age)
        if age is not None
        else words["children"].format(answer=words["yes"])
    )
    boys = unit.accepts.get("boys_max_age")
    return text + (", " + words["boys_age"].format(age=boys) if boys is not None else "")


def _numbers(unit: UnitInfo, words: dict[str, str], accessible: bool) -> str:
    if unit.as_of is None or unit.free_places is None:
        return words["no_numbers"]
    if accessible:
        return words["free_accessible"].format(n=max(unit.free_accessible_rooms or 0, 0))
    return words["free"].format(n=max(unit.free_places, 0))


class AskCentre(Configured, Action):
    def name(self) -> str:
        return "action_ask_centre"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        text = str(tracker.latest_message.get("text") or "")
        places = list(tracker.get_latest_entity_values("place"))
        try:
            async with self.registry() as registry:
                centres = await registry.centres()
                centre = find_centre(text, centres)
                if centre is None and places:
                    # A place, not a centre's name: the centre responsible for it.
                    answer = await registry.search(SearchRequest(place=places[-1], limit=1))
                    ids = [r.id for r in answer.results if r.responsible]
                    centre = next((c for c in centres if ids and c.id == ids[0]), None)
        except RegistryUnavailable as exc:
            log.warning("centre question failed: %s", exc)
            dispatcher.utter_message(response="utter_registry_down")
            return []
        except (PlaceNotFound, RegistryError):
            centre = None
        if centre is None:
            dispatcher.utter_message(response="utter_which_centre")
            return []
        language = tracker.get_slot("language") or "nb"
        now = self.settings.now()
        gender = tracker.get_slot("gender")
        dispatcher.utter_message(text=describe(centre, text, gender, now, language))
        return [SlotSet("centre", centre.id)]
