"""Live sections in a real headless Chromium at 360 px: what a person sees when numbers change.

One contract (templates/_live.html) for the public results, the adviser console and the staff
dashboard: a live refresh reloads the page's current address and swaps the section's content.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext

from capacity import demo
from tests.helpers import (
    add_people,
    copy_database,
    log_in_page,
    report_free_beds,
    run_async,
    serve,
    settings_for,
)
from web.app import create_app

MARK = "document.querySelector('[data-live]').firstElementChild.dataset.old = '1'"
REFRESHED = "() => !document.querySelector('[data-live] [data-old]')"


@pytest.fixture(scope="module")
def site(demo_registry: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The real app over a copy of the demo registry, with an adviser and the first centre's
    staff (who have chosen their own passwords), polling for changes often."""
    folder = tmp_path_factory.mktemp("live-site")
    url = copy_database(demo_registry, folder)
    centre = demo.read_demo_file()[0]["id"]
    people = (("adviser", "adviser", None), ("staff", "staff", centre))
    run_async(add_people(url, *people))  # their own passwords: no forced change at first login
    settings = settings_for(
        url, folder, HAVN_FEED_POLL_SECONDS="0.3", HAVN_INDEX_REFRESH_SECONDS="0"
    )
    with serve(create_app(settings)) as base:
        yield {"base": base, "centre": centre, "db": url}


def staff_change(site: dict[str, str], beds: int) -> None:
    """Someone at the centre reports new numbers (another device, another worker)."""
    run_async(report_free_beds(site["db"], site["centre"], beds))


@pytest.mark.parametrize("start", ["/?q=Bod%C3%B8", "/"])
def test_public_results_refresh_the_search_made_in_the_form(
    context: BrowserContext, site: dict[str, str], start: str
) -> None:
    page = context.new_page()
    page.goto(site["base"] + start)
    if start != "/":  # a results page folds the form under "change search"
        page.click("details.change-search summary")
    page.fill("#q", "Oslo")
    page.click("form.search button[type=submit]")
    page.wait_for_function("() => /Oslo/.test(document.querySelector('.understood')?.innerText)")
    page.wait_for_timeout(500)  # the live connection is open
    page.evaluate(MARK)
    staff_change(site, 1)
    page.wait_for_function(REFRESHED, timeout=15_000)
    assert "Oslo" in page.locator(".understood").inner_text()
    assert "Bod" not in page.locator(".understood").inner_text()
    assert page.locator("#results .card").count() > 0


def test_console_refresh_keeps_the_results_section(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    log_in_page(page, site, "adviser")
    page.goto(site["base"] + "/console")
    page.fill("#q", "Bodø")
    page.click("form.console-form button[type=submit]")
    page.wait_for_selector("#results table")
    page.wait_for_timeout(500)
    page.evaluate(MARK)
    staff_change(site, 2)
    page.wait_for_function(REFRESHED, timeout=15_000)
    assert page.locator("section#results").count() == 1
    assert page.locator("#results table tbody tr").count() > 0
    assert "Bod" in page.locator("#results .understood").inner_text()


def test_a_staff_tap_shows_saved_and_the_counters_never_vanish(
    context: BrowserContext, site: dict[str, str]
) -> None:
    staff_change(site, 3)
    page = context.new_page()
    log_in_page(page, site, "staff")
    page.goto(site["base"] + "/staff")
    counters = "#units input[type=number]"
    shown = page.locator(counters).count()
    assert shown >= 3
    page.evaluate(
        f"""() => {{ window.vanished = false;
        new MutationObserver(() => {{
          if (document.querySelectorAll('{counters}').length === 0) window.vanished = true;
        }}).observe(document.body, {{childList: true, subtree: true}}); }}"""
    )
    first = page.locator(".unit-card").first
    beds = first.locator("input[name=free_beds]")
    before = int(beds.input_value())
    first.locator("button[name=step][value='free_beds:+1']").click()
    page.wait_for_selector("#units-status .saved")
    page.wait_for_timeout(2_000)  # the live refresh of our own change has come and gone
    assert page.locator("#units-status .saved").is_visible()
    assert int(page.locator(".unit-card").first.locator("input[name=free_beds]").input_value()) == (
        before + 1
    )
    # Another device changes the numbers: the counters follow, and never vanish.
    staff_change(site, 0)
    page.wait_for_function(
        "() => document.querySelector('.unit-card input[name=free_beds]').value === '0'",
        timeout=15_000,
    )
    assert page.locator(counters).count() == shown
    assert page.evaluate("window.vanished") is False


def test_a_bad_age_in_what_a_unit_accepts_comes_back_by_the_field(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    log_in_page(page, site, "staff")
    page.goto(site["base"] + "/staff")
    form = page.locator("form[action$='/accepts']").first
    form.locator("input[name=children_max_age]").fill("99")
    form.get_by_role("button").click()
    page.wait_for_load_state()
    field = page.locator("form[action$='/accepts'] input[name=children_max_age]").first
    assert field.get_attribute("aria-invalid") == "true"
    assert field.input_value() == "99"
    message = page.locator("#" + str(field.get_attribute("aria-describedby")))
    assert message.is_visible() and "17" in message.inner_text()
    assert page.locator("h1").first.inner_text() != "Noe gikk galt"
    box, note = field.bounding_box(), message.bounding_box()
    assert box is not None and note is not None
    assert 0 <= note["y"] - (box["y"] + box["height"]) < 80  # right under the field


def test_escape_on_a_working_page_keeps_what_the_adviser_typed(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    log_in_page(page, site, "adviser")
    page.goto(site["base"] + "/console?q=Bod%C3%B8")
    assert page.locator("#quick-exit, .callbar, .helplines").count() == 0
    note = page.locator("textarea[name=note], input[name=note]").first
    note.fill("Ringer tilbake kl. 22")
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert page.url.startswith(site["base"] + "/console")
    assert note.input_value() == "Ringer tilbake kl. 22"
