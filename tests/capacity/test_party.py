"""Parsing who needs a place: strict, with messages a person can act on."""

from __future__ import annotations

import pytest

from capacity.errors import InvalidInput
from capacity.party import (
    Child,
    Gender,
    Need,
    Party,
    parse_adults,
    parse_children,
    parse_gender,
    parse_needs,
)


def test_children_ages_with_optional_sex() -> None:
    assert parse_children("3, 7,12b,14g") == (
        Child(3),
        Child(7),
        Child(12, "boy"),
        Child(14, "girl"),
    )
    assert parse_children(None) == () and parse_children("  ") == ()


@pytest.mark.parametrize(
    ("written", "ages"),
    [
        ("4 og 9", (4, 9)),
        ("4 og 9 år", (4, 9)),
        ("3, 7 og 12 år", (3, 7, 12)),
        ("4 and 9 years", (4, 9)),
        ("4år og 9år", (4, 9)),
        ("3;4", (3, 4)),
        ("2 / 5 + 8", (2, 5, 8)),
        ("4 i 9 lat", (4, 9)),
        ("٤ و ٩", (4, 9)),
        ("٣، ٧", (3, 7)),
    ],
)
def test_ages_are_read_as_people_write_them(written: str, ages: tuple[int, ...]) -> None:
    assert tuple(child.age for child in parse_children(written)) == ages


@pytest.mark.parametrize(
    "value",
    [
        "18",
        "-1",
        "3 og x",
        "three",
        "²",
        "4 og 9 dager",
        "3.5",
        "1e1",
        "12x",
        "<script>",
        "1" * 500,
        ",".join(["1"] * 13),
    ],
)
def test_bad_children_are_refused(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_children(value)
    assert caught.value.detail["field"] == "children"


def test_needs_are_known_words_only() -> None:
    assert parse_needs("wheelchair, PETS") == {Need.WHEELCHAIR, Need.PETS}
    with pytest.raises(InvalidInput, match=r"'jacuzzi'.*use"):
        parse_needs("pets,jacuzzi")
    with pytest.raises(InvalidInput):
        parse_needs("' OR 1=1 --")


def test_gender_defaults_to_woman_and_refuses_other_words() -> None:
    assert parse_gender(None) is Gender.WOMAN
    assert parse_gender("Man") is Gender.MAN
    with pytest.raises(InvalidInput):
        parse_gender("robot")


@pytest.mark.parametrize("value", ["0", "7", "1.5", "x", "-2"])
def test_bad_adult_counts_are_refused(value: str) -> None:
    with pytest.raises(InvalidInput):
        parse_adults(value)


def test_a_party_needs_a_family_room_with_children_and_an_accessible_room_in_a_wheelchair() -> None:
    party = Party(adults=2, children=(Child(3),), needs=frozenset({Need.WHEELCHAIR}))
    assert (party.places, party.family_rooms, party.accessible_rooms) == (3, 1, 1)
    assert (Party().places, Party().family_rooms, Party().accessible_rooms) == (1, 0, 0)
