"""Reading ages, needs, gender, spoken language and places from plain text."""

from __future__ import annotations

import pytest

from actions import understanding as u


@pytest.mark.parametrize(
    ("text", "asked", "ages", "count", "none"),
    [
        ("3 og 7", True, ("3", "7"), None, False),
        ("3 og 7", False, (), None, False),
        ("two kids aged 4 and 12", False, ("4", "12"), 2, False),
        ("we are three children", False, (), 3, False),
        ("a girl of 3 and a boy of 12", False, ("3g", "12b"), 2, False),
        ("jeg har to barn på 4 og 7 år", False, ("4", "7"), 2, False),
        ("min sønn er 12 og datteren 8", False, ("12b", "8g"), 2, False),
        ("two boys aged 4 and 12", False, ("4b", "12b"), 2, False),
        ("12 year old boy", False, ("12b",), None, False),
        ("I want to go with my kids 3 and 5", False, ("3", "5"), None, False),
        ("ein gut på 14", False, ("14b",), 1, False),
        ("a baby and a 4 year old", True, ("0", "4"), 1, False),
        ("tre ungar, 2, 5 og 9", False, ("2", "5", "9"), 3, False),
        ("my daughter is 19 and my son 6", False, ("6b",), 1, False),
        ("no children", False, (), None, True),
        ("ingen barn", False, (), None, True),
        ("bare meg", True, (), None, True),
        ("nei", True, (), None, True),
        ("nei", False, (), None, False),
    ],
)
def test_read_children(text, asked, ages, count, none):
    said = u.read_children(text, asked)

    assert (said.ages, said.count, said.none) == (ages, count, none)


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("I use a wheelchair and have a dog", ["wheelchair", "pets"]),
        ("jeg har hund og katt", ["pets"]),
        ("jeg er døv", ["hearing"]),
        ("svaksynt", ["vision"]),
        ("rusproblemer", ["substance_use"]),
        ("utsatt for menneskehandel", ["trafficking"]),
        ("jeg er samisk", ["sami"]),
        ("I'm trans", ["lgbtq"]),
        ("I speak Russian", []),
        ("Petter har en transport", []),
        ("hundre kroner", []),
    ],
)
def test_read_needs(text, needs):
    assert u.read_needs(text) == needs


@pytest.mark.parametrize(
    ("text", "gender"),
    [
        ("kvinne", "woman"),
        ("I am a man", "man"),
        ("ikke-binær", "other"),
        ("non binary", "other"),
        ("Bodø", None),
    ],
)
def test_read_gender(text, gender):
    assert u.read_gender(text) == gender


@pytest.mark.parametrize(
    ("text", "asked", "code"),
    [
        ("arabisk", True, "ar"),
        ("Norwegian is fine", True, "any"),
        ("I speak Polish", False, "pl"),
        ("doesn't matter", True, "any"),
        ("doesn't matter", False, None),
        ("Bodø", True, None),
    ],
)
def test_read_spoken_language(text, asked, code):
    assert u.read_spoken_language(text, asked) == code


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("he is here", "en"),
        ("han er her nå", "nb"),
        ("eg er i Tromsø", "nn"),
        ("I'm in Bodø", "en"),
        ("Tromsø", None),
        ("kva gjer eg no", "nn"),
        ("avslutt", "no"),
        ("ja", "no"),
        ("3 og 7", "no"),
        ("stop", "en"),
    ],
)
def test_detect_language(text, language):
    assert u.detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("I'm in Bodø", "Bodø"),
        ("jeg er i Mo i Rana", "Mo i Rana"),
        ("actually we are in Tromsø now", "Tromsø"),
        ("Bodø kommune", "Bodø"),
        ("8006", "8006"),
        ("no", None),
        ("I don't really know where I am right now, somewhere north", None),
    ],
)
def test_place_from_answer(text, place):
    assert u.place_from_answer(text) == place
