"""The public pages of issue 15: the answer first, a next step when nothing fits, a searchable
municipality list, what no website can erase, the chat's summary block and the render cache,
on the real app with the demo registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from starlette.requests import Request
from starlette.testclient import TestClient

from capacity import demo, migrate
from capacity.db import create_engine, session_factory
from capacity.geocoder import Gazetteer
from tests.helpers import ROOT, soup
from web.app import create_app
from web.config import Settings
from web.rendercache import RenderCache, Rendered
from web.resultview import SHOWN
from web.services import Services
from web.templating import Pages

RESULTS = {"q": "Bodø", "children": "4,9"}
NOTHING_FITS = [("q", "Bodø"), ("gender", "man"), ("needs", "wheelchair"), ("needs", "pets")]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("public")
    url = f"sqlite:///{folder / 'public.sqlite3'}"
    migrate.upgrade(url)

    async def load() -> None:
        engine = create_engine(url)
        async with session_factory(engine)() as session:
            await demo.load(session, gazetteer)
        await engine.dispose()

    settings = Settings.from_environ({"HAVN_DATABASE_URL": url, "HAVN_DATA_DIR": str(folder)})
    with TestClient(create_app(settings)) as client:
        client.portal.call(load)  # type: ignore[union-attr]
        yield client


def services(client: TestClient) -> Services:
    found: Services = client.app.state.services  # type: ignore[attr-defined]
    return found


def km(card: Tag) -> float:
    where = card.select_one(".where")
    assert where is not None
    return float(where.get_text().split("·")[1].split()[0].replace(",", "."))


def test_a_results_page_leads_with_the_answer_and_folds_the_form(client: TestClient) -> None:
    page = soup(client.get("/", params=RESULTS).text)
    change = page.select_one("main > details.change-search")
    assert change is not None and not change.has_attr("open")
    assert change.select_one("form#search-form input#q")["value"] == "Bodø"  # type: ignore[index]
    heading = page.select_one("#results #results-heading")
    assert heading is not None and heading["tabindex"] == "-1" and "Bodø" in heading.get_text()
    party = page.select_one("#results .party")
    assert party is not None and "4" in party.get_text() and "9" in party.get_text()
    # The heading is the first thing in the results; no long form stands open before it.
    assert page.select_one("#results > *") is heading
    assert page.select("main > form") == []


def test_the_home_page_still_shows_the_form_open(client: TestClient) -> None:
    page = soup(client.get("/").text)
    assert page.select_one("main > form#search-form") is not None
    assert page.select_one("details.change-search") is None


def test_each_group_shows_its_nearest_few_and_folds_the_rest(client: TestClient) -> None:
    page = soup(client.get("/", params=RESULTS).text)
    now = page.select_one("h2.group-now")
    assert now is not None
    shown = now.find_next_sibling("ul", class_="cards")
    folded = now.find_next_sibling("details", class_="more-results")
    assert isinstance(shown, Tag) and isinstance(folded, Tag)
    shown_cards = shown.select(".card")
    folded_cards = folded.select(".more-cards .card")
    assert SHOWN <= len(shown_cards) <= SHOWN + 1  # plus the responsible centre, if further
    count = now.select_one(".count")
    assert count is not None and count.get_text() == f"({len(shown_cards) + len(folded_cards)})"
    nearest = [km(card) for card in shown_cards if "responsible" not in card["class"]]
    assert max(nearest) <= min(km(card) for card in folded_cards)
    assert folded.select_one("summary") is not None and not folded.has_attr("open")


def test_the_responsible_centre_is_never_folded(client: TestClient) -> None:
    for params in (RESULTS, NOTHING_FITS):
        page = soup(client.get("/", params=params).text)
        responsible = page.select(".card.responsible")
        assert responsible, params
        assert all(card.find_parent("details") is None for card in responsible)


def test_when_nothing_fits_the_page_leads_with_whom_to_call(client: TestClient) -> None:
    page = soup(client.get("/", params=NOTHING_FITS).text)
    assert page.select_one("h2.group-now") is None
    step = page.select_one("#results .next-step")
    assert step is not None
    calls = {a["href"] for a in step.select("a.call")}
    assert calls == {"tel:116006", "tel:112", "tel:116117"}
    first_group = page.select_one("#results h2.group")
    assert first_group is not None
    assert step in first_group.find_all_previous("div")
    # Full or closed centres are folded; only the responsible centre stays in view.
    unavailable = page.select_one("h2.group-unavailable")
    assert unavailable is not None
    shown = unavailable.find_next_sibling("ul", class_="cards")
    assert isinstance(shown, Tag)
    assert all("responsible" in card["class"] for card in shown.select(".card"))


def test_a_search_with_room_now_has_no_next_step_box(client: TestClient) -> None:
    page = soup(client.get("/", params=RESULTS).text)
    assert page.select_one(".next-step") is None


def test_a_repeated_search_is_rendered_once_per_language_and_still_counted(
    client: TestClient,
) -> None:
    svc = services(client)
    params = {"q": "Tromsø", "children": "2"}
    before = sum(svc._counts.values())
    first = client.get("/", params={**params, "lang": "nb"})
    entries = len(svc.page_cache)
    again = client.get("/", params={**params, "lang": "nb"})
    assert again.text == first.text and len(svc.page_cache) == entries
    assert sum(svc._counts.values()) > before
    counted = sum(svc._counts.values())
    client.get("/", params={**params, "lang": "nb"})
    assert sum(svc._counts.values()) > counted  # a cached answer is still a search
    english = client.get("/", params={**params, "lang": "en"})
    assert soup(english.text).select_one("html")["lang"] != soup(first.text)  # type: ignore[index]
    assert english.text != first.text and len(svc.page_cache) == entries + 1
    assert english.headers["cache-control"] == "no-store"
    assert english.headers["set-cookie"].startswith("havn_lang=en")
    block = client.get("/", params={**params, "lang": "nb"}, headers={"HX-Request": "true"})
    assert "<html" not in block.text and soup(block.text).select(".card")


def request_with(session: dict[str, str], path: str = "/?q=Bodø") -> Request:
    target, _, query = path.partition("?")
    scope = {
        "type": "http",
        "method": "GET",
        "path": target,
        "query_string": query.encode(),
        "headers": [],
        "session": session,
    }
    return Request(scope)


def test_the_render_cache_never_serves_or_keeps_pages_for_someone_signed_in() -> None:
    cache = RenderCache()
    signed_in = request_with({"sid": "abc"})
    assert cache.key(signed_in, 1) is None
    cache.put(cache.key(signed_in, 1), Rendered("<p>staff</p>", 200, None))
    assert len(cache) == 0
    anonymous = request_with({})
    assert cache.key(anonymous, 1) != cache.key(anonymous, 2)  # a new registry revision
    assert cache.key(anonymous, 1) != cache.key(request_with({}, "/?q=Bodo"), 1)


def test_the_render_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    cache = RenderCache(size=2)
    for name in ("a", "b"):
        cache.put(name, Rendered(name, 200, None))
    assert cache.get("a") is not None  # "b" is now the least recently used
    cache.put("c", Rendered("c", 200, None))
    assert len(cache) == 2 and cache.get("b") is None and cache.get("a") is not None


def test_municipalities_fold_by_county_and_filter_without_javascript(client: TestClient) -> None:
    full = soup(client.get("/municipalities").text)
    form = full.select_one("form.filter")
    assert form is not None and form["method"] == "get" and form["action"] == "/municipalities"
    counties = full.select("details.county")
    assert len(counties) >= 15 and not any(c.has_attr("open") for c in counties)
    assert len(full.select(".municipalities li")) >= 350

    page = soup(client.get("/municipalities", params={"q": "Fauske"}).text)
    yours = page.select_one("#directory > .yours")
    assert yours is not None and "Fauske" in yours.get_text()
    assert yours.select_one("a[href^='/centres/']") is not None
    assert page.select_one("#directory > *") is yours  # the person's centre first
    shown = page.select("details.county")
    assert len(shown) == 1 and shown[0].has_attr("open")
    assert [li.select_one(".municipality").get_text() for li in shown[0].select("li")] == [  # type: ignore[union-attr]
        "Fauske"
    ]


def test_a_postcode_or_a_typo_finds_the_municipality(client: TestClient) -> None:
    for query, name in (("8006", "Bodø"), ("bodo", "Bodø"), ("Kristiansnad", "Kristiansand")):
        yours = soup(client.get("/municipalities", params={"q": query}).text).select(".yours")
        assert yours and name in yours[0].get_text(), query


def test_a_county_name_lists_its_municipalities_without_guessing(client: TestClient) -> None:
    page = soup(client.get("/municipalities", params={"q": "nordland"}).text)
    assert page.select(".yours") == []
    assert [s.get_text(" ", strip=True).split(" (")[0] for s in page.select(".county summary")] == [
        "Nordland"
    ]


@pytest.mark.parametrize("query", ["xyzzy", "a\x01b<script>", "x" * 5000, "%", "   "])
def test_municipalities_answer_any_filter_text(client: TestClient, query: str) -> None:
    response = client.get("/municipalities", params={"q": query})
    assert response.status_code == 200
    page = soup(response.text)
    assert page.select("details.county") and page.select_one("script:-soup-contains('<')") is None
    assert len(page.select_one("#municipality-q")["value"]) <= 200  # type: ignore[arg-type,index]


def test_a_filter_that_matches_nothing_says_so_and_keeps_every_county(client: TestClient) -> None:
    page = soup(client.get("/municipalities", params={"q": "xyzzy"}).text)
    assert page.select_one("#directory .problem") is not None
    assert len(page.select(".municipalities li")) >= 350


def test_htmx_filtering_gets_only_the_list(client: TestClient) -> None:
    response = client.get("/municipalities", params={"q": "Fauske"}, headers={"HX-Request": "true"})
    assert "<html" not in response.text and "<form" not in response.text  # a fragment
    page = soup(response.text)
    assert page.select_one(".yours") is not None


def test_safety_says_what_no_website_can_erase_and_keeps_its_promises(client: TestClient) -> None:
    page = soup(client.get("/safety", params={"lang": "en"}).text)
    headings = [h.get_text() for h in page.select("main h2")]
    assert "What no website can erase" in headings
    assert "What this site keeps" in headings and "Leave quickly" in headings
    traces = page.select("main ul.traces li")
    text = " ".join(li.get_text() for li in traces)
    assert len(traces) == 6
    for word in ("history", "router", "call log", "lock screen", "Google", "Screenshots"):
        assert word in text, word


def chat_page(turns: list[dict[str, object]]) -> BeautifulSoup:
    request = request_with({}, "/chat")
    context = {
        "turns": turns,
        "notice": None,
        "draft": "",
        "csrf": "token",
        "max_message": 500,
        "bot_down": None,
    }
    return soup(Pages().html(request, "chat.html", context))


@pytest.mark.parametrize(
    "intro",
    [
        "Så du slipper å gjenta deg selv: dette kan du kopiere",
        "So you need not repeat yourself: you can copy this",
        "Så du slepp å gjenta deg sjølv: dette kan du kopiere",
        "Vai it dárbbaš muitalit ođđasit: dán sáhtát máŋget",
    ],
)
def test_the_bots_handover_summary_is_a_block_with_a_copy_button(intro: str) -> None:
    summary = "Sted: Bodø\nHvem: en kvinne, barn 4 og 9"
    page = chat_page(
        [
            {"from": "person", "text": "Bodø", "buttons": []},
            {"from": "bot", "text": intro, "buttons": []},
            {"from": "bot", "text": summary, "buttons": []},
        ]
    )
    block = page.select_one(".turn-bot pre.summary")
    assert block is not None and block.get_text() == summary
    button = page.select_one(f"button[data-copy='{block['id']}']")
    assert button is not None and button.has_attr("hidden")  # shown by havn.js only


def test_an_ordinary_bot_message_is_not_a_summary() -> None:
    page = chat_page(
        [
            {"from": "bot", "text": "Hvor er du?", "buttons": []},
            {"from": "person", "text": "So you need not repeat yourself", "buttons": []},
            {"from": "bot", "text": "Takk.", "buttons": []},
        ]
    )
    assert page.select("pre.summary") == [] and page.select("button[data-copy]") == []


def test_the_copy_button_script_is_our_own(tmp_path: Path) -> None:
    script = (ROOT / "web" / "static" / "js" / "havn.js").read_text()
    assert "navigator.clipboard.writeText" in script
