"""Every string the site shows is in the template and in every catalog, placeholders intact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po

from tests.helpers import ROOT
from web.i18n import CATALOGS, LANGUAGES, isolate_numbers, reviewed, translations

PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
TRANSLATED = [code for code in LANGUAGES if code != "en"]
# Easy-read Bokmål covers the pages a person in a crisis reads first; the rest falls back to nb.
EASY = "lettlest"
EASY_SOURCES = [
    ("web/templates/base.html", "jinja2"),
    ("web/templates/search.html", "jinja2"),
    ("web/templates/_centre_card.html", "jinja2"),
    ("web/templates/_published.html", "jinja2"),
    ("web/templates/_helplines.html", "jinja2"),
    ("web/templates/safety.html", "jinja2"),
    ("web/wording.py", "python"),
]


def read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def source_ids() -> set[str]:
    found = set()
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def easy_ids() -> set[str]:
    """The messages of the home page, the results and the safety page."""
    found = set()
    for path, method in EASY_SOURCES:
        for _, message, _, _ in extract_from_file(method, ROOT / path, keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def test_the_template_is_up_to_date_with_the_sources() -> None:
    template = ids(read(CATALOGS / "messages.pot"))
    assert source_ids() == template, "run `make messages` to update the catalogs"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_catalog_translates_every_message_with_its_placeholders(code: str) -> None:
    catalog = read(CATALOGS / code / "LC_MESSAGES" / "messages.po")
    template = read(CATALOGS / "messages.pot")
    assert ids(catalog) == ids(template)
    required = easy_ids() if code == EASY else set()
    for message in catalog:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[1]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if code == EASY and message.id not in required and not any(strings):
            continue  # shown from the Bokmål catalog
        assert all(strings), f"{code}: untranslated {source!r}"
        assert "fuzzy" not in message.flags, f"{code}: fuzzy {source!r}"
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(source)) | {"%(num)s"}
            assert set(PLACEHOLDER.findall(source)) - {"%(num)s"} <= set(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("code", TRANSLATED)
def test_an_unreviewed_catalog_says_so(code: str) -> None:
    header = (CATALOGS / code / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")[:3000]
    assert "X-Havn-Reviewed:" in header
    assert reviewed(code) == ("X-Havn-Reviewed: yes" in header)


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogs_are_compiled(code: str) -> None:
    assert (CATALOGS / code / "LC_MESSAGES" / "messages.mo").exists(), "run `make messages`"


def test_phone_numbers_are_isolated_left_to_right_and_entities_are_left_alone() -> None:
    assert isolate_numbers("اتصل 116 006 أو 112") == "اتصل \u2066116 006\u2069 أو \u2066112\u2069"
    assert isolate_numbers("ROSA 22 33 11 60") == "ROSA \u206622 33 11 60\u2069"
    assert isolate_numbers("&#34;24/7&#39;") == "&#34;24/7&#39;"


def test_the_easy_read_pages_have_messages_to_check() -> None:
    required = easy_ids()
    assert len(required) > 100
    assert {"Find a crisis centre", "Call to check", "Staying safe online"} <= required


def test_easy_read_is_bokmal_and_falls_back_to_the_bokmal_catalog() -> None:
    language = LANGUAGES[EASY]
    assert (language.tag, str(language.locale), language.direction) == ("nb", "nb", "ltr")
    easy, bokmal = translations(EASY), translations("nb")
    # Its own words where it has them, different from plain Bokmål …
    assert easy.gettext("Showing results near %(place)s") == "Her er krisesentre nær %(place)s"
    assert bokmal.gettext("Showing results near %(place)s") != easy.gettext(
        "Showing results near %(place)s"
    )
    # … and Bokmål, not English, for every message it leaves empty.
    catalog = read(CATALOGS / EASY / "LC_MESSAGES" / "messages.po")
    empty = [m.id for m in catalog if isinstance(m.id, str) and m.id and not m.string]
    assert empty
    for message in empty:
        assert easy.gettext(message) == bokmal.gettext(message), message
    assert sum(easy.gettext(message) != message for message in empty) > len(empty) / 2
