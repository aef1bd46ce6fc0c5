"""Live sections in a real headless Chromium at 360 px: what a person sees when numbers change.

One contract (templates/_live.html) for the public results, the adviser console and the staff
dashboard: a live refresh reloads the page's current address and swaps the section's content.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from capacity import accounts, demo, migrate, registry
from capacity.db import create_engine, session_factory
from capacity.geocoder import Gazetteer
from tests.conftest import PASSWORD
from tests.test_browser import EXIT_SITE, free_port, launch, neutral_site
from web.app import create_app
from web.config import Settings

MARK = "document.querySelector('[data-live]').firstElementChild.dataset.old = '1'"
REFRESHED = "() => !document.querySelector('[data-live] [data-old]')"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The real app with the demo registry, an adviser and the first centre's staff."""
    folder = tmp_path_factory.mktemp("live-site")
    url = f"sqlite:///{folder / 'site.sqlite3'}"
    centre = demo.read_demo_file()[0]["id"]

    async def load() -> None:
        engine = create_engine(url)
        async with session_factory(engine)() as session:
            await demo.load(session, Gazetteer.load())
            for username, role, centre_id in (
                ("adviser", "adviser", None),
                ("staff", "staff", centre),
            ):
                await accounts.create_user(
                    session,
                    username=username,
                    display_name=username.title(),
                    role=role,
                    centre_id=centre_id,
                    password=PASSWORD,
                    actor=username,  # their own password: no change asked at first login
                )
            await session.commit()
        await engine.dispose()

    def prepare() -> None:
        migrate.upgrade(url)
        asyncio.run(load())

    with ThreadPoolExecutor(1) as pool:
        pool.submit(prepare).result()
    settings = Settings.from_environ(
        {
            "HAVN_DATABASE_URL": url,
            "HAVN_DATA_DIR": str(folder),
            "HAVN_FEED_POLL_SECONDS": "0.3",
            "HAVN_INDEX_REFRESH_SECONDS": "0",
        }
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield {"base": f"http://127.0.0.1:{port}", "centre": centre, "db": url}
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        yield launch(playwright)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="nb-NO")
    context.route(f"{EXIT_SITE}**", neutral_site)
    yield context
    context.close()


def staff_change(site: dict[str, str], beds: int) -> None:
    """Someone at the centre reports new numbers (another device, another worker)."""

    async def change() -> None:
        engine = create_engine(site["db"])
        async with session_factory(engine)() as session:
            centre = await registry.get_centre(session, site["centre"])
            await registry.set_availability(
                session,
                centre.units[0],
                free_beds=beds,
                free_family_rooms=0,
                free_accessible_rooms=0,
                actor="other-device",
                source="staff",
            )
            await session.commit()
        await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, change()).result()


def log_in(page: Page, site: dict[str, str], username: str) -> None:
    page.goto(site["base"] + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("start", ["/?q=Bod%C3%B8", "/"])
def test_public_results_refresh_the_search_made_in_the_form(
    context: BrowserContext, site: dict[str, str], start: str
) -> None:
    page = context.new_page()
    page.goto(site["base"] + start)
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
    log_in(page, site, "adviser")
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
    log_in(page, site, "staff")
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
    log_in(page, site, "staff")
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
