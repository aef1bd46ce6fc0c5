"""What an adviser writes: the draft of a referral and the checks on its free text.

Nothing here touches the database; `sending` stores what passes these checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from capacity import holds
from capacity.errors import InvalidInput
from capacity.party import Child, Gender, Need, Party

MAX_AHEAD = timedelta(hours=24)
MAX_NOTE = 300

_PHONE = re.compile(r"\+?[0-9 ]+")
# A Norwegian fødselsnummer (or D-/H-number): eleven digits, often written 6 + 5.
_PERSONAL_NUMBER = re.compile(r"(?<!\d)\d{6}[ .-]?\d{5}(?!\d)")
_LANGUAGE = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True, slots=True)
class Draft:
    """What an adviser sends: centre ids (one to three), the party and how to reach them."""

    centres: tuple[str, ...]
    party: Party
    arrival_by: datetime
    callback: str
    language: str | None = None
    note: str | None = None
    hold_minutes: int = holds.DEFAULT_MINUTES


def has_personal_number(text: str) -> bool:
    """Whether `text` holds eleven digits in a row (6 + 5 may be split): a fødselsnummer."""
    return _PERSONAL_NUMBER.search(text) is not None


def parse_callback(value: object) -> str:
    """The adviser's callback line, spaces tidied: 8 to 15 digits, spaces, an optional + first.

    Raises InvalidInput (field "callback") otherwise, and for an 11-digit run that reads as a
    personal number.
    """
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not _PHONE.fullmatch(text) or not 8 <= len(text.replace(" ", "").lstrip("+")) <= 15:
        raise InvalidInput(
            "The callback line is a phone number: 8 to 15 digits, spaces, an optional + first",
            field="callback",
        )
    if has_personal_number(text):
        raise InvalidInput(
            "That looks like a national identity number, not a phone number", field="callback"
        )
    return text


def check_text(value: str | None, limit: int, field: str) -> str | None:
    """Short free text, stripped (None when empty); raises InvalidInput when longer than
    `limit` or when it holds a personal number (11 digits)."""
    text = (value or "").strip() or None
    if text is None:
        return None
    if len(text) > limit:
        raise InvalidInput(f"At most {limit} characters", field=field)
    if has_personal_number(text):
        raise InvalidInput(
            "Leave out personal numbers (fødselsnummer) and anything else that identifies "
            "the person",
            field=field,
        )
    return text


def parse_language(value: str | None) -> str | None:
    text = (value or "").strip().lower() or None
    if text is not None and not _LANGUAGE.fullmatch(text):
        raise InvalidInput("A language is a 2- or 3-letter code, like ar or nb", field="language")
    return text


def party_record(party: Party) -> dict[str, Any]:
    return {
        "gender": party.gender.value,
        "adults": party.adults,
        "children": [{"age": child.age, "sex": child.sex} for child in party.children],
        "needs": sorted(need.value for need in party.needs),
    }


def party_of(record: dict[str, Any]) -> Party:
    return Party(
        gender=Gender(record["gender"]),
        adults=int(record["adults"]),
        children=tuple(Child(int(c["age"]), c.get("sex")) for c in record["children"]),
        needs=frozenset(Need(n) for n in record["needs"]),
    )
