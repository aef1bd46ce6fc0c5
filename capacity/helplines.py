"""National helplines shown with every answer, by country.

Norway: numbers from the KSS annual report 2024. Denmark: 112, and Lev Uden Vold's national
hotline 1888, "en døgnåben, gratis og anonym rådgivning om vold i nære relationer" (Lev Uden
Vold's own pages; excerpt in capacity/data/sources/levudenvold-hotline-1888.txt).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Helpline:
    code: str
    name: str
    phone: str
    hours: str
    purpose: str

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "name": self.name,
            "phone": self.phone,
            "tel": "tel:" + self.phone.replace(" ", ""),
            "hours": self.hours,
            "purpose": self.purpose,
        }


HELPLINES: dict[str, tuple[Helpline, ...]] = {
    "NO": (
        Helpline("emergency", "Police emergency", "112", "24/7", "Danger now"),
        Helpline(
            "vo-linjen",
            "VO-linjen",
            "116 006",
            "Phone 24/7, chat weekdays 09–20",
            "Helpline for violence and abuse",
        ),
        Helpline("rosa", "ROSA", "22 33 11 60", "24/7", "Human trafficking"),
    ),
    "DK": (
        Helpline("emergency", "Police emergency", "112", "24/7", "Danger now"),
        Helpline(
            "lev-uden-vold",
            "Lev Uden Vold",
            "1888",
            "24/7",
            "National hotline for violence in close relationships",
        ),
    ),
}


def helplines(country: str = "NO") -> tuple[Helpline, ...]:
    """The country's helplines, emergency first; Norway's when the country has none listed."""
    return HELPLINES.get(country, HELPLINES["NO"])


def national(country: str = "NO") -> Helpline:
    """The country's national helpline for violence (not the emergency number): the one to
    call when a centre has no number of its own."""
    return helplines(country)[1]
