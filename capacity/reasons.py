"""Why a result fits or not, as codes with values; English sentences for the API and logs.

The web site and the bot translate by `code`; the English text is the fallback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from capacity.party import Need

NEED_WORDS = {
    Need.WHEELCHAIR: "wheelchair-accessible rooms",
    Need.PETS: "pets",
    Need.SUBSTANCE_USE: "people in active substance use",
    Need.TRAFFICKING: "victims of human trafficking",
    Need.SAMI: "a Sami-adapted service",
    Need.LGBTQ: "LGBTQ+ competence",
    Need.HEARING: "support for hearing impairment",
    Need.VISION: "support for vision impairment",
}

TEXT = {
    "unit_women": "Women's unit",
    "unit_men": "Men's unit",
    "no_unit": "No {kind} unit",
    "places_free": "{free} free, {needed} needed",
    "not_enough_places": "Only {free} free, {needed} needed",
    "held": "{held} held for people on their way",
    "family_room_free": "Family room free",
    "no_family_room": "No family room free",
    "accessible_room_free": "Wheelchair-accessible room free",
    "no_accessible_room": "No wheelchair-accessible room free",
    "children_welcome": "Children can come (up to {age})",
    "children_welcome_any_age": "Children can come",
    "no_children": "Children cannot stay here",
    "child_too_old": "Children up to {age} only",
    "boys_too_old": "Boys up to {age} only",
    "boys_limit": "Boys over {age} cannot stay: check if a boy is coming",
    "need_met": "Accepts {need}",
    "need_missing": "Does not list {need}",
    "language_spoken": "Staff speak {language}",
    "language_interpreter": "Staff do not list {language}; interpreter available",
    "language_missing": "Staff do not list {language}",
    "fresh": "Updated {minutes} minutes ago",
    "stale": "Numbers are {hours} hours old: call to check",
    "no_numbers": "No numbers reported: call to check",
    "closed": "Closed",
    "temporarily_closed": "Temporarily closed",
    "responsible": "The crisis centre for {municipality}",
    "demo": "Demo data, not real capacity",
}


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        values = dict(self.values)
        if "need" in values:
            values["need"] = NEED_WORDS[Need(values["need"])]
        return TEXT[self.code].format(**values)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, **self.values}
