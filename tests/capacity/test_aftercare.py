"""After the stay: transitional flats as a unit kind, holds on them, the crisis search that
never offers them, and the aftercare services directory (both engines)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import aftercare, audit, holds, registry
from capacity.accounts import Principal
from capacity.errors import Conflict, InvalidInput
from capacity.exchange import export_hsds
from capacity.gazetteer import Gazetteer
from capacity.models import (
    AftercareService,
    Availability,
    Centre,
    Event,
    ServedMunicipality,
    Unit,
    utcnow,
)
from capacity.party import Party
from capacity.search import Point, Query, search
from tests.helpers import schema_errors

ADVISER = Principal("adviser-1", "adviser")
SERVICE = {
    "country": "NO",
    "municipality_code": "1804",
    "kind": "housing",
    "name": "Boligkontoret",
    "who_for": "",
    "phone": "",
    "website": "https://bodo.kommune.no/bolig",
    "source": "https://bodo.kommune.no/bolig",
    "source_date": "2026-11-01",
}


def centre(centre_id: str, *units: Unit, host: str = "1804", lat: float = 67.28) -> Centre:
    now = utcnow()
    built = Centre(
        id=centre_id,
        name=f"{centre_id} krisesenter",
        country="NO",
        region="Nordland",
        host_municipality=host,
        status="open",
        phone="75 00 00 00",
        languages=["nb"],
        interpreter=True,
        latitude=lat,
        longitude=14.4,
        is_demo=False,
        version=1,
        created_at=now,
        updated_at=now,
    )
    built.units = list(units)
    built.municipalities = [ServedMunicipality(municipality_code=host)]
    return built


def flats(count: int = 3, **changes: object) -> Unit:
    values: dict[str, object] = {
        "kind": "transitional",
        "beds": count,
        "rooms": count,
        "family_rooms": 0,
        "accessible_rooms": 1,
        "children": True,
        "pets": True,
        "stay_months": 6,
        "referred_by": "municipality",
    }
    return Unit(**(values | changes))


def women() -> Unit:
    return Unit(kind="women", beds=10, rooms=8, family_rooms=2, accessible_rooms=1)


async def numbers(session: AsyncSession, unit: Unit) -> Availability:
    found = await session.get(Availability, unit.id, populate_existing=True)
    assert found is not None
    return found


async def publish(session: AsyncSession, unit: Unit, free: int) -> None:
    await registry.set_availability(
        session,
        unit,
        free_beds=free,
        free_family_rooms=0,
        free_accessible_rooms=min(free, unit.accessible_rooms),
        actor="staff-1",
        source="staff",
    )


async def test_a_centre_publishes_free_transitional_flats_like_beds_and_it_is_audited(
    session: AsyncSession,
) -> None:
    added = await registry.add_centre(session, centre("bodo", women(), flats(3)), actor="t")
    unit = await registry.find_unit(session, "bodo", "transitional")
    await publish(session, unit, 2)
    await session.commit()

    assert {u.kind for u in added.units} == {"women", "transitional"}
    free = (await numbers(session, unit)).free_beds
    assert (unit.stay_months, unit.referred_by, free) == (6, "municipality", 2)
    events = list(await session.scalars(select(Event).where(Event.entity_id == str(unit.id))))
    assert events and events[-1].after and events[-1].after["free_beds"] == 2


@pytest.mark.parametrize(
    "changes", [{"referred_by": "police"}, {"stay_months": 0}, {"kind": "hotel"}]
)
async def test_the_database_refuses_an_unknown_referrer_stay_or_kind(
    session: AsyncSession, changes: dict[str, object]
) -> None:
    session.add(centre("bodo", flats(2, **changes)))
    with pytest.raises(IntegrityError):
        await session.commit()


async def test_an_adviser_may_hold_a_flat_for_a_person_leaving_a_centre(
    session: AsyncSession,
) -> None:
    await registry.add_centre(session, centre("bodo", women(), flats(2)), actor="t")
    unit = await registry.find_unit(session, "bodo", "transitional")
    await publish(session, unit, 1)
    await session.commit()

    hold = await holds.place_hold(
        session, holds.HoldRequest(unit.id, Party(), note="moves out Monday"), actor=ADVISER
    )
    await session.commit()
    assert (hold.unit_id, hold.status) == (unit.id, "active")
    assert (await numbers(session, unit)).held_beds == 1
    # The last flat is taken: a second hold is refused, as for beds.
    with pytest.raises(Conflict):
        await holds.place_hold(session, holds.HoldRequest(unit.id, Party()), actor=ADVISER)
    await session.rollback()
    actions = set(await session.scalars(select(Event.action).where(Event.entity == "hold")))
    assert actions, "the hold on a flat is audited"


async def test_the_crisis_search_never_offers_a_transitional_flat(
    session: AsyncSession,
) -> None:
    # The only centre near Bodø has free flats and no free bed: the search must not offer it.
    await registry.add_centre(session, centre("flats-only", flats(5)), actor="t")
    await registry.add_centre(session, centre("beds", women(), lat=69.0), actor="t")
    await publish(session, await registry.find_unit(session, "flats-only", "transitional"), 5)
    await publish(session, await registry.find_unit(session, "beds", "women"), 1)
    await session.commit()

    index = await registry.load_index(session)
    outcome = search(index, Query(origin=Point(67.28, 14.4)), utcnow(), timedelta(hours=24))

    assert {u.kind for u in index.units} == {"women"}
    assert [(r.centre.id, r.unit.kind) for r in outcome.results] == [("beds", "women")]


async def test_flats_near_a_place_show_advisers_counts_and_the_public_none(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await registry.add_centre(session, centre("bodo", women(), flats(3)), actor="t")
    await registry.add_centre(session, centre("far", flats(2), host="0301", lat=59.9), actor="t")
    await publish(session, await registry.find_unit(session, "bodo", "transitional"), 2)
    await session.commit()
    place = gazetteer.resolve("Bodø")

    found = await aftercare.flats_near(session, place, gazetteer)

    assert [(f.centre_id, f.flats, f.free, f.serves_here) for f in found] == [("bodo", 3, 2, True)]
    public = found[0].public()
    assert public["referred_by"] == "municipality" and public["phone"] == "75 00 00 00"
    assert not {"flats", "free", "km"} & public.keys()


async def test_services_for_a_municipality_list_its_own_first_then_the_national(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    national = SERVICE | {"municipality_code": "", "kind": "legal_aid", "name": "Fri rettshjelp"}
    for values in (
        national,
        SERVICE,
        SERVICE | {"municipality_code": "0301", "name": "Oslo bolig"},
        SERVICE | {"country": "DK", "municipality_code": "", "name": "Qnet"},
    ):
        await aftercare.add_service(session, values, gazetteer, actor="admin")
    await session.commit()

    found = await aftercare.services_for(session, gazetteer.resolve("Bodø"))

    assert [(s.name, s.municipality_code) for s in found] == [
        ("Boligkontoret", "1804"),
        ("Fri rettshjelp", None),
    ]
    assert found[0].who_for is None and found[0].phone is None  # unknown stays empty


async def test_the_seed_loads_once_with_a_source_for_every_service(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    assert await aftercare.load_seed(session, gazetteer) == len(aftercare.read_seed())
    assert await aftercare.load_seed(session, gazetteer) == 0
    services = list(await session.scalars(select(AftercareService)))
    assert services and all(s.source.startswith("https://") and s.source_date for s in services)
    added = await session.scalars(select(Event.action).where(Event.entity == "aftercare"))
    assert set(added) == {"aftercare.added"}


async def test_an_edit_is_audited_with_before_and_after(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    service = await aftercare.add_service(session, SERVICE, gazetteer, actor="admin")
    await session.commit()
    await aftercare.update_service(
        session, service.id, SERVICE | {"phone": "+47 75 55 50 00"}, gazetteer, actor="admin-2"
    )
    await session.commit()
    history = await audit.history(session)
    edit = next(e for e in history if e.action == "aftercare.updated")
    assert edit.actor == "admin-2" and edit.before and edit.after
    assert (edit.before["phone"], edit.after["phone"]) == (None, "+47 75 55 50 00")


@pytest.mark.parametrize(
    "changes",
    [
        {"website": "javascript:alert(1)"},
        {"source": "data:text/html,<script>"},
        {"source": ""},
        {"kind": "hotel"},
        {"country": "SE"},
        {"municipality_code": "9999"},
        {"name": "  "},
        {"name": "x" * 201},
        {"who_for": "line\x00break"},
        {"phone": "<script>"},
        {"source_date": "2099-01-01"},
        {"source_date": "yesterday"},
        {"name": ["a", "list"]},
    ],
)
def test_hostile_or_malformed_service_fields_are_refused(
    gazetteer: Gazetteer, changes: dict[str, object]
) -> None:
    with pytest.raises(InvalidInput):
        aftercare.parse_service(SERVICE | changes, gazetteer)


async def test_hsds_exports_flats_without_counts_and_the_directory_with_sources(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await registry.add_centre(session, centre("bodo", women(), flats(3)), actor="t")
    await publish(session, await registry.find_unit(session, "bodo", "transitional"), 2)
    await aftercare.add_service(session, SERVICE | {"phone": "75 55 50 00"}, gazetteer, actor="a")
    await aftercare.add_service(session, SERVICE | {"municipality_code": ""}, gazetteer, actor="a")
    await session.commit()

    document = await export_hsds(session)

    assert schema_errors(document) == []
    services = {s["name"]: s for s in document["services"]}
    flat = services["bodo krisesenter: transitional flats after the stay"]
    assert "3" not in flat["description"] and "municipality" in flat["eligibility_description"]
    assert not [c for c in document["service_capacities"] if c["service_id"] == flat["id"]]
    housing = [s for s in document["services"] if s["name"] == "Boligkontoret"]
    assert len(housing) == 2
    assert all(
        "Source: https://bodo.kommune.no/bolig (read 2026-11-01)" in s["description"]
        for s in housing
    )
    areas = {a["service_id"]: a["description"] for a in document["service_areas"]}
    assert sorted(areas[s["id"]] for s in housing) == [
        "Municipality number 1804 (NO)",
        "The whole country (NO)",
    ]
    ids = {s["id"] for s in housing}
    assert [p["number"] for p in document["phones"] if p.get("service_id") in ids] == [
        "75 55 50 00"
    ]
