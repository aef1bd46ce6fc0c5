"""The OpenAPI 3.1 description of the public JSON API, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from capacity.models import DECLINE_REASONS
from capacity.party import Need


def _param(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string", "maxLength": 200},
    }


PROBLEM = {
    "description": "A problem (RFC 9457): `detail` says what to change",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
SEARCH_PARAMS = [
    _param("q", "Where: postcode, place or municipality (or give lat and lon)"),
    _param(
        "lat",
        "Latitude of the person's position",
        {"type": "number", "minimum": -90, "maximum": 90},
    ),
    _param("lon", "Longitude", {"type": "number", "minimum": -180, "maximum": 180}),
    _param("gender", "Who needs the place", {"type": "string", "enum": ["woman", "man", "other"]}),
    _param(
        "adults", "Adults in the party (default 1)", {"type": "integer", "minimum": 1, "maximum": 6}
    ),
    _param("children", "Children's ages, comma-separated; suffix b (boy) or g (girl): 3,12b"),
    _param("needs", "Comma-separated: " + ", ".join(n.value for n in Need)),
    _param("language", "Language the person speaks (ISO 639-1, e.g. ar)"),
    _param("away_from", "A place the result must be far from (with min_km)"),
    _param("min_km", "Minimum distance from away_from in km", {"type": "number", "minimum": 0}),
    _param("max_km", "Maximum distance from where, in km", {"type": "number", "minimum": 0}),
    _param(
        "limit",
        "Most results (1–500, default 20)",
        {"type": "integer", "minimum": 1, "maximum": 500},
    ),
]


def _get(
    summary: str, params: list[dict[str, Any]], schema: str, errors: tuple[int, ...]
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        }
    }
    for status in errors:
        responses[str(status)] = PROBLEM
    return {"get": {"summary": summary, "parameters": params, "responses": responses}}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _body(schema: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(status): PROBLEM for status in statuses}


BEARER: list[dict[str, list[str]]] = [{"token": []}]
CENTRE_ID = {"name": "centre_id", "in": "path", "required": True, "schema": {"type": "string"}}
UNIT = {"name": "unit", "in": "path", "required": True, "schema": {"enum": ["women", "men"]}}
REFERRAL_ID = {
    "name": "referral_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
}
REQUEST_STATUSES = ["pending", "accepted", "declined", "withdrawn", "expired"]
COUNT = {"type": "integer", "minimum": 0, "maximum": 10_000}
PARTY = {
    "gender": {"enum": ["woman", "man", "other"]},
    "adults": {"type": "integer", "minimum": 1, "maximum": 6},
    "children": {
        "type": "array",
        "items": {"type": ["integer", "string"]},
        "description": 'Ages; suffix b (boy) or g (girl) as text: [3, "12b"]',
    },
    "needs": {"type": "array", "items": {"enum": [n.value for n in Need]}},
}


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Havn registry API",
        "version": "1",
        "description": (
            "Crisis-centre capacity. Public responses never contain a street address; "
            "coordinates are the municipality's approximate point, rounded to 2 decimals."
        ),
    },
    "paths": {
        "/api/v1/centres": _get(
            "All centres with units and free places",
            [_param("country", "ISO country code, e.g. NO")],
            "CentreList",
            (422,),
        ),
        "/api/v1/centres/{centre_id}": {
            "get": {
                **_get("One centre", [], "Centre", (404,))["get"],
                "parameters": [
                    {
                        "name": "centre_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
            }
        },
        "/api/v1/geocode": _get(
            "Resolve a place name or postcode (offline gazetteer)",
            [{**_param("q", "Place, municipality or postcode"), "required": True}],
            "Geocode",
            (422,),
        ),
        "/api/v1/search": _get(
            "Rank centres for a party: now, call to check, unavailable; nearest first",
            SEARCH_PARAMS,
            "Search",
            (409, 422),
        ),
        "/api/v1/centres/{centre_id}/units/{unit}/availability": {
            "parameters": [CENTRE_ID, UNIT],
            "get": {
                "summary": "A unit's free numbers and their version (ETag)",
                "responses": {"200": _json("Availability", "OK; ETag header"), "404": PROBLEM},
            },
            "put": {
                "summary": "Report the three free numbers (centre token of that centre)",
                "security": BEARER,
                "parameters": [
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": True,
                        "description": "The ETag of the numbers being replaced",
                        "schema": {"type": "string", "maxLength": 40},
                    }
                ],
                "requestBody": _body("AvailabilityInput"),
                "responses": {
                    "200": _json("Availability", "Stored (or the same numbers again)"),
                    **_problems(401, 403, 404, 409, 413, 415, 422, 428),
                },
            },
        },
        "/api/v1/holds": {
            "get": {
                "summary": "Active holds (advisers: all or ?centre=; centre tokens: their own)",
                "security": BEARER,
                "parameters": [_param("centre", "Only this centre's holds")],
                "responses": {"200": _json("HoldList", "OK"), **_problems(401, 403)},
            },
            "post": {
                "summary": "Hold places for a party on its way (they cannot be double-booked)",
                "security": BEARER,
                "requestBody": _body("HoldInput"),
                "responses": {
                    "201": _json("Hold", "Held; Location names the hold"),
                    **_problems(401, 403, 404, 409, 413, 415, 422),
                },
            },
        },
        "/api/v1/holds/{hold_id}/{action}": {
            "parameters": [
                {"name": "hold_id", "in": "path", "required": True, "schema": {"type": "string"}},
                {
                    "name": "action",
                    "in": "path",
                    "required": True,
                    "schema": {"enum": ["confirm", "release"]},
                    "description": "confirm: they arrived (places taken); release: give back",
                },
            ],
            "post": {
                "summary": "End an active hold once",
                "security": BEARER,
                "responses": {"200": _json("Hold", "OK"), **_problems(401, 403, 404, 409)},
            },
        },
        "/api/v1/referrals": {
            "get": {
                "summary": "Centre tokens: their centre's referral requests (?status=pending); "
                "advisers: the referrals they sent",
                "security": BEARER,
                "parameters": [
                    _param("centre", "A centre's token: only its own centre"),
                    _param("status", "pending: only unanswered requests", {"enum": ["pending"]}),
                ],
                "responses": {"200": _json("ReferralList", "OK"), **_problems(401, 403)},
            },
            "post": {
                "summary": "Ask one to three centres to take a party; each holds the places "
                "until it answers (advisers)",
                "security": BEARER,
                "requestBody": _body("ReferralInput"),
                "responses": {
                    "201": _json("Referral", "Sent; Location names the referral"),
                    **_problems(401, 403, 404, 409, 413, 415, 422),
                },
            },
        },
        "/api/v1/referrals/{referral_id}": {
            "parameters": [REFERRAL_ID],
            "get": {
                "summary": "A referral and every asked centre's answer (the adviser who sent it)",
                "security": BEARER,
                "responses": {"200": _json("Referral", "OK"), **_problems(401, 403, 404)},
            },
        },
        "/api/v1/referrals/{referral_id}/requests/{centre}/{action}": {
            "parameters": [
                REFERRAL_ID,
                {"name": "centre", "in": "path", "required": True, "schema": {"type": "string"}},
                {
                    "name": "action",
                    "in": "path",
                    "required": True,
                    "schema": {"enum": ["accept", "decline"]},
                    "description": "accept: the first centre to accept gets the party, the "
                    "others are no longer needed; decline: with a reason",
                },
            ],
            "post": {
                "summary": "The asked centre answers (its own token); the same answer again "
                "changes nothing",
                "security": BEARER,
                "requestBody": {**_body("DeclineInput"), "required": False},
                "responses": {
                    "200": _json("IncomingRequest", "Answered"),
                    **_problems(401, 403, 404, 409, 413, 415, 422),
                },
            },
        },
        "/api/v1/watches": {
            "post": {
                "summary": "Tell me when a place opens near a place for this party (advisers; "
                "24 hours)",
                "security": BEARER,
                "requestBody": _body("WatchInput"),
                "responses": {
                    "201": _json("Watch", "Watching; Location names the watch"),
                    **_problems(401, 403, 409, 413, 415, 422),
                },
            },
        },
        "/api/v1/watches/{watch_id}": {
            "parameters": [
                {"name": "watch_id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "delete": {
                "summary": "Stop watching",
                "security": BEARER,
                "responses": {"204": {"description": "Stopped"}, **_problems(401, 403, 404)},
            },
        },
        "/api/v1/export/hsds": {
            "get": {
                "summary": "The public directory as Open Referral HSDS 3.1 JSON",
                "responses": {
                    "200": {
                        "description": "HSDS organizations, services, locations",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "OK"}}}},
    },
    "components": {
        "securitySchemes": {
            "token": {"type": "http", "scheme": "bearer", "description": "An API token"}
        },
        "schemas": {
            "Problem": {
                "type": "object",
                "required": ["status", "code", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                    "field": {"type": "string"},
                    "candidates": {"type": "array", "items": {"type": "object"}},
                },
            },
            "Location": {
                "type": "object",
                "properties": {
                    "latitude": {"type": "number"},
                    "longitude": {"type": "number"},
                    "precision": {"const": "municipality"},
                },
            },
            "Centre": {
                "type": "object",
                "required": ["id", "name", "status", "location", "units"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "region": {"type": "string"},
                    "status": {"enum": ["open", "temporarily_closed", "closed"]},
                    "phone": {"type": ["string", "null"]},
                    "phone_source": {
                        "type": ["string", "null"],
                        "format": "uri",
                        "description": "The public page that prints the phone number.",
                    },
                    "phone_published": {
                        "type": ["string", "null"],
                        "description": "That page's date, as the page shows it.",
                    },
                    "email": {"type": ["string", "null"]},
                    "website": {"type": ["string", "null"]},
                    "location": {"$ref": "#/components/schemas/Location"},
                    "demo": {"type": "boolean"},
                    "units": {"type": "array", "items": {"type": "object"}},
                },
            },
            "CentreList": {
                "type": "object",
                "properties": {
                    "count": {"type": "integer"},
                    "centres": {"type": "array", "items": {"$ref": "#/components/schemas/Centre"}},
                },
            },
            "Place": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "kind": {"enum": ["municipality", "postcode", "town"]},
                    "municipality": {"type": "object"},
                    "county": {"type": "string"},
                    "approximate": {
                        "type": "boolean",
                        "description": "The point is the municipality's, not the place's own "
                        "(a postcode placed by its numbering, a district without a point)",
                    },
                    "latitude": {"type": "number"},
                    "longitude": {"type": "number"},
                },
            },
            "Geocode": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "status": {"enum": ["found", "ambiguous", "not_found"]},
                    "places": {"type": "array", "items": {"$ref": "#/components/schemas/Place"}},
                },
            },
            "Result": {
                "type": "object",
                "required": [
                    "id",
                    "name",
                    "distance_km",
                    "group",
                    "responsible",
                    "fits",
                    "missing",
                ],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "distance_km": {"type": "number"},
                    "group": {"enum": ["now", "call", "unavailable"]},
                    "responsible": {"type": "boolean"},
                    "responsible_confirmed": {
                        "type": "boolean",
                        "description": "false: the registry does not say which centre serves "
                        "the municipality; this is the nearest open centre in its county. "
                        "Not confirmed: call to check.",
                    },
                    "free_places": {"type": ["integer", "null"]},
                    "as_of": {"type": ["string", "null"], "format": "date-time"},
                    "stale": {"type": "boolean"},
                    "demo": {"type": "boolean"},
                    "fits": {"type": "array", "items": {"type": "object"}},
                    "missing": {"type": "array", "items": {"type": "object"}},
                },
            },
            "AvailabilityInput": {
                "type": "object",
                "required": ["free_beds", "free_family_rooms", "free_accessible_rooms"],
                "additionalProperties": False,
                "properties": {
                    "free_beds": COUNT,
                    "free_family_rooms": COUNT,
                    "free_accessible_rooms": COUNT,
                },
            },
            "Availability": {
                "type": "object",
                "required": ["centre", "unit", "version"],
                "properties": {
                    "centre": {"type": "string"},
                    "unit": {"enum": ["women", "men"]},
                    "capacity": {"type": "object"},
                    "free_beds": {"type": ["integer", "null"]},
                    "free_family_rooms": {"type": ["integer", "null"]},
                    "free_accessible_rooms": {"type": ["integer", "null"]},
                    "as_of": {"type": ["string", "null"], "format": "date-time"},
                    "version": {"type": "integer"},
                },
            },
            "HoldInput": {
                "type": "object",
                "required": ["centre"],
                "additionalProperties": False,
                "properties": {
                    "centre": {"type": "string"},
                    "unit": {"enum": ["women", "men"]},
                    **PARTY,
                    "minutes": {"type": "integer", "minimum": 5, "maximum": 1440},
                    "note": {
                        "type": "string",
                        "maxLength": 300,
                        "description": "No names or anything that identifies the person",
                    },
                },
            },
            "Hold": {
                "type": "object",
                "required": ["id", "centre", "places", "status", "expires_at"],
                "properties": {
                    "id": {"type": "string"},
                    "centre": {"type": "string"},
                    "unit_id": {"type": "integer"},
                    "places": {"type": "integer"},
                    "family_rooms": {"type": "integer"},
                    "accessible_rooms": {"type": "integer"},
                    "party": {"type": "object"},
                    "note": {"type": ["string", "null"]},
                    "status": {"enum": ["active", "confirmed", "released", "expired"]},
                    "created_by": {"type": "string"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "expires_at": {"type": "string", "format": "date-time"},
                },
            },
            "HoldList": {
                "type": "object",
                "properties": {
                    "holds": {"type": "array", "items": {"$ref": "#/components/schemas/Hold"}}
                },
            },
            "ReferralInput": {
                "type": "object",
                "required": ["centres", "arrival_by", "callback"],
                "additionalProperties": False,
                "properties": {
                    "centres": {
                        "type": "array",
                        "items": {"type": "string"},
                        "minItems": 1,
                        "maxItems": 3,
                    },
                    **PARTY,
                    "language": {"type": "string", "description": "ISO 639-1, e.g. ar"},
                    "arrival_by": {
                        "type": "string",
                        "format": "date-time",
                        "description": "When they arrive at the latest (within 24 hours)",
                    },
                    "callback": {
                        "type": "string",
                        "description": "The adviser's phone line: 8–15 digits; forgotten when "
                        "the referral ends",
                    },
                    "note": {
                        "type": "string",
                        "maxLength": 300,
                        "description": "No names, personal numbers or anything that identifies "
                        "the person; forgotten when the referral ends",
                    },
                },
            },
            "Referral": {
                "type": "object",
                "required": ["id", "status", "requests"],
                "properties": {
                    "id": {"type": "string"},
                    "status": {"enum": ["pending", "placed", "withdrawn", "expired"]},
                    "party": {"type": "object"},
                    "language": {"type": ["string", "null"]},
                    "arrival_by": {"type": "string", "format": "date-time"},
                    "callback": {"type": ["string", "null"]},
                    "note": {"type": ["string", "null"]},
                    "created_at": {"type": "string", "format": "date-time"},
                    "expires_at": {"type": "string", "format": "date-time"},
                    "placed_at": {"type": ["string", "null"], "format": "date-time"},
                    "handover": {
                        "type": ["object", "null"],
                        "description": "Once placed: the centre and the phone to call",
                    },
                    "requests": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "string"},
                                "centre": {"type": "string"},
                                "centre_name": {"type": "string"},
                                "status": {"enum": REQUEST_STATUSES},
                                "reason": {"enum": [*DECLINE_REASONS, None]},
                                "reason_text": {"type": ["string", "null"]},
                                "hold": {"type": "string"},
                                "asked_at": {"type": "string", "format": "date-time"},
                                "answered_at": {"type": ["string", "null"], "format": "date-time"},
                                "overdue": {"type": "boolean"},
                            },
                        },
                    },
                },
            },
            "IncomingRequest": {
                "type": "object",
                "required": ["id", "referral", "centre", "status"],
                "properties": {
                    "id": {"type": "string"},
                    "referral": {"type": "string"},
                    "centre": {"type": "string"},
                    "status": {"enum": REQUEST_STATUSES},
                    "reason": {"enum": [*DECLINE_REASONS, None]},
                    "reason_text": {"type": ["string", "null"]},
                    "party": {"type": "object"},
                    "language": {"type": ["string", "null"]},
                    "arrival_by": {"type": "string", "format": "date-time"},
                    "callback": {
                        "type": ["string", "null"],
                        "description": "The adviser's line, only while the request is pending",
                    },
                    "note": {"type": ["string", "null"]},
                    "asked_at": {"type": "string", "format": "date-time"},
                    "answered_at": {"type": ["string", "null"], "format": "date-time"},
                    "hold_expires_at": {"type": "string", "format": "date-time"},
                    "overdue": {"type": "boolean"},
                },
            },
            "ReferralList": {
                "type": "object",
                "properties": {
                    "requests": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/IncomingRequest"},
                    },
                    "referrals": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Referral"},
                    },
                },
            },
            "DeclineInput": {
                "type": "object",
                "required": ["reason"],
                "additionalProperties": False,
                "description": "For decline only",
                "properties": {
                    "reason": {"enum": list(DECLINE_REASONS)},
                    "text": {
                        "type": "string",
                        "maxLength": 200,
                        "description": "Needed with reason other",
                    },
                },
            },
            "WatchInput": {
                "type": "object",
                "required": ["near", "max_km"],
                "additionalProperties": False,
                "properties": {
                    "near": {"type": "string", "description": "Place, municipality or postcode"},
                    "max_km": {"type": "number", "exclusiveMinimum": 0, "maximum": 2000},
                    **PARTY,
                    "language": {"type": "string"},
                },
            },
            "Watch": {
                "type": "object",
                "required": ["id", "near", "max_km", "expires_at"],
                "properties": {
                    "id": {"type": "string"},
                    "near": {"type": "string"},
                    "max_km": {"type": "number"},
                    "party": {"type": "object"},
                    "language": {"type": ["string", "null"]},
                    "matched": {"type": "array", "items": {"type": "string"}},
                    "created_at": {"type": "string", "format": "date-time"},
                    "expires_at": {"type": "string", "format": "date-time"},
                },
            },
            "Search": {
                "type": "object",
                "properties": {
                    "understood": {"$ref": "#/components/schemas/Place"},
                    "counts": {"type": "object"},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}},
                    "responsible": {"type": "array", "items": {"type": "string"}},
                    "helplines": {"type": "array", "items": {"type": "object"}},
                },
            },
        },
    },
}


async def openapi(request: Request) -> Response:
    return JSONResponse(DOCUMENT)
