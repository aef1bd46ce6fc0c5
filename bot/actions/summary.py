"""A short summary of what the person told the bot (place, party, needs, language: nothing
else), for them to copy or read out when they reach VO-linjen, so they need not repeat it.

Built from the slots each time it is shown; nothing is kept anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actions import wording
from actions.understanding import NEEDS, NO_LANGUAGE_NEED, SOME

WORDS = {
    "nb": {
        "place": "Jeg er i {place}.",
        "me": "Jeg er {who}.", "we": "Vi er {who}.",
        "woman": "en kvinne", "man": "en mann", "other": "en voksen",
        "adults": "{n} voksne",
        "children_ages": "Barn som kommer med: {n} ({ages} år).",
        "children_count": "Barn som kommer med: {n}.",
        "children_some": "Barn kommer med.",
        "and": "og", "boy": "gutt", "girl": "jente",
        "needs": "Behov: {needs}.",
        "speaks": "Jeg vil gjerne snakke {language}.",
    },
    "nn": {
        "place": "Eg er i {place}.",
        "me": "Eg er {who}.", "we": "Vi er {who}.",
        "woman": "ei kvinne", "man": "ein mann", "other": "ein vaksen",
        "adults": "{n} vaksne",
        "children_ages": "Born som kjem med: {n} ({ages} år).",
        "children_count": "Born som kjem med: {n}.",
        "children_some": "Born kjem med.",
        "and": "og", "boy": "gut", "girl": "jente",
        "needs": "Behov: {needs}.",
        "speaks": "Eg vil gjerne snakke {language}.",
    },
    "en": {
        "place": "I am in {place}.",
        "me": "I am {who}.", "we": "We are {who}.",
        "woman": "a woman", "man": "a man", "other": "an adult",
        "adults": "{n} adults",
        "children_ages": "Children coming with me: {n} (aged {ages}).",
        "children_count": "Children coming with me: {n}.",
        "children_some": "Children are coming with me.",
        "and": "and", "boy": "boy", "girl": "girl",
        "needs": "Needs: {needs}.",
        "speaks": "I would like to speak {language}.",
    },
}  # fmt: skip


def summary(slots: Mapping[str, Any], language: str) -> str | None:
    """The summary in `language` (Bokmål for Northern Sami: VO-linjen speaks Norwegian), or
    None when the person has told nothing yet."""
    language = language if language in WORDS else "nb"
    words = WORDS[language]
    lines = []
    place = slots.get("place_name") or slots.get("place")
    if place:
        lines.append(words["place"].format(place=place))
    adults = int(slots.get("adults") or 1)
    gender = slots.get("gender")
    if adults > 1:
        lines.append(words["we"].format(who=words["adults"].format(n=adults)))
    elif gender in ("woman", "man", "other"):
        lines.append(words["me"].format(who=words[gender]))
    children = slots.get("children")
    count = int(slots.get("children_count") or 0)
    if children and children not in ("none", SOME):
        ages = [_age(age, words) for age in children.split(",")]
        joined = ", ".join(ages[:-1]) + f" {words['and']} " + ages[-1] if len(ages) > 1 else ages[0]
        lines.append(words["children_ages"].format(n=len(ages), ages=joined))
    elif count:
        lines.append(words["children_count"].format(n=count))
    elif children == SOME:
        lines.append(words["children_some"])
    needs = [need for need in slots.get("needs") or [] if need in NEEDS]
    if needs:
        lines.append(words["needs"].format(needs=wording.needs_list(needs, language)))
    speaks = slots.get("speaks")
    if speaks and speaks not in (NO_LANGUAGE_NEED, "nb", "nn"):
        lines.append(words["speaks"].format(language=wording.language_name(speaks, language)))
    return " ".join(lines) or None


def _age(age: str, words: Mapping[str, str]) -> str:
    if age.endswith("b"):
        return f"{age[:-1]} ({words['boy']})"
    if age.endswith("g"):
        return f"{age[:-1]} ({words['girl']})"
    return age
