"""The routing rules, on small hand-built registries (no database needed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from capacity.errors import InvalidInput
from capacity.gazetteer import Place
from capacity.party import Child, Gender, Need, Party
from capacity.responsibility import Responsibility, responsible_centres
from capacity.search import (
    Area,
    CentreFacts,
    Group,
    HoldFacts,
    Point,
    Query,
    SearchIndex,
    UnitFacts,
    search,
)

NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
STALE = timedelta(hours=24)
OSLO = Point(59.91, 10.75)
# Approximate municipality points.
PLACES = {
    "oslo": (59.91, 10.75, "0301"),
    "drammen": (59.74, 10.20, "3301"),
    "hamar": (60.79, 11.07, "3403"),
    "bergen": (60.39, 5.32, "4601"),
    "bodo": (67.28, 14.40, "1804"),
    "tromso": (69.65, 18.96, "5501"),
}


def centre(key: str, **changes: object) -> CentreFacts:
    lat, lon, code = PLACES[key]
    facts = CentreFacts(
        id=key,
        name=f"{key.title()} krisesenter",
        country="NO",
        region="R",
        host_municipality=code,
        status="open",
        latitude=lat,
        longitude=lon,
        languages=("nb", "en"),
        serves=(code,),
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def unit(uid: int, centre_id: str, kind: str = "women", **changes: object) -> UnitFacts:
    facts = UnitFacts(
        id=uid,
        centre_id=centre_id,
        kind=kind,
        beds=10,
        rooms=8,
        family_rooms=2,
        accessible_rooms=1,
        children=True,
        children_max_age=17,
        free_beds=4,
        free_family_rooms=1,
        free_accessible_rooms=1,
        as_of=NOW - timedelta(minutes=20),
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def ids(outcome: object, group: Group | None = None) -> list[str]:
    return [
        r.centre.id
        for r in outcome.results  # type: ignore[attr-defined]
        if group is None or r.group is group
    ]


def run(index: SearchIndex, **query: object) -> object:
    query.setdefault("origin", OSLO)
    return search(index, Query(**query), NOW, STALE)  # type: ignore[arg-type]


def test_results_are_ordered_by_distance_within_the_available_group() -> None:
    index = SearchIndex(
        [centre("bergen"), centre("hamar"), centre("drammen")],
        [unit(1, "bergen"), unit(2, "hamar"), unit(3, "drammen")],
        [],
    )
    outcome = run(index)
    assert ids(outcome) == ["drammen", "hamar", "bergen"]
    distances = [r.distance_km for r in outcome.results]  # type: ignore[attr-defined]
    assert distances == sorted(distances)
    assert 30 < distances[0] < 45  # Oslo–Drammen is about 36 km


def test_groups_come_in_order_now_then_call_then_unavailable() -> None:
    index = SearchIndex(
        [centre("drammen"), centre("hamar"), centre("bergen"), centre("bodo")],
        [
            unit(1, "drammen", free_beds=0),  # full, nearest
            unit(2, "hamar", as_of=NOW - timedelta(hours=30)),  # stale
            unit(3, "bergen"),  # available, far
            unit(4, "bodo", as_of=None, free_beds=None),  # never reported
        ],
        [],
    )
    outcome = run(index)
    assert [(r.centre.id, r.group) for r in outcome.results] == [  # type: ignore[attr-defined]
        ("bergen", Group.NOW),
        ("hamar", Group.CALL),
        ("bodo", Group.CALL),
        ("drammen", Group.UNAVAILABLE),
    ]
    assert outcome.counts == {"now": 1, "call": 2, "unavailable": 1}  # type: ignore[attr-defined]


def test_stale_numbers_are_not_trusted_even_when_they_show_free_places() -> None:
    index = SearchIndex(
        [centre("drammen")], [unit(1, "drammen", as_of=NOW - STALE - timedelta(seconds=1))], []
    )
    (result,) = run(index).results  # type: ignore[attr-defined]
    assert result.group is Group.CALL and result.stale
    assert "stale" in [r.code for r in result.missing]


def test_numbers_exactly_at_the_threshold_are_still_fresh() -> None:
    index = SearchIndex([centre("drammen")], [unit(1, "drammen", as_of=NOW - STALE)], [])
    assert run(index).results[0].group is Group.NOW  # type: ignore[attr-defined]


def test_closed_centres_are_unavailable_with_the_reason() -> None:
    index = SearchIndex(
        [centre("drammen", status="closed"), centre("hamar", status="temporarily_closed")],
        [unit(1, "drammen"), unit(2, "hamar")],
        [],
    )
    results = run(index).results  # type: ignore[attr-defined]
    assert {r.group for r in results} == {Group.UNAVAILABLE}
    assert {r.missing[0].code for r in results} >= {"closed", "temporarily_closed"}


@pytest.mark.parametrize("need", list(Need))
def test_each_need_filters_out_units_without_it(need: Need) -> None:
    offers = frozenset(n for n in Need if n is not Need.WHEELCHAIR)
    index = SearchIndex(
        [centre("drammen"), centre("hamar")],
        [
            unit(1, "drammen", offers=frozenset(), accessible_rooms=0, free_accessible_rooms=0),
            unit(2, "hamar", offers=offers),
        ],
        [],
    )
    outcome = run(index, party=Party(needs=frozenset({need})))
    assert ids(outcome) == ["hamar"]
    assert any(
        r.code == "need_met" and r.values["need"] == need.value for r in outcome.results[0].fits
    )  # type: ignore[attr-defined]


def test_wheelchair_needs_a_free_accessible_room_not_just_one_on_paper() -> None:
    index = SearchIndex(
        [centre("drammen")], [unit(1, "drammen", accessible_rooms=1, free_accessible_rooms=0)], []
    )
    (result,) = run(index, party=Party(needs=frozenset({Need.WHEELCHAIR}))).results  # type: ignore[attr-defined]
    assert result.group is Group.UNAVAILABLE
    assert "no_accessible_room" in [r.code for r in result.missing]


def test_a_man_is_routed_to_mens_units_only() -> None:
    index = SearchIndex(
        [centre("drammen"), centre("hamar")],
        [unit(1, "drammen", "women"), unit(2, "hamar", "women"), unit(3, "hamar", "men")],
        [],
    )
    outcome = run(index, party=Party(gender=Gender.MAN))
    assert [(r.centre.id, r.unit.kind) for r in outcome.results] == [("hamar", "men")]  # type: ignore[attr-defined]


def test_a_woman_is_not_placed_in_a_mens_unit() -> None:
    index = SearchIndex([centre("drammen")], [unit(1, "drammen", "men")], [])
    assert run(index, party=Party(gender=Gender.WOMAN)).results == ()  # type: ignore[attr-defined]


def test_other_gender_can_use_either_unit_and_gets_the_best_one() -> None:
    index = SearchIndex(
        [centre("drammen")],
        [unit(1, "drammen", "women", free_beds=0), unit(2, "drammen", "men", free_beds=2)],
        [],
    )
    (result,) = run(index, party=Party(gender=Gender.OTHER)).results  # type: ignore[attr-defined]
    assert result.unit.kind == "men" and result.group is Group.NOW


def test_children_need_a_unit_that_takes_children_and_a_free_family_room() -> None:
    index = SearchIndex(
        [centre("drammen"), centre("hamar"), centre("bergen")],
        [
            unit(1, "drammen", children=False),
            unit(2, "hamar", free_family_rooms=0),
            unit(3, "bergen"),
        ],
        [],
    )
    outcome = run(index, party=Party(children=(Child(4), Child(9))))
    assert ids(outcome, Group.NOW) == ["bergen"]
    assert ids(outcome, Group.UNAVAILABLE) == ["hamar"]
    hamar = outcome.results[1]  # type: ignore[attr-defined]
    assert "no_family_room" in [r.code for r in hamar.missing]


def test_three_children_need_four_places() -> None:
    index = SearchIndex([centre("drammen")], [unit(1, "drammen", free_beds=3)], [])
    (result,) = run(index, party=Party(children=(Child(2), Child(5), Child(8)))).results  # type: ignore[attr-defined]
    assert result.group is Group.UNAVAILABLE
    assert any(
        r.code == "not_enough_places" and r.values == {"free": 3, "needed": 4}
        for r in result.missing
    )


def test_childrens_age_limit_is_a_hard_filter() -> None:
    index = SearchIndex(
        [centre("drammen"), centre("hamar")],
        [unit(1, "drammen", children_max_age=12), unit(2, "hamar", children_max_age=17)],
        [],
    )
    assert ids(run(index, party=Party(children=(Child(13),)))) == ["hamar"]
    assert ids(run(index, party=Party(children=(Child(12),)))) == ["drammen", "hamar"]


def test_a_boy_over_the_boys_limit_is_filtered_but_a_girl_is_not() -> None:
    index = SearchIndex([centre("drammen")], [unit(1, "drammen", boys_max_age=12)], [])
    assert ids(run(index, party=Party(children=(Child(14, "boy"),)))) == []
    assert ids(run(index, party=Party(children=(Child(14, "girl"),)))) == ["drammen"]


def test_a_child_of_unknown_sex_over_the_boys_limit_gets_a_caveat_not_a_refusal() -> None:
    index = SearchIndex([centre("drammen")], [unit(1, "drammen", boys_max_age=12)], [])
    (result,) = run(index, party=Party(children=(Child(14),))).results  # type: ignore[attr-defined]
    assert result.group is Group.NOW
    assert any(r.code == "boys_limit" and r.values["age"] == 12 for r in result.missing)


def test_active_holds_reduce_free_places_for_new_people() -> None:
    index = SearchIndex(
        [centre("drammen")],
        [unit(1, "drammen", free_beds=2)],
        [
            HoldFacts(
                1, places=2, family_rooms=0, accessible_rooms=0, expires_at=NOW + timedelta(hours=1)
            )
        ],
    )
    (result,) = run(index).results  # type: ignore[attr-defined]
    assert result.free_places == 0 and result.held_places == 2
    assert result.group is Group.UNAVAILABLE


def test_expired_holds_no_longer_count() -> None:
    index = SearchIndex(
        [centre("drammen")],
        [unit(1, "drammen", free_beds=2)],
        [
            HoldFacts(
                1,
                places=2,
                family_rooms=0,
                accessible_rooms=0,
                expires_at=NOW - timedelta(seconds=1),
            )
        ],
    )
    (result,) = run(index).results  # type: ignore[attr-defined]
    assert result.free_places == 2 and result.group is Group.NOW


def test_a_held_family_room_is_not_free_for_another_family() -> None:
    index = SearchIndex(
        [centre("drammen")],
        [unit(1, "drammen", free_beds=6, free_family_rooms=1)],
        [
            HoldFacts(
                1, places=2, family_rooms=1, accessible_rooms=0, expires_at=NOW + timedelta(hours=1)
            )
        ],
    )
    (result,) = run(index, party=Party(children=(Child(3),))).results  # type: ignore[attr-defined]
    assert result.group is Group.UNAVAILABLE
    assert "no_family_room" in [r.code for r in result.missing]


def test_away_from_excludes_centres_too_close_to_that_place() -> None:
    index = SearchIndex(
        [centre("oslo"), centre("drammen"), centre("bergen")],
        [unit(1, "oslo"), unit(2, "drammen"), unit(3, "bergen")],
        [],
    )
    outcome = run(index, away_from=OSLO, min_km=100)
    assert ids(outcome) == ["bergen"]


def test_away_from_boundary_uses_the_geodesic_distance() -> None:
    index = SearchIndex(
        [centre("oslo"), centre("drammen")], [unit(1, "oslo"), unit(2, "drammen")], []
    )
    exact = run(index).results[1].distance_km  # type: ignore[attr-defined]
    assert ids(run(index, away_from=OSLO, min_km=exact - 0.2)) == ["drammen"]
    assert ids(run(index, away_from=OSLO, min_km=exact + 0.2)) == []


def test_max_km_leaves_out_far_centres() -> None:
    index = SearchIndex(
        [centre("drammen"), centre("bergen")], [unit(1, "drammen"), unit(2, "bergen")], []
    )
    assert ids(run(index, max_km=100)) == ["drammen"]


def test_the_responsible_centre_is_flagged_and_shown_even_when_far_and_unfitting() -> None:
    index = SearchIndex(
        [centre("drammen"), centre("bodo")],
        [unit(1, "drammen"), unit(2, "bodo", offers=frozenset())],
        [],
    )
    outcome = run(
        index,
        municipality=Area("NO", "1804", "Bodø"),
        party=Party(needs=frozenset({Need.PETS})),
        max_km=50,
    )
    (result,) = outcome.results  # type: ignore[attr-defined]
    assert result.centre.id == "bodo" and result.responsible and not result.fits_needs
    assert result.group is Group.UNAVAILABLE
    assert any(r.code == "need_missing" for r in result.missing)
    assert outcome.responsible_ids == ("bodo",)  # type: ignore[attr-defined]


def test_the_responsible_centre_in_the_results_is_flagged_not_duplicated() -> None:
    index = SearchIndex(
        [centre("oslo"), centre("drammen")], [unit(1, "oslo"), unit(2, "drammen")], []
    )
    outcome = run(index, municipality=Area("NO", "0301", "Oslo"))
    assert ids(outcome) == ["oslo", "drammen"]
    assert [r.responsible for r in outcome.results] == [True, False]  # type: ignore[attr-defined]
    assert any(
        r.code == "responsible" and r.values["municipality"] == "Oslo"
        for r in outcome.results[0].fits
    )  # type: ignore[attr-defined]


def test_the_responsible_centre_respects_away_from() -> None:
    index = SearchIndex(
        [centre("oslo"), centre("bergen")], [unit(1, "oslo"), unit(2, "bergen")], []
    )
    outcome = run(index, municipality=Area("NO", "0301", "Oslo"), away_from=OSLO, min_km=50)
    assert ids(outcome) == ["bergen"]
    assert outcome.responsible_excluded == ("oslo",)  # type: ignore[attr-defined]


def test_limit_caps_results_but_counts_cover_every_match() -> None:
    keys = list(PLACES)
    index = SearchIndex([centre(k) for k in keys], [unit(i, k) for i, k in enumerate(keys)], [])
    outcome = run(index, limit=2)
    assert len(outcome.results) == 2  # type: ignore[attr-defined]
    assert outcome.counts["now"] == len(keys)  # type: ignore[attr-defined]


def test_one_result_per_centre() -> None:
    index = SearchIndex(
        [centre("drammen")], [unit(1, "drammen", "women"), unit(2, "drammen", "men")], []
    )
    assert len(run(index, party=Party(gender=Gender.OTHER)).results) == 1  # type: ignore[attr-defined]


def test_language_is_reported_not_filtered() -> None:
    index = SearchIndex(
        [centre("drammen", languages=("nb", "ar")), centre("hamar", interpreter=True)],
        [unit(1, "drammen"), unit(2, "hamar")],
        [],
    )
    drammen, hamar = run(index, language="ar").results  # type: ignore[attr-defined]
    assert "language_spoken" in [r.code for r in drammen.fits]
    assert "language_interpreter" in [r.code for r in hamar.missing]


def test_demo_numbers_say_so() -> None:
    index = SearchIndex([centre("drammen")], [unit(1, "drammen", demo=True)], [])
    (result,) = run(index).results  # type: ignore[attr-defined]
    assert "demo" in [r.code for r in result.missing]


def test_empty_registry_gives_no_results_not_an_error() -> None:
    outcome = run(SearchIndex([], [], []))
    assert outcome.results == () and outcome.counts == {"now": 0, "call": 0, "unavailable": 0}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "changes",
    [
        {"min_km": -1.0, "away_from": OSLO},
        {"max_km": 1e9},
        {"min_km": 10.0},
        {"limit": 0},
        {"limit": 10_000},
    ],
)
def test_bad_queries_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        Query(origin=OSLO, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("lat,lon", [(91, 0), (-91, 0), (0, 181), (0, -180.5)])
def test_out_of_range_coordinates_are_refused(lat: float, lon: float) -> None:
    with pytest.raises(InvalidInput):
        Point(lat, lon)


# -- the responsible centre ------------------------------------------------------------------


def place(code: str, lat: float, lon: float) -> Place:
    return Place(code, "municipality", "NO", code, code, "C", lat, lon)


def test_a_sourced_served_municipality_is_confirmed() -> None:
    found = responsible_centres([centre("bodo"), centre("tromso")], [place("1804", 67.28, 14.4)])
    assert found[("NO", "1804")] == Responsibility((0,), True)


def test_elsewhere_the_nearest_open_centre_in_the_county_is_likely_not_confirmed() -> None:
    centres = [
        centre("oslo"),  # nearer to Kongsberg, but in another county
        centre("drammen"),
        replace(centre("hamar"), id="closed-buskerud", host_municipality="3305", status="closed"),
    ]
    kongsberg = place("3303", 59.67, 9.65)
    assert responsible_centres(centres, [kongsberg])[("NO", "3303")] == Responsibility((1,), False)


def test_a_closed_centre_is_never_responsible_even_where_it_is_sourced() -> None:
    centres = [centre("drammen", status="closed"), centre("oslo")]
    found = responsible_centres(centres, [place("3301", 59.74, 10.2)])
    assert found[("NO", "3301")] == Responsibility((1,), False)  # no open centre in Buskerud


def test_a_temporarily_closed_sourced_centre_stays_responsible() -> None:
    found = responsible_centres([centre("bodo", status="temporarily_closed")], [])
    assert found[("NO", "1804")] == Responsibility((0,), True)


def test_svalbard_is_counted_with_troms_not_the_nearer_finnmark() -> None:
    hammerfest = replace(centre("tromso"), id="hammerfest", host_municipality="5603",
                         latitude=70.66, longitude=23.68)  # fmt: skip
    found = responsible_centres([hammerfest, centre("tromso")], [place("2111", 78.22, 15.65)])
    assert found[("NO", "2111")] == Responsibility((1,), False)


def test_search_flags_a_likely_responsible_centre_as_not_confirmed() -> None:
    index = SearchIndex(
        [centre("bodo"), centre("oslo")],
        [unit(1, "bodo"), unit(2, "oslo")],
        [],
        areas=[place("1841", 67.26, 15.39), place("1804", 67.28, 14.4)],
    )
    fauske = Query(Point(67.26, 15.39), municipality=Area("NO", "1841", "Fauske"))
    outcome = search(index, fauske, NOW, STALE)
    flagged = [(r.centre.id, r.responsible_confirmed) for r in outcome.results if r.responsible]
    assert flagged == [("bodo", False)] and not outcome.responsible_confirmed
    bodo = Query(Point(67.28, 14.4), municipality=Area("NO", "1804", "Bodø"))
    assert all(r.responsible_confirmed for r in search(index, bodo, NOW, STALE).results)
