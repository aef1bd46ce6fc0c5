"""Helpers for the action tests: JSON trackers, the domain as rasa-sdk sees it, a fake
registry behind httpx.MockTransport, and a way to run an action."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.settings import Settings

BOT = Path(__file__).resolve().parent.parent
# The registry's OpenAPI document (a test in the web app keeps this copy current).
API = json.loads((Path(__file__).parent / "data" / "openapi.json").read_text(encoding="utf-8"))


def check_against_api(path: str, status: int, body: Any) -> None:
    """Raise jsonschema.ValidationError when `body` is not what the real API answers."""
    if status >= 400:
        schema: Any = {"$ref": "#/components/schemas/Problem"}
    else:
        content = API["paths"][path]["get"]["responses"][str(status)]["content"]
        schema = content["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": API["components"]}).validate(body)


NOW = datetime(2025, 3, 4, 10, 30, tzinfo=timezone.utc)  # a Tuesday, 11:30 in Oslo


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The domain files merged, as the action server receives them."""
    merged: dict[str, Any] = {}
    for path in sorted((BOT / "domain").glob("*.yml")):
        for key, value in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged[key] = value
    return merged


def tracker(
    text: str = "",
    intent: str | None = "inform",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker as rasa sends it: the latest message, slots, and the active form."""
    state = {
        "sender_id": "test-sender",
        "slots": dict(slots or {}),
        "latest_message": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.99} if intent else {},
            "entities": entities or [],
            "metadata": metadata or {},
        },
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": "action_listen",
    }
    return Tracker.from_dict(state)


def entity(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": len(value)}


class FakeRegistry:
    """Answers /api/v1/geocode and /api/v1/search like the web app, and records requests."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.routes: dict[str, Callable[[httpx.Request], httpx.Response]] = {}

    def on(self, path: str, status: int = 200, body: Any = None) -> None:
        check_against_api(path, status, body)
        content_type = "application/json" if status == 200 else "application/problem+json"
        self.routes[path] = lambda request: httpx.Response(
            status, content=json.dumps(body).encode(), headers={"content-type": content_type}
        )

    def fail(self, path: str) -> None:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        self.routes[path] = refuse

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            route = self.routes.get(request.url.path)
            if route is None:
                return httpx.Response(404, json={"code": "not_found", "detail": "no route"})
            return route(request)

        return httpx.MockTransport(handle)

    @property
    def last_params(self) -> dict[str, str]:
        return dict(self.requests[-1].url.params)


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def settings() -> Settings:
    return Settings(api_url="http://registry.test", timeout=2.0, fixed_now=NOW)


def run(
    action: Action, tracker_: Tracker, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run an action; returns (events, messages)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, domain))
    return events, dispatcher.messages


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# ---------------------------------------------------------------- API bodies


def place_json(name: str = "Bodø", county: str = "Nordland") -> dict[str, Any]:
    return {
        "name": name,
        "kind": "municipality",
        "country": "NO",
        "municipality": {"code": "1804", "name": name},
        "county": county,
        "postcode": None,
        "latitude": 67.28,
        "longitude": 14.4,
    }


def result_json(
    name: str,
    group: str = "now",
    phone: str | None = "75 52 00 00",
    demo: bool = True,
    distance: float = 2.4,
    responsible: bool = False,
    responsible_confirmed: bool = True,
    as_of: str | None = "2025-03-04T10:00:00+00:00",
    stale: bool = False,
    fits: list[dict[str, Any]] | None = None,
    missing: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": name.lower().replace(" ", "-"),
        "name": name,
        "distance_km": distance,
        "group": group,
        "responsible": responsible,
        "responsible_confirmed": responsible_confirmed,
        "fits_needs": not missing,
        "unit": "women",
        "free_places": 3 if group == "now" else 0,
        "held_places": 0,
        "as_of": as_of,
        "stale": stale,
        "demo": demo,
        "fits": fits
        if fits is not None
        else [
            {"code": "places_free", "text": "3 free, 3 needed", "free": 3, "needed": 3},
            {"code": "need_met", "text": "Accepts pets", "need": "pets"},
        ],
        "missing": missing or [],
        "centre": {
            "id": name.lower().replace(" ", "-"),
            "name": name,
            "country": "NO",
            "region": "Salten",
            "municipality": {"code": "1804", "name": "Bodø"},
            "status": "open",
            "status_reason": None,
            "operator_type": "iks",
            "phone": phone,
            "email": "post@example.invalid",
            "website": None,
            "languages": ["nb", "en"],
            "interpreter": True,
            "location": {"latitude": 67.28, "longitude": 14.4, "precision": "municipality"},
            "demo": demo,
        },
    }


def search_json(results: list[dict[str, Any]], place: str = "Bodø") -> dict[str, Any]:
    return {
        "understood": place_json(place),
        "party": {"gender": "woman", "adults": 1, "children": [], "needs": [], "places_needed": 1},
        "counts": {},
        "groups": {},
        "results": results,
        "responsible": [r["id"] for r in results if r["responsible"]],
        "responsible_excluded_by_away_from": [],
        "helplines": [
            {"code": "emergency", "name": "Police emergency", "phone": "112", "hours": "24/7"},
            {"code": "vo-linjen", "name": "VO-linjen", "phone": "116 006", "hours": "24/7"},
        ],
    }


def unit_json(
    kind: str = "women",
    free: int | None = 2,
    accessible_free: int = 0,
    as_of: str | None = "2025-03-04T10:00:00+00:00",
    stale: bool = False,
    demo: bool = True,
    **accepts: Any,
) -> dict[str, Any]:
    """A unit as /api/v1/centres shows it; `accepts` overrides what it takes in."""
    availability = None
    if as_of is not None:
        availability = {
            "free_places": free,
            "free_family_rooms": 1,
            "free_accessible_rooms": accessible_free,
            "held_places": 0,
            "as_of": as_of,
            "stale": stale,
            "demo": demo,
        }
    return {
        "kind": kind,
        "beds": 8,
        "rooms": 6,
        "family_rooms": 2,
        "accessible_rooms": 1,
        "accepts": {
            "children": True,
            "children_max_age": None,
            "boys_max_age": 14,
            "wheelchair": True,
            "pets": False,
            "substance_use": False,
            "trafficking": False,
            "sami": False,
            "lgbtq": False,
            "hearing": False,
            "vision": False,
            **accepts,
        },
        "availability": availability,
    }


def centre_json(
    centre_id: str, name: str, municipality: str, units: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": centre_id,
        "name": name,
        "country": "NO",
        "region": "Nordland",
        "municipality": {"code": "0000", "name": municipality},
        "status": "open",
        "status_reason": None,
        "operator_type": "iks",
        "phone": "75 52 00 00",
        "email": None,
        "website": None,
        "languages": ["nb", "en"],
        "interpreter": True,
        "location": {"latitude": 67.28, "longitude": 14.4, "precision": "municipality"},
        "demo": True,
        "serves": [{"code": "0000", "name": municipality}],
        "units": units,
    }
