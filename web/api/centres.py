"""The public JSON API under /api/v1: centres, geocoding and search."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from capacity import location, website
from capacity.errors import NotFound
from capacity.geocoder import Gazetteer
from capacity.models import utcnow
from capacity.party import Need
from capacity.search import (
    CentreFacts,
    SearchIndex,
    UnitFacts,
)
from web.params import text
from web.state import services

PUBLIC_DECIMALS = location.PUBLIC_DECIMALS  # ~1 km: never an exact location


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
        "phone_source": website.link(centre.phone_source),
        "phone_published": centre.phone_published,
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
