"""A centre's location: the registry keeps only its public point, as an attacker finds out.

The attacker's test bisects the public search's `max_km` from three places and trilaterates,
as a watcher on the internet would; imports and admin edits snap to the host municipality's
point and say so; the migration snaps rows stored before. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bs4 import BeautifulSoup
from geographiclib.geodesic import Geodesic
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from capacity import migrate, registry
from capacity.db import create_engine, session_factory
from capacity.geocoder import Gazetteer
from capacity.models import Centre, Event, utcnow
from tests.helpers import centre_row, csrf_of, csv_file, login, make_centre, reset_database, soup

SECRET = (62.4681234, 6.1543210)  # where the centre "really" is: never to be learnt
FAR_SECRET = (62.4012345, 6.3456789)  # another secret point, 12.7 km from the public one
PUBLIC = (62.47, 6.15)  # Ålesund's municipality point, 2 decimals: public anyway
# Molde, Ørsta and Herøy. Each gets a centre of its own (DECOYS), so the centre under attack
# is never their responsible centre (which is listed whatever the distance).
ORIGINS = ((62.7375, 7.1591), (62.1995, 6.1292), (62.343, 5.633))
DECOYS = (("molde", "1506"), ("orsta", "1520"), ("heroy", "1515"))


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(Geodesic.WGS84.Inverse(a[0], a[1], b[0], b[1], Geodesic.DISTANCE)["s12"])


def import_as_admin(client: TestClient, text: bytes) -> BeautifulSoup:
    login(client, "admin")
    token = csrf_of(client.get("/admin").text)
    response = client.post(
        "/admin/import",
        data={"csrf": token},
        files={"file": ("centres.csv", text, "text/csv")},
    )
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return soup(response)


def shown(client: TestClient, centre_id: str, origin: tuple[float, float], km: float) -> bool:
    """One anonymous public search: is the centre listed within `km` of `origin`?"""
    response = client.get(
        "/api/v1/search", params={"lat": origin[0], "lon": origin[1], "max_km": f"{km:.6f}"}
    )
    assert response.status_code == 200, response.text
    return centre_id in {result["id"] for result in response.json()["results"]}


def attack(client: TestClient, centre_id: str) -> tuple[float, float]:
    """What a watcher learns: bisect max_km from three places (54 searches), trilaterate."""
    ranges = []
    for origin in ORIGINS:
        low, high = 0.0, 300.0
        assert not shown(client, centre_id, origin, low) and shown(client, centre_id, origin, high)
        for _ in range(18):  # 300 km / 2**18: about a metre
            middle = (low + high) / 2
            low, high = (
                (low, middle) if shown(client, centre_id, origin, middle) else (middle, high)
            )
        ranges.append(high * 1000)
    # Gauss-Newton on the geodesic ranges, from the middle of the three places.
    guess = np.mean(np.array(ORIGINS), axis=0)
    for _ in range(30):
        point = (float(guess[0]), float(guess[1]))
        residual = np.array([metres(o, point) - r for o, r in zip(ORIGINS, ranges, strict=True)])
        step = 1e-6
        jacobian = np.array(
            [
                [
                    (metres(o, (point[0] + step, point[1])) - metres(o, point)) / step,
                    (metres(o, (point[0], point[1] + step)) - metres(o, point)) / step,
                ]
                for o in ORIGINS
            ]
        )
        guess = guess - np.linalg.lstsq(jacobian, residual, rcond=None)[0]
    return float(guess[0]), float(guess[1])


async def test_a_watcher_bisecting_max_km_learns_only_the_municipality_point(
    client: TestClient, engine: AsyncEngine
) -> None:
    decoys = [
        centre_row(name, origin, host) for (name, host), origin in zip(DECOYS, ORIGINS, strict=True)
    ]
    report = import_as_admin(
        client,
        csv_file(centre_row("alesund", SECRET), centre_row("sunnmore", FAR_SECRET), *decoys),
    )
    told = report.select_one("p.saved[role=status]")
    assert told is not None and "alesund, sunnmore" in told.get_text()

    learnt = attack(client, "alesund")
    assert metres(learnt, PUBLIC) < 25  # the public point, which the API shows anyway
    # The public point is 306 m from this secret; the bisection gets no closer than that.
    assert metres(learnt, SECRET) > 300
    learnt_far = attack(client, "sunnmore")
    assert metres(learnt_far, PUBLIC) < 25
    assert metres(learnt_far, FAR_SECRET) > 1000
    assert metres(learnt, learnt_far) < 25  # two different secrets, the same answer

    async def stored() -> list[tuple[float, float]]:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(Centre.latitude, Centre.longitude).where(
                    Centre.id.in_(["alesund", "sunnmore"])
                )
            )
            return [tuple(row) for row in rows]

    assert await stored() == [PUBLIC, PUBLIC]


def test_distances_and_min_km_use_only_the_public_point(client: TestClient) -> None:
    import_as_admin(client, csv_file(centre_row("alesund", SECRET)))
    origin = ORIGINS[1]
    exact = metres(origin, PUBLIC) / 1000
    found = client.get(
        "/api/v1/search", params={"lat": origin[0], "lon": origin[1], "max_km": exact + 0.001}
    ).json()["results"]
    (result,) = [r for r in found if r["id"] == "alesund"]
    assert result["distance_km"] == round(exact, 1)
    assert result["centre"]["location"] == {
        "latitude": PUBLIC[0],
        "longitude": PUBLIC[1],
        "precision": "municipality",
    }
    # "Away from Ørsta": the boundary lies exactly at the public point, to the metre.
    ørsta = Gazetteer.load().municipality("1520")
    assert ørsta is not None
    away = metres((ørsta.latitude, ørsta.longitude), PUBLIC) / 1000
    for km, kept in ((away - 0.001, True), (away + 0.001, False)):
        response = client.get(
            "/api/v1/search", params={"q": "Bodø", "away_from": "Ørsta", "min_km": f"{km:.6f}"}
        )
        assert response.status_code == 200, response.text
        assert ("alesund" in {r["id"] for r in response.json()["results"]}) is kept


# -- writes: import and the admin form ------------------------------------------------------


async def test_an_import_with_an_unknown_host_municipality_is_refused_and_says_why(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "admin")
    token = csrf_of(client.get("/admin").text)
    row = centre_row("nowhere", SECRET, host="9999")
    response = client.post(
        "/admin/import",
        data={"csrf": token},
        files={"file": ("centres.csv", csv_file(row), "text/csv")},
    )
    assert response.status_code == 422
    problem = soup(response).select_one("p.problem[role=alert]")
    assert problem is not None and "nothing was imported" in problem.get_text()

    async def count() -> int:
        async with session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(Centre)) or 0)

    assert await count() == 2  # bodo and oslo, as seeded


def admin_edit(client: TestClient, centre_id: str, **fields: str) -> object:
    login(client, "admin")
    token = csrf_of(client.get("/admin").text)
    return client.post(f"/admin/centres/{centre_id}", data={"csrf": token, **fields})


async def point_of(engine: AsyncEngine, centre_id: str) -> tuple[float, float, str, str]:
    async with session_factory(engine)() as session:
        centre = await session.get(Centre, centre_id, populate_existing=True)
        assert centre is not None
        return centre.latitude, centre.longitude, centre.host_municipality, centre.region


async def test_a_new_host_municipality_moves_the_point_there_and_the_admin_is_told(
    client: TestClient, engine: AsyncEngine
) -> None:
    response = admin_edit(client, "bodo", name="Bodø krisesenter", host_municipality="1505")
    assert response.status_code == 200  # type: ignore[attr-defined]
    told = soup(response).select_one("p.saved[role=status]")
    assert told is not None and "now the point of Kristiansund (63.11, 7.73)" in told.get_text()
    assert await point_of(engine, "bodo") == (63.11, 7.73, "1505", "Møre og Romsdal")
    hint = soup(client.get("/admin")).select_one("#host_municipality-bodo-hint")
    assert hint is not None and "Kristiansund (63.11, 7.73)" in hint.get_text()
    field = soup(client.get("/admin")).select_one("#host_municipality-bodo")
    assert field is not None and "host_municipality-bodo-hint" in str(field["aria-describedby"])


async def test_an_admin_edit_snaps_a_precise_point_stored_before_and_ignores_coordinates_sent(
    client: TestClient, engine: AsyncEngine
) -> None:
    async def store_precise() -> None:
        async with session_factory(engine)() as session:
            await session.execute(
                update(Centre).where(Centre.id == "bodo").values(latitude=67.2833, longitude=14.38)
            )
            await session.commit()

    await store_precise()
    response = admin_edit(
        client, "bodo", name="Bodø krisesenter", latitude="67.2804123", longitude="14.4049"
    )
    told = soup(response).select_one("p.saved[role=status]")
    assert told is not None and "now the point of Bodø (67.28, 14.40)" in told.get_text()
    assert (await point_of(engine, "bodo"))[:2] == (67.28, 14.4)


async def test_an_admin_edit_to_an_unknown_municipality_changes_nothing(
    client: TestClient, engine: AsyncEngine
) -> None:
    before = await point_of(engine, "bodo")
    response = admin_edit(client, "bodo", name="Renamed", host_municipality="9999")
    assert response.status_code == 422  # type: ignore[attr-defined]
    error = soup(response).select_one("#host_municipality-bodo-error")
    assert error is not None and "municipality number" in error.get_text()
    assert await point_of(engine, "bodo") == before


async def test_the_registry_refuses_a_point_finer_than_the_public_one(
    engine: AsyncEngine, gazetteer: Gazetteer
) -> None:
    from capacity.errors import InvalidInput

    async def add() -> None:
        async with session_factory(engine)() as session:
            centre = make_centre("precise", gazetteer, "1508", latitude=SECRET[0])
            await registry.add_centre(session, centre, actor="test")

    with pytest.raises(InvalidInput) as caught:
        await add()
    assert caught.value.detail["field"] == "latitude"


# -- the migration ---------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database migrated only up to 0003, before points were snapped."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        base = make_url(request.getfixturevalue("postgres_url"))
        url = base.set(database=f"{base.database}_old").render_as_string(hide_password=False)
        asyncio.run(reset_database(url, create=True))
    migrate.upgrade(url, "0003")
    yield url
    if request.param == "postgresql":
        asyncio.run(reset_database(url, create=False))


def legacy_centre(
    centre_id: str, country: str, host: str, point: tuple[float, float]
) -> dict[str, Any]:
    """A centre row in only the columns revision 0003 has (the model may have more since)."""
    now = utcnow()
    return dict(
        id=centre_id,
        name=centre_id,
        country=country,
        region="Somewhere",
        host_municipality=host,
        status="open",
        languages=[],
        interpreter=True,
        latitude=point[0],
        longitude=point[1],
        is_demo=False,
        version=1,
        created_at=now,
        updated_at=now,
    )


def test_the_migration_snaps_points_stored_before(
    old_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def seed_old() -> None:
        engine = create_engine(old_database)
        async with session_factory(engine)() as session:
            rows = [
                legacy_centre("alesund", "NO", "1508", SECRET),
                legacy_centre("kobenhavn", "DK", "0101", (55.6761234, 12.5683456)),
                legacy_centre("bodo", "NO", "1804", (67.28, 14.4)),
            ]
            await session.execute(insert(Centre.__table__), rows)
            await session.commit()
        await engine.dispose()

    async def read_new() -> tuple[dict[str, tuple[float, float, int]], list[Event]]:
        engine = create_engine(old_database)
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(Centre.id, Centre.latitude, Centre.longitude, Centre.version)
            )
            events = list(await session.scalars(select(Event).order_by(Event.id)))
        await engine.dispose()
        return {row[0]: (row[1], row[2], row[3]) for row in rows}, events

    asyncio.run(seed_old())
    with caplog.at_level(logging.WARNING, logger="havn.migrations"):
        migrate.upgrade(old_database)
    centres, events = asyncio.run(read_new())
    assert centres == {
        "alesund": (62.47, 6.15, 2),  # Ålesund's public point
        "kobenhavn": (55.68, 12.57, 2),  # not in the gazetteer: rounded, and said so
        "bodo": (67.28, 14.4, 1),  # public already: untouched
    }
    assert [(e.action, e.centre_id, e.actor) for e in events] == [
        ("centre.location_public", "alesund", "migration 0004"),
        ("centre.location_public", "kobenhavn", "migration 0004"),
    ]
    assert events[1].after == {
        "latitude": 55.68,
        "longitude": 12.57,
        "from": "rounded to 2 decimals",
    }
    warned = [r.getMessage() for r in caplog.records if r.name == "havn.migrations"]
    assert len(warned) == 1 and "kobenhavn" in warned[0] and "rounded" in warned[0]
