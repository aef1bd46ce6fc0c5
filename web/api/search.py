"""The JSON API's search: geocoding a place and finding the centres that can take a party."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from capacity.errors import InvalidInput
from capacity.geocoder import Gazetteer, Place
from capacity.helplines import helplines
from capacity.models import utcnow
from capacity.search import Group, Outcome, Query, Result, parse_query, search
from web.api.centres import PUBLIC_DECIMALS, PublicJSON, centre_summary
from web.params import plain, text
from web.state import services


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
        query, understood = parse_query(plain(request.query_params), svc.gazetteer)
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
