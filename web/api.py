"""The public JSON API under /api/v1: centres, geocoding and search."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from capacity import location, website
from capacity.errors import InvalidInput, NotFound
from capacity.geocoder import Gazetteer, Place
from capacity.helplines import helplines
from capacity.models import utcnow
from capacity.party import Need
from capacity.search import (
    CentreFacts,
    Group,
    Outcome,
    Query,
    Result,
    SearchIndex,
    UnitFacts,
    search,
)
from web import admin, api_holds, api_write
from web.params import parse_search, text
from web.services import Services

PUBLIC_DECIMALS = location.PUBLIC_DECIMALS  # ~1 km: never an exact location


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


class PublicJSON(JSONResponse):
    """JSON encoded by orjson (several times faster than the standard library's)."""

    def __init__(self, content: Any, status_code: int = 200) -> None:
        super().__init__(content, status_code, headers={"Cache-Control": "no-store"})

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


async def list_centres(request: Request) -> Response:
    country = text(request.query_params, "country")
    index = await services(request).index()
    now = utcnow()
    held = index.held(now, public=True)
    gazetteer = services(request).gazetteer
    centres = [
        public_centre(index, i, gazetteer, held, now, request)
        for i, centre in enumerate(index.centres)
        if country is None or centre.country == country.upper()
    ]
    centres.sort(key=lambda c: c["name"])
    return PublicJSON({"count": len(centres), "centres": centres})


async def get_centre(request: Request) -> Response:
    centre_id = request.path_params["centre_id"]
    index = await services(request).index()
    position = index.centre_index(centre_id)
    if position is None:
        raise NotFound(f"No centre {centre_id[:64]!r}")
    now = utcnow()
    return PublicJSON(
        public_centre(
            index,
            position,
            services(request).gazetteer,
            index.held(now, public=True),
            now,
            request,
        )
    )


async def geocode(request: Request) -> Response:
    query = text(request.query_params, "q")
    if query is None:
        raise InvalidInput("Give a place, municipality or postcode in q", field="q")
    found = services(request).gazetteer.lookup(query)
    return PublicJSON(
        {
            "query": found.query,
            "status": found.status,
            "places": [public_place(place) for place in found.places],
        }
    )


async def search_centres(request: Request) -> Response:
    svc = services(request)
    index = await svc.index()
    key = svc.search_cache.key(request.query_params.multi_items(), index.revision)
    cached = svc.search_cache.get(key)
    if cached is None:
        query, understood = parse_search(request.query_params, svc.gazetteer)
        now = utcnow()
        outcome = search(index, query, now, svc.settings.stale_after, public=True)
        body = orjson.dumps(search_body(outcome, query, understood, svc.gazetteer, now))
        found = any(result.group is Group.NOW for result in outcome.results)
        cached = svc.search_cache.put(key, body, understood.county, query.party, found)
    svc.count_search(cached.region, cached.party, cached.found)
    return Response(
        cached.body, media_type="application/json", headers={"Cache-Control": "no-store"}
    )


def search_body(
    outcome: Outcome, query: Query, understood: Place, gazetteer: Gazetteer, now: datetime
) -> dict[str, Any]:
    results = [public_result(result, gazetteer, now) for result in outcome.results]
    return {
        "understood": public_place(understood),
        "party": {
            "gender": query.party.gender.value,
            "adults": query.party.adults,
            "children": [
                {"age": c.age, **({"sex": c.sex} if c.sex else {})} for c in query.party.children
            ],
            "needs": sorted(need.value for need in query.party.needs),
            "places_needed": query.party.places,
        },
        "counts": outcome.counts,
        "results": results,
        "responsible": list(outcome.responsible_ids),
        "responsible_excluded_by_away_from": list(outcome.responsible_excluded),
        "helplines": [line.as_dict() for line in helplines(understood.country)],
    }


def public_result(result: Result, gazetteer: Gazetteer, now: datetime) -> dict[str, Any]:
    centre = result.centre
    return {
        "id": centre.id,
        "name": centre.name,
        "distance_km": result.distance_km,
        "group": result.group.label,
        "responsible": result.responsible,
        "responsible_confirmed": result.responsible_confirmed,
        "fits_needs": result.fits_needs,
        "unit": result.unit.kind,
        "free_places": result.free_places,
        "as_of": result.unit.as_of.isoformat() if result.unit.as_of else None,
        "stale": result.stale,
        "demo": result.unit.demo,
        "fits": [reason.as_dict() for reason in result.fits],
        "missing": [reason.as_dict() for reason in result.missing],
        "centre": centre_summary(centre, gazetteer),
    }


def centre_summary(centre: CentreFacts, gazetteer: Gazetteer) -> dict[str, Any]:
    host = gazetteer.municipality(centre.host_municipality, centre.country)
    return {
        "id": centre.id,
        "name": centre.name,
        "country": centre.country,
        "region": centre.region,
        "municipality": {
            "code": centre.host_municipality,
            "name": host.municipality if host else None,
        },
        "status": centre.status,
        "status_reason": centre.status_reason,
        "operator_type": centre.operator_type,
        "phone": centre.phone,
        "email": centre.email,
        "website": website.link(centre.website),
        "languages": list(centre.languages),
        "interpreter": centre.interpreter,
        "location": {
            "latitude": round(centre.latitude, PUBLIC_DECIMALS),
            "longitude": round(centre.longitude, PUBLIC_DECIMALS),
            "precision": "municipality",
        },
        "demo": centre.is_demo,
    }


def public_centre(
    index: SearchIndex,
    position: int,
    gazetteer: Gazetteer,
    held: Any,
    now: datetime,
    request: Request,
) -> dict[str, Any]:
    centre = index.centres[position]
    stale_after = services(request).settings.stale_after
    units = []
    for row, unit in enumerate(index.units):
        if unit.centre_id == centre.id:
            units.append(public_unit(unit, held[row], now - stale_after))
    serves = []
    for code in centre.serves:
        place = gazetteer.municipality(code, centre.country)
        serves.append({"code": code, "name": place.municipality if place else None})
    return centre_summary(centre, gazetteer) | {"serves": serves, "units": units}


def public_unit(unit: UnitFacts, held: Any, stale_before: datetime) -> dict[str, Any]:
    availability = None
    if unit.as_of is not None:
        availability = {
            "free_places": int((unit.free_beds or 0) - held[0]),
            "free_family_rooms": int((unit.free_family_rooms or 0) - held[1]),
            "free_accessible_rooms": int((unit.free_accessible_rooms or 0) - held[2]),
            "as_of": unit.as_of.isoformat(),
            "stale": unit.as_of < stale_before,
            "demo": unit.demo,
        }
    return {
        "kind": unit.kind,
        "beds": unit.beds,
        "rooms": unit.rooms,
        "family_rooms": unit.family_rooms,
        "accessible_rooms": unit.accessible_rooms,
        "accepts": {
            "children": unit.children,
            "children_max_age": unit.children_max_age,
            "boys_max_age": unit.boys_max_age,
            Need.WHEELCHAIR.value: unit.accessible_rooms > 0,
            **{need.value: need in unit.offers for need in Need if need is not Need.WHEELCHAIR},
        },
        "availability": availability,
    }


def public_place(place: Place) -> dict[str, Any]:
    return {
        "name": place.name,
        "kind": place.kind,
        "country": place.country,
        "municipality": {"code": place.municipality_code, "name": place.municipality},
        "county": place.county,
        "postcode": place.postcode,
        "approximate": place.approximate,
        "latitude": round(place.latitude, PUBLIC_DECIMALS),
        "longitude": round(place.longitude, PUBLIC_DECIMALS),
    }


routes = [
    *api_write.routes,
    *api_holds.routes,
    *admin.api_routes,
    Route("/centres", list_centres, methods=["GET"]),
    Route("/centres/{centre_id}", get_centre, methods=["GET"]),
    Route("/geocode", geocode, methods=["GET"]),
    Route("/search", search_centres, methods=["GET"]),
]
