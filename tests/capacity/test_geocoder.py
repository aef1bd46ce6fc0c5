"""The offline gazetteer and geocoder against the shipped data file (capacity/data)."""

from __future__ import annotations

import math
import random
from functools import cache

import pytest
from geopy.exc import GeocoderServiceError
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from capacity.errors import AmbiguousPlace, InvalidInput, PlaceNotFound
from capacity.gazetteer import name_key
from capacity.geocoder import Gazetteer, Lookup, OfflineGeocoder, Place

COUNTIES_2024 = {
    "03": "Oslo", "11": "Rogaland", "15": "Møre og Romsdal", "18": "Nordland", "31": "Østfold",
    "32": "Akershus", "33": "Buskerud", "34": "Innlandet", "39": "Vestfold", "40": "Telemark",
    "42": "Agder", "46": "Vestland", "50": "Trøndelag", "55": "Troms", "56": "Finnmark",
}  # fmt: skip
# Mainland Norway with its coastal islands (Svalbard and Jan Mayen are not municipalities).
SOUTH, NORTH, WEST, EAST = 57.9, 71.3, 4.4, 31.2


@cache
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def codes(found: Lookup) -> list[str]:
    return [place.municipality_code for place in found.places]


# -- the data --------------------------------------------------------------------------------


def test_there_are_357_municipalities_with_unique_current_numbers() -> None:
    places = gazetteer().municipalities()
    numbers = [place.municipality_code for place in places]
    assert len(places) == 357
    assert len(set(numbers)) == 357
    assert all(len(code) == 4 and code.isdigit() for code in numbers)
    assert all(place.kind == "municipality" and place.country == "NO" for place in places)


def test_municipalities_belong_to_the_2024_counties() -> None:
    places = gazetteer().municipalities()
    assert {place.county for place in places} == set(COUNTIES_2024.values())
    for place in places:
        assert COUNTIES_2024[place.municipality_code[:2]] == place.county


@pytest.mark.parametrize(
    ("code", "name", "county"),
    [
        ("5501", "Tromsø", "Troms"),
        ("5612", "Kautokeino", "Finnmark"),
        ("5610", "Karasjok", "Finnmark"),
        ("1508", "Ålesund", "Møre og Romsdal"),
        ("1580", "Haram", "Møre og Romsdal"),
        ("3101", "Halden", "Østfold"),
        ("3234", "Lunner", "Akershus"),
        ("3301", "Drammen", "Buskerud"),
        ("3911", "Færder", "Vestfold"),
        ("4026", "Tinn", "Telemark"),
        ("5636", "Nesseby", "Finnmark"),
        ("1804", "Bodø", "Nordland"),
    ],
)
def test_current_numbers_carry_the_norwegian_name_and_county(
    code: str, name: str, county: str
) -> None:
    place = gazetteer().municipality(code)
    assert place is not None
    assert (place.name, place.municipality, place.county) == (name, name, county)


@pytest.mark.parametrize("old", ["5401", "5430", "3001", "3803", "1507", "5444"])
def test_numbers_replaced_in_2024_are_not_municipalities(old: str) -> None:
    assert gazetteer().municipality(old) is None


def test_municipality_of_another_country_is_none() -> None:
    assert gazetteer().municipality("1804", country="SE") is None
    assert gazetteer().municipalities("SE") == []


def test_municipalities_are_sorted_in_norwegian_order() -> None:
    names = [place.name for place in gazetteer().municipalities()]
    assert names[0] == "Alstahaug"
    assert names[-1] == "Åsnes"
    assert names.index("Øygarden") < names.index("Åfjord")
    assert names.index("Vågå") < names.index("Ørland")


def test_every_postcode_maps_to_a_municipality_in_the_list() -> None:
    data = gazetteer()
    municipalities = {place.municipality_code for place in data.areas()}
    postcodes = data.places("postcode")
    assert len(postcodes) > 3000
    for place in postcodes:
        assert place.postcode is not None and len(place.postcode) == 4
        assert place.name.startswith(f"{place.postcode} ")
        assert place.municipality_code in municipalities


def test_no_place_lies_outside_norway() -> None:
    data = gazetteer()
    for place in data.places():
        if place.municipality_code == "2111":  # Svalbard
            assert 74.0 <= place.latitude <= 81.0 and 10.0 <= place.longitude <= 34.0, place
            continue
        assert SOUTH <= place.latitude <= NORTH, place
        assert WEST <= place.longitude <= EAST, place


def test_header_records_sources_licences_and_counts() -> None:
    header = gazetteer().header
    assert header["build_date"] >= "2026-01-01"
    licences = {source["licence"].split(" ")[0] for source in header["sources"]}
    assert {"NLOD", "CC", "MIT"} <= licences
    assert all(source["attribution"] for source in header["sources"])
    assert header["counts"]["municipalities"] == 357
    postcodes = {place.postcode for place in gazetteer().places("postcode")}
    assert header["counts"]["postcodes"] == len(postcodes)
    assert header["counts"]["towns"] == len(gazetteer().places("town"))


# -- names -----------------------------------------------------------------------------------


def test_every_municipality_resolves_from_its_own_name() -> None:
    data = gazetteer()
    for place in data.municipalities():
        found = data.lookup(place.name)
        if found.status == "found":
            assert codes(found) == [place.municipality_code], place
            continue
        # Only a name another place shares may be ambiguous; the county settles it.
        assert found.status == "ambiguous", place
        assert place.municipality_code in codes(found)
        assert all(name_key(other.name) == name_key(place.name) for other in found.places)
        qualified = data.resolve(f"{place.name} ({place.county})")
        assert qualified.municipality_code == place.municipality_code
        assert qualified.kind == "municipality"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("tromso", "5501"),
        ("tromsoe", "5501"),
        ("TROMSØ", "5501"),
        ("bodo", "1804"),
        ("Bodoe", "1804"),
        ("mosjoen", "1824"),
        ("mosjøen", "1824"),
        ("Brønøysund", "1813"),
        ("bronnoysund", "1813"),
        ("Bronnoysund", "1813"),
        ("aalesund", "1508"),
        ("Alesund", "1508"),
        ("faerder", "3911"),
        ("sor-varanger", "5605"),
        ("Sør Varanger", "5605"),
        ("mo i rana", "1833"),
        ("  Bodø  ", "1804"),
    ],
)
def test_case_and_diacritics_are_optional(query: str, code: str) -> None:
    assert gazetteer().resolve(query).municipality_code == code


@pytest.mark.parametrize(
    ("query", "code", "municipality"),
    [
        ("Guovdageaidnu", "5612", "Kautokeino"),
        ("guovdageaidnu", "5612", "Kautokeino"),
        ("Kárášjohka", "5610", "Karasjok"),
        ("karasjohka", "5610", "Karasjok"),
        ("Romsa", "5501", "Tromsø"),
        ("Snåase", "5041", "Snåsa"),
        ("Deatnu", "5628", "Tana"),
        ("Unjárga", "5636", "Nesseby"),
        ("Porsáŋgu", "5622", "Porsanger"),
        ("Porsangu", "5622", "Porsanger"),
        ("Porsanki", "5622", "Porsanger"),
        ("Gáivuotna", "5540", "Kåfjord"),
        ("Loabák", "5518", "Lavangen"),
        ("Hábmer", "1875", "Hamarøy"),
        ("Evenášši", "1853", "Evenes"),
        ("Evenássi", "1853", "Evenes"),
        ("Raarvihke", "5043", "Røyrvik"),
        ("Aarborte", "1826", "Hattfjelldal"),
        ("Rosse", "5025", "Røros"),
        ("Omasvuotna", "5538", "Storfjord"),
        ("Tråante", "5001", "Trondheim"),
    ],
)
def test_sami_and_kven_names_find_the_municipality(
    query: str, code: str, municipality: str
) -> None:
    place = gazetteer().resolve(query)
    assert (place.municipality_code, place.municipality) == (code, municipality)
    assert place.kind == "municipality"


def test_a_parallel_name_is_shown_as_written() -> None:
    place = gazetteer().resolve("guovdageaidnu")
    assert place.name == "Guovdageaidnu"
    assert place.municipality == "Kautokeino"


def test_municipality_and_its_town_of_the_same_name_are_one_answer() -> None:
    found = gazetteer().lookup("Bodø")
    assert found.status == "found"
    assert found.places[0].kind == "municipality"
    assert found.places[0].municipality_code == "1804"


@pytest.mark.parametrize(
    ("query", "kind", "code"),
    [
        ("Mosjøen", "town", "1824"),
        ("Kirkenes", "town", "5605"),
        ("Havøysund", "town", "5618"),
        ("Oppegård", "town", "3207"),
        ("Nøtterøy", "town", "3911"),
        ("Drontheim", "town", "5001"),
    ],
)
def test_towns_and_former_municipalities_resolve_to_todays_municipality(
    query: str, kind: str, code: str
) -> None:
    place = gazetteer().resolve(query)
    assert (place.kind, place.municipality_code) == (kind, code)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Os", {"3430", "4624"}),
        ("Nes", {"3228", "3322"}),
        ("Våler", {"3114", "3419"}),
        ("Herøy", {"1515", "1818"}),
        ("Sande", {"1514", "3903", "4647"}),
    ],
)
def test_names_several_places_share_are_ambiguous(query: str, expected: set[str]) -> None:
    found = gazetteer().lookup(query)
    assert found.status == "ambiguous"
    assert set(codes(found)) == expected
    assert found.places[0].kind == "municipality"  # a municipality ranks before a town


@pytest.mark.parametrize(("query", "code"), [("Lund", "1112"), ("Strømmen", "3205")])
def test_a_variant_spelling_of_another_place_does_not_make_a_name_ambiguous(
    query: str, code: str
) -> None:
    # GeoNames lists "Lund" for Lundamo and "Strömmen" for Straumen as other spellings.
    assert gazetteer().resolve(query).municipality_code == code


def test_mo_means_mo_i_rana_first() -> None:
    found = gazetteer().lookup("Mo")
    assert found.status == "ambiguous"
    assert codes(found) == ["1833", "4629"]  # Mo i Rana, then Mo in Modalen


def test_resolve_raises_ambiguous_place_with_the_candidates() -> None:
    with pytest.raises(AmbiguousPlace) as raised:
        gazetteer().resolve("Herøy")
    candidates = raised.value.candidates
    assert {place.municipality_code for place in candidates} == {"1515", "1818"}
    assert all(isinstance(place, Place) for place in candidates)


def test_limit_caps_the_candidates() -> None:
    assert len(gazetteer().lookup("Sande", limit=2).places) == 2
    with pytest.raises(InvalidInput):
        gazetteer().lookup("Sande", limit=0)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Bodø kommune", "1804"),
        ("Kautokeino kommune", "5612"),
        ("Guovdageaidnu suohkan", "5612"),
        ("Bodø, Nordland", "1804"),
        ("Bodø, Norge", "1804"),
        ("Bodø sentrum", "1804"),
        ("Os (Vestland)", "4624"),
        ("Os, Innlandet", "3430"),
        ("Os, Hordaland", "4624"),
        ("Os i Østerdalen", "3430"),
        ("Herøy (Nordland)", "1818"),
        ("Herøy, Møre og Romsdal", "1515"),
        ("Våler i Østfold", "3114"),
        ("Våler (Innlandet)", "3419"),
        ("Sande, Holmestrand", "3903"),
        ("Tromsø kommune, Troms", "5501"),
    ],
)
def test_qualifiers_and_suffixes_narrow_the_answer(query: str, code: str) -> None:
    assert gazetteer().resolve(query).municipality_code == code


def test_a_qualifier_that_contradicts_the_name_finds_nothing() -> None:
    assert gazetteer().lookup("Bodø, Vestland").status == "not_found"


# -- postcodes -------------------------------------------------------------------------------


def test_every_postcode_of_the_register_answers() -> None:
    data = gazetteer()
    assert len(data.register) == data.header["counts"]["postcodes_in_source"] == 5132
    exact = approximate = 0
    for postcode in data.register:
        found = data.lookup(postcode)
        assert found.status in ("found", "ambiguous"), postcode
        assert all(place.postcode == postcode for place in found.places)
        if found.places[0].approximate:
            approximate += 1
        else:
            exact += 1
    assert exact > 3300 and exact + approximate == 5132


def test_a_postcode_between_two_municipalities_names_both_and_a_name_picks_one() -> None:
    data = gazetteer()
    between = [p for p in data.register if data.lookup(p).status == "ambiguous"]
    assert between
    places = data.lookup(between[0]).places
    assert len({place.municipality_code for place in places}) == 2
    assert all(place.approximate for place in places)
    chosen = data.resolve(f"{between[0]} {places[1].municipality}")
    assert chosen.municipality_code == places[1].municipality_code


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("5147", "4601"),
        ("Fyllingsdalen", "4601"),
        ("5259", "4601"),
        ("Laksevåg", "4601"),
        ("Åsane", "4601"),
        ("Arna", "4601"),
        ("Ytrebygda", "4601"),
        ("7089", "5001"),
        ("Heimdal", "5001"),
        ("7091", "5001"),
        ("Tiller", "5001"),
        ("Byåsen", "5001"),
        ("Moholt", "5001"),
        ("9020", "5501"),
        ("Tromsdalen", "5501"),
        ("Kvaløysletta", "5501"),
        ("Grünerløkka", "0301"),
        ("Grorud", "0301"),
        ("Stovner", "0301"),
        ("Søndre Nordstrand", "0301"),
        ("Madla", "1103"),
        ("Ganddal", "1108"),
    ],
)
def test_city_districts_and_their_postcodes_answer_in_their_municipality(
    query: str, code: str
) -> None:
    place = gazetteer().resolve(query)
    assert place.municipality_code == code


def test_a_district_without_a_point_of_its_own_is_marked_approximate() -> None:
    place = gazetteer().resolve("Fyllingsdalen")
    bergen = gazetteer().municipality("4601")
    assert bergen is not None and not bergen.approximate
    assert place.approximate
    assert (place.latitude, place.longitude) == (bergen.latitude, bergen.longitude)
    assert not gazetteer().resolve("Nesttun").approximate  # a GeoNames place


@pytest.mark.parametrize(
    "query",
    ["Longyearbyen", "9170", "9171", "9173", "9178", "Ny-Ålesund", "Barentsburg", "Svalbard"],
)
def test_svalbard_and_its_postcodes_are_places(query: str) -> None:
    place = gazetteer().resolve(query)
    assert (place.municipality_code, place.municipality, place.county) == (
        "2111",
        "Svalbard",
        "Svalbard",
    )
    assert place.latitude > 74


def test_svalbard_is_an_area_not_a_municipality() -> None:
    data = gazetteer()
    assert data.municipality("2111") is not None
    assert "2111" not in {place.municipality_code for place in data.municipalities()}
    assert "2111" in {place.municipality_code for place in data.areas()}
    assert data.nearest(78.22, 15.65).municipality_code == "2111"


@pytest.mark.parametrize(
    ("query", "postcode", "code"),
    [
        ("8006", "8006", "1804"),
        ("0150", "0150", "0301"),
        ("8006 Bodø", "8006", "1804"),
        ("Bodø 8006", "8006", "1804"),
        ("NO-9520", "9520", "5612"),
        ("9730", "9730", "5610"),
        ("2000", "2000", "3205"),
    ],
)
def test_postcodes_resolve_to_the_postcode_place(query: str, postcode: str, code: str) -> None:
    place = gazetteer().resolve(query)
    assert (place.kind, place.postcode, place.municipality_code) == ("postcode", postcode, code)


def test_a_municipality_number_is_read_as_a_postcode() -> None:
    place = gazetteer().resolve("1804")  # Bodø's number, but 1804 is Spydeberg's postcode
    assert place.kind == "postcode"
    assert place.municipality_code == "3118"


@pytest.mark.parametrize("query", ["9999", "0000", "123", "12345"])
def test_unknown_postcodes_and_other_numbers_are_not_found(query: str) -> None:
    assert gazetteer().lookup(query).status == "not_found"


def test_an_unknown_postcode_with_a_name_falls_back_to_the_name() -> None:
    assert gazetteer().resolve("9999 Bodø").municipality_code == "1804"


# -- typos and nonsense ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Trondhiem", "5001"),
        ("Kristiansnad", "4204"),
        ("Stavnager", "1103"),
        ("Lillehamer", "3405"),
        ("Fredrikstadt", "3107"),
        ("Hammerfets", "5603"),
        ("Guovdagaidnu", "5612"),
    ],
)
def test_small_typos_find_the_clearly_best_place(query: str, code: str) -> None:
    assert gazetteer().resolve(query).municipality_code == code


def test_a_typo_equally_close_to_two_places_is_ambiguous() -> None:
    found = gazetteer().lookup("Kristiansxnd")
    assert found.status == "ambiguous"
    assert set(codes(found)) == {"4204", "1505"}


@pytest.mark.parametrize(
    "query",
    [
        "xyzzy",
        "asdfgh",
        "qwertyuiop",
        "'; DROP TABLE centres; --",
        "Robert'); DROP TABLE students;--",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "{{7*7}}",
        "${jndi:ldap://x}",
        "😀",
        "🏠🏠🏠",
        "…",
        "Москва",
        "北京",
        "Stockholm",
        "ok",
        "ja",
        "nei",
        "Hamxx",  # two edits from Hamar: too many for a five-letter name
        "Tromxx",  # two edits from Tromsø: too many for a six-letter name
    ],
)
def test_nonsense_is_not_found_never_a_random_place(query: str) -> None:
    found = gazetteer().lookup(query)
    assert found.status == "not_found"
    assert found.places == ()
    with pytest.raises(PlaceNotFound):
        gazetteer().resolve(query)


@pytest.mark.parametrize(
    "query",
    ["", "   ", "\t\n", "x" * 201, "Bodø" * 2500, "Bodø\x00", "\x1b[31mBodø", "Bo\x07dø"],
)
def test_empty_oversized_and_control_character_queries_are_invalid(query: str) -> None:
    with pytest.raises(InvalidInput):
        gazetteer().lookup(query)
    with pytest.raises(InvalidInput):
        gazetteer().resolve(query)


@pytest.mark.parametrize("query", [None, 8006, b"Bodo", ["Bodø"]])
def test_a_query_that_is_not_text_is_invalid(query: object) -> None:
    with pytest.raises(InvalidInput):
        gazetteer().lookup(query)  # type: ignore[arg-type]


def test_random_input_never_raises_anything_but_invalid_input() -> None:
    rng = random.Random(20261122)
    alphabet = "abcæøåÅÆØáčđŋšŧž -,().'\"<>;%_*0123456789\u200b\u00ad\ufeff😀Ωπ\\/"
    for _ in range(2000):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        try:
            found = gazetteer().lookup(query)
        except InvalidInput:
            continue
        assert found.status in {"found", "ambiguous", "not_found"}
        assert (found.status == "found") == (len(found.places) == 1)


# -- positions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latitude", "longitude", "code"),
    [(67.28, 14.40, "1804"), (69.65, 18.96, "5501"), (59.91, 10.75, "0301"), (69.0, 23.04, "5612")],
)
def test_nearest_place_to_a_position(latitude: float, longitude: float, code: str) -> None:
    place = gazetteer().nearest(latitude, longitude)
    assert place.municipality_code == code
    assert place.kind in {"municipality", "town"}


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (91.0, 10.0),
        (-91.0, 10.0),
        (60.0, 181.0),
        (60.0, -180.5),
        (math.nan, 10.0),
        (60.0, math.inf),
    ],
)
def test_nearest_rejects_coordinates_out_of_range(latitude: float, longitude: float) -> None:
    with pytest.raises(InvalidInput):
        gazetteer().nearest(latitude, longitude)


def test_nearest_far_from_norway_is_not_found() -> None:
    with pytest.raises(PlaceNotFound):
        gazetteer().nearest(-33.87, 151.21)


# -- geopy -----------------------------------------------------------------------------------


def test_offline_geocoder_is_a_geopy_geocoder_that_never_goes_online() -> None:
    geocoder = OfflineGeocoder(gazetteer())
    assert isinstance(geocoder, Geocoder)
    with pytest.raises(GeocoderServiceError):
        geocoder.adapter.get_json("https://nominatim.openstreetmap.org/", timeout=1, headers={})


def test_geocode_returns_a_location_with_the_place_as_raw() -> None:
    location = OfflineGeocoder(gazetteer()).geocode("8006")
    assert isinstance(location, Location)
    assert location.raw["postcode"] == "8006"
    assert location.raw["municipality_code"] == "1804"
    assert (location.latitude, location.longitude) == (
        location.raw["latitude"],
        location.raw["longitude"],
    )
    assert "Nordland" in location.address


def test_geocode_follows_geopy_conventions_for_misses_and_ambiguity() -> None:
    geocoder = OfflineGeocoder(gazetteer())
    assert geocoder.geocode("xyzzy") is None
    assert geocoder.geocode("xyzzy", exactly_one=False) is None
    best = geocoder.geocode("Herøy")
    assert isinstance(best, Location)
    every = geocoder.geocode("Sande", exactly_one=False, limit=2)
    assert isinstance(every, list) and len(every) == 2
    ranked = geocoder.geocode("Herøy", exactly_one=False)
    assert isinstance(ranked, list)
    assert best.raw == ranked[0].raw


def test_reverse_finds_the_nearest_place() -> None:
    geocoder = OfflineGeocoder(gazetteer())
    location = geocoder.reverse("67.28, 14.40")
    assert isinstance(location, Location)
    assert location.raw["municipality_code"] == "1804"
    nearby = geocoder.reverse((69.65, 18.96), exactly_one=False)
    assert isinstance(nearby, list)
    assert [location.raw["municipality"] for location in nearby] == ["Tromsø"]
    assert geocoder.reverse((-33.87, 151.21)) is None
    with pytest.raises(InvalidInput):
        geocoder.reverse("not a position")


# -- the key ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Tromsø", "tromsoe"),
        ("Ålesund", "aalesund"),
        ("Færder", "faerder"),
        ("Kárášjohka", "KARASJOHKA"),
        ("Porsáŋgu", "porsangu"),
        ("Sør-Varanger", "sor varanger"),
        ("Bodø\u200b", "bodo"),
    ],
)
def test_name_key_folds_what_people_leave_out(left: str, right: str) -> None:
    assert name_key(left) == name_key(right)


def test_name_key_of_symbols_only_is_empty() -> None:
    assert name_key("😀 -- !!") == ""
