"""Two-factor sign-in as a person does it, in a real Chromium without JavaScript: the pages
pass axe-core and fit a 360 px phone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyotp
from playwright.sync_api import Browser, Page

from tests.helpers import AXE, PASSWORD, add_people, run_async

AXE_RULES = "{runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}"


def check(page: Page) -> None:
    """No axe violations and nothing wider than a 360 px phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(f"axe.run(document, {AXE_RULES})")
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]] == []


def test_an_adviser_sets_up_two_factor_and_signs_in_with_it(
    browser: Browser, site: dict[str, str]
) -> None:
    run_async(add_people(site["db"], ("kari", "adviser", None)))
    # No JavaScript in the pages (axe is injected by the test with the CSP bypassed).
    context = browser.new_context(
        java_script_enabled=False, bypass_csp=True, viewport={"width": 360, "height": 800}
    )
    page = context.new_page()
    page.goto(site["base"] + "/login")
    page.fill("#username", "kari")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.goto(site["base"] + "/account/two-factor")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert page.locator("img.qr").get_attribute("src", timeout=2000).startswith("data:image/svg")
    context_js = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 800})
    context_js.add_cookies(context.cookies())
    checked = context_js.new_page()
    checked.goto(site["base"] + "/account/two-factor")
    check(checked)
    totp = pyotp.TOTP(secret)
    page.fill("#code", totp.now())
    page.click("button[type=submit].primary")
    assert page.locator("#recovery-codes li").count() == 10
    page.click("button:has-text('Logg ut'), button:has-text('Log out')")
    page.fill("#username", "kari")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    assert page.url.endswith("/login/code")
    code_page = context_js.new_page()
    context_js.add_cookies(context.cookies())
    code_page.goto(site["base"] + "/login/code")
    check(code_page)
    page.fill("#code", totp.at(datetime.now(UTC), counter_offset=1))  # enrolment spent this step
    page.click("button[type=submit].primary")
    assert page.url.endswith("/console")
    context_js.close()
    context.close()
