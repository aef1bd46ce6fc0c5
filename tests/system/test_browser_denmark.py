"""The Danish site in a real headless Chromium at 360 px: a person chooses Dansk, searches
Odense through the form and can call a Danish centre or the Danish helpline with one tap."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.helpers import EXIT_SITE, WIDE, axe_violations, neutral_site


@pytest.fixture
def danish(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 360, "height": 800}, locale="da-DK"
    )
    context.route(f"{EXIT_SITE}**", neutral_site)
    yield context
    context.close()


def test_dansk_from_the_language_list_then_odense_shows_danish_centres_and_1888(
    danish: BrowserContext, site: dict[str, str]
) -> None:
    page = danish.new_page()
    page.goto(site["base"] + "/")
    page.get_by_role("link", name="Dansk").click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "da"
    page.fill("#q", "Odense")
    page.click("button[type=submit]")
    page.wait_for_selector(".card")
    assert "q=Odense" in page.url
    assert "Odense" in page.locator(".understood").inner_text()
    first = page.locator(".card").first
    assert first.locator(".where .country").count() == 0  # in Denmark, like Odense
    assert "Region Syddanmark" in first.locator(".where").inner_text()
    # The results were swapped in by htmx: Denmark's national line comes with them.
    helpline = page.locator(".national a.call[href='tel:1888']")
    assert helpline.count() == 1 and helpline.is_visible()
    box = helpline.bounding_box()
    assert box is not None and box["height"] >= 24  # a tap target, not a line of text
    assert "Lev Uden Vold" in helpline.inner_text()
    assert page.locator(".card a.call[href='tel:1888']").count() >= 1
    page.reload()  # the full page: the helplines list is Denmark's too
    page.wait_for_selector(".card")
    assert page.locator(".helplines a[href='tel:1888']").count() == 1
    assert page.locator(".helplines a[href='tel:116006']").count() == 0
    assert page.evaluate(WIDE) == []  # nothing wider than the 360 px screen
    assert axe_violations(page) == []
