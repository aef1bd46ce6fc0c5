"""After the stay in a real headless Chromium at 360 px: a person moving out of a crisis
centre opens "after the stay", types her municipality, presses the button, and sees the help
there (her municipality's first), her centre's follow-up and whom to ask for a flat."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.helpers import EXIT_SITE, WIDE, axe_violations, neutral_site


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A 360 px Norwegian phone; CSP bypassed only so axe-core can be injected."""
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 360, "height": 800}, locale="nb-NO"
    )
    context.route(f"{EXIT_SITE}**", neutral_site)
    yield context
    context.close()


def test_a_person_moving_out_finds_the_help_for_her_municipality(
    phone: BrowserContext, site: dict[str, str]
) -> None:
    page = phone.new_page()
    page.goto(site["base"] + "/")
    page.get_by_role(
        "link", name="Skal du flytte fra krisesenteret? Se hjelpen etter oppholdet"
    ).click()
    page.wait_for_load_state()
    assert page.url.endswith("/after-the-stay")
    assert page.locator(".after-service").count() == 0

    page.fill("#after-q", "Kongsvinger")
    page.get_by_role("button", name="Vis hjelpen").click()
    page.wait_for_selector(".after-service")

    assert "q=Kongsvinger" in page.url  # htmx kept the address, so Back and reload work
    names = page.locator(".after-service h3").all_inner_texts()
    assert names[0] == "Startlån bolig – Kongsvinger kommune"  # her municipality's first
    assert "Fri rettshjelp" in names and "Juridisk rådgivning for kvinner (JURK)" in names
    follow_up = page.locator(".after-centre")
    assert follow_up.locator("a[href^='/centres/']").count() >= 1
    flats = page.locator(".after-flats")
    assert flats.is_visible() and "spør" in flats.inner_text().lower()
    call = page.locator(".after-call a[href='tel:116006']")
    assert call.is_visible()
    assert page.evaluate(WIDE) == []  # nothing wider than the 360 px screen
    assert axe_violations(page) == []


def test_a_place_nobody_knows_is_said_plainly_at_360_px(
    phone: BrowserContext, site: dict[str, str]
) -> None:
    page = phone.new_page()
    page.goto(site["base"] + "/after-the-stay")
    page.fill("#after-q", "Qwxzyville")
    page.get_by_role("button", name="Vis hjelpen").click()
    page.wait_for_selector("#after-problem")
    assert page.get_attribute("#after-problem", "role") == "alert"
    assert page.locator(".after-service").count() == 0
    assert axe_violations(page) == []
