"""Languages of the public site: negotiation, gettext catalogs (Babel) and formatting."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_timedelta
from babel.support import NullTranslations, Translations
from starlette.requests import Request

CATALOGS = Path(__file__).parent / "translations"
COOKIE = "havn_lang"
DEFAULT = "nb"


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    name: str  # in the language itself
    rtl: bool = False
    babel: str = ""  # Babel's locale name when it differs from the code
    html: str = ""  # the BCP 47 tag for <html lang> and hreflang when it differs from the code

    @property
    def tag(self) -> str:
        return self.html or self.code

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.babel or self.code)


LANGUAGES = {
    language.code: language
    for language in (
        Language("nb", "Norsk bokmål"),
        # Easy-read Bokmål: a variant of nb, so the Bokmål catalog fills in what it leaves out.
        Language("lettlest", "Lettlest", babel="nb", html="nb"),
        Language("nn", "Norsk nynorsk"),
        Language("se", "Davvisámegiella"),
        Language("da", "Dansk"),
        Language("en", "English"),
        Language("pl", "Polski"),
        Language("uk", "Українська"),
        Language("ar", "العربية", rtl=True),
        Language("so", "Soomaali"),
        Language("ti", "ትግርኛ"),
    )
}


def negotiate(request: Request) -> tuple[Language, bool]:
    """The page language: ?lang=, then the cookie, then Accept-Language, then Bokmål.

    Returns the language and whether it was chosen explicitly in this request (?lang=),
    in which case the caller keeps it in the language cookie.
    """
    asked = request.query_params.get("lang", "").strip().lower()
    if asked in LANGUAGES:
        return LANGUAGES[asked], True
    cookie = request.cookies.get(COOKIE, "")
    if cookie in LANGUAGES:
        return LANGUAGES[cookie], False
    for code in _accepted(request.headers.get("accept-language", "")):
        if code in LANGUAGES:
            return LANGUAGES[code], False
        if code in ("no", "nob"):
            return LANGUAGES["nb"], False
        if code == "nno":
            return LANGUAGES["nn"], False
    return LANGUAGES[DEFAULT], False


def _accepted(header: str) -> list[str]:
    """Primary language codes from an Accept-Language header, by preference."""
    weighted = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary and quality > 0:
            weighted.append((-quality, position, primary))
    return [code for _, _, code in sorted(weighted)]


@cache
def translations(code: str) -> NullTranslations:
    """The compiled catalog for `code`; English (the msgids) needs none.

    A variant (a language whose Babel locale is another site language, like easy-read
    Bokmål) falls back to that language's catalog for every message it leaves empty.
    """
    if code == "en":
        return NullTranslations()
    catalog = Translations.load(str(CATALOGS), [code], domain="messages")
    base = LANGUAGES[code].babel if code in LANGUAGES else ""
    if base and base != code and base in LANGUAGES:
        catalog.add_fallback(translations(base))
    return catalog


def reviewed(code: str) -> bool:
    """Whether a native speaker has checked the catalog (its header says so)."""
    if code == "en":
        return True
    catalog = CATALOGS / code / "LC_MESSAGES" / "messages.po"
    if not catalog.exists():
        return False
    header = catalog.read_text(encoding="utf-8")[:2000]
    return "X-Havn-Reviewed: yes" in header


def ago(moment: datetime, now: datetime, language: Language) -> str:
    """ "20 minutes ago", in the page language (Babel's CLDR data)."""
    return format_timedelta(
        -max(timedelta(0), now - moment), threshold=1.5, locale=language.locale, add_direction=True
    )


# A phone number (three digits or more, single spaces allowed) not inside an entity like &#34;.
_NUMBER = re.compile(r"(?<![#\d])\d(?:[ \u00a0]?\d){2,}")


def isolate_numbers(text: str) -> str:
    """Wrap phone numbers in left-to-right isolates (U+2066 … U+2069).

    In a right-to-left sentence "116 006" would otherwise read "006 116". Isolates are plain
    characters, so this is safe in attributes and in escaped markup alike.
    """
    return _NUMBER.sub(lambda found: f"\u2066{found.group(0)}\u2069", text)
