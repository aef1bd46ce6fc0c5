"""action_handover: VO-linjen's chat when it is open (weekdays 09–20, Norwegian time), its
phone otherwise, with a summary of what the person said so they need not repeat it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import Configured
from actions.summary import summary

OSLO = ZoneInfo("Europe/Oslo")
CHAT_OPENS, CHAT_CLOSES = 9, 20


def chat_open(now: datetime) -> bool:
    """True on Norwegian working days from 09:00 to 20:00 Oslo time (public holidays closed)."""
    local = now.astimezone(OSLO)
    if local.weekday() >= 5 or local.date() in public_holidays(local.year):
        return False
    return CHAT_OPENS <= local.hour < CHAT_CLOSES


def public_holidays(year: int) -> frozenset[date]:
    """Norway's public holidays (helligdager and 1 and 17 May)."""
    easter = _easter(year)
    moving = (-3, -2, 0, 1, 39, 49, 50)  # Maundy Thursday … Whit Monday
    fixed = ((1, 1), (5, 1), (5, 17), (12, 25), (12, 26))
    return frozenset(
        [easter + timedelta(days=d) for d in moving] + [date(year, m, d) for m, d in fixed]
    )


def _easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


class Handover(Configured, Action):
    """Offers the chat when it is open, the phone otherwise, then the summary to copy."""

    def name(self) -> str:
        return "action_handover"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        is_open = chat_open(self.settings.now())
        handover = "utter_handover_chat" if is_open else "utter_handover_phone"
        dispatcher.utter_message(response=handover)
        told = summary(tracker.current_slot_values(), tracker.get_slot("language") or "nb")
        if told:
            dispatcher.utter_message(response="utter_summary_intro")
            dispatcher.utter_message(text=told)
        return [SlotSet("chat_open", is_open)]
