"""Sourced phone numbers on the cards and the administrator's gaps page, in a real Chromium over
the demo registry, as a person uses them."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import Browser, BrowserContext, expect

from tests.helpers import ADMIN_TOTP, PASSWORD, add_admin, run_async


def test_a_sourced_number_is_a_call_button_saying_who_published_it(
    context: BrowserContext, site: dict[str, str]
) -> None:
    page = context.new_page()
    page.goto(site["base"] + "/")
    page.fill("#q", "Bodø")
    page.click("form.search button[type=submit]")
    published = page.locator(".card .published")
    expect(published.first).to_be_visible()
    for line in published.all():  # some sit in a folded group: read their text, not what shows
        text = " ".join((line.text_content() or "").split())
        assert re.fullmatch(r"Publisert av [a-z0-9.-]+\.[a-z]{2,}, .+", text), text
        call = line.locator("xpath=preceding-sibling::a[1]")
        assert (call.get_attribute("href") or "").startswith("tel:")
        assert line.locator("a").count() == 0
    page.close()


def test_an_admin_confirms_a_likely_centre_and_the_gap_closes(
    browser: Browser, site: dict[str, str]
) -> None:
    run_async(add_admin(site["db"], "gap-admin"))
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.goto(site["base"] + "/login")
    page.fill("#username", "gap-admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.fill("#code", pyotp.TOTP(ADMIN_TOTP).now())
    page.click("button[type=submit].primary")
    page.click("a[href='/admin/gaps']")
    counts = page.locator("#count-municipalities")
    before = int(counts.inner_text().split()[0])
    assert re.fullmatch(r"\d+ of 358 municipalities not confirmed", counts.inner_text())
    expect(page.locator("#count-postcodes")).to_have_text("1,784 of 5,132 postcodes approximate")
    row = page.locator("#municipality-gaps tr[data-municipality]").first
    code = row.get_attribute("data-municipality")
    likely = row.locator(".likely").inner_text()
    assert row.locator("select option:checked").inner_text() == likely
    row.get_by_role("button").click()
    expect(page.locator("[role=status]")).to_contain_text("now has a confirmed responsible")
    expect(page.locator(f"tr[data-municipality='{code}']")).to_have_count(0)
    expect(counts).to_have_text(f"{before - 1} of 358 municipalities not confirmed")
    context.close()
