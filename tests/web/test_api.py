"""The public JSON API, driven through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from capacity import audit, registry
from capacity.db import session_factory
from capacity.geocoder import Gazetteer
from capacity.models import Hold, utcnow
from tests.helpers import ROOT, make_centre

SECRET_NOTE = "Backdoor code 4711, Storgata 12"
SECRET_INTAKE = "+47 99 99 99 99"


@pytest.fixture
async def seeded(engine: AsyncEngine, gazetteer: Gazetteer) -> AsyncIterator[AsyncEngine]:
    """Bodø (serves Bodø), Oslo, Tromsø (numbers 30 h old) and a closed centre in Halden."""
    now = utcnow()
    async with session_factory(engine)() as session:
        bodo = make_centre(
            "bodo",
            gazetteer,
            "1804",
            adviser_notes=SECRET_NOTE,
            intake_phone=SECRET_INTAKE,
            phone="+47 75 00 00 00",
        )
        oslo = make_centre("oslo", gazetteer, "0301", languages=["nb", "en", "ar"])
        tromso = make_centre("tromso", gazetteer, "5501")
        halden = make_centre(
            "halden", gazetteer, "3101", status="closed", status_reason="Closed in 2025"
        )
        for centre in (bodo, oslo, tromso, halden):
            await registry.add_centre(session, centre, actor="test")
        for centre, beds, as_of in (
            (bodo, 2, now),
            (oslo, 6, now),
            (tromso, 5, now - timedelta(hours=30)),
        ):
            await registry.set_availability(
                session,
                centre.units[0],
                free_beds=beds,
                free_family_rooms=1,
                free_accessible_rooms=1,
                actor="test",
                source="staff",
                as_of=as_of,
            )
        await session.commit()
    yield engine


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def assert_public(body: Any, raw: str) -> None:
    """No secret, no address, no coordinate finer than two decimals."""
    assert SECRET_NOTE not in raw and SECRET_INTAKE not in raw
    for key, value in walk(body):
        assert "address" not in key.lower() and "note" not in key.lower()
        if key in ("latitude", "longitude", "lat", "lon"):
            assert value == round(value, 2), (key, value)


def test_health(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def _api_operations(routes: list[BaseRoute], prefix: str = "") -> set[tuple[str, str]]:
    """(path, method) of every JSON API route the app serves, read from its route table."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, Mount) and route.path == "/api/v1":
            found |= _api_operations(route.routes, route.path)
        elif isinstance(route, Route) and (prefix or route.path in ("/healthz",)):
            path = re.sub(r"{(\w+):\w+}", r"{\1}", prefix + route.path)
            found |= {(path, m.lower()) for m in route.methods or () if m != "HEAD"}
    return found


def test_openapi_describes_every_api_route_and_no_other(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    described = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }
    assert described == _api_operations(client.app.routes)  # type: ignore[attr-defined]
    params = {p["name"] for p in document["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert params >= {
        "q",
        "lat",
        "lon",
        "gender",
        "adults",
        "children",
        "needs",
        "language",
        "away_from",
        "min_km",
        "max_km",
        "limit",
    }


def test_the_bots_copy_of_the_api_description_is_current(client: TestClient) -> None:
    """The bot's tests check their fake registry answers against this copy."""
    copy = ROOT / "bot" / "tests" / "data" / "openapi.json"
    assert json.loads(copy.read_text(encoding="utf-8")) == client.get("/api/openapi.json").json(), (
        "run: python -c 'import json, web.api.openapi as o; "
        "print(json.dumps(o.DOCUMENT, indent=1))'"
        " > bot/tests/data/openapi.json"
    )


def test_centres_list_is_public_safe(client: TestClient) -> None:
    response = client.get("/api/v1/centres")
    body = response.json()
    assert response.status_code == 200 and body["count"] == 4
    assert_public(body, response.text)
    bodo = next(c for c in body["centres"] if c["id"] == "bodo")
    assert bodo["municipality"] == {"code": "1804", "name": "Bodø"}
    assert bodo["serves"] == [{"code": "1804", "name": "Bodø"}]
    assert bodo["location"]["precision"] == "municipality"
    women = bodo["units"][0]
    assert women["kind"] == "women" and women["availability"]["free_places"] == 2
    assert bodo["units"][1]["availability"] is None  # the men's unit never reported


def test_one_centre_and_a_missing_one(client: TestClient) -> None:
    response = client.get("/api/v1/centres/bodo")
    assert response.status_code == 200
    assert_public(response.json(), response.text)
    missing = client.get("/api/v1/centres/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["code"] == "not_found"


def test_geocode_found_ambiguous_and_not_found(client: TestClient) -> None:
    found = client.get("/api/v1/geocode", params={"q": "bodo"}).json()
    assert found["status"] == "found" and found["places"][0]["municipality"]["code"] == "1804"
    assert client.get("/api/v1/geocode", params={"q": "Os"}).json()["status"] == "ambiguous"
    assert client.get("/api/v1/geocode", params={"q": "xyzzyq"}).json()["status"] == "not_found"
    assert client.get("/api/v1/geocode").status_code == 422


def test_search_near_bodo_flags_the_responsible_centre(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"q": "Bodø"})
    body = response.json()
    assert response.status_code == 200, body
    assert_public(body, response.text)
    assert body["understood"]["name"].endswith("Bodø")
    first = body["results"][0]
    assert first["name"] == "Bodø krisesenter" and first["responsible"] and first["group"] == "now"
    assert first["distance_km"] < 5
    assert body["responsible"] == ["bodo"]
    assert [line["phone"] for line in body["helplines"]] == ["112", "116 006", "22 33 11 60"]
    groups = {r["id"]: r["group"] for r in body["results"]}
    assert groups == {"bodo": "now", "oslo": "now", "tromso": "call", "halden": "unavailable"}
    distances = [r["distance_km"] for r in body["results"] if r["group"] == "now"]
    assert distances == sorted(distances)


def test_search_by_position_understands_the_nearest_place(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"lat": "59.91", "lon": "10.75"}).json()
    assert body["understood"]["municipality"]["code"] == "0301"
    assert body["results"][0]["id"] == "oslo" and body["results"][0]["responsible"]


def test_a_family_that_does_not_fit_is_told_why(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "Bodø", "children": "3,6,9"}).json()
    bodo = next(r for r in body["results"] if r["id"] == "bodo")
    assert bodo["group"] == "unavailable" and bodo["responsible"]
    assert any(m["code"] == "not_enough_places" and m["needed"] == 4 for m in bodo["missing"])
    assert body["results"][0]["id"] == "oslo"


def test_men_are_sent_to_mens_units_only(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "Oslo", "gender": "man"}).json()
    assert {r["unit"] for r in body["results"]} == {"men"}


def test_away_from_and_max_km(client: TestClient) -> None:
    away = client.get(
        "/api/v1/search", params={"q": "Oslo", "away_from": "Oslo", "min_km": "300"}
    ).json()
    assert "oslo" not in {r["id"] for r in away["results"]}
    assert away["responsible_excluded_by_away_from"] == ["oslo"]
    near = client.get("/api/v1/search", params={"q": "Oslo", "max_km": "50"}).json()
    assert {r["id"] for r in near["results"]} == {"oslo"}


async def test_a_hold_moves_no_public_number_until_the_centre_publishes_again(
    client: TestClient, engine: AsyncEngine
) -> None:
    """A watcher must not see a count drop by a party's size while the party travels."""
    async with session_factory(engine)() as session:
        centre = await registry.get_centre(session, "bodo")
        now = utcnow()
        session.add(
            Hold(
                id="h1",
                unit_id=centre.units[0].id,
                places=2,
                party={"adults": 1, "children": [4]},
                created_by="adviser",
                created_at=now,
                expires_at=now + timedelta(hours=2),
                family_rooms=1,
            )
        )
        # A hold is a change: it moves the revision the snapshot is keyed on.
        audit.record(
            session,
            actor="adviser",
            action="hold.created",
            entity="hold",
            entity_id="h1",
            centre_id="bodo",
            before=None,
            after={"places": 2},
        )
        await session.commit()

    def public() -> tuple[dict[str, Any], dict[str, Any]]:
        result = next(
            r
            for r in client.get("/api/v1/search", params={"q": "Bodø"}).json()["results"]
            if r["id"] == "bodo"
        )
        return result, client.get("/api/v1/centres/bodo").json()["units"][0]["availability"]

    result, availability = public()
    assert result["free_places"] == 2 and availability["free_places"] == 2
    assert "held_places" not in result and "held_places" not in availability
    assert all(reason["code"] != "held" for reason in result["fits"])
    # The staff publish their numbers (they see the hold on their dashboard): now it counts.
    async with session_factory(engine)() as session:
        unit = (await registry.get_centre(session, "bodo")).units[0]
        await registry.set_availability(
            session,
            unit,
            free_beds=2,
            free_family_rooms=1,
            free_accessible_rooms=0,
            actor="staff",
            source="staff",
        )
        await session.commit()
    result, availability = public()
    assert result["free_places"] == 0 and result["group"] == "unavailable"
    assert availability["free_places"] == 0 and "held_places" not in availability


def test_ambiguous_place_answers_with_candidates(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"q": "Os"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "ambiguous_place" and len(body["candidates"]) >= 2
    chosen = client.get("/api/v1/search", params={"q": body["candidates"][0]["query"]})
    assert chosen.status_code == 200


HOSTILE = [
    "",
    " ",
    "x" * 10_000,
    "' OR 1=1 --",
    "'; DROP TABLE centres; --",
    "<script>alert(1)</script>",
    "\x00",
    "%00",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "9" * 400,
    "😀",
    "[]",
    "{}",
    "../../etc/passwd",
    "null",
    "-1",
    "0",
    "ÆØÅ" * 30,
]
PARAMS = [
    "q",
    "lat",
    "lon",
    "gender",
    "adults",
    "children",
    "needs",
    "language",
    "away_from",
    "min_km",
    "max_km",
    "limit",
]


@pytest.mark.parametrize("param", PARAMS)
def test_hostile_values_never_cause_a_server_error(client: TestClient, param: str) -> None:
    for value in HOSTILE:
        params = {"q": "Bodø", param: value} if param not in ("lat", "lon") else {param: value}
        response = client.get("/api/v1/search", params=params)
        assert response.status_code < 500, (param, value, response.text)
        if response.status_code >= 400:
            body = response.json()
            assert response.headers["content-type"].startswith("application/problem+json")
            assert body["detail"] and body["status"] == response.status_code
            # Input may be quoted back in JSON; it is never served as HTML.
            assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "params,field",
    [
        ({}, "q"),
        ({"q": "Bodø", "lat": "60", "lon": "10"}, "q"),
        ({"lat": "60"}, "lon"),
        ({"lat": "91", "lon": "10"}, "lat/lon"),
        ({"lat": "nan", "lon": "10"}, "lat"),
        ({"q": "Bodø", "needs": "jacuzzi"}, "needs"),
        ({"q": "Bodø", "children": "4,19"}, "children"),
        ({"q": "Bodø", "gender": "robot"}, "gender"),
        ({"q": "Bodø", "min_km": "50"}, "away_from"),
        ({"q": "Bodø", "away_from": "Oslo"}, "min_km"),
        ({"q": "Bodø", "max_km": "-5"}, "max_km"),
        ({"q": "Bodø", "limit": "0"}, "limit"),
        ({"q": "Bodø", "limit": "2.5"}, "limit"),
        ({"q": "Bodø", "language": "arabic!"}, "language"),
        ({"q": "x" * 300}, "q"),
    ],
)
def test_bad_search_input_names_the_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_unknown_place_is_a_clear_422(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"q": "'; DROP TABLE centres; --"})
    assert response.status_code == 422 and response.json()["code"] == "place_not_found"
    assert client.get("/api/v1/centres").json()["count"] == 4


def test_unknown_routes_and_methods_answer_with_problems(client: TestClient) -> None:
    assert client.get("/api/v1/nothing").status_code == 404
    response = client.post("/api/v1/search")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
    # RFC 9110: a 405 says which methods are allowed (schemathesis found it missing).
    for method, path in (("POST", "/api/v1/search"), ("TRACE", "/healthz"), ("PUT", "/safety")):
        refused = client.request(method, path)
        allowed = {method.strip() for method in refused.headers["allow"].split(",")}
        assert refused.status_code == 405 and allowed == {"GET", "HEAD"}, path


def test_demo_flag_is_carried_on_each_result(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "Oslo"}).json()
    assert all(r["demo"] is False for r in body["results"])
    raw = json.dumps(body)
    assert not re.search(
        r"\d+\.\d{3,}", json.dumps([r["centre"]["location"] for r in body["results"]])
    )
    assert "street" not in raw.lower()


def test_search_says_whether_the_responsible_centre_is_confirmed(client: TestClient) -> None:
    def responsible(query: str) -> dict[str, Any]:
        body = client.get("/api/v1/search", params={"q": query}).json()
        return next(r for r in body["results"] if r["responsible"])

    assert responsible("Bodø")["responsible_confirmed"] is True
    likely = responsible("Fauske")
    assert likely["id"] == "bodo" and likely["responsible_confirmed"] is False
    assert responsible("Halden")["id"] != "halden"  # closed: never responsible


def test_an_approximate_place_is_flagged_in_the_api(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "5147"}).json()
    assert body["understood"]["approximate"] is True
    assert body["understood"]["municipality"]["name"] == "Bergen"
    found = client.get("/api/v1/geocode", params={"q": "Tiller"}).json()
    assert found["places"][0]["municipality"]["code"] == "5001"
    assert found["places"][0]["approximate"] is True
