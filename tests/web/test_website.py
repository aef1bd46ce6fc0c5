"""A centre's website is an http(s) address, on the admin form, on import and on every page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from capacity import website
from capacity.db import session_factory
from capacity.exchange.csv import parse_centres_csv
from capacity.models import Centre, Event
from tests.helpers import centre_row, csrf_of, csv_file, login, soup

HOSTILE = (
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript://krisesenter.no/%0aalert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "https://user:password@evil.example",
    "https:evil.example",
    "//evil.example",
    "ftp://krisesenter.no",
    'https://krisesenter.no/"onmouseover="alert(1)',
)


@pytest.mark.parametrize("value", HOSTILE)
def test_parse_takes_web_addresses_only(value: str) -> None:
    with pytest.raises(ValueError, match=r"must|contain"):
        website.parse(value)
    assert website.link(value) is None


def test_parse_keeps_web_addresses_and_adds_https_to_a_bare_name() -> None:
    assert website.parse("https://krisesenter.no/om") == "https://krisesenter.no/om"
    assert website.parse("HTTP://Bodø.kommune.no") == "http://Bodø.kommune.no"
    assert website.parse("krisesenter.no") == "https://krisesenter.no"


@pytest.mark.parametrize("value", HOSTILE[:7])
def test_the_import_refuses_other_schemes_by_line_and_column(value: str) -> None:
    row = centre_row("narvik", (68.44, 17.43), host="1806") | {"website": value}
    with pytest.raises(Exception) as caught:
        parse_centres_csv(csv_file(row))
    errors = caught.value.detail["errors"]  # type: ignore[attr-defined]
    assert [(e.line, e.column) for e in errors] == [(2, "website")]


async def stored(engine: AsyncEngine) -> tuple[str | None, int]:
    async with session_factory(engine)() as session:
        centre = await session.get(Centre, "bodo", populate_existing=True)
        assert centre is not None
        events = await session.scalar(select(func.count()).select_from(Event))
        return centre.website, int(events or 0)


async def test_the_admin_form_refuses_a_javascript_website_by_the_field(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "admin")
    before = await stored(engine)
    for value in HOSTILE:
        token = csrf_of(client.get("/admin").text)
        response = client.post(
            "/admin/centres/bodo",
            data={"csrf": token, "name": "Changed name", "website": value, "women_beds": "12"},
        )
        assert response.status_code == 422, value
        form = soup(response)
        field = form.select_one("#website-bodo")
        error = form.select_one("#website-bodo-error")
        assert field is not None and error is not None, value
        assert field["aria-invalid"] == "true" and "website-bodo-error" in field["aria-describedby"]
        assert "https://" in error.get_text() and "Nothing was changed" in error.get_text()
        assert field["value"] == value.strip() or field["value"] == value  # as typed, to fix
        details = field.find_parent("details")
        assert details is not None and details.has_attr("open")
        assert await stored(engine) == before  # not the name, not the beds, no event
    token = csrf_of(client.get("/admin").text)
    saved = client.post(
        "/admin/centres/bodo", data={"csrf": token, "name": "Bodø", "website": "krisesenter.no"}
    )
    assert saved.status_code == 200 and saved.url.path == "/admin"
    assert (await stored(engine))[0] == "https://krisesenter.no"


async def test_a_stored_javascript_website_never_becomes_a_link(
    client: TestClient, engine: AsyncEngine
) -> None:
    async with session_factory(engine)() as session:  # as older code could have stored it
        await session.execute(
            update(Centre).where(Centre.id == "bodo").values(website="javascript:alert(1)")
        )
        await session.commit()
    centre_page = soup(client.get("/centres/bodo"))
    assert centre_page.select("a[href]")  # the page has links, just not that one
    for anchor in centre_page.select("a[href]"):
        assert not str(anchor["href"]).strip().lower().startswith(("javascript", "data", "vb"))
    assert "javascript:" not in centre_page.get_text()
    assert client.get("/api/v1/centres/bodo").json()["website"] is None
    assert "javascript:" not in client.get("/api/v1/export/hsds").text


async def test_the_page_publishing_the_phone_is_checked_on_the_admin_form_and_audited(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "admin")
    before = await stored(engine)
    for field, value in (("phone_source", "javascript:alert(1)"), ("phone_published", "2017\r\nx")):
        token = csrf_of(client.get("/admin").text)
        response = client.post(
            "/admin/centres/bodo", data={"csrf": token, "phone": "75 00 00 00", field: value}
        )
        assert response.status_code == 422, field
        assert soup(response).select_one(f"#{field}-bodo[aria-invalid=true]") is not None
        assert await stored(engine) == before
    token = csrf_of(client.get("/admin").text)
    data = {
        "csrf": token,
        "phone": "75 00 00 00",
        "phone_source": "www.bodo.kommune.no/krisesenter",
        "phone_published": "2021-12",
    }
    assert client.post("/admin/centres/bodo", data=data).status_code == 200
    async with session_factory(engine)() as session:
        centre = await session.get(Centre, "bodo", populate_existing=True)
        assert centre is not None
        assert (centre.phone_source, centre.phone_published) == (
            "https://www.bodo.kommune.no/krisesenter",
            "2021-12",
        )
        event = await session.scalar(
            select(Event).where(Event.action == "centre.updated").order_by(Event.id.desc())
        )
        assert event is not None and event.actor == "admin"
        assert event.after["phone_source"] == "https://www.bodo.kommune.no/krisesenter"
    published = soup(client.get("/centres/bodo?lang=en")).select_one(".published")
    assert published is not None and published.get_text(strip=True) == (
        "Published by bodo.kommune.no, 2021-12"
    )


async def test_a_stored_javascript_phone_source_is_neither_shown_nor_served(
    client: TestClient, engine: AsyncEngine
) -> None:
    async with session_factory(engine)() as session:
        await session.execute(
            update(Centre)
            .where(Centre.id == "bodo")
            .values(phone="75 00 00 00", phone_source="javascript:alert(1)", phone_published="1")
        )
        await session.commit()
    page = soup(client.get("/centres/bodo"))
    assert page.select_one("a.call.big[href^='tel:']") is not None
    assert page.select_one(".published") is None
    assert client.get("/api/v1/centres/bodo").json()["phone_source"] is None
