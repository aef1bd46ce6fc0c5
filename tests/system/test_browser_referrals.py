"""A referral in a real headless Chromium: an adviser ticks two centres on the console and
sends; one centre's staff, on a 360 px phone, see it arrive live and accept; the adviser's
console shows the party placed and the other request withdrawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from capacity import demo
from tests.helpers import (
    add_people,
    axe_violations,
    copy_database,
    log_in_page,
    report_free_beds,
    run_async,
    serve,
    settings_for,
)
from web.app import create_app


@pytest.fixture(scope="module")
def site(demo_registry: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The demo registry with Gjøvik's first unit reporting 4 free places and an adviser who
    chose their own password; changes are polled often."""
    folder = tmp_path_factory.mktemp("referral-site")
    url = copy_database(demo_registry, folder)
    centre = demo.read_demo_file()[0]["id"]
    run_async(report_free_beds(url, centre, 4))
    run_async(add_people(url, ("adviser", "adviser", None)))
    settings = settings_for(
        url, folder, HAVN_FEED_POLL_SECONDS="0.3", HAVN_INDEX_REFRESH_SECONDS="0"
    )
    with serve(create_app(settings)) as base:
        yield {"base": base, "centre": centre, "db": url}


def test_a_referral_sent_by_ticking_is_accepted_live_by_one_centre(
    browser: Browser, site: dict[str, str]
) -> None:
    # axe-core is injected as a script: these contexts let it past the site's CSP.
    desk = browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}, locale="nb-NO"
    )
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 360, "height": 800}, locale="nb-NO"
    )
    try:
        adviser = desk.new_page()
        log_in_page(adviser, site, "adviser")
        adviser.goto(site["base"] + "/console")
        adviser.fill("#q", "Gjøvik")
        adviser.click("form.console-form button[type=submit]")
        adviser.wait_for_selector("input[name=centres][form=referral-form]")
        ticks = adviser.locator("input[name=centres][form=referral-form]")
        assert ticks.count() >= 2
        chosen = [ticks.nth(0).get_attribute("value"), ticks.nth(1).get_attribute("value")]
        assert all(chosen)
        ticks.nth(0).check()
        ticks.nth(1).check()

        # The first ticked centre's staff have their dashboard open on a phone.
        run_async(add_people(site["db"], ("night-staff", "staff", chosen[0])))
        phone = context.new_page()
        log_in_page(phone, site, "night-staff")
        assert phone.url.endswith("/staff")
        phone.wait_for_timeout(500)  # the live connection is open
        assert phone.locator("#referrals article.referral").count() == 0

        adviser.fill("#callback", "+47 22 00 11 22")
        adviser.fill("#referral-note", "Kommer med drosje")
        adviser.click("#referral-form button[type=submit]")
        adviser.wait_for_selector("#mine li.referral")

        phone.wait_for_selector("#referrals article.referral:not(.answered)", timeout=15_000)
        assert phone.title().startswith("(1) ")
        assert phone.locator("#referrals article.referral").count() == 1
        assert axe_violations(phone) == []
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, width
        phone.click("#referrals article.referral form[action$='/accept'] button")
        phone.wait_for_selector("#referrals article.answered[data-status=accepted]")

        adviser.wait_for_selector("#mine li.referral .status[data-status=placed]", timeout=15_000)
        asked = adviser.locator("#mine li.referral ul.asked li")
        statuses = {
            asked.nth(i).get_attribute("data-centre"): asked.nth(i).get_attribute("data-status")
            for i in range(asked.count())
        }
        assert statuses == {chosen[0]: "accepted", chosen[1]: "withdrawn"}
        assert adviser.locator("#mine .handover").count() == 1
        assert axe_violations(adviser) == []
    finally:
        desk.close()
        context.close()
