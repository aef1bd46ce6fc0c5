"""Issue 15's public pages in a real headless Chromium at 360 px and 1280 px, as a person
uses them: search and see the answer first, unfold more, find "my" centre, go Back."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page

from tests.helpers import SHOTS, axe_violations

NOTHING_FITS = "/?q=Bod%C3%B8&gender=man&needs=wheelchair&needs=pets"
SCREENS = {
    "home": "/",
    "results": "/?q=Bod%C3%B8&children=4,9",
    "nothing-fits": NOTHING_FITS,
    "municipalities": "/municipalities",
    "safety": "/safety",
}


def open_page(browser: Browser, width: int, language: str = "nb", js: bool = True) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": 780},
        locale="ar" if language == "ar" else "nb-NO",
        java_script_enabled=js,
        bypass_csp=True,  # axe-core is added as a script tag
    )
    return context.new_page()


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["nb", "ar"])
def test_a_search_shows_the_answer_first_then_show_more_and_change_search(
    browser: Browser, site: dict[str, str], width: int, language: str
) -> None:
    page = open_page(browser, width, language)
    page.goto(site["base"] + f"/?lang={language}")
    page.fill("#q", "Bodø")
    page.click("button[type=submit]")
    page.wait_for_selector("#results-heading")
    # After the swap focus is on the results heading, and it is on screen.
    assert page.evaluate("document.activeElement.id") == "results-heading"
    assert page.locator("#results-heading").is_visible()
    top = page.evaluate("document.getElementById('results-heading').getBoundingClientRect().top")
    assert 0 <= top < 780
    # The nearest few are shown; "show more" unfolds the rest.
    more = page.locator("#results details.more-results").first
    hidden = more.locator(".card").first
    assert not hidden.is_visible()
    more.locator("summary").click()
    assert hidden.is_visible()
    assert axe_violations(page) == []
    page.context.close()


def test_without_javascript_the_results_page_renders_the_answer_first(
    browser: Browser, site: dict[str, str]
) -> None:
    page = open_page(browser, 360, js=False)
    page.goto(site["base"] + "/")
    page.fill("#q", "Bodø")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    heading = page.locator("#results-heading")
    assert heading.is_visible()
    assert heading.bounding_box()["y"] < 780  # type: ignore[index]
    assert not page.locator("#q").is_visible()  # the form is folded
    page.click("details.change-search summary")
    assert page.locator("#q").is_visible() and page.input_value("#q") == "Bodø"
    page.fill("#q", "Tromsø")
    page.click("details.change-search button[type=submit]")
    page.wait_for_load_state()
    assert "Troms" in page.locator("#results-heading").inner_text()
    more = page.locator("details.more-results summary").first
    more.click()
    assert page.locator("details.more-results .card").first.is_visible()
    page.context.close()


@pytest.mark.parametrize("language", ["nb", "ar"])
def test_when_nothing_fits_the_first_thing_is_whom_to_call(
    browser: Browser, site: dict[str, str], language: str
) -> None:
    page = open_page(browser, 360, language)
    page.goto(site["base"] + NOTHING_FITS + f"&lang={language}")
    step = page.locator(".next-step")
    assert step.is_visible() and step.bounding_box()["y"] < 780  # type: ignore[index]
    call = step.locator("a[href='tel:116006']")
    assert call.is_visible() and call.bounding_box()["height"] >= 44  # type: ignore[index]
    assert step.locator("a[href='tel:112']").is_visible()
    assert step.locator("a[href='tel:116117']").is_visible()
    assert axe_violations(page) == []
    page.context.close()


@pytest.mark.parametrize("js", [True, False])
def test_finding_my_centre_on_the_municipality_list_and_going_back(
    browser: Browser, site: dict[str, str], js: bool
) -> None:
    page = open_page(browser, 360, js=js)
    page.goto(site["base"] + "/municipalities")
    assert not page.locator(".municipalities li").first.is_visible()  # counties folded
    page.fill("#municipality-q", "Fauske")
    if js:
        page.wait_for_selector(".yours")  # filtered as the person types
    else:
        page.click("form.filter button[type=submit]")
        page.wait_for_load_state()
    yours = page.locator(".yours")
    assert "Fauske" in yours.inner_text() and yours.bounding_box()["y"] < 780  # type: ignore[index]
    assert f"q={quote('Fauske')}" in page.url
    yours.locator("a[href^='/centres/']").first.click()
    page.wait_for_load_state()
    assert "/centres/" in page.url
    page.go_back()
    page.wait_for_load_state()
    assert "/centres/" not in page.url
    page.context.close()


@pytest.mark.parametrize("language", ["nb", "ar"])
def test_the_municipality_list_and_safety_page_are_accessible(
    browser: Browser, site: dict[str, str], language: str
) -> None:
    for path in (f"/municipalities?q=Bod%C3%B8&lang={language}", f"/safety?lang={language}"):
        page = open_page(browser, 360, language)
        page.goto(site["base"] + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert axe_violations(page) == [], path
        page.context.close()


@pytest.mark.parametrize("name", list(SCREENS))
def test_screenshots_at_360px(browser: Browser, site: dict[str, str], name: str) -> None:
    """Viewport-sized pictures of the first screen a person sees, to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_page(browser, 360)
    page.goto(site["base"] + SCREENS[name])
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / f"night-{name}-360.png"))
    page.context.close()
