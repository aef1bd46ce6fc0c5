"""Fixtures for tests of the running system: the demo registry, a served site, Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from capacity import demo
from capacity.db import create_engine, session_factory
from capacity.geocoder import Gazetteer
from tests.helpers import (
    EXIT_SITE,
    copy_database,
    empty_postgres,
    free_port,
    neutral_site,
    run_async,
    seed_bodo_and_oslo,
    serve,
    settings_for,
)
from tests.system.workers import RedisServer
from web.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def demo_registry(
    migrated_sqlite: Path, gazetteer: Gazetteer, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A SQLite file with the demo registry loaded once per run, to be copied, never opened."""
    url = copy_database(migrated_sqlite, tmp_path_factory.mktemp("demo"))

    async def load() -> None:
        engine = create_engine(url)
        async with session_factory(engine)() as session:
            await demo.load(session, gazetteer)
        await engine.dispose()

    run_async(load())
    return Path(url.removeprefix("sqlite:///"))


@pytest.fixture(scope="module")
def site(demo_registry: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The real app over a copy of the demo registry, served by uvicorn in a thread."""
    folder = tmp_path_factory.mktemp("site")
    url = copy_database(demo_registry, folder)
    with serve(create_app(settings_for(url, folder))) as base:
        yield {"base": base, "centre": demo.read_demo_file()[0]["id"], "db": url}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium. Per module: Playwright's sync API holds this thread's event
    loop while it runs, and the asynchronous tests of other modules need it."""
    with sync_playwright() as playwright:
        yield playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A phone-sized Norwegian browser whose quick exit lands on a stand-in weather site."""
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="nb-NO")
    context.route(f"{EXIT_SITE}**", neutral_site)
    yield context
    context.close()


@pytest.fixture
async def registry_url(postgres_url: str, gazetteer: Gazetteer) -> AsyncIterator[tuple[str, str]]:
    """Bodø and Oslo (3 free places each) on an empty PostgreSQL; the URL and Bodø's token."""
    await empty_postgres(postgres_url)
    engine = create_engine(postgres_url)
    async with session_factory(engine)() as session:
        tokens = await seed_bodo_and_oslo(session, gazetteer)
    await engine.dispose()
    yield postgres_url, tokens["token-a"]


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of this test's own, on a free port, so stopping it disturbs nothing."""
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()
