"""How the bot words a search result in Bokmål, Nynorsk, English and Northern Sami.

Fixed sentences live in the domain's responses (`utter_*`); this module words what only an
action knows: a centre, what fits and what is missing (by the API's reason `code`, with the
API's English `text` as the fallback), how fresh the numbers are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from actions.registry_client import Reason, Result

LANGUAGES = ("nb", "nn", "en", "se")

NEED_WORDS = {
    "nb": {
        "wheelchair": "rullestol",
        "pets": "kjæledyr",
        "substance_use": "aktiv rusbruk",
        "trafficking": "menneskehandel",
        "sami": "samisk tilbud",
        "lgbtq": "LHBT+-kompetanse",
        "hearing": "hørselshjelp",
        "vision": "synshjelp",
    },
    "nn": {
        "wheelchair": "rullestol",
        "pets": "kjæledyr",
        "substance_use": "aktiv rusbruk",
        "trafficking": "menneskehandel",
        "sami": "samisk tilbod",
        "lgbtq": "LHBT+-kompetanse",
        "hearing": "hjelp for høyrsel",
        "vision": "hjelp for syn",
    },
    "en": {
        "wheelchair": "wheelchair access",
        "pets": "pets",
        "substance_use": "active substance use",
        "trafficking": "human trafficking",
        "sami": "a Sami-adapted service",
        "lgbtq": "LGBTQ+ competence",
        "hearing": "hearing support",
        "vision": "vision support",
    },
}

LANGUAGE_NAMES = {
    "nb": {
        "ar": "arabisk", "pl": "polsk", "uk": "ukrainsk", "ru": "russisk", "so": "somali",
        "ti": "tigrinja", "fa": "persisk", "prs": "dari", "ku": "kurdisk", "tr": "tyrkisk",
        "es": "spansk", "fr": "fransk", "de": "tysk", "th": "thai", "tl": "tagalog",
        "lt": "litauisk", "ro": "rumensk", "ur": "urdu", "vi": "vietnamesisk",
        "am": "amharisk", "sw": "swahili", "ps": "pashto", "sv": "svensk", "da": "dansk",
        "se": "samisk", "en": "engelsk",
    },
    "en": {
        "ar": "Arabic", "pl": "Polish", "uk": "Ukrainian", "ru": "Russian", "so": "Somali",
        "ti": "Tigrinya", "fa": "Persian", "prs": "Dari", "ku": "Kurdish", "tr": "Turkish",
        "es": "Spanish", "fr": "French", "de": "German", "th": "Thai", "tl": "Tagalog",
        "lt": "Lithuanian", "ro": "Romanian", "ur": "Urdu", "vi": "Vietnamese",
        "am": "Amharic", "sw": "Swahili", "ps": "Pashto", "sv": "Swedish", "da": "Danish",
        "se": "Sami", "en": "English",
    },
}  # fmt: skip
LANGUAGE_NAMES["nn"] = LANGUAGE_NAMES["nb"]

REASONS = {
    "nb": {
        "unit_women": "Avdeling for kvinner",
        "unit_men": "Avdeling for menn",
        "no_unit": "Har ikke avdeling for {kind}",
        "places_free": "{free} ledige, {needed} trengs",
        "not_enough_places": "Bare {free} ledige, {needed} trengs",
        "held": "{held} holdt av for folk på vei",
        "family_room_free": "Familierom ledig",
        "no_family_room": "Ikke ledig familierom",
        "accessible_room_free": "Rullestoltilpasset rom ledig",
        "no_accessible_room": "Ikke ledig rullestoltilpasset rom",
        "children_welcome": "Barn kan være med (til {age} år)",
        "children_welcome_any_age": "Barn kan være med",
        "no_children": "Barn kan ikke bo her",
        "child_too_old": "Bare barn til og med {age} år",
        "boys_too_old": "Bare gutter til og med {age} år",
        "boys_limit": "Gutter over {age} år kan ikke bo her: si fra om en gutt skal være med",
        "need_met": "Tar imot: {need}",
        "need_missing": "Oppgir ikke: {need}",
        "language_spoken": "Ansatte snakker {language}",
        "language_interpreter": "Tolk på {language}",
        "language_missing": "Oppgir ikke {language}",
        "closed": "Stengt",
        "temporarily_closed": "Midlertidig stengt",
    },
    "nn": {
        "unit_women": "Avdeling for kvinner",
        "unit_men": "Avdeling for menn",
        "no_unit": "Har ikkje avdeling for {kind}",
        "places_free": "{free} ledige, {needed} trengst",
        "not_enough_places": "Berre {free} ledige, {needed} trengst",
        "held": "{held} haldne av for folk på veg",
        "family_room_free": "Familierom ledig",
        "no_family_room": "Ikkje ledig familierom",
        "accessible_room_free": "Rullestoltilpassa rom ledig",
        "no_accessible_room": "Ikkje ledig rullestoltilpassa rom",
        "children_welcome": "Born kan vere med (til {age} år)",
        "children_welcome_any_age": "Born kan vere med",
        "no_children": "Born kan ikkje bu her",
        "child_too_old": "Berre born til og med {age} år",
        "boys_too_old": "Berre gutar til og med {age} år",
        "boys_limit": "Gutar over {age} år kan ikkje bu her: sei frå om ein gut skal vere med",
        "need_met": "Tek imot: {need}",
        "need_missing": "Oppgjev ikkje: {need}",
        "language_spoken": "Tilsette snakkar {language}",
        "language_interpreter": "Tolk på {language}",
        "language_missing": "Oppgjev ikkje {language}",
        "closed": "Stengt",
        "temporarily_closed": "Mellombels stengt",
    },
    "en": {
        "unit_women": "Women's unit",
        "unit_men": "Men's unit",
        "no_unit": "No unit for {kind}",
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
        "boys_limit": "Boys over {age} cannot stay: tell them if a boy is coming",
        "need_met": "Accepts {need}",
        "need_missing": "Does not list {need}",
        "language_spoken": "Staff speak {language}",
        "language_interpreter": "Interpreter for {language}",
        "language_missing": "Staff do not list {language}",
        "closed": "Closed",
        "temporarily_closed": "Temporarily closed",
    },
}

# Shown on their own line, not in the lists of what fits and what is missing.
_OWN_LINE = frozenset(("fresh", "stale", "no_numbers", "demo", "responsible"))

WORDS = {
    "nb": {
        "fits": "Passer",
        "missing": "Mangler",
        "phone": "Telefon",
        "no_phone": "Ingen telefon registrert: ring VO-linjen 116 006",
        "responsible": "krisesenteret for {municipality}",
        "unconfirmed": "ikke bekreftet, ring og sjekk",
        "km": "{km} km unna",
        "now": "Kan ta imot nå",
        "call": "Ring for å sjekke",
        "unavailable": "Fullt eller stengt",
        "fresh_minutes": "Oppdatert for {n} minutter siden",
        "fresh_hours": "Oppdatert for {n} timer siden",
        "stale": "Tallene er {n} timer gamle: ring og sjekk",
        "no_numbers": "Ingen tall meldt: ring og spør",
        "demo": "Demodata, ikke ekte kapasitet",
        "kind_woman": "kvinner",
        "kind_man": "menn",
        "kind_other": "deg",
    },
    "nn": {
        "fits": "Passar",
        "missing": "Manglar",
        "phone": "Telefon",
        "no_phone": "Ingen telefon registrert: ring VO-linjen 116 006",
        "responsible": "krisesenteret for {municipality}",
        "unconfirmed": "ikkje stadfesta, ring og sjekk",
        "km": "{km} km unna",
        "now": "Kan ta imot no",
        "call": "Ring for å sjekke",
        "unavailable": "Fullt eller stengt",
        "fresh_minutes": "Oppdatert for {n} minutt sidan",
        "fresh_hours": "Oppdatert for {n} timar sidan",
        "stale": "Tala er {n} timar gamle: ring og sjekk",
        "no_numbers": "Ingen tal melde: ring og spør",
        "demo": "Demodata, ikkje ekte kapasitet",
        "kind_woman": "kvinner",
        "kind_man": "menn",
        "kind_other": "deg",
    },
    "en": {
        "fits": "Fits",
        "missing": "Missing",
        "phone": "Phone",
        "no_phone": "No phone registered: call VO-linjen 116 006",
        "responsible": "the crisis centre for {municipality}",
        "unconfirmed": "not confirmed, call to check",
        "km": "{km} km away",
        "now": "Can take you now",
        "call": "Call to check",
        "unavailable": "Full or closed",
        "fresh_minutes": "Updated {n} minutes ago",
        "fresh_hours": "Updated {n} hours ago",
        "stale": "The numbers are {n} hours old: call to check",
        "no_numbers": "No numbers reported: call to ask",
        "demo": "Demo data, not real capacity",
        "kind_woman": "women",
        "kind_man": "men",
        "kind_other": "you",
    },
}


# Northern Sami, not yet reviewed by a native speaker (as the site's catalog); whatever is
# not translated here is said in Bokmål.
NEED_WORDS["se"] = {
    **NEED_WORDS["nb"],
    "wheelchair": "juvssahasstuollu",
    "pets": "ruovttuealli",
    "trafficking": "olmmošgávppašeapmi",
    "sami": "sámi fálaldat",
}
LANGUAGE_NAMES["se"] = LANGUAGE_NAMES["nb"]
REASONS["se"] = {
    **REASONS["nb"],
    "places_free": "Guorus: {free}, dárbu: {needed}",
    "not_enough_places": "Guorus dušše {free}, dárbu: {needed}",
    "family_room_free": "Guorus bearašlatnja",
    "no_family_room": "Ii guorus bearašlatnja",
    "accessible_room_free": "Guorus latnja juvssahasstuolu várás",
    "no_accessible_room": "Ii guorus latnja juvssahasstuolu várás",
    "children_welcome": "Mánát besset fárrui ({age} jagi rádjái)",
    "children_welcome_any_age": "Mánát besset fárrui",
    "no_children": "Mánát eai sáhte orrut dáppe",
    "child_too_old": "Mánát dušše {age} jagi rádjái",
    "boys_too_old": "Bártnit dušše {age} jagi rádjái",
}
WORDS["se"] = {
    **WORDS["nb"],
    "phone": "Telefovdna",
    "no_phone": "Ii leat telefovdna: riŋge VO-linjen 116 006",
    "responsible": "{municipality} gieldda kriisaguovddáš",
    "km": "{km} km eret",
    "now": "Sáhttet váldit du vuostá dál",
    "call": "Riŋge ja jeara",
    "demo": "Demodieđut: eai leat duohta logut",
}


def language_or_default(language: str | None) -> str:
    return language if language in LANGUAGES else "nb"


def need_word(need: str, language: str) -> str:
    return NEED_WORDS[language_or_default(language)].get(need, need)


def needs_list(needs: list[str] | tuple[str, ...], language: str) -> str:
    return ", ".join(need_word(need, language) for need in needs)


def language_name(code: str, language: str) -> str:
    return LANGUAGE_NAMES[language_or_default(language)].get(code, code)


def reason(item: Reason, language: str) -> str:
    """One reason in the language; the API's English text when the code is unknown."""
    language = language_or_default(language)
    template = REASONS[language].get(item.code)
    if template is None:
        return item.text
    values = dict(item.values)
    if "need" in values:
        values["need"] = need_word(str(values["need"]), language)
    if "language" in values:
        values["language"] = language_name(str(values["language"]), language)
    if "kind" in values:
        values["kind"] = WORDS[language].get(f"kind_{values['kind']}", str(values["kind"]))
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return item.text


class Numbers(Protocol):
    """Free places as the registry reports them: a search result or one unit of a centre."""

    @property
    def as_of(self) -> datetime | None: ...
    @property
    def stale(self) -> bool: ...
    @property
    def demo(self) -> bool: ...


def freshness(numbers: Numbers, now: datetime, language: str) -> str:
    words = WORDS[language_or_default(language)]
    if numbers.as_of is None:
        return words["no_numbers"]
    minutes = max(0, int((now - numbers.as_of).total_seconds() // 60))
    if numbers.stale:
        return words["stale"].format(n=minutes // 60)
    if minutes < 120:
        return words["fresh_minutes"].format(n=minutes)
    return words["fresh_hours"].format(n=minutes // 60)


def status(numbers: Numbers, now: datetime, language: str) -> str:
    """How fresh the numbers are, and the demo label when they are demo data: one sentence."""
    text = freshness(numbers, now, language)
    if numbers.demo:
        text += ". " + WORDS[language_or_default(language)]["demo"]
    return text + "."


def result_card(number: int, result: Result, now: datetime, language: str) -> str:
    """A centre as a short message: name, distance, phone, what fits and what is missing,
    how fresh the numbers are, and whether they are demo data."""
    language = language_or_default(language)
    words = WORDS[language]
    title = f"{number}. {result.name}"
    if result.responsible and result.municipality:
        responsible = words["responsible"].format(municipality=result.municipality)
        if not result.responsible_confirmed:
            responsible += ": " + words["unconfirmed"]
        title += f" ({responsible})"
    details = [words[result.group]] if result.group in words else []
    if result.distance_km is not None:
        details.append(words["km"].format(km=_km(result.distance_km, language)))
    lines = [title, " · ".join(details)]
    if result.phone:
        lines.append(f"{words['phone']}: {result.phone}")
    else:
        lines.append(words["no_phone"])
    fits = [reason(r, language) for r in result.fits if r.code not in _OWN_LINE]
    missing = [reason(r, language) for r in result.missing if r.code not in _OWN_LINE]
    if fits:
        lines.append(f"{words['fits']}: " + "; ".join(fits))
    if missing:
        lines.append(f"{words['missing']}: " + "; ".join(missing))
    lines.append(status(result, now, language))
    return "\n".join(lines)


def _km(distance: float, language: str) -> str:
    shown = f"{distance:.0f}" if distance >= 10 else f"{distance:.1f}"
    return shown.replace(".", ",") if language in ("nb", "nn", "se") else shown
