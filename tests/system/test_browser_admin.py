"""The administration page in a real headless Chromium on a 360 px phone: an administrator adds
transitional flats to a centre through the form, and a wrong value comes back by its field."""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy import select

from capacity.db import create_engine, session_factory
from capacity.models import Unit
from tests.helpers import ADMIN_TOTP, PASSWORD, add_admin, axe_violations, run_async

# The elements of a form that reach past the right edge of a 360 px screen.
WIDER = """form => [...form.querySelectorAll('*')]
  .filter(e => e.getBoundingClientRect().right > 361)
  .map(e => e.tagName + '#' + e.id).slice(0, 5)"""


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A 360 px Norwegian phone; CSP bypassed only so axe-core can be injected."""
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 360, "height": 800}, locale="nb-NO"
    )
    yield context
    context.close()


async def flats_of(url: str, centre_id: str) -> tuple[int, int | None, str | None] | None:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        unit = await session.scalar(
            select(Unit).where(Unit.centre_id == centre_id, Unit.kind == "transitional")
        )
        found = (unit.beds, unit.stay_months, unit.referred_by) if unit else None
    await engine.dispose()
    return found


def test_an_admin_on_a_phone_adds_flats_and_sees_a_wrong_stay_by_its_field(
    phone: BrowserContext, site: dict[str, str]
) -> None:
    run_async(add_admin(site["db"], "unit-admin"))
    page = phone.new_page()
    page.goto(site["base"] + "/login")
    page.fill("#username", "unit-admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.fill("#code", pyotp.TOTP(ADMIN_TOTP).now())
    page.click("button[type=submit].primary")
    page.goto(site["base"] + "/admin")

    add = page.locator("form[action$='/flats']").first
    centre_id = (add.get_attribute("action") or "").split("/")[3]
    assert run_async(flats_of(site["db"], centre_id)) is None
    add.locator("xpath=ancestor::details[1]/summary").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert add.evaluate(WIDER) == []
    add.get_by_label("Leiligheter", exact=True).fill("2")
    add.get_by_label("Vanlig botid i måneder (1–60)").fill("6")
    add.get_by_label("Hvem som henviser").select_option("municipality")
    add.get_by_role("button").click()
    expect(page.locator("p.saved[role=status]")).to_contain_text("Transitional flats added")
    assert run_async(flats_of(site["db"], centre_id)) == (2, 6, "municipality")

    edit = page.locator(f"form[action='/admin/centres/{centre_id}']")
    page.locator(
        f"form[action='/admin/centres/{centre_id}'] >> xpath=ancestor::details[1]/summary"
    ).click()
    flats = edit.locator("fieldset").filter(has_text="Gjennomgangsboliger")
    stay = flats.get_by_label("Vanlig botid i måneder (1–60)")
    stay.fill("99")
    edit.get_by_role("button", name="Lagre").click()

    field = page.locator(f"#transitional_stay_months-{centre_id}")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("99")  # as typed, to fix
    error = page.locator(f"#{field.get_attribute('aria-describedby')}")
    expect(error).to_be_visible()
    expect(error).to_contain_text("1 to 60")
    # The message stands right under its field, inside the same field group.
    assert field.locator("xpath=..").locator(".problem").count() == 1
    assert run_async(flats_of(site["db"], centre_id)) == (2, 6, "municipality")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert edit.evaluate(WIDER) == []
    assert axe_violations(page) == []
