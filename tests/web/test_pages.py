"""The public pages, rendered by the real app and checked with CSS selectors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from capacity import registry
from capacity.db import session_factory
from capacity.geocoder import Gazetteer
from capacity.models import utcnow
from tests.helpers import asgi, make_centre, soup
from web.i18n import LANGUAGES

SECRET = "Secret adviser note: back door code 4711"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Pages read what the API reads; SQLite is enough here (the API tests cover both)."""
    return sqlite_url


@pytest.fixture
async def seeded(engine: AsyncEngine, gazetteer: Gazetteer) -> AsyncIterator[AsyncEngine]:
    now = utcnow()
    async with session_factory(engine)() as session:
        bodo = make_centre(
            "bodo",
            gazetteer,
            "1804",
            phone="75 00 00 00",
            phone_source="https://www.fylkesmannen.no/Nordland/Krisesenter?x=1&y=2",
            phone_published="2017",
            adviser_notes=SECRET,
            email="post@example.invalid",
        )
        oslo = make_centre("oslo", gazetteer, "0301")
        halden = make_centre("halden", gazetteer, "3101", status="closed", status_reason="2025")
        for centre in (bodo, oslo, halden):
            await registry.add_centre(session, centre, actor="test")
        await registry.set_availability(
            session,
            bodo.units[0],
            free_beds=3,
            free_family_rooms=1,
            free_accessible_rooms=1,
            actor="test",
            source="demo",
            as_of=now - timedelta(minutes=20),
        )
        await registry.set_availability(
            session,
            oslo.units[0],
            free_beds=1,
            free_family_rooms=0,
            free_accessible_rooms=0,
            actor="test",
            source="staff",
            as_of=now - timedelta(hours=30),
        )
        await session.commit()
    yield engine


PAGES = ["/", "/?q=Bodø", "/centres/bodo", "/municipalities", "/safety", "/nowhere"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_quick_exit_helplines_and_no_foreign_assets(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    page = soup(response)
    exit_link = page.select_one("a#quick-exit")
    assert exit_link is not None and exit_link["href"].startswith("https://")
    assert [a.get_text(strip=True) for a in page.select(".helplines .number")] == [
        "112",
        "116 006",
        "22 33 11 60",
    ]
    for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
        for element in page.select(f"{tag}[{attribute}]"):
            assert element[attribute].startswith("/"), element
    assert page.select("script:not([src])") == []  # no inline script: the CSP forbids it
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in response.headers


def test_search_page_without_a_query_shows_the_form_only(client: TestClient) -> None:
    page = soup(client.get("/"))
    form = page.select_one("form.search")
    assert form is not None and form["method"] == "get" and form["action"] == "/"
    assert form["hx-get"] == "/" and form["hx-target"] == "#results"
    names = {field["name"] for field in form.select("[name]")}
    assert names >= {"q", "gender", "children", "language", "needs", "away_from", "min_km"}
    assert page.select(".card") == []
    assert page.select_one("label[for=q]") is not None


def test_results_come_in_groups_with_the_responsible_centre_marked(client: TestClient) -> None:
    response = client.get("/", params={"q": "Bodø"})
    page = soup(response)
    assert response.status_code == 200
    assert "Bodø" in page.select_one(".understood").get_text()
    headings = [h["class"][1] for h in page.select("h2.group")]
    assert headings == ["group-now", "group-call", "group-unavailable"]
    first = page.select_one(".cards .card")
    assert first is not None and "responsible" in first["class"]
    assert first.select_one("h3 a")["href"] == "/centres/bodo"
    call = first.select_one("a.call.big")
    assert call is not None and call["href"] == "tel:75000000"
    assert first.select_one(".missing .demo") is not None  # demo numbers say so
    assert "20" in first.select_one(".fits").get_text()  # "updated 20 minutes ago"
    oslo = page.select(".cards")[1].select_one(".card")
    assert oslo.select_one(".nophone") is not None  # no phone: never invented
    assert SECRET not in response.text


def test_htmx_gets_only_the_results_block(client: TestClient) -> None:
    response = client.get("/", params={"q": "Bodø"}, headers={"HX-Request": "true"})
    assert "<html" not in response.text and "<form" not in response.text
    assert soup(response).select(".card")
    assert "HX-Request" in response.headers["vary"]
    restore = client.get(
        "/",
        params={"q": "Bodø"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.text


def test_the_form_keeps_what_was_asked(client: TestClient) -> None:
    page = soup(client.get("/?q=Bodø&gender=man&children=3,7&needs=pets&needs=wheelchair"))
    assert page.select_one("#q")["value"] == "Bodø"
    assert page.select_one("input[name=gender][value=man]").has_attr("checked")
    assert page.select_one("#children")["value"] == "3,7"
    checked = {box["value"] for box in page.select("input[name=needs][checked]")}
    assert checked == {"pets", "wheelchair"}


def test_an_ambiguous_place_offers_a_choice(client: TestClient) -> None:
    page = soup(client.get("/", params={"q": "Os", "children": "4"}))
    links = page.select(".candidates a")
    assert len(links) >= 2
    assert all("children=4" in link["href"] for link in links)
    chosen = client.get(links[0]["href"])
    assert chosen.status_code == 200 and soup(chosen).select_one(".understood") is not None


def test_an_unknown_place_is_explained(client: TestClient) -> None:
    response = client.get("/", params={"q": "<script>alert(1)</script>"})
    assert response.status_code == 422
    problem = soup(response).select_one("#problem")
    assert problem is not None and "<script>" in problem.get_text()
    assert "<script>alert(1)</script>" not in response.text  # escaped, never markup
    assert soup(response).select_one("#q")["aria-invalid"] == "true"


@pytest.mark.parametrize(
    "query",
    [
        {"q": "Bodø", "children": "99"},
        {"q": "Bodø", "needs": "jacuzzi"},
        {"q": "Bodø", "gender": "x" * 500},
        {"lat": "nan", "lon": "1"},
        {"q": "Bodø", "min_km": "100"},
        {"q": "\x00"},
        {"q": "Bodø", "language": "<b>"},
    ],
)
def test_bad_input_gets_a_clear_message_never_a_crash(
    client: TestClient, query: dict[str, str]
) -> None:
    response = client.get("/", params=query)
    assert response.status_code == 422
    assert soup(response).select_one("#problem").get_text(strip=True)


def test_a_language_chosen_by_link_is_kept_in_a_session_cookie(client: TestClient) -> None:
    response = client.get("/", params={"lang": "ar"})
    html = soup(response).select_one("html")
    assert html["lang"] == "ar" and html["dir"] == "rtl"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("havn_lang=ar") and "httponly" in cookie.lower()
    assert "max-age" not in cookie.lower() and "expires" not in cookie.lower()
    follow = soup(client.get("/safety"))
    assert follow.select_one("html")["lang"] == "ar"


def test_accept_language_picks_the_page_language_without_a_cookie(client: TestClient) -> None:
    response = client.get("/", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.8"})
    assert soup(response).select_one("html")["lang"] == "pl"
    assert "set-cookie" not in response.headers
    fallback = client.get("/", headers={"Accept-Language": "xx, zz;q=0.5"})
    assert soup(fallback).select_one("html")["lang"] == "nb"


def test_the_language_switcher_links_keep_the_search(client: TestClient) -> None:
    page = soup(client.get("/", params={"q": "Bodø"}))
    links = {a["lang"]: a["href"] for a in page.select(".languages a")}
    assert set(links) == {"nb", "nn", "se", "da", "en", "pl", "uk", "ar", "so", "ti"}
    assert "q=Bod" in links["en"] and "lang=en" in links["en"]


@pytest.mark.parametrize("path", ["/?q=Bodø&lang=en", "/centres/bodo?lang=en"])
def test_a_sourced_number_is_tap_to_call_with_who_published_it(
    client: TestClient, path: str
) -> None:
    page = soup(client.get(path))
    call = page.select_one("a.call.big[href^='tel:']")
    assert call is not None and call["href"] == "tel:75000000"
    published = call.find_next_sibling("p", class_="published")
    assert published is not None
    assert published.get_text(strip=True) == "Published by fylkesmannen.no, 2017"
    assert published.select("a") == []  # the source's host as text: no request, no link away
    assert not page.select("a[href*='fylkesmannen']")
    assert "Nordland/Krisesenter" not in str(page)
    bokmal = soup(client.get(path.replace("lang=en", "lang=nb"))).select_one(".published")
    assert (
        bokmal is not None and bokmal.get_text(strip=True) == "Publisert av fylkesmannen.no, 2017"
    )


def test_without_a_number_no_published_line_and_the_helpline_stays(client: TestClient) -> None:
    page = soup(client.get("/", params={"q": "Oslo", "lang": "en"}))
    oslo = next(c for c in page.select(".card") if c.select_one("h3 a")["href"] == "/centres/oslo")
    assert oslo.select_one("a.call.big")["href"] == "tel:116006"
    assert oslo.select_one(".published") is None


def test_the_centre_page_keeps_the_address_secret(client: TestClient) -> None:
    response = client.get("/centres/bodo")
    page = soup(response)
    assert page.select_one("h1").get_text(strip=True) == "Bodø krisesenter"
    assert SECRET not in response.text
    assert page.select_one(".demo-note") is None  # a real (non-demo) centre in this test
    assert page.select_one(".unit .demo") is not None  # but its numbers are demo numbers
    assert client.get("/centres/nowhere").status_code == 404


def test_every_municipality_is_listed_with_its_centre(
    client: TestClient, gazetteer: Gazetteer
) -> None:
    page = soup(client.get("/municipalities"))
    rows = page.select(".municipalities li")
    assert len(rows) == len(gazetteer.municipalities("NO")) >= 357
    bodo = next(row for row in rows if row.select_one(".municipality").get_text() == "Bodø")
    assert bodo.select_one("a")["href"] == "/centres/bodo"


def test_unknown_pages_are_a_friendly_404(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert soup(response).select_one("a#quick-exit") is not None


def test_a_likely_responsible_centre_is_marked_not_confirmed(client: TestClient) -> None:
    likely = soup(client.get("/", params={"q": "Fauske"})).select_one(".cards .card.responsible")
    assert likely is not None and likely.select_one("h3 a")["href"] == "/centres/bodo"
    assert likely.select_one(".unconfirmed") is not None
    sourced = soup(client.get("/", params={"q": "Bodø"})).select_one(".cards .card.responsible")
    assert sourced is not None and sourced.select_one(".unconfirmed") is None


def test_a_closed_centre_is_never_the_responsible_one(client: TestClient) -> None:
    page = soup(client.get("/", params={"q": "Halden"}))
    responsible = page.select(".cards .card.responsible")
    assert [card.select_one("h3 a")["href"] for card in responsible] == ["/centres/oslo"]
    assert responsible[0].select_one(".unconfirmed") is not None


def test_an_approximate_postcode_says_where_the_results_are_from(client: TestClient) -> None:
    understood = soup(client.get("/", params={"q": "5147"})).select_one(".understood")
    assert understood is not None and "approximate" in understood["class"]
    assert "Bergen" in understood.get_text() and "5147" in understood.get_text()
    exact = soup(client.get("/", params={"q": "8006"})).select_one(".understood")
    assert exact is not None and "approximate" not in exact["class"]


def test_the_municipalities_page_marks_likely_centres_not_confirmed(client: TestClient) -> None:
    rows = {
        row.select_one(".municipality").get_text(): row
        for row in soup(client.get("/municipalities")).select(".municipalities li")
    }
    assert rows["Bodø"].select_one(".unconfirmed") is None
    assert rows["Fauske"].select_one("a")["href"] == "/centres/bodo"
    assert rows["Fauske"].select_one(".unconfirmed") is not None
    assert all(row.select_one("a[href^='/centres/']") for row in rows.values())


def test_a_postcode_between_two_municipalities_offers_both_and_each_link_finds_one(
    client: TestClient,
) -> None:
    page = soup(client.get("/", params={"q": "5170"}))
    links = page.select(".candidates a")
    assert [link.get_text() for link in links] == [
        "5170 Bjørndalstræ (Bergen, Vestland)",
        "5170 Bjørndalstræ (Bjørnafjorden, Vestland)",
    ]
    chosen = soup(client.get(links[1]["href"])).select_one(".understood")
    assert chosen is not None and "Bjørnafjorden" in chosen.get_text()
    assert "approximate" in chosen["class"]


QUICK_EXIT = "https://www.yr.no/"
URL_ATTRIBUTES = ("href", "action", "src", "hx-get", "hx-post", "sse-connect", "formaction")


def off_site(url: str) -> bool:
    """Whether a browser would leave this site for `url` (the quick exit is meant to)."""
    if url.startswith("tel:") or url == QUICK_EXIT or url.startswith("#"):
        return False
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc) or not url.startswith("/") or url[1:2] in ("/", "\\")


@pytest.mark.parametrize(
    "path",
    [
        "//evil.example/x",
        "///evil.example/x",
        "/\\evil.example",
        "/%5Cevil.example",
        "/%2F%2Fevil.example",
        "/%2F/evil.example/x",
        "//evil.example/%2F..",
    ],
)
def test_links_on_a_404_never_lead_to_another_site(client: TestClient, path: str) -> None:
    response = client.get("http://testserver" + path, params={"q": "x"})
    assert response.status_code == 404
    page = soup(response)
    languages = [a["href"] for a in page.select(".languages a")]
    assert len(languages) == len(LANGUAGES) and all("lang=" in href for href in languages)
    urls = [tag[name] for name in URL_ATTRIBUTES for tag in page.select(f"[{name}]")]
    assert len(urls) > 9
    assert [url for url in urls if off_site(url)] == []
    assert "evil.example" in languages[0]  # the same page, on this site, in another language


def raw_get(client: TestClient, path: str) -> tuple[int, str]:
    """GET with `path` exactly as a server hands it to the app (percent-decoded: a real
    server gives "/\\evil.example" for "/%5Cevil.example", which the test client does not)."""
    status, body = asgi(client, "GET", path, {}, peer=("203.0.113.9", 5000))
    return status, body.decode()


@pytest.mark.parametrize("path", ["/\\evil.example", "//evil.example/x", "/\\/evil.example"])
def test_links_on_a_404_stay_on_this_site_for_paths_as_servers_decode_them(
    client: TestClient, path: str
) -> None:
    status, html = raw_get(client, path)
    assert status == 404
    page = soup(html)
    urls = [tag[name] for name in URL_ATTRIBUTES for tag in page.select(f"[{name}]")]
    assert len(urls) > 9 and [url for url in urls if off_site(url)] == []
