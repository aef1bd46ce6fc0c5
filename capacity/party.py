"""Who needs a place: the party and its needs, parsed strictly from plain values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from capacity.errors import InvalidInput

MAX_CHILDREN = 12
MAX_ADULTS = 6
ADULT_AGE = 18


class Gender(StrEnum):
    WOMAN = "woman"
    MAN = "man"
    OTHER = "other"


class Need(StrEnum):
    """What a unit must offer. Values are the API's words; the unit columns share the names."""

    WHEELCHAIR = "wheelchair"
    PETS = "pets"
    SUBSTANCE_USE = "substance_use"
    TRAFFICKING = "trafficking"
    SAMI = "sami"
    LGBTQ = "lgbtq"
    HEARING = "hearing"
    VISION = "vision"


@dataclass(frozen=True, slots=True)
class Child:
    age: int
    sex: str | None = None  # "boy", "girl" or None when not told

    @property
    def is_boy_or_unknown(self) -> bool:
        return self.sex != "girl"


@dataclass(frozen=True, slots=True)
class Party:
    gender: Gender = Gender.WOMAN
    adults: int = 1
    children: tuple[Child, ...] = ()
    needs: frozenset[Need] = field(default_factory=frozenset)

    @property
    def places(self) -> int:
        return self.adults + len(self.children)

    @property
    def family_rooms(self) -> int:
        return 1 if self.children else 0

    @property
    def accessible_rooms(self) -> int:
        return 1 if Need.WHEELCHAIR in self.needs else 0


_CHILD = re.compile(r"^(\d{1,2})([bg]?)$")
# Ages are written as people say them: "4 og 9", "4 and 9 years", "3, 7 og 12 år", "٤ و ٩".
_SEPARATORS = re.compile(r"[,\u060c;/&+\s]+")
_AND = frozenset({"og", "and", "och", "i", "und", "et", "y", "ja", "iyo", "та", "і", "и", "و"})
_YEARS = (
    "år",
    "aar",
    "års",
    "years",
    "year",
    "yrs",
    "yr",
    "y",
    "lat",
    "lata",
    "rok",
    "roky",
    "рік",
    "роки",
    "років",
    "jagi",
    "sano",
    "سنة",
    "سنوات",
)
_AGE_WORD = re.compile(r"^(\d{1,2}[bg]?)(?:" + "|".join(sorted(_YEARS, key=len)[::-1]) + r")$")
_SEX = {"": None, "b": "boy", "g": "girl"}


def parse_gender(value: str | None) -> Gender:
    if value is None or not value.strip():
        return Gender.WOMAN
    try:
        return Gender(value.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"Unknown gender {value[:40]!r}: use woman, man or other", field="gender"
        ) from None


def parse_children(value: str | None) -> tuple[Child, ...]:
    """Parse ages as people write them ("3,7,12", "4 og 9 år"); "12b"/"12g": a boy or a girl.

    A bare age leaves the sex unknown: boys' age limits then show as a caveat, not a filter.
    Raises InvalidInput for anything else, for ages over 17 and for more than 12 children.
    """
    if value is None or not value.strip():
        return ()
    # Commas (also the Arabic comma), spaces, "and" in the site's languages separate ages;
    # "years" after an age is dropped: "3, 7", "3 7", "4 og 9 år", "٣، ٧".
    items = []
    for word in _SEPARATORS.split(value.strip().lower()):
        word = word.removeprefix("و") if word[1:].isdigit() else word
        if word and word not in _AND and word not in _YEARS:
            match = _AGE_WORD.match(word)
            items.append(match.group(1) if match else word)
    if len(items) > MAX_CHILDREN:
        raise InvalidInput(f"At most {MAX_CHILDREN} children per search", field="children")
    children = []
    for item in items:
        match = _CHILD.match(item)
        if match is None:
            raise InvalidInput(
                f"Children must be ages, like 3, 7 and 12 (got {item[:20]!r})",
                field="children",
            )
        age = int(match.group(1))  # int() reads any script's digits
        if age >= ADULT_AGE:
            raise InvalidInput(f"A child is under {ADULT_AGE} (got {age})", field="children")
        children.append(Child(age=age, sex=_SEX[match.group(2)]))
    return tuple(children)


def parse_needs(value: str | None) -> frozenset[Need]:
    """Parse "wheelchair,pets"; raises InvalidInput naming unknown needs and the known ones."""
    if value is None or not value.strip():
        return frozenset()
    words = {word.strip().lower() for word in value.split(",") if word.strip()}
    known = {need.value for need in Need}
    unknown = sorted(words - known)
    if unknown:
        shown = ", ".join(repr(word[:30]) for word in unknown[:5])
        raise InvalidInput(f"Unknown need {shown}: use {', '.join(sorted(known))}", field="needs")
    return frozenset(Need(word) for word in words)


def parse_adults(value: str | None) -> int:
    if value is None or not value.strip():
        return 1
    try:
        adults = int(value)
    except ValueError:
        raise InvalidInput("adults must be a whole number", field="adults") from None
    if not 1 <= adults <= MAX_ADULTS:
        raise InvalidInput(f"adults must be between 1 and {MAX_ADULTS}", field="adults")
    return adults


def parse_party(values: Mapping[str, str | None]) -> Party:
    """The party from plain strings ("gender", "adults", "children", "needs"; absent or
    blank: the defaults). Raises one InvalidInput naming the first wrong field."""

    def get(name: str) -> str | None:
        return values.get(name) or None

    return Party(
        gender=parse_gender(get("gender")),
        adults=parse_adults(get("adults")),
        children=parse_children(get("children")),
        needs=parse_needs(get("needs")),
    )
