"""The adviser console on a 360 px phone in a real headless Chromium: search, hold a place from
the results, see it in the holds table at the top, and a bad hold come back by its field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.helpers import add_people, axe_violations, log_in_page, run_async

WIDTH = 360
NO_PAGE_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(scope="module")
def adviser(site: dict[str, str]) -> str:
    """An adviser (who chose their own password) on the demo site."""
    run_async(add_people(site["db"], ("phone-adviser", "adviser", None)))
    return "phone-adviser"


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A 360 px Norwegian phone that lets axe-core past the site's CSP."""
    context = browser.new_context(
        bypass_csp=True, viewport={"width": WIDTH, "height": 800}, locale="nb-NO"
    )
    yield context
    context.close()


def top(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return float(box["y"])


def test_an_adviser_holds_a_place_on_a_phone_and_a_bad_hold_comes_back_by_its_field(
    phone: BrowserContext, site: dict[str, str], adviser: str
) -> None:
    page = phone.new_page()
    log_in_page(page, site, adviser)
    page.goto(site["base"] + "/console")
    assert page.locator("details.more-search").get_attribute("open") is None  # folded
    page.fill("#q", "Gjøvik")
    page.click("form.console-form button[type=submit]")
    page.wait_for_selector("#results table.console-table tbody tr")
    assert page.evaluate(NO_PAGE_SCROLL)

    # Hold a place from the first result that can take them, for 45 minutes.
    form = page.locator("#results form.hold-form").first
    unit = form.locator("input[name=unit_id]").get_attribute("value")
    centre = form.locator("xpath=ancestor::tr/th/a").inner_text()
    form.locator("input[name=minutes]").fill("45")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator("#console-message").is_visible()
    rows = page.locator("#mine table.holds tbody tr")
    assert rows.count() == 1 and centre in rows.first.inner_text()
    # The holds table is at the top, before the search and its results, in the first screen.
    assert top(page, "table.holds") < top(page, "form.console-form")
    assert top(page, "table.holds") < top(page, "#results table.console-table tbody tr")
    assert top(page, "table.holds tbody tr") < 800
    assert page.evaluate(NO_PAGE_SCROLL)
    assert axe_violations(page) == []

    # Bad minutes on the same row: the console again, the message by the field, input kept.
    minutes = page.locator(f"#minutes-{unit}")
    minutes.fill("9x")
    with page.expect_response(lambda r: r.url.endswith("/console/holds")) as answer:
        page.locator(f"#minutes-{unit}").locator("xpath=ancestor::form").locator(
            "button[type=submit]"
        ).click()
    page.wait_for_load_state()
    assert answer.value.status == 422
    field = page.locator(f"#minutes-{unit}")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.input_value() == "9x"
    message = page.locator("#" + str(field.get_attribute("aria-describedby")).split()[0])
    assert message.is_visible() and "1440" in message.inner_text()
    box, note = field.bounding_box(), message.bounding_box()
    assert box is not None and note is not None
    assert 0 <= note["y"] - (box["y"] + box["height"]) < 80  # right under the field
    assert page.locator("#mine table.holds tbody tr").count() == 1  # nothing else was held
    assert page.evaluate(NO_PAGE_SCROLL)
    assert axe_violations(page) == []


def test_the_console_works_without_javascript(
    browser: Browser, site: dict[str, str], adviser: str
) -> None:
    """Plain forms: the folded search options open by a tap, a hold fails by its field."""
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": WIDTH, "height": 800}, locale="nb-NO"
    )
    try:
        page = context.new_page()
        log_in_page(page, site, adviser)
        page.goto(site["base"] + "/console")
        page.click("details.more-search summary")
        page.fill("#max_km", "300")
        page.fill("#q", "Gjøvik")
        page.click("form.console-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("details.more-search").get_attribute("open") is not None  # set
        form = page.locator("#results form.hold-form").first
        unit = form.locator("input[name=unit_id]").get_attribute("value")
        form.locator("input[name=note]").fill("by train")
        form.locator("input[name=minutes]").fill("0")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        field = page.locator(f"#minutes-{unit}")
        assert field.get_attribute("aria-invalid") == "true" and field.input_value() == "0"
        assert page.locator(f"#hold-{unit}-minutes-error").is_visible()
        assert page.locator(f"#note-{unit}").input_value() == "by train"
        assert page.locator("#max_km").input_value() == "300"  # the search is kept
    finally:
        context.close()


def test_a_hold_released_in_another_tab_leaves_the_table_live_and_back_shows_it_gone(
    phone: BrowserContext, site: dict[str, str], adviser: str
) -> None:
    """The adviser holds a place, releases it from a second tab: the first tab's holds table
    drops the row by the live update (no reload), and Back to the search shows it gone too."""
    page = phone.new_page()
    log_in_page(page, site, adviser)
    page.goto(site["base"] + "/console")
    page.fill("#q", "Gjøvik")
    page.click("form.console-form button[type=submit]")
    page.wait_for_selector("#results table.console-table tbody tr")
    rows = page.locator("#mine table.holds tbody tr")
    before = rows.count()
    form = page.locator("#results form.hold-form").first
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(rows).to_have_count(before + 1)
    page.evaluate("window.notReloaded = true")

    other = phone.new_page()
    other.goto(site["base"] + "/console")
    with other.expect_navigation():
        other.locator("#mine table.holds tbody tr").last.locator(
            "form[action$='/release'] button"
        ).click()

    expect(rows).to_have_count(before, timeout=15_000)  # the live update, not a reload
    assert page.evaluate("window.notReloaded") is True
    page.go_back()
    page.wait_for_selector("#results table.console-table tbody tr")
    assert page.locator("#q").input_value() == "Gjøvik"
    expect(page.locator("#mine table.holds tbody tr")).to_have_count(before)
