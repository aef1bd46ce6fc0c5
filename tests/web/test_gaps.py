"""The administrator's list of gaps: unconfirmed responsible centres (fixed here, audited) and
approximate postcodes (fixed in the gazetteer build), as a page and as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from capacity import registry
from capacity.db import session_factory
from capacity.gaps import CSV_COLUMNS
from capacity.geocoder import Gazetteer
from capacity.models import Centre, Event
from tests.helpers import csrf_of, login, make_centre, seed_bodo_and_oslo, soup

EVIL = '=HYPERLINK("http://attacker.example","Click")'


@pytest.fixture
async def seeded(engine: AsyncEngine, gazetteer: Gazetteer) -> dict[str, str]:
    """Bodø (serves 1804) and Oslo (0301), people, and a centre in Tromsø (5501) whose name a
    spreadsheet would run as a formula: the likely centre of Troms' other municipalities."""
    async with session_factory(engine)() as session:
        tokens = await seed_bodo_and_oslo(session, gazetteer)
        await registry.add_centre(
            session, make_centre("tromso", gazetteer, "5501", name=EVIL), actor="test"
        )
        await session.commit()
    return tokens


def rows(client: TestClient) -> dict[str, str]:
    """The gaps page's municipalities: number -> likely centre."""
    page = soup(client.get("/admin/gaps"))
    return {
        str(row["data-municipality"]): row.select_one(".likely").get_text(strip=True)
        for row in page.select("#municipality-gaps tr[data-municipality]")
    }


def test_the_admin_sees_every_gap_with_counts_at_the_top(client: TestClient) -> None:
    login(client, "admin")
    response = client.get("/admin/gaps?lang=en")
    assert response.status_code == 200
    page = soup(response)
    counts = page.select_one("#count-municipalities").get_text(strip=True)
    assert counts == "355 of 358 municipalities not confirmed"
    postcodes = page.select_one("#count-postcodes").get_text(strip=True)
    assert postcodes == "1,784 of 5,132 postcodes approximate"
    found = rows(client)
    assert len(found) == 355 and not {"1804", "0301", "5501"} & set(found)
    assert found["1841"] == "Bodø krisesenter"  # Fauske: the nearest open centre in Nordland
    assert found["5503"] == EVIL  # Harstad: shown as text, never run
    assert found["2111"] == EVIL  # Svalbard is counted too, with Troms' centre
    fauske = page.select_one("tr[data-municipality='1841'] form")
    assert fauske["action"] == "/admin/gaps/1841" and fauske["method"] == "post"
    assert fauske.select_one("option[selected]")["value"] == "bodo"
    between = page.select_one("#postcode-gaps tr[data-postcode='5170']")
    assert between is not None
    assert {span["data-municipality"] for span in between.select(".candidate")} == {
        "4601",
        "4624",
    }
    assert page.select_one("#postcode-gaps tr[data-postcode='8006']") is None  # exact
    assert "scripts/build_gazetteer.py" in page.select_one("#postcode-fix").get_text()
    assert page.select_one("a[href='/admin/gaps.csv']") is not None


def test_the_gaps_csv_has_a_header_and_no_formula_runs(client: TestClient) -> None:
    login(client, "admin")
    response = client.get("/admin/gaps.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(response.text)))
    assert tuple(table[0]) == CSV_COLUMNS
    municipalities = [row for row in table[1:] if row[0] == "municipality"]
    postcodes = [row for row in table[1:] if row[0] == "postcode"]
    assert len(municipalities) == 355
    assert len({row[1] for row in postcodes}) == 1784
    assert {row[2] for row in postcodes if row[1] == "5170"} == {
        "Bjørndalstræ (4601 Bergen)",
        "Bjørndalstræ (4624 Bjørnafjorden)",
    }
    harstad = next(row for row in municipalities if row[1] == "5503")
    assert harstad[4:6] == ["tromso", "'" + EVIL]
    for row in table[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


@pytest.mark.parametrize("username", ["staff-a", "adviser"])
def test_staff_and_advisers_are_refused(client: TestClient, username: str) -> None:
    login(client, username)
    for path in ("/admin/gaps", "/admin/gaps.csv"):
        assert client.get(path).status_code == 403, path
    token = csrf_of(client.get("/account/password").text)
    refused = client.post("/admin/gaps/1841", data={"csrf": token, "centre_id": "bodo"})
    assert refused.status_code == 403


def test_without_logging_in_the_gaps_send_you_to_log_in(client: TestClient) -> None:
    for path in ("/admin/gaps", "/admin/gaps.csv"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def served(engine: AsyncEngine, centre_id: str) -> set[str]:
    async with session_factory(engine)() as session:
        centre = await registry.get_centre(session, centre_id)
        return {m.municipality_code for m in centre.municipalities}


async def test_confirming_a_gap_is_audited_and_it_leaves_the_list(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "admin")
    token = csrf_of(client.get("/admin/gaps").text)
    response = client.post(
        "/admin/gaps/1841", data={"csrf": token, "centre_id": "bodo"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/gaps?fixed=1841"
    assert await served(engine, "bodo") == {"1804", "1841"}
    async with session_factory(engine)() as session:
        event = await session.scalar(
            select(Event).where(Event.action == "centre.updated").order_by(Event.id.desc())
        )
    assert event is not None and (event.actor, event.entity_id) == ("admin", "bodo")
    assert event.before is not None and event.after is not None
    assert (event.before["serves"], event.after["serves"]) == (["1804"], ["1804", "1841"])
    page = soup(client.get("/admin/gaps?fixed=1841&lang=en"))
    assert "Fauske" in page.select_one("[role=status]").get_text()
    assert "1841" not in rows(client)
    assert len(rows(client)) == 354
    public = soup(client.get("/", params={"q": "Fauske", "lang": "en"}))
    responsible = public.select_one(".card.responsible")
    assert responsible.select_one("h3 a")["href"] == "/centres/bodo"
    assert responsible.select_one(".unconfirmed") is None


async def test_a_bad_fix_changes_nothing(client: TestClient, engine: AsyncEngine) -> None:
    async with session_factory(engine)() as session:
        oslo = await session.get(Centre, "oslo")
        assert oslo is not None
        oslo.status = "closed"
        await session.commit()
    login(client, "admin")
    token = csrf_of(client.get("/admin/gaps").text)
    for code, centre_id, status in (
        ("1841", "oslo", 422),  # a closed centre serves no one
        ("9999", "bodo", 404),  # no such municipality
        ("1841", "nowhere", 404),  # no such centre
        ("1841", "", 404),
    ):
        answer = client.post(f"/admin/gaps/{code}", data={"csrf": token, "centre_id": centre_id})
        assert answer.status_code == status, (code, centre_id)
        assert soup(answer).select_one("[role=alert]") is not None
    missing_csrf = client.post("/admin/gaps/1841", data={"centre_id": "bodo"})
    assert missing_csrf.status_code == 403
    assert await served(engine, "bodo") == {"1804"}
    assert "1841" in rows(client)
