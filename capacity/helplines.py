"""National helplines shown with every answer (numbers from KSS annual report 2024)."""

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
}


def helplines(country: str = "NO") -> tuple[Helpline, ...]:
    """The country's helplines, emergency first; Norway's when the country has none listed."""
    return HELPLINES.get(country, HELPLINES["NO"])
