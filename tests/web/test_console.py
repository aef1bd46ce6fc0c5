"""The adviser console, holds through pages and API, and the unmet-need statistics."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bs4 import Tag
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from capacity import registry
from capacity.db import session_factory
from capacity.geocoder import Gazetteer
from capacity.models import Availability, Event, Hold
from tests.helpers import csrf_of, login, make_centre, seed_people, soup

NOTE = "Back door after 22:00, ask for the duty phone"


@pytest.fixture
async def seeded(engine: AsyncEngine, gazetteer: Gazetteer) -> AsyncIterator[dict[str, str]]:
    async with session_factory(engine)() as session:
        for centre_id, code, free in (("bodo", "1804", 2), ("oslo", "0301", 0)):
            centre = make_centre(
                centre_id,
                gazetteer,
                code,
                adviser_notes=NOTE if centre_id == "bodo" else None,
                intake_phone="+47 11 22 33 44" if centre_id == "bodo" else None,
            )
            await registry.add_centre(session, centre, actor="test")
            await registry.set_availability(
                session,
                centre.units[0],
                free_beds=free,
                free_family_rooms=min(free, 1),
                free_accessible_rooms=0,
                actor="test",
                source="staff",
            )
        await session.commit()
        tokens = await seed_people(session)
    yield tokens


def test_the_console_is_for_advisers_only(client: TestClient) -> None:
    assert client.get("/console", follow_redirects=False).status_code in (303, 401)
    login(client, "staff-a")
    assert client.get("/console").status_code == 403


def test_advisers_see_every_centre_with_professional_details(client: TestClient) -> None:
    login(client, "adviser")
    page = soup(client.get("/console", params={"q": "Bodø"}))
    rows = page.select("table.console-table tbody tr")
    assert len(rows) == 2  # the full centre in Oslo too, with the reason
    assert NOTE in rows[0].get_text() and "+47 11 22 33 44" in rows[0].get_text()
    assert "responsible" in rows[0]["class"]
    assert rows[1].select_one("form.hold-form") is None  # nothing free there: no hold button
    assert NOTE not in client.get("/?q=Bodø").text  # never on public pages


async def test_a_hold_from_the_console_shows_on_the_centre_dashboard_and_can_be_confirmed(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "adviser")
    page = soup(client.get("/console", params={"q": "Bodø", "children": "6"}))
    form = page.select_one("form.hold-form")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    response = client.post(
        form["action"], data={**fields, "note": "arrives by bus"}, follow_redirects=False
    )
    assert "message=held" in response.headers["location"]
    console = soup(client.get(response.headers["location"]))
    assert console.select_one("#console-message") is not None
    hold_forms = [f for f in console.select("form") if f["action"].endswith("/confirm")]
    assert len(hold_forms) == 1
    client.cookies.clear()
    login(client, "staff-a")
    dashboard = client.get("/staff").text
    assert "2 plasser" in dashboard or "2 places" in dashboard
    client.post(hold_forms[0]["action"], data={"csrf": csrf_of(dashboard), "back": "/staff"})
    async with session_factory(engine)() as session:
        centre = await registry.get_centre(session, "bodo")
        numbers = centre.units[0].availability
        assert numbers is not None and (numbers.free_beds, numbers.held_beds) == (0, 0)


def hold_form(client: TestClient, **params: str) -> tuple[Tag, dict[str, str]]:
    """The first hold form on the console for a search near Bodø, and its fields as sent."""
    page = soup(client.get("/console", params={"q": "Bodø", **params}))
    form = page.select_one("form.hold-form")
    assert form is not None
    return form, {i["name"]: i.get("value", "") for i in form.select("input[name]")}


async def stored(engine: AsyncEngine) -> tuple[Any, ...]:
    """Everything a hold could change: the holds, every unit's numbers, the audit trail."""
    async with session_factory(engine)() as session:
        holds = (await session.execute(select(Hold.id, Hold.status, Hold.places))).all()
        numbers = (
            await session.execute(
                select(
                    Availability.unit_id,
                    Availability.free_beds,
                    Availability.held_beds,
                    Availability.held_family_rooms,
                    Availability.version,
                ).order_by(Availability.unit_id)
            )
        ).all()
        events = await session.scalar(select(func.count(Event.id)))
    return sorted(holds), numbers, events


async def test_a_second_hold_on_the_last_places_comes_back_with_the_reason(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "adviser")
    form, fields = hold_form(client, adults="2")
    first = client.post(form["action"], data=fields, follow_redirects=False)
    assert "message=held" in first.headers["location"]
    before = await stored(engine)
    second = client.post(form["action"], data=fields, follow_redirects=False)
    assert second.status_code == 409
    page = soup(second)
    # Both places are held now, so the row has no hold form: the reason is at the top.
    assert page.select_one("#hold-problem").get_text(strip=True) == (
        "Det er ikke lenger nok ledige plasser der. Velg et annet krisesenter."
    )
    assert page.select_one("#results tr.responsible form.hold-form") is None
    assert len(page.select("table.holds tbody tr")) == 1  # the first hold, near the top
    assert await stored(engine) == before


async def test_too_few_places_for_the_party_is_said_by_that_rows_hold_button(
    client: TestClient, engine: AsyncEngine
) -> None:
    """Two places free; the form, sent for three adults, asks too many: the row can still
    hold for the one adult searched for, so the reason is in that row's form."""
    login(client, "adviser")
    form, fields = hold_form(client)
    before = await stored(engine)
    response = client.post(
        form["action"],
        data={**fields, "adults": "3", "minutes": "45", "note": "by bus"},
        follow_redirects=False,
    )
    assert response.status_code == 409
    again = soup(response).select_one(f"form.hold-form:has(input[value='{fields['unit_id']}'])")
    message = again.select_one(f"#hold-{fields['unit_id']}-unit_id-error")
    assert message is not None and message["role"] == "alert"
    assert again.select_one("input[name=minutes]")["value"] == "45"
    assert again.select_one("input[name=note]")["value"] == "by bus"
    assert await stored(engine) == before


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("minutes", "abc"),
        ("minutes", "-5"),
        ("minutes", "0"),
        ("minutes", "4"),
        ("minutes", "1441"),
        ("minutes", "99999"),
        ("minutes", "1" * 30),
        ("minutes", "١٢٠٠٠"),  # Arabic-Indic digits: 12000, out of range
        ("minutes", " "),
        ("note", "x" * 10_000),
        ("note", "y" * 301),
    ],
)
async def test_a_bad_hold_field_comes_back_by_that_rows_field_with_what_was_typed(
    client: TestClient, engine: AsyncEngine, field: str, typed: str
) -> None:
    login(client, "adviser")
    form, fields = hold_form(client, children="6")
    before = await stored(engine)
    response = client.post(form["action"], data={**fields, field: typed}, follow_redirects=False)
    assert response.status_code == 422
    page = soup(response)
    wrong = page.select_one(f"#{field}-{fields['unit_id']}")
    assert wrong["aria-invalid"] == "true"
    message = page.select_one(f"#{wrong['aria-describedby'].split()[0]}")
    assert message is not None and message["role"] == "alert"
    assert message.get_text(strip=True)  # in words
    assert message.find_parent("form") is wrong.find_parent("form")  # by that row's field
    assert wrong["value"] == typed[:4000]  # as typed (web/forms.py keeps 4000 characters)
    # Only that field is marked; the search is still shown, with its children's ages.
    assert len(page.select("[aria-invalid=true]")) == 1
    assert page.select_one("#children")["value"] == "6"
    assert page.select("#results table.console-table tbody tr")
    assert await stored(engine) == before


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"unit_id": "999"}, 404),
        ({"unit_id": "abc"}, 404),
        ({"unit_id": "9" * 30}, 404),
        ({"unit_id": "-1"}, 404),
        ({"children": "40"}, 422),
        ({"needs": "jacuzzi"}, 422),
        ({"adults": "99"}, 422),
        ({"gender": "robot"}, 422),
    ],
)
async def test_a_tampered_hold_form_is_refused_and_stores_nothing(
    client: TestClient, engine: AsyncEngine, changes: dict[str, str], status: int
) -> None:
    login(client, "adviser")
    form, fields = hold_form(client)
    before = await stored(engine)
    response = client.post(form["action"], data={**fields, **changes}, follow_redirects=False)
    assert response.status_code == status
    page = soup(response)
    if "unit_id" in changes:  # no row on the page holds that unit: the reason is at the top
        assert page.select_one("#hold-problem[role=alert]") is not None
    else:
        assert page.select_one(f"#hold-{fields['unit_id']}-unit_id-error") is not None
    assert await stored(engine) == before


@pytest.mark.parametrize("csrf", [None, "", "forged"])
async def test_a_hold_without_the_forms_token_is_forbidden(
    client: TestClient, engine: AsyncEngine, csrf: str | None
) -> None:
    login(client, "adviser")
    form, fields = hold_form(client)
    fields.pop("csrf")
    before = await stored(engine)
    sent = fields if csrf is None else {**fields, "csrf": csrf}
    response = client.post(form["action"], data=sent, follow_redirects=False)
    assert response.status_code == 403
    assert await stored(engine) == before


def test_a_failed_hold_keeps_every_other_form_on_the_search(client: TestClient) -> None:
    """The page shown again is the console of the search: the forms on it go back there."""
    login(client, "adviser")
    form, fields = hold_form(client, children="6")
    page = soup(client.post(form["action"], data={**fields, "minutes": "x"}))
    backs = {i["value"] for i in page.select("input[name=back]")}
    assert backs == {fields["back"]} and "children=6" in fields["back"]
    assert page.select_one("#q")["value"] == "Bodø"


# -- the holds API -----------------------------------------------------------------------------


def api(client: TestClient, token: str, method: str, url: str, body: Any = None) -> Any:
    return client.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"})


def test_holds_api_for_advisers_and_centres(client: TestClient, seeded: dict[str, str]) -> None:
    adviser, staff_a, staff_b = seeded["token-adviser"], seeded["token-a"], seeded["token-b"]
    made = api(
        client,
        adviser,
        "POST",
        "/api/v1/holds",
        {"centre": "bodo", "unit": "women", "children": [5]},
    )
    assert made.status_code == 201, made.text
    hold = made.json()
    assert (hold["places"], hold["family_rooms"], hold["status"]) == (2, 1, "active")
    full = api(client, adviser, "POST", "/api/v1/holds", {"centre": "bodo"})
    assert full.status_code == 409 and full.json()["free"] == 0
    assert api(client, staff_b, "POST", "/api/v1/holds", {"centre": "bodo"}).status_code == 403
    assert [h["id"] for h in api(client, staff_a, "GET", "/api/v1/holds").json()["holds"]] == [
        hold["id"]
    ]
    assert api(client, staff_b, "GET", "/api/v1/holds").json()["holds"] == []
    assert api(client, staff_b, "GET", "/api/v1/holds?centre=bodo").status_code == 403
    assert api(client, staff_b, "POST", f"/api/v1/holds/{hold['id']}/release").status_code == 403
    released = api(client, staff_a, "POST", f"/api/v1/holds/{hold['id']}/release")
    assert released.json()["status"] == "released"
    again = api(client, adviser, "POST", f"/api/v1/holds/{hold['id']}/confirm")
    assert again.status_code == 409
    search = client.get("/api/v1/search", params={"q": "Bodø"}).json()
    assert search["results"][0]["free_places"] == 2


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {"centre": 5},
        {"centre": "bodo", "unit": "kids"},
        {"centre": "nowhere"},
        {"centre": "bodo", "minutes": 1},
        {"centre": "bodo", "minutes": "60"},
        {"centre": "bodo", "note": 5},
        {"centre": "bodo", "children": [40]},
        {"centre": "bodo", "needs": ["jacuzzi"]},
        {"centre": "bodo", "adults": True},
        {"centre": "bodo", "name": "Kari Nordmann"},
        {"centre": "bodo", "children": [{"age": 3}]},
    ],
)
def test_hostile_hold_bodies(client: TestClient, seeded: dict[str, str], body: Any) -> None:
    response = api(client, seeded["token-adviser"], "POST", "/api/v1/holds", body)
    assert response.status_code in (404, 415, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_public_cannot_hold(client: TestClient) -> None:
    assert client.post("/api/v1/holds", json={"centre": "bodo"}).status_code == 401


# -- statistics ---------------------------------------------------------------------------------


def test_unmet_need_statistics_count_searches_without_a_place(client: TestClient) -> None:
    client.get("/api/v1/search", params={"q": "Bodø"})  # finds a place
    client.get("/api/v1/search", params={"q": "Bodø", "gender": "man", "children": "4"})  # none
    client.get("/api/v1/search", params={"q": "Oslo", "needs": "substance_use"})  # none
    login(client, "adviser")
    page = soup(client.get("/console/stats"))
    assert page.select_one("svg title") is not None
    export = client.get("/console/stats.csv").text.splitlines()
    header = export[0].split(",")
    rows = {
        line.split(",")[1]: dict(zip(header, line.split(","), strict=True)) for line in export[1:]
    }
    assert rows["Nordland"]["searches"] == "2" and rows["Nordland"]["no_place"] == "1"
    assert rows["Nordland"]["unmet_man_with_children"] == "1"
    assert rows["Oslo"]["unmet_substance_use"] == "1"
    assert not any(re.search(r"Bodø|\b4\b", line) for line in export[1:])


def test_the_console_marks_a_likely_responsible_centre_not_confirmed(client: TestClient) -> None:
    login(client, "adviser")
    rows = soup(client.get("/console", params={"q": "Fauske"})).select("table tbody tr.responsible")
    assert len(rows) == 1 and rows[0].select_one(".unconfirmed") is not None
    rows = soup(client.get("/console", params={"q": "Bodø"})).select("table tbody tr.responsible")
    assert len(rows) == 1 and rows[0].select_one(".unconfirmed") is None


LIVE = {"HX-Request": "true", "Havn-Live": "refresh", "HX-Trigger": "results"}


def test_a_live_refresh_is_not_counted_as_another_search(client: TestClient) -> None:
    """One search and three live refreshes of its results count once, on both pages."""
    client.get("/", params={"q": "Bodø"})
    for _ in range(3):
        refreshed = client.get("/", params={"q": "Bodø"}, headers=LIVE)
        assert refreshed.status_code == 200 and "<html" not in refreshed.text
    login(client, "adviser")
    client.get("/console", params={"q": "Oslo"})
    for _ in range(3):
        assert client.get("/console", params={"q": "Oslo"}, headers=LIVE).status_code == 200
    export = client.get("/console/stats.csv").text.splitlines()
    header = export[0].split(",")
    rows = {
        line.split(",")[1]: dict(zip(header, line.split(","), strict=True)) for line in export[1:]
    }
    assert rows["Nordland"]["searches"] == "1" and rows["Oslo"]["searches"] == "1"


def test_every_live_section_follows_one_contract(client: TestClient) -> None:
    """Same attributes everywhere: refresh itself, swap its content, pass nothing to children."""
    sections = [soup(client.get("/", params={"q": "Bodø"})).select_one("section[data-live]")]
    login(client, "adviser")
    sections.append(soup(client.get("/console", params={"q": "Oslo"})).select_one("[data-live]"))
    client.post("/logout", data={"csrf": csrf_of(client.get("/console").text)})
    login(client, "staff-a")
    sections.append(soup(client.get("/staff")).select_one("[data-live]"))
    for section in sections:
        assert section is not None
        assert section["hx-swap"] == "innerHTML" and section["hx-disinherit"] == "*"
        assert section.get("hx-select") is None and "?" not in section["hx-get"]
        assert section["hx-trigger"].startswith("sse:change")
    # The staff block answers a refresh with the counters themselves, not a whole page.
    block = client.get("/staff", headers=LIVE).text
    assert "<html" not in block and soup(block).select("form.unit-card")


# -- words, not codes ----------------------------------------------------------------------------


def test_the_console_names_units_and_centres_in_words(client: TestClient) -> None:
    login(client, "adviser")
    form, fields = hold_form(client)
    held = client.post(form["action"], data={**fields, "minutes": "90"})
    page = soup(held)
    where = [
        row.select_one(".where").get_text(" ", strip=True)
        for row in page.select("#results table.console-table tbody tr")
    ]
    assert where[0] == "Nordland · Botilbud for kvinner"
    understood = page.select_one("#results .understood").get_text(" ", strip=True)
    assert understood.endswith("Ansvarlig krisesenter: Bodø krisesenter")  # a name, not "bodo"
    # The hold is in the table near the top, in words, with its Oslo time.
    [row] = page.select("#mine table.holds tbody tr")
    assert (
        row.select_one("th").get_text(" ", strip=True) == "Bodø krisesenter · Botilbud for kvinner"
    )
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[0] == "1" and re.fullmatch(r"\d\d:\d\d", cells[1]) and cells[2] == "adviser"
    assert [b.get_text(strip=True) for b in row.select("button")] == ["Kommet fram", "Frigi"]
    text = page.select_one("main").get_text(" ", strip=True)
    for code in ("women", "transitional", " bodo", "oslo,"):
        assert code not in text


def test_unmet_needs_are_listed_in_words(client: TestClient) -> None:
    client.get("/api/v1/search", params={"q": "Bodø", "gender": "man", "children": "4"})
    client.get("/api/v1/search", params={"q": "Oslo", "needs": "substance_use"})
    login(client, "adviser")
    page = soup(client.get("/console/stats"))
    listed = {li["data-key"]: li.get_text(strip=True) for li in page.select("ul.unmet li")}
    assert listed["substance_use"] == "aktiv rusbruk: 1"
    assert listed["man_with_children"] == "En mann med barn: 1"
    assert listed["children"] == "Barn: 1"
    table = page.select_one("table.history").get_text(" ", strip=True)
    assert "substance_use" not in table and "man_with_children" not in table


def test_the_holds_refresh_live_with_the_advisers_own_section(client: TestClient) -> None:
    """The holds table is part of the "mine" live section: a refresh of it brings the holds."""
    login(client, "adviser")
    form, fields = hold_form(client)
    client.post(form["action"], data=fields)
    mine = {"HX-Request": "true", "HX-Target": "mine", "Havn-Live": "refresh"}
    block = client.get(fields["back"], headers=mine)
    assert block.status_code == 200 and "<html" not in block.text
    part = soup(block)
    assert len(part.select("table.holds tbody tr")) == 1
    assert part.select_one("table.console-table") is None  # the results are their own section
    page = soup(client.get(fields["back"]))
    assert page.select_one("section#mine[data-live] table.holds") is not None
    assert page.select_one("section#results[data-live] table.holds") is None
