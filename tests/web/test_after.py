"""After the stay on the site and in the console: the person's municipality → the help that
applies and the transitional flats near it (whom to ask, never how many or where)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from capacity import aftercare, registry
from capacity.db import session_factory
from capacity.geocoder import Gazetteer
from capacity.models import Unit
from tests.helpers import csrf_of, login, seed_bodo_and_oslo, soup

BODO_SERVICE = {
    "country": "NO",
    "municipality_code": "1804",
    "kind": "housing",
    "name": "Boligkontoret i Bodø",
    "who_for": "Innbyggere som trenger bolig",
    "phone": "75 55 50 00",
    "website": "https://bodo.kommune.no/bolig",
    "source": "https://bodo.kommune.no/bolig",
    "source_date": "2026-11-01",
}


@pytest.fixture
async def seeded(engine: AsyncEngine, gazetteer: Gazetteer) -> dict[str, str]:
    """Bodø and Oslo with people; Bodø also has 4 transitional flats (3 free) that the
    municipality refers to, the seed directory and one Bodø housing office."""
    async with session_factory(engine)() as session:
        tokens = await seed_bodo_and_oslo(session, gazetteer)
        bodo = await registry.get_centre(session, "bodo")
        bodo.phone = "75 00 00 00"
        flats = Unit(
            kind="transitional",
            beds=4,
            rooms=4,
            family_rooms=0,
            accessible_rooms=0,
            children=True,
            pets=False,
            stay_months=6,
            referred_by="municipality",
        )
        bodo.units.append(flats)
        await session.flush()
        await registry.set_availability(
            session,
            flats,
            free_beds=3,
            free_family_rooms=0,
            free_accessible_rooms=0,
            actor="test",
            source="staff",
        )
        await aftercare.add_service(session, BODO_SERVICE, gazetteer, actor="test")
        await session.commit()
        await aftercare.load_seed(session, gazetteer)
        return tokens


def test_the_person_sees_municipal_help_first_then_national_and_whom_to_ask(
    client: TestClient,
) -> None:
    page = soup(client.get("/after-the-stay", params={"q": "Bodø", "lang": "en"}))

    names = [h.get_text(strip=True) for h in page.select(".after-service h3")]
    assert names[0] == "Boligkontoret i Bodø"
    assert {"Fri rettshjelp", "Familievernkontoret (familievernet)"} <= set(names)
    assert "Qnet – Røde Kors' efterværn" not in names  # Denmark's, not Norway's
    assert "Startlån – Engerdal kommune" not in names  # another municipality's
    assert [a["href"] for a in page.select(".after-centre a[href^='/centres/']")] == [
        "/centres/bodo"
    ]
    flats = page.select(".after-flat")
    assert [f.h3.get_text(strip=True) for f in flats] == ["Bodø krisesenter"]
    text = flats[0].get_text(" ", strip=True)
    assert "municipality" in text and "75 00 00 00" in text
    # Never how many flats there are, nor how many are free.
    assert not {"3", "4"} & set(text.replace("75 00 00 00", "").split())
    assert page.select_one("a[href='tel:116006']") is not None


def test_an_unknown_field_says_it_is_not_published(client: TestClient) -> None:
    page = soup(client.get("/after-the-stay", params={"q": "Bodø", "lang": "en"}))
    jurk = next(li for li in page.select(".after-service") if "JURK" in li.h3.get_text(strip=True))
    assert "Phone: not published." in jurk.get_text(" ", strip=True)
    assert jurk.select_one(".source a")["href"].startswith("https://")  # type: ignore[index]


def test_the_page_is_linked_from_the_home_page_and_the_safety_footer(client: TestClient) -> None:
    assert soup(client.get("/")).select_one("main a[href='/after-the-stay']") is not None
    footer = soup(client.get("/safety")).select_one("footer a[href='/after-the-stay']")
    assert footer is not None


def test_the_empty_form_shows_no_answer_yet(client: TestClient) -> None:
    response = client.get("/after-the-stay")
    page = soup(response)
    assert response.status_code == 200
    assert page.select_one("#after-form input[name='q']") is not None
    assert page.select(".after-service, .after-flat, .problem") == []


@pytest.mark.parametrize(
    "query",
    [
        "<script>alert(1)</script>",
        "x" * 5000,
        "Bodø\x00",
        "' OR 1=1 --",
        "%00%ff",
        "\u202eødoB",
    ],
)
def test_hostile_queries_come_back_as_a_problem_never_as_markup(
    client: TestClient, query: str
) -> None:
    response = client.get("/after-the-stay", params={"q": query})
    page = soup(response)
    assert response.status_code in (200, 422)
    assert page.select("main script") == []
    if response.status_code == 422:
        assert page.select_one("#after-problem") is not None
    assert page.select(".after-flat .count") == []


def test_the_public_centre_page_and_api_never_show_the_flats(client: TestClient) -> None:
    page = soup(client.get("/centres/bodo", params={"lang": "en"}))
    assert [s.h2.get_text(strip=True) for s in page.select("section.unit")] == [
        "Women's unit",
        "Men's unit",
    ]
    units = client.get("/api/v1/centres/bodo").json()["units"]
    assert {u["kind"] for u in units} == {"women", "men"}


def test_the_console_lists_flats_after_the_stay_with_free_counts(client: TestClient) -> None:
    login(client, "adviser")
    page = soup(client.get("/console", params={"q": "Bodø", "lang": "en"}))
    section = page.select_one("#after-the-stay")
    assert section is not None
    rows = section.select("tbody tr")
    assert [r.th.a.get_text(strip=True) for r in rows] == ["Bodø krisesenter"]  # type: ignore[union-attr]
    cells = [td.get_text(" ", strip=True) for td in rows[0].select("td")]
    assert cells[0] == "3 / 4"
    assert cells[1].startswith("The municipality")

    # The adviser holds one flat for a person leaving a centre: the count drops to 2.
    hold = rows[0].select_one("form.hold-form")
    assert hold is not None
    data = {i["name"]: i.get("value", "") for i in hold.select("input")}
    response = client.post("/console/holds", data=data, follow_redirects=False)
    assert response.status_code == 303 and "message=held:" in response.headers["location"]
    again = soup(client.get("/console", params={"q": "Bodø", "lang": "en"}))
    assert again.select_one("#after-the-stay tbody td").get_text(strip=True) == "2 / 4"  # type: ignore[union-attr]


def test_staff_change_free_flats_with_one_tap_like_beds(client: TestClient) -> None:
    login(client, "staff-a")
    page = soup(client.get("/staff", params={"lang": "en"}))
    card = next(
        f
        for f in page.select("form.unit-card")
        if "Transitional" in f.h2.get_text(strip=True)  # type: ignore[union-attr]
    )
    labels = [label.get_text(" ", strip=True) for label in card.select(".counter label")]
    assert labels == ["Free flats (of 4)", "Free wheelchair-accessible flats (of 0)"]
    data = {i["name"]: i.get("value", "") for i in card.select("input")}
    response = client.post(
        str(card["action"]), data=data | {"step": "free_beds:-1"}, follow_redirects=False
    )
    assert response.status_code == 303
    login(client, "adviser")
    page = soup(client.get("/console", params={"q": "Bodø", "lang": "en"}))
    assert page.select_one("#after-the-stay tbody td").get_text(strip=True) == "2 / 4"  # type: ignore[union-attr]


def admin_post(client: TestClient, path: str, **fields: str) -> Any:
    token = csrf_of(client.get("/admin").text)
    return client.post(path, data={"csrf": token, **fields}, follow_redirects=False)


NEW = {
    "country": "NO",
    "municipality_code": "1804",
    "kind": "nav",
    "name": "NAV Bodø",
    "who_for": "",
    "phone": "",
    "website": "https://www.nav.no",
    "source": "https://www.nav.no",
    "source_date": "2026-11-20",
}


def test_an_admin_adds_and_edits_a_service_and_the_public_page_shows_it(
    client: TestClient,
) -> None:
    login(client, "admin")
    added = admin_post(client, "/admin/aftercare", **NEW)
    assert added.status_code == 200
    assert (
        soup(added).select_one(".saved").get_text(strip=True) == "Aftercare service NAV Bodø added."
    )  # type: ignore[union-attr]
    page = soup(client.get("/after-the-stay", params={"q": "Bodø", "lang": "en"}))
    names = [h.get_text(strip=True) for h in page.select(".after-service h3")]
    assert names[:2] == ["Boligkontoret i Bodø", "NAV Bodø"]  # municipal, kinds in order

    admin = soup(client.get("/admin"))
    form = next(
        f
        for f in admin.select("form[action^='/admin/aftercare/']")
        if f.select_one("input[name=name]")["value"] == "NAV Bodø"  # type: ignore[index]
    )
    changed = NEW | {"phone": "55 55 33 33"}
    assert admin_post(client, str(form["action"]), **changed).status_code == 200
    page = soup(client.get("/after-the-stay", params={"q": "Bodø", "lang": "en"}))
    nav = next(li for li in page.select(".after-service") if li.h3.get_text() == "NAV Bodø")  # type: ignore[union-attr]
    assert nav.select_one("a[href='tel:55553333']") is not None


@pytest.mark.parametrize(
    "changes",
    [
        {"website": "javascript:alert(document.cookie)"},
        {"name": "<script>alert(1)</script>" * 20},
        {"municipality_code": "../../etc"},
        {"kind": "shelter"},
        {"source_date": "2999-12-31"},
        {"phone": "call me"},
    ],
)
def test_the_admin_form_refuses_hostile_input_and_keeps_nothing(
    client: TestClient, changes: dict[str, str]
) -> None:
    login(client, "admin")
    response = admin_post(client, "/admin/aftercare", **(NEW | changes))
    assert response.status_code == 422
    assert soup(response).select_one(".problem[role=alert]") is not None
    page = soup(client.get("/after-the-stay", params={"q": "Bodø", "lang": "en"}))
    assert "NAV Bodø" not in [h.get_text(strip=True) for h in page.select(".after-service h3")]
    assert page.select("main script") == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("website", "javascript:alert(document.cookie)"),
        ("municipality_code", "9999"),
        ("kind", "shelter"),
        ("source_date", "2999-12-31"),
        ("phone", "call me"),
        ("name", "x" * 700),
    ],
)
def test_the_aftercare_form_shows_its_message_by_the_field_and_keeps_what_was_typed(
    client: TestClient, field: str, value: str
) -> None:
    login(client, "admin")
    client.get("/admin", params={"lang": "en"})
    response = admin_post(client, "/admin/aftercare", **(NEW | {field: value}))
    assert response.status_code == 422
    page = soup(response)
    control = page.select_one(f"#aftercare-new [name={field}]")
    assert control is not None and control.get("aria-invalid") == "true"
    error = page.select_one(f"#{control['aria-describedby']}")
    assert error is not None and error.get_text(strip=True)
    assert page.select("p.problem") == [error]  # by the field, not at the top
    kept = page.select_one("#aftercare-new [name=name]")
    assert kept is not None and kept["value"] == (NEW | {field: value})["name"]
    chosen = page.select_one("#aftercare-new [name=kind] option[selected]")
    assert field == "kind" or (chosen is not None and chosen["value"] == "nav")
    # The kinds of help are words, not codes.
    options = [o.get_text(strip=True) for o in page.select("#aftercare-new [name=kind] option")]
    assert "NAV (money and social services)" in options and "nav" not in options


def test_a_failed_edit_of_a_service_opens_its_form_with_the_message_by_the_field(
    client: TestClient,
) -> None:
    login(client, "admin")
    page = soup(client.get("/admin", params={"lang": "en"}))
    form = page.select_one("form[action^='/admin/aftercare/']")
    assert form is not None
    sent = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    for choice in form.select("select[name]"):  # as shown: the service's country and kind
        sent[str(choice["name"])] = str(choice.select_one("option[selected]")["value"])  # type: ignore[index]
    sent["website"] = "javascript:alert(1)"
    response = client.post(str(form["action"]), data=sent, follow_redirects=False)
    assert response.status_code == 422
    shown = soup(response).select_one(f"form[action='{form['action']}']")
    assert shown is not None
    control = shown.select_one("[name=website]")
    assert control is not None and control.get("aria-invalid") == "true"
    assert control["value"] == "javascript:alert(1)"
    details = shown.find_parent("details")
    assert details is not None and details.has_attr("open")


def test_only_an_admin_may_add_a_service(client: TestClient) -> None:
    login(client, "adviser")
    token = csrf_of(client.get("/console").text)
    response = client.post("/admin/aftercare", data={"csrf": token, **NEW}, follow_redirects=False)
    assert response.status_code in (303, 401, 403)
    page = soup(client.get("/after-the-stay", params={"q": "Bodø", "lang": "en"}))
    assert "NAV Bodø" not in [h.get_text(strip=True) for h in page.select(".after-service h3")]


def test_the_api_gives_free_flats_to_advisers_and_the_centre_never_to_anyone(
    client: TestClient, seeded: dict[str, str]
) -> None:
    url = "/api/v1/centres/bodo/units/transitional/availability"
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/centres/bodo/units/women/availability").status_code == 200
    for token, status in (
        ("token-adviser", 200),
        ("token-a", 200),  # Bodø's own staff
        ("token-b", 403),  # Oslo's staff
    ):
        response = client.get(url, headers={"Authorization": f"Bearer {seeded[token]}"})
        assert response.status_code == status, token
    adviser = {"Authorization": f"Bearer {seeded['token-adviser']}"}
    assert client.get(url, headers=adviser).json()["free_beds"] == 3
