"""The public site in a real headless Chromium (Debian's), driven by Playwright.

Screenshots of the main pages at 360 px and 1280 px are saved in artifacts/screenshots/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.helpers import (
    AXE,
    EXIT_SITE,
    SHOTS,
    WIDE,
    axe_violations,
    copy_database,
    free_port,
    neutral_site,
    report_free_beds,
    run_async,
    serve,
    settings_for,
)
from web.app import create_app

PAGES = {
    "search": "/",
    "results": "/?q=Bod%C3%B8&children=4,9",
    "ambiguous": "/?q=Os",
    "centre": "/centres/{centre}",
    "municipalities": "/municipalities",
    "safety": "/safety",
}


def url(site: dict[str, str], name: str) -> str:
    return site["base"] + PAGES[name].format(centre=site["centre"])


def test_search_without_javascript_is_a_plain_get_form(
    browser: Browser, site: dict[str, str]
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(site["base"] + "/")
    assert page.locator("#locate").is_hidden()  # needs JavaScript, so it stays hidden
    page.fill("#q", "Tromsø")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "q=Troms" in page.url
    assert page.locator(".understood").inner_text().count("Troms") >= 1
    assert page.locator(".card").count() > 0
    assert page.locator("a#quick-exit").get_attribute("href") == EXIT_SITE
    context.close()


def test_search_with_javascript_updates_results_in_place(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    page.goto(site["base"] + "/")
    page.evaluate("window.havnMarker = 42")
    before = page.evaluate("history.length")
    page.fill("#q", "Bodø")
    page.click("button[type=submit]")
    page.wait_for_selector(".card")
    assert page.evaluate("window.havnMarker") == 42  # no page load: htmx swapped the results
    assert "q=Bod" in page.url  # and the URL is shareable
    assert page.evaluate("history.length") == before  # replaced, not pushed


def test_children_ages_typed_as_spoken_give_results_on_a_phone(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    page.goto(site["base"] + "/")
    children = page.locator("#children")
    assert children.get_attribute("inputmode") in (None, "text")  # a keypad with spaces
    page.fill("#q", "Bodø")
    page.locator("details.more summary").click()
    children.fill("4 og 9 år")
    page.click("button[type=submit]")
    page.wait_for_selector(".card")
    assert page.locator(".error, [role=alert]").count() == 0
    assert "children=4" in page.url


def test_a_district_postcode_finds_its_centre_marked_not_confirmed(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    page.goto(site["base"] + "/")
    page.fill("#q", "4306")  # Sandnes: no centre confirms it serves Sandnes
    page.click("button[type=submit]")
    page.wait_for_selector(".card.responsible")
    responsible = page.locator(".card.responsible")
    assert responsible.count() == 1
    assert "Stavanger" in responsible.locator("h3").inner_text()
    assert responsible.locator(".unconfirmed").is_visible()
    page.fill("#q", "5147")  # Fyllingsdalen, placed in Bergen by its numbering
    page.click("button[type=submit]")
    page.wait_for_selector(".understood.approximate")
    understood = page.locator(".understood").inner_text()
    assert "Bergen" in understood and "5147" in understood


def test_quick_exit_replaces_the_page_so_back_does_not_return(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    page.goto(site["base"] + "/safety")
    page.goto(url(site, "results"))
    page.click("#quick-exit")
    page.wait_for_url(EXIT_SITE)
    page.go_back()
    page.wait_for_load_state()
    assert page.url.endswith("/safety")  # the results page is gone from history


def test_a_visit_is_one_history_entry_so_back_after_quick_exit_shows_no_search(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    page.goto(site["base"] + "/")
    page.fill("#q", "Bodø")
    page.click("button[type=submit]")
    page.wait_for_selector(".card")
    page.click(".card h3 a")  # read about a centre, then about staying safe
    page.wait_for_url("**/centres/**")
    page.click("footer a[href='/safety']")
    page.wait_for_url("**/safety")
    page.click("#quick-exit")
    page.wait_for_url(EXIT_SITE)
    page.go_back()
    page.wait_for_load_state()
    assert not page.url.startswith(site["base"]), page.url  # back to before the visit
    assert "Bod" not in page.content()


def test_escape_key_leaves_quickly(context: BrowserContext, site: dict[str, str]) -> None:
    page = context.new_page()
    page.goto(url(site, "results"))
    before = page.evaluate("history.length")
    page.keyboard.press("Escape")
    page.wait_for_url(EXIT_SITE)
    assert page.evaluate("history.length") == before


def test_language_switch_and_right_to_left(context: BrowserContext, site: dict[str, str]) -> None:
    page = context.new_page()
    page.goto(site["base"] + "/")
    assert page.get_attribute("html", "lang") == "nb"
    page.click(".languages a[lang=ar]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "dir") == "rtl"
    page.goto(site["base"] + "/safety")
    assert page.get_attribute("html", "lang") == "ar"
    cookies = context.cookies()
    assert [(c["name"], c["value"], c["expires"]) for c in cookies] == [("havn_lang", "ar", -1)]


# For each element: is "116" drawn left of "006" (the number reads left to right)?
NUMBER_ORDER = """(selector) => [...document.querySelectorAll(selector)].map(element => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf('116');
    const next = node.data.indexOf('006', at);
    if (at < 0 || next < 0) continue;
    const box = (start) => {
      const range = document.createRange();
      range.setStart(node, start);
      range.setEnd(node, start + 3);
      return range.getBoundingClientRect().left;
    };
    return box(at) < box(next);
  }
  return null;
}).filter(found => found !== null)"""


def test_112_and_116_006_are_one_tap_away_on_every_public_page(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    for name in PAGES:
        page.goto(url(site, name))
        for target in ("tel:112", "tel:116006"):
            link = page.locator(f".callbar a[href='{target}']")
            box = link.bounding_box()
            assert box is not None and box["height"] >= 44 and box["width"] >= 44, (name, target)
            assert box["y"] + box["height"] <= 800, (name, target)  # on the first screen
        header = page.locator(".danger a[href='tel:112']").bounding_box()
        assert header is not None and header["height"] >= 44, name
    page.goto(url(site, "results"))
    cards = page.locator(".card:visible")  # folded ones are shown by a tap on "show more"
    for i in range(cards.count()):
        card = cards.nth(i)
        if card.locator(".nophone").count():
            # A centre in Denmark (marked so) offers Denmark's national line instead.
            danish = card.locator(".where .country[data-country=DK]").count()
            call = card.locator(
                "a.call[href='tel:1888']" if danish else "a.call[href='tel:116006']"
            )
            box = call.bounding_box()
            assert box is not None and box["height"] >= 44, card.inner_text()[:60]


def test_phone_numbers_read_left_to_right_in_arabic(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    page.goto(site["base"] + "/?q=Bod%C3%B8&lang=ar")
    assert page.get_attribute("html", "dir") == "rtl"
    for selector in (".helplines a.call", ".card .nophone, .card .call"):
        order = page.evaluate(NUMBER_ORDER, selector)
        assert order and all(order), (selector, order)


def test_public_pages_only_talk_to_our_own_origin_and_set_no_cookie(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    for name in PAGES:
        page.goto(url(site, name))
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # htmx and the event stream connect after load
    assert requests and all(r.startswith(site["base"] + "/") for r in requests), requests
    assert context.cookies() == []


@pytest.mark.parametrize("language", ["nb", "ar"])
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_accessibility_violations(
    browser: Browser, site: dict[str, str], name: str, language: str
) -> None:
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(url(site, name) + ("&" if "?" in PAGES[name] else "?") + f"lang={language}")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
        "'best-practice']})"
    )
    violations = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
    ]
    context.close()
    assert violations == []


@pytest.mark.parametrize("name", list(PAGES))
def test_pages_fit_a_360px_phone_even_with_text_at_200_percent(
    browser: Browser, site: dict[str, str], name: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 360, "height": 780}, locale="nb-NO"
    )
    page = context.new_page()
    page.goto(url(site, name))
    page.screenshot(path=str(SHOTS / f"{name}-360.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.add_style_tag(content="html { font-size: 200% !important; }")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.evaluate(WIDE)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.add_style_tag(content="html { font-size: 100% !important; }")
    page.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    context.close()


def test_results_update_live_when_a_centre_changes(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    page.goto(url(site, "results"))
    page.wait_for_timeout(500)  # the event stream connects
    page.evaluate("document.querySelector('.understood').dataset.marker = 'old'")
    run_async(report_free_beds(site["db"], site["centre"], 0))
    swapped = "(e => !!e && !e.dataset.marker)(document.querySelector('.understood'))"
    deadline = time.monotonic() + 15  # wait_for_function would need eval, which our CSP forbids
    while not page.evaluate(swapped):
        assert time.monotonic() < deadline, "the results were not refreshed"
        page.wait_for_timeout(200)


def test_keyboard_alone_reaches_quick_exit_and_the_search(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    page.goto(site["base"] + "/")
    focused = []
    for _ in range(5):
        page.keyboard.press("Tab")
        focused.append(
            page.evaluate("document.activeElement.id || document.activeElement.className")
        )
    assert "quick-exit" in focused
    page.focus("#q")
    page.keyboard.type("Bodø")
    page.keyboard.press("Enter")
    page.wait_for_selector(".card")


def test_easy_read_chosen_from_the_language_list_carries_through_a_search(
    browser: Browser, site: dict[str, str]
) -> None:
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 360, "height": 800}, locale="nb-NO"
    )
    page = context.new_page()
    page.goto(site["base"] + "/")
    page.get_by_role("link", name="Lettlest").click()
    page.wait_for_load_state()
    assert page.get_attribute(".languages a[aria-current]", "href") == "/?lang=lettlest"
    assert page.inner_text(".lead").startswith("Krisesentrene er gratis. Du kan ta kontakt selv.")
    page.fill("#q", "Bodø")
    page.click("form.search button[type=submit]")
    page.wait_for_selector(".card")
    assert page.get_attribute("html", "lang") == "nb"
    assert page.inner_text(".understood").startswith("Her er krisesentre nær Bodø")
    groups = page.locator("h2.group").all_inner_texts()
    assert groups
    assert all(g.startswith(("Kan ta imot deg nå", "Ring og spør", "Fullt")) for g in groups)
    assert [(c["name"], c["value"]) for c in context.cookies()] == [("havn_lang", "lettlest")]
    violations = axe_violations(page)
    context.close()
    assert violations == []


@pytest.mark.parametrize("name", ["search", "results", "safety"])
def test_easy_read_pages_are_accessible_and_fit_a_360px_phone(
    browser: Browser, site: dict[str, str], name: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 780})
    page = context.new_page()
    page.goto(url(site, name) + ("&" if "?" in PAGES[name] else "?") + "lang=lettlest")
    assert page.get_attribute("html", "lang") == "nb"
    assert page.inner_text("h1") == {"safety": "Vær trygg på nettet"}.get(
        name, "Finn et krisesenter"
    )
    page.screenshot(path=str(SHOTS / f"lettlest-{name}-360.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.evaluate(WIDE)
    page.add_style_tag(content="html { font-size: 200% !important; }")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.evaluate(WIDE)
    violations = axe_violations(page)
    context.close()
    assert violations == []


@pytest.fixture(scope="module")
def chat_site(migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with its bot down: nothing listens at the bot's address."""
    folder = tmp_path_factory.mktemp("chat")
    url = copy_database(migrated_sqlite, folder)
    settings = settings_for(url, folder, HAVN_BOT_URL=f"http://127.0.0.1:{free_port()}")
    with serve(create_app(settings)) as base:
        yield base


@pytest.mark.parametrize("javascript", [True, False])
def test_the_chat_shows_the_helpline_when_the_bot_is_down(
    browser: Browser, chat_site: str, javascript: bool
) -> None:
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 360, "height": 800}, locale="nb-NO"
    )
    page = context.new_page()
    page.goto(chat_site + "/chat")
    if javascript:
        page.evaluate("window.havnMarker = 42")
    page.fill("#message", "Jeg er i Bodø")
    page.click("form.chat-form button[type=submit]")
    call = page.locator("#conversation .chat-problem a[href='tel:116006']")
    call.wait_for(state="visible", timeout=10_000)
    assert "116 006" in call.inner_text()
    assert page.locator("#conversation .turn-person").inner_text().endswith("Jeg er i Bodø")
    if javascript:
        assert page.evaluate("window.havnMarker") == 42  # swapped in place by htmx
    box = call.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360 and box["height"] >= 24
    context.close()


@pytest.mark.parametrize("javascript", [True, False])
def test_the_quick_exit_on_the_chat_ends_the_conversation(
    browser: Browser, chat_site: str, javascript: bool
) -> None:
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 360, "height": 800}, locale="nb-NO"
    )
    context.route(f"{EXIT_SITE}**", neutral_site)
    page = context.new_page()
    page.goto(chat_site + "/chat")
    page.fill("#message", "Jeg er i Bodø")
    page.click("form.chat-form button[type=submit]")
    page.locator("#conversation .turn-person").wait_for()
    page.click("#quick-exit")
    page.wait_for_url(EXIT_SITE)
    later = context.new_page()
    deadline = time.monotonic() + 10
    while True:  # with JavaScript the chat is ended by a request that outlives the page
        later.goto(chat_site + "/chat")
        if later.locator(".turn").count() == 0 or time.monotonic() > deadline:
            break
        later.wait_for_timeout(200)
    assert later.locator(".turn").count() == 0
    context.close()


def test_the_optional_who_needs_a_place_group_looks_like_something_to_open(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    page.goto(site["base"] + "/")
    summary = page.locator("details.more > summary")
    style = summary.evaluate(
        "e => { const s = getComputedStyle(e); return [s.borderTopWidth, s.cursor]; }"
    )
    assert style[0] != "0px" and style[1] == "pointer"  # a bordered control, not a heading
    summary.click()
    assert page.locator("details.more").get_attribute("open") is not None
