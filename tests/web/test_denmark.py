"""Denmark: its municipalities and towns in the gazetteer, its centres in the demo registry,
its helplines, and results that say which country a centre is in."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.testclient import TestClient

from capacity import demo, registry
from capacity.db import session_factory
from capacity.gazetteer import DATA_FILE
from capacity.geocoder import Gazetteer
from capacity.helplines import helplines
from capacity.models import utcnow
from capacity.responsibility import responsible_centres
from capacity.search import CROSS_BORDER_KM, Area, CentreFacts, Point, Query, search
from tests.helpers import soup
from web.app import create_app
from web.config import Settings

# -- gazetteer -------------------------------------------------------------------------------


def test_denmark_has_its_98_municipalities_in_5_regions(gazetteer: Gazetteer) -> None:
    places = gazetteer.municipalities("DK")
    assert len(places) == 98
    assert all(len(p.municipality_code) == 3 and p.country == "DK" for p in places)
    assert {p.county for p in places} == {
        "Region Nordjylland", "Region Midtjylland", "Region Syddanmark",
        "Region Hovedstaden", "Region Sjælland",
    }  # fmt: skip
    assert gazetteer.municipality("101", "DK").name == "København"  # type: ignore[union-attr]
    assert gazetteer.municipality("860", "DK").name == "Hjørring"  # type: ignore[union-attr]
    assert gazetteer.municipality("411", "DK") is None  # Christiansø: not a municipality
    assert gazetteer.municipality("101") is None  # a Danish code is not a Norwegian number


def test_norways_part_of_the_file_is_what_it_was() -> None:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert len(data["municipalities"]) == 357
    assert data["header"]["counts"]["towns"] == len(data["towns"])
    assert all("country" not in row for row in data["municipalities"])
    denmark = data["countries"]["DK"]
    assert denmark["counts"]["municipalities"] == len(denmark["municipalities"]) == 98
    assert denmark["postcodes"] == []  # no open Danish postcode list was found (GAZETTEER.md)
    licences = {source["publisher"] for source in data["header"]["sources"]}
    assert "Statistics Denmark (Danmarks Statistik)" in licences


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Aalborg", "851"),
        ("Ålborg", "851"),
        ("Odense", "461"),
        ("København", "101"),
        ("Kobenhavn", "101"),
        ("Copenhagen", "101"),
        ("Aarhus", "751"),
        ("Århus", "751"),
        ("Aalborg, Danmark", "851"),
        ("Odense Denmark", "461"),
        ("Odense (Fyn)", "461"),
        ("5000 Odense", "461"),  # a Danish postcode: the post town decides
        ("DK-9000 Aalborg", "851"),
        ("Varde", "573"),  # Danish municipality beats Norwegian "Vardø"'s variant spelling
    ],
)
def test_danish_places_resolve_to_danish_municipalities(
    gazetteer: Gazetteer, query: str, code: str
) -> None:
    place = gazetteer.resolve(query)
    assert (place.country, place.municipality_code) == ("DK", code)


def test_a_name_in_both_countries_prefers_the_sites_country_unless_the_query_names_one(
    gazetteer: Gazetteer,
) -> None:
    assert gazetteer.resolve("Borre").country == "NO"
    assert gazetteer.resolve("Borre, Danmark").country == "DK"
    assert gazetteer.resolve("Charlottenlund Danmark").municipality_code == "157"
    assert gazetteer.resolve("Lund").municipality_code == "1112"
    assert gazetteer.lookup("Lund, Danmark").status == "not_found"
    assert gazetteer.resolve("Bodø, Norge").municipality_code == "1804"
    assert gazetteer.resolve("Halden").country == "NO"


@pytest.mark.parametrize("query", ["DK-5000", "5000", "Stockholm", "Danmark", "Denmark"])
def test_what_the_gazetteer_cannot_know_is_not_found(gazetteer: Gazetteer, query: str) -> None:
    assert gazetteer.lookup(query).status == "not_found"


def test_a_danish_position_finds_a_danish_place(gazetteer: Gazetteer) -> None:
    assert gazetteer.nearest(55.40, 10.39).municipality_code == "461"


# -- responsibility and helplines ------------------------------------------------------------


def _facts(centre_id: str, country: str, host: str, lat: float, lon: float) -> CentreFacts:
    return CentreFacts(centre_id, centre_id, country, "r", host, "open", lat, lon)


def test_no_responsible_centre_is_guessed_for_a_danish_municipality(gazetteer: Gazetteer) -> None:
    odense = gazetteer.municipality("461", "DK")
    halden = gazetteer.municipality("3101")
    assert odense is not None and halden is not None
    centres = [
        _facts("dk", "DK", "461", odense.latitude, odense.longitude),
        _facts("no", "NO", "3101", halden.latitude, halden.longitude),
    ]
    answer = responsible_centres(centres, [odense, halden])
    assert ("DK", "461") not in answer
    assert answer[("NO", "3101")].centres == (1,)
    served = [CentreFacts("dk", "dk", "DK", "r", "461", "open", 55.4, 10.4, serves=("461",))]
    assert responsible_centres(served, [odense])[("DK", "461")].confirmed


def test_denmark_has_its_own_helplines() -> None:
    assert [line.phone for line in helplines("DK")] == ["112", "1888"]
    assert helplines("NO")[1].phone == "116 006"
    excerpt = Path(demo.__file__).parent / "data" / "sources" / "levudenvold-hotline-1888.txt"
    assert "1888 – en døgnåben" in excerpt.read_text(encoding="utf-8")


# -- the demo registry -----------------------------------------------------------------------


def test_every_danish_centre_names_its_source_and_a_real_municipality(
    gazetteer: Gazetteer,
) -> None:
    danish = [c for c in demo.read_demo_file() if c["country"] == "DK"]
    assert len(danish) >= 12
    for centre in danish:
        assert gazetteer.municipality(centre["host_municipality"], "DK") is not None, centre["id"]
        assert "http" in centre["source"], centre["id"]
        assert centre["serves"] == [] and centre["serves_known"] is False


async def _search_from(session: AsyncSession, gazetteer: Gazetteer, name: str, limit: int) -> Any:
    place = gazetteer.resolve(name)
    index = await registry.load_index(session, areas=gazetteer.areas())
    area = Area(place.country, place.municipality_code, place.municipality)
    query = Query(Point(place.latitude, place.longitude), municipality=area, limit=limit)
    return search(index, query, utcnow(), timedelta(hours=24))


@pytest.mark.parametrize("name", ["Aalborg", "Odense", "København", "Copenhagen", "5000 Odense"])
async def test_a_search_from_a_danish_city_finds_a_danish_centre_nearest(
    session: AsyncSession, gazetteer: Gazetteer, name: str
) -> None:
    await demo.load(session, gazetteer)
    outcome = await _search_from(session, gazetteer, name, limit=5)
    by_distance = sorted(outcome.results, key=lambda r: r.distance_km)
    assert by_distance[0].centre.country == "DK"
    assert by_distance[0].distance_km < 150
    assert sum(r.centre.country == "DK" for r in by_distance) >= 2
    assert not any(r.responsible for r in outcome.results)  # no guessed responsible centre


@pytest.mark.parametrize("name", ["Bodø", "Oslo", "Tromsø", "Trondheim"])
async def test_centres_in_another_country_are_listed_only_near_the_border(
    session: AsyncSession, gazetteer: Gazetteer, name: str
) -> None:
    await demo.load(session, gazetteer)
    outcome = await _search_from(session, gazetteer, name, limit=200)
    assert outcome.results
    assert all(
        r.centre.country == "NO" or r.distance_km <= CROSS_BORDER_KM for r in outcome.results
    )
    if name != "Oslo":  # Denmark's northern centres are within reach of Oslo, not of these
        assert not any(r.centre.country == "DK" for r in outcome.results)


async def test_own_country_centres_come_first_in_each_group(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await demo.load(session, gazetteer)
    outcome = await _search_from(session, gazetteer, "Halden", limit=200)
    for group in {r.group for r in outcome.results}:
        countries = [r.centre.country for r in outcome.results if r.group == group]
        assert countries == sorted(countries, key=lambda country: country != "NO")


async def test_a_search_from_halden_shows_norwegian_centres_first(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await demo.load(session, gazetteer)
    outcome = await _search_from(session, gazetteer, "Halden", limit=200)
    by_distance = sorted(outcome.results, key=lambda r: r.distance_km)
    assert by_distance[0].centre.country == "NO"
    danish = [r for r in by_distance if r.centre.country == "DK"]
    assert danish, "the Danish centres are within reach of a search without a limit"
    first_danish = by_distance.index(danish[0])
    assert all(r.centre.country == "NO" for r in by_distance[:first_danish])
    assert first_danish >= 5


# -- pages -----------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    from capacity import migrate

    url = f"sqlite:///{tmp_path / 'denmark.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
async def demo_engine(engine: AsyncEngine, gazetteer: Gazetteer) -> AsyncIterator[AsyncEngine]:
    async with session_factory(engine)() as session:
        await demo.load(session, gazetteer)
    yield engine


@pytest.fixture
def client(demo_engine: AsyncEngine, database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings.from_environ(
        {
            "HAVN_DATABASE_URL": database_url,
            "HAVN_DATA_DIR": str(tmp_path),
            "HAVN_INDEX_REFRESH_SECONDS": "0",
        }
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_results_from_halden_mark_the_danish_centres_as_in_denmark(client: TestClient) -> None:
    page = soup(client.get("/", params={"q": "Halden", "limit": "200", "lang": "en"}))
    cards = page.select("li.card")
    assert cards
    marks = [card.select_one(".where .country") for card in cards]
    assert marks[0] is None  # the nearest is Norwegian: no mark
    danish = [mark for mark in marks if mark is not None]
    assert danish and all(mark["data-country"] == "DK" for mark in danish)
    assert {mark.get_text(strip=True) for mark in danish} == {"In Denmark"}
    assert [a.get_text(strip=True) for a in page.select(".helplines .number")][:2] == [
        "112",
        "116 006",
    ]


def test_a_danish_search_in_danish_shows_danish_helplines_and_marks_only_norwegian_centres(
    client: TestClient,
) -> None:
    page = soup(client.get("/", params={"q": "Odense", "lang": "da"}))
    assert page.select_one("html")["lang"] == "da"
    assert [a.get_text(strip=True) for a in page.select(".helplines .number")] == ["112", "1888"]
    assert page.select_one(".helplines a[href='tel:1888']") is not None
    cards = page.select("li.card")
    assert cards and cards[0].select_one(".where .country") is None  # nearest: in Denmark
    marks = page.select("li.card .where .country")
    assert {(m["data-country"], m.get_text(strip=True)) for m in marks} <= {("NO", "I Norge")}
    danish = [card for card in cards if card.select_one(".where .country") is None]
    calls = [card.select_one("a.call")["href"] for card in danish]
    assert "tel:1888" in calls  # a Danish centre without a sourced phone: Lev Uden Vold
    assert "tel:116006" not in calls  # never Norway's helpline for a Danish centre


def test_a_norwegian_search_from_denmark_marks_the_centre_as_in_norway(
    client: TestClient,
) -> None:
    page = soup(client.get("/", params={"q": "Skagen", "limit": "200", "lang": "da"}))
    marks = {m.get_text(strip=True) for m in page.select("li.card .where .country")}
    assert marks == {"I Norge"}
