"""The demo registry: real centre facts, synthetic numbers, loaded once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import audit, demo, registry
from capacity.errors import InvalidInput
from capacity.geocoder import Gazetteer
from capacity.models import Availability, Centre, Event, utcnow
from capacity.search import Area, Point, Query, search

# Public source excerpts kept in the repository (the product's tests never read ../shared).
SOURCES = Path(demo.__file__).parent / "data" / "sources"


def test_the_demo_file_names_real_municipalities_and_one_centre_per_municipality(
    gazetteer: Gazetteer,
) -> None:
    centres = demo.read_demo_file()
    assert len({c["id"] for c in centres}) == len(centres) >= 21
    served: Counter[str] = Counter()
    for centre in centres:
        host = gazetteer.municipality(centre["host_municipality"], centre["country"])
        assert host is not None, centre["id"]
        for code in centre["serves"]:
            assert gazetteer.municipality(code, centre["country"]) is not None, (centre["id"], code)
        if centre["status"] == "open":
            served.update(centre["serves"])
    assert [code for code, count in served.items() if count > 1] == []


def test_the_demo_file_invents_no_phone_numbers() -> None:
    seed = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SOURCES.glob("*.txt")))
    assert "Alta Krisesenter" in seed
    for centre in demo.read_demo_file():
        if centre.get("phone"):
            assert centre["phone"] in seed, centre["id"]
        if centre.get("email"):
            assert centre["email"].lower() in seed.lower(), centre["id"]


def _excerpts() -> dict[str, str]:
    """Each excerpt file's text by the address on its '# Source:' line."""
    by_source: dict[str, str] = {}
    for path in sorted(SOURCES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if line.startswith("# Source:"):
                by_source[line.removeprefix("# Source:").strip()] = text
    return by_source


def test_every_phone_is_printed_on_the_page_it_names() -> None:
    excerpts = _excerpts()
    phones = [c for c in demo.read_demo_file() if c.get("phone")]
    assert len(phones) >= 10
    for centre in phones:
        source = centre.get("phone_source")
        assert source in excerpts, centre["id"]
        assert centre["phone"] in excerpts[source], centre["id"]
        assert centre.get("phone_published"), centre["id"]
        assert centre["status"] == "open", centre["id"]  # a closed centre's number is not shown


def test_a_phone_without_its_source_is_refused(gazetteer: Gazetteer) -> None:
    facts = next(c for c in demo.read_demo_file() if c.get("phone"))
    for missing in ("phone_source", "phone_published"):
        unsourced = {k: v for k, v in facts.items() if k != missing}
        with pytest.raises(InvalidInput, match="phone_source"):
            demo.build_centre(unsourced, gazetteer, utcnow())
    assert demo.build_centre(facts, gazetteer, utcnow()).phone == facts["phone"]


def test_the_two_centres_closed_in_2025_are_closed() -> None:
    closed = {c["name"] for c in demo.read_demo_file() if c["status"] == "closed"}
    assert any("Sør-Helgeland" in name for name in closed)
    assert any("Halden" in name for name in closed)


async def test_loading_twice_changes_nothing(session: AsyncSession, gazetteer: Gazetteer) -> None:
    added = await demo.load(session, gazetteer)
    assert added == len(demo.read_demo_file())
    events = await session.scalar(select(func.count()).select_from(Event))
    revision = await audit.revision(session)
    assert await demo.load(session, gazetteer) == 0
    assert await session.scalar(select(func.count()).select_from(Event)) == events
    assert await audit.revision(session) == revision


async def test_loading_keeps_who_published_each_phone_and_when(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await demo.load(session, gazetteer)
    facts = {centre["id"]: centre for centre in demo.read_demo_file()}
    centres = await registry.list_centres(session)
    sourced = [centre for centre in centres if centre.phone]
    assert len(sourced) == sum(1 for centre in facts.values() if centre.get("phone")) == 16
    for centre in centres:
        assert centre.phone_source == facts[centre.id].get("phone_source")
        assert centre.phone_published == facts[centre.id].get("phone_published")
        assert bool(centre.phone) == bool(centre.phone_source) == bool(centre.phone_published)


async def test_demo_numbers_are_marked_and_closed_centres_have_none(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await demo.load(session, gazetteer)
    sources = set(await session.scalars(select(Availability.source)))
    assert sources == {"demo"}
    for centre in await registry.list_centres(session):
        assert centre.is_demo
        assert round(centre.latitude, 2) == centre.latitude  # approximate public point only
        if centre.status == "closed":
            assert all(unit.availability is None for unit in centre.units)
        else:
            assert all(unit.availability is not None for unit in centre.units)
    index = await registry.load_index(session)
    assert len(index.centres) == await session.scalar(select(func.count()).select_from(Centre))


async def test_every_municipality_gets_exactly_one_responsible_centre(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await demo.load(session, gazetteer)
    await session.commit()
    facts = json.loads((Path(demo.__file__).parent / "data" / "demo_centres.json").read_text())
    sourced = {
        code: centre["id"]
        for centre in facts["centres"]
        if centre["status"] != "closed"
        for code in centre["serves"]
    }
    closed = {centre["id"] for centre in facts["centres"] if centre["status"] == "closed"}
    index = await registry.load_index(session, areas=gazetteer.areas())
    now = utcnow()
    chosen = {}
    for place in gazetteer.areas():
        area = Area("NO", place.municipality_code, place.municipality)
        query = Query(Point(place.latitude, place.longitude), municipality=area, limit=1)
        outcome = search(index, query, now, timedelta(hours=24))
        responsible = [r for r in outcome.results if r.responsible]
        assert len(responsible) == 1, place.municipality
        result = responsible[0]
        assert result.centre.id not in closed
        assert result.responsible_confirmed == (place.municipality_code in sourced)
        if place.municipality_code in sourced:
            assert result.centre.id == sourced[place.municipality_code]
        elif place.municipality_code != "2111":
            assert result.centre.host_municipality[:2] == place.municipality_code[:2]
        chosen[place.municipality_code] = result.centre.id
    assert len(chosen) == 358  # 357 municipalities and Svalbard
    for code in ("1108", "1101", "1111"):  # Sandnes, Eigersund, Sokndal
        assert chosen[code] == "krisesenteret-i-stavanger"
    assert chosen["3101"] != "krisesenter-halden"
    assert chosen["2111"] == "krisesenteret-tromso-og-omegn"  # Svalbard
