"""The adviser console, holds through pages and API, and the unmet-need statistics."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from capacity import registry
from capacity.db import session_factory
from capacity.geocoder import Gazetteer
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


def test_a_second_hold_on_the_last_places_is_refused_clearly(client: TestClient) -> None:
    login(client, "adviser")
    page = soup(client.get("/console", params={"q": "Bodø", "adults": "2"}))
    form = page.select_one("form.hold-form")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    first = client.post(form["action"], data=fields, follow_redirects=False)
    second = client.post(form["action"], data=fields, follow_redirects=False)
    assert "message=held" in first.headers["location"]
    assert "message=full" in second.headers["location"]


@pytest.mark.parametrize(
    "changes",
    [
        {"minutes": "0"},
        {"minutes": "abc"},
        {"note": "x" * 400},
        {"unit_id": "999"},
        {"children": "40"},
        {"needs": "jacuzzi"},
        {"csrf": "forged"},
    ],
)
def test_hostile_hold_forms_are_refused(client: TestClient, changes: dict[str, str]) -> None:
    login(client, "adviser")
    page = soup(client.get("/console", params={"q": "Bodø"}))
    form = page.select_one("form.hold-form")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    response = client.post(form["action"], data={**fields, **changes}, follow_redirects=False)
    assert response.status_code in (303, 403, 404)
    if response.status_code == 303:
        assert "message=held" not in response.headers["location"]


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
    assert "<html" not in block and BeautifulSoup(block, "html.parser").select("form.unit-card")
