"""Fixtures for the app through its HTTP interface: settings, a seeded registry, a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from capacity.db import session_factory
from capacity.geocoder import Gazetteer
from tests.helpers import seed_bodo_and_oslo, settings_for
from web.app import create_app
from web.config import Settings


@pytest.fixture
async def seeded(engine: AsyncEngine, gazetteer: Gazetteer) -> dict[str, str]:
    """Bodø and Oslo (3 free places at each women's unit, version 1), people and tokens.

    Returns the seeded API tokens by name. Modules that need another registry override this."""
    async with session_factory(engine)() as session:
        return await seed_bodo_and_oslo(session, gazetteer)


@pytest.fixture
def app_settings(database_url: str, tmp_path: Path) -> Settings:
    return settings_for(database_url, tmp_path, HAVN_INDEX_REFRESH_SECONDS="0")


@pytest.fixture
def client(seeded: object, app_settings: Settings) -> Iterator[TestClient]:
    """The app over the seeded registry, its lifespan running; server errors come back as 500."""
    with TestClient(create_app(app_settings), raise_server_exceptions=False) as client:
        yield client
