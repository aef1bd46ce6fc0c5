"""Administrators and a centre's units on /admin: transitional flats added and changed through
the forms (audited as the centre's change), every wrong value refused by its field with what was
typed kept and nothing stored, and registry codes shown as words."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from capacity import registry
from capacity.db import session_factory
from capacity.geocoder import Gazetteer
from capacity.models import Event, Unit
from tests.helpers import csrf_of, login, seed_bodo_and_oslo, soup

HUGE = "9" * 30
LONG = "7" * 50_000  # within the 64 kB a form may have
ADD = {
    "transitional_beds": "3",
    "transitional_accessible_rooms": "1",
    "transitional_stay_months": "6",
    "transitional_referred_by": "centre",
}
# Wrong values for each field of the flats, on adding and on editing alike.
WRONG: list[tuple[str, str]] = [
    ("transitional_beds", "abc"),
    ("transitional_beds", "-1"),
    ("transitional_beds", HUGE),
    ("transitional_beds", "501"),
    ("transitional_beds", "²"),
    ("transitional_beds", "1.5"),
    ("transitional_beds", LONG),
    ("transitional_accessible_rooms", "x"),
    ("transitional_accessible_rooms", "-2"),
    ("transitional_accessible_rooms", HUGE),
    ("transitional_accessible_rooms", "9"),  # more wheelchair flats than flats
    ("transitional_stay_months", "0"),
    ("transitional_stay_months", "61"),
    ("transitional_stay_months", HUGE),
    ("transitional_stay_months", "six"),
    ("transitional_stay_months", "<script>alert(1)</script>"),
    ("transitional_referred_by", "mayor"),
    ("transitional_referred_by", "'; DROP TABLE units; --"),
    ("transitional_referred_by", LONG),
]


@pytest.fixture
async def seeded(engine: AsyncEngine, gazetteer: Gazetteer) -> dict[str, str]:
    """Bodø and Oslo with people; Bodø also has 4 transitional flats (2 reported free) for
    6 months that the municipality refers to; Oslo has none."""
    async with session_factory(engine)() as session:
        tokens = await seed_bodo_and_oslo(session, gazetteer)
        bodo = await registry.get_centre(session, "bodo")
        flats = Unit(
            kind="transitional",
            beds=4,
            rooms=4,
            family_rooms=0,
            accessible_rooms=1,
            stay_months=6,
            referred_by="municipality",
        )
        bodo.units.append(flats)
        await session.flush()
        await registry.set_availability(
            session,
            flats,
            free_beds=2,
            free_family_rooms=0,
            free_accessible_rooms=0,
            actor="test",
            source="staff",
        )
        await session.commit()
        return tokens


async def stored(engine: AsyncEngine) -> tuple[list[dict[str, Any]], int]:
    """Every unit as stored, and how many audit events there are."""
    async with session_factory(engine)() as session:
        units = await session.scalars(select(Unit).order_by(Unit.id))
        records = [registry.unit_record(unit) for unit in units]
        events = await session.scalar(select(func.count()).select_from(Event))
    return records, int(events or 0)


async def flats_of(engine: AsyncEngine, centre_id: str) -> Unit | None:
    async with session_factory(engine)() as session:
        return await session.scalar(
            select(Unit).where(Unit.centre_id == centre_id, Unit.kind == "transitional")
        )


async def last_event(engine: AsyncEngine) -> Event:
    async with session_factory(engine)() as session:
        event = await session.scalar(select(Event).order_by(Event.id.desc()).limit(1))
    assert event is not None
    return event


def admin_page(client: TestClient, lang: str = "en") -> BeautifulSoup:
    """/admin in `lang`, which the client's language cookie keeps for the next requests."""
    response = client.get("/admin", params={"lang": lang})
    assert response.status_code == 200
    return soup(response)


def token_of(page: BeautifulSoup) -> str:
    field = page.select_one("input[name=csrf]")
    assert field is not None
    return str(field["value"])


def form_of(page: BeautifulSoup, action: str) -> Tag:
    found = page.select_one(f'form[action="{action}"]')
    assert found is not None, action
    return found


def sent_by(form: Tag) -> dict[str, str]:
    """What the browser would send for the form as it is shown: inputs and chosen options."""
    data = {str(i["name"]): str(i.get("value", "")) for i in form.select("input[name]")}
    for select_ in form.select("select[name]"):
        chosen = select_.select_one("option[selected]") or select_.select_one("option")
        data[str(select_["name"])] = str(chosen["value"]) if chosen else ""
    return data


def post(client: TestClient, path: str, data: dict[str, str]) -> Any:
    return client.post(path, data=data, follow_redirects=False)


def assert_by_the_field(response: Any, form: str, field: str, typed: str) -> None:
    """The message stands by `field` of `form` (id `<field>-<form>`), which keeps `typed`."""
    page = soup(response)
    control = page.select_one(f"#{field}-{form}")
    assert control is not None, field
    assert control.get("aria-invalid") == "true", field
    error = page.select_one(f"#{control['aria-describedby']}")
    assert error is not None and error.get_text(strip=True), field
    assert "problem" in error.get("class", [])
    assert page.select("p.problem") == [error], "the message is by the field, not also on top"
    if control.name == "input" and len(typed) <= 4000:
        assert control["value"] == typed.strip()
    details = control.find_parent("details")
    assert details is not None and details.has_attr("open")


async def test_an_admin_adds_transitional_flats_to_a_centre_and_the_change_is_audited(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "admin")
    page = admin_page(client)
    assert page.select_one('form[action="/admin/centres/bodo/flats"]') is None  # has them
    form = form_of(page, "/admin/centres/oslo/flats")
    data = sent_by(form) | ADD
    response = post(client, "/admin/centres/oslo/flats", data)
    assert response.status_code == 200
    saved = soup(response).select_one("p.saved")
    assert saved is not None and "Transitional flats added" in saved.get_text()
    flats = await flats_of(engine, "oslo")
    assert flats is not None
    assert (flats.beds, flats.rooms, flats.accessible_rooms) == (3, 3, 1)
    assert (flats.stay_months, flats.referred_by) == (6, "centre")
    event = await last_event(engine)
    assert (event.action, event.actor, event.centre_id) == ("centre.updated", "admin", "oslo")
    assert event.before is not None and event.after is not None
    assert "transitional" not in [unit["kind"] for unit in event.before["units"]]
    added = next(u for u in event.after["units"] if u["kind"] == "transitional")
    assert (added["beds"], added["stay_months"], added["referred_by"]) == (3, 6, "centre")
    # The centre's form now shows the flats, named in words; the add form is gone.
    page = soup(response)
    assert page.select_one('form[action="/admin/centres/oslo/flats"]') is None
    edit = form_of(page, "/admin/centres/oslo")
    legends = [legend.get_text(strip=True) for legend in edit.select("legend")]
    assert legends == ["Women's unit", "Men's unit", "Transitional flats (after the stay)"]


async def test_a_stay_left_empty_is_not_stated_and_flats_are_added_only_once(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "admin")
    form = form_of(admin_page(client), "/admin/centres/oslo/flats")
    data = sent_by(form) | ADD | {"transitional_stay_months": ""}
    assert post(client, "/admin/centres/oslo/flats", data).status_code == 200
    flats = await flats_of(engine, "oslo")
    assert flats is not None and flats.stay_months is None
    before = await stored(engine)
    again = post(client, "/admin/centres/oslo/flats", data | {"transitional_beds": "9"})
    assert again.status_code == 409
    problem = soup(again).select_one("p.problem[role=alert]")
    assert problem is not None and "already" in problem.get_text()
    assert await stored(engine) == before


async def test_an_admin_changes_the_flats_their_stay_and_who_refers(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "admin")
    form = form_of(admin_page(client), "/admin/centres/bodo")
    data = sent_by(form)
    assert data["transitional_beds"] == "4" and data["transitional_stay_months"] == "6"
    assert data["transitional_referred_by"] == "municipality"
    changed = data | {
        "transitional_beds": "5",
        "transitional_stay_months": "12",
        "transitional_referred_by": "centre",
    }
    response = post(client, "/admin/centres/bodo", changed)
    assert response.status_code == 303
    flats = await flats_of(engine, "bodo")
    assert flats is not None
    assert (flats.beds, flats.rooms, flats.stay_months, flats.referred_by) == (5, 5, 12, "centre")
    event = await last_event(engine)
    assert (event.action, event.entity_id) == ("centre.updated", "bodo")
    assert event.before is not None and event.after is not None
    old = next(u for u in event.before["units"] if u["kind"] == "transitional")
    new = next(u for u in event.after["units"] if u["kind"] == "transitional")
    assert (old["beds"], old["stay_months"], old["referred_by"]) == (4, 6, "municipality")
    assert (new["beds"], new["stay_months"], new["referred_by"]) == (5, 12, "centre")
    # Emptied, the stay and who refers become "not stated".
    data = sent_by(form_of(admin_page(client), "/admin/centres/bodo"))
    cleared = data | {"transitional_stay_months": "", "transitional_referred_by": ""}
    assert post(client, "/admin/centres/bodo", cleared).status_code == 303
    flats = await flats_of(engine, "bodo")
    assert flats is not None and (flats.stay_months, flats.referred_by) == (None, None)


async def test_wrong_values_on_the_add_form_come_back_by_their_field_storing_nothing(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "admin")
    before = await stored(engine)
    token = token_of(admin_page(client))
    for field, value in [*WRONG, ("transitional_beds", "0"), ("transitional_beds", "")]:
        response = post(client, "/admin/centres/oslo/flats", {"csrf": token, **ADD, field: value})
        assert response.status_code == 422, (field, value[:40])
        assert_by_the_field(response, "flats-oslo", field, value)
        assert await stored(engine) == before, (field, value[:40])
    too_large = {"csrf": token, **ADD, "transitional_beds": "7" * 100_000}
    assert post(client, "/admin/centres/oslo/flats", too_large).status_code == 422
    missing = {"csrf": token, "transitional_beds": "2"}  # no one named to ask
    response = post(client, "/admin/centres/oslo/flats", missing)
    assert response.status_code == 422
    assert_by_the_field(response, "flats-oslo", "transitional_referred_by", "")
    assert await stored(engine) == before


async def test_wrong_values_on_the_centre_form_come_back_by_their_field_storing_nothing(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "admin")
    before = await stored(engine)
    data = sent_by(form_of(admin_page(client), "/admin/centres/bodo"))
    wrong = [
        *WRONG,
        ("transitional_beds", "1"),  # below the 2 reported free
        ("women_beds", HUGE),
        ("men_family_rooms", "-1"),
    ]
    for field, value in wrong:
        response = post(client, "/admin/centres/bodo", data | {"name": "Renamed", field: value})
        assert response.status_code == 422, (field, value[:40])
        assert_by_the_field(response, "bodo", field, value)
        assert await stored(engine) == before, (field, value[:40])


async def test_a_centre_form_without_some_fields_leaves_them_as_they_are(
    client: TestClient, engine: AsyncEngine
) -> None:
    """A hand-made request with only a name renames the centre and empties nothing: not the
    municipalities it serves, its phone or the advisers' notes (a field sent empty clears)."""
    login(client, "admin")
    token = token_of(admin_page(client))
    async with session_factory(engine)() as session:
        centre = await registry.get_centre(session, "bodo")
        centre.phone, centre.adviser_notes = "75 55 58 90", "Ring the bell twice"
        await session.commit()
    response = post(client, "/admin/centres/bodo", {"csrf": token, "name": "Salten"})
    assert response.status_code in (200, 303), response.text[-300:]
    async with session_factory(engine)() as session:
        centre = await registry.get_centre(session, "bodo")
        assert centre.name == "Salten"
        assert centre.phone == "75 55 58 90" and centre.adviser_notes == "Ring the bell twice"
        assert {served.municipality_code for served in centre.municipalities} == {"1804"}
    cleared = {"csrf": token, "name": "Salten", "phone": "", "adviser_notes": ""}
    assert post(client, "/admin/centres/bodo", cleared).status_code in (200, 303)
    async with session_factory(engine)() as session:
        centre = await registry.get_centre(session, "bodo")
        assert centre.phone is None and centre.adviser_notes is None


async def test_unknown_centres_a_missing_csrf_and_other_roles_change_nothing(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "admin")
    before = await stored(engine)
    token = token_of(admin_page(client))
    for centre_id in ("nowhere", HUGE, "%2e%2e", "bodo%00", "x" * 300):
        response = post(client, f"/admin/centres/{centre_id}/flats", {"csrf": token, **ADD})
        assert response.status_code == 404, centre_id[:40]
        response = post(client, f"/admin/centres/{centre_id}", {"csrf": token, **ADD})
        assert response.status_code == 404, centre_id[:40]
    assert post(client, "/admin/centres/oslo/flats", ADD).status_code == 403
    assert post(client, "/admin/centres/oslo/flats", {**ADD, "csrf": "forged"}).status_code == 403
    edit = {"transitional_beds": "9", "transitional_stay_months": "3"}
    assert post(client, "/admin/centres/bodo", edit).status_code == 403
    assert await stored(engine) == before
    for username, page in (("adviser", "/console"), ("staff-a", "/staff")):
        client.cookies.clear()
        login(client, username)
        token = csrf_of(client.get(page).text)
        for path, data in (
            ("/admin/centres/oslo/flats", ADD),
            ("/admin/centres/bodo/flats", ADD),
            ("/admin/centres/bodo", edit),
        ):
            response = post(client, path, {"csrf": token, **data})
            assert response.status_code in (403, 404), (username, path)
        assert await stored(engine) == before


async def test_the_admin_page_shows_units_fields_and_kinds_of_help_in_words(
    client: TestClient,
) -> None:
    login(client, "admin")
    page = admin_page(client)
    bodo = form_of(page, "/admin/centres/bodo")
    legends = [legend.get_text(strip=True) for legend in bodo.select("legend")]
    assert legends == ["Women's unit", "Men's unit", "Transitional flats (after the stay)"]
    women = bodo.select("fieldset")[0]
    labels = [label.get_text(strip=True) for label in women.select("label")]
    assert labels == ["Beds", "Rooms", "Family rooms", "Wheelchair-accessible rooms"]
    flats = bodo.select("fieldset")[2]
    labels = [label.get_text(strip=True) for label in flats.select("label")]
    assert labels == [
        "Flats",
        "Wheelchair-accessible flats",
        "Usual stay in months (1–60)",
        "Who refers",
    ]
    referrers = [o.get_text(strip=True) for o in flats.select("select option")]
    assert referrers == ["–", "The crisis centre", "The municipality"]
    kinds = page.select("#aftercare-new-kind option")
    assert kinds[0]["value"] == "centre_follow_up"
    assert kinds[0].get_text(strip=True) == "Follow-up from the crisis centre"
    assert all("_" not in option.get_text() for option in kinds)
    # In Norwegian, with the words the staff and public pages use.
    page = admin_page(client, "nb")
    bodo = form_of(page, "/admin/centres/bodo")
    legends = [legend.get_text(strip=True) for legend in bodo.select("legend")]
    assert legends == [
        "Botilbud for kvinner",
        "Botilbud for menn",
        "Gjennomgangsboliger (etter oppholdet)",
    ]
    assert bodo.select("fieldset")[0].select_one("label").get_text(strip=True) == "Senger"  # type: ignore[union-attr]
    assert (
        page.select_one("#aftercare-new-kind option").get_text(strip=True)
        == "Oppfølging fra krisesenteret"
    )  # type: ignore[union-attr]
