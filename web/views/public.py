"""The public site: search, results, centre pages, municipalities and safety advice."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from capacity.errors import AmbiguousPlace, InvalidInput, NotFound, PlaceNotFound
from capacity.helplines import helplines
from capacity.models import utcnow
from capacity.party import Need
from capacity.search import Group, parse_query, search
from web.params import plain
from web.state import pages, services
from web.templating import live_refresh
from web.wording import FIELDS

SEARCH_FIELDS = (
    "q",
    "lat",
    "lon",
    "gender",
    "adults",
    "children",
    "language",
    "away_from",
    "min_km",
    "max_km",
)
LANGUAGE_CHOICES = ("nb", "nn", "se", "en", "pl", "uk", "ar", "so", "ti", "ru", "fa", "es")
DISTANCES = (50, 100, 200, 400)


def form_values(request: Request) -> dict[str, Any]:
    params = request.query_params
    values: dict[str, Any] = {name: (params.get(name) or "")[:200] for name in SEARCH_FIELDS}
    chosen = {v for item in params.getlist("needs") for v in item.split(",")}
    values["needs"] = {need for need in Need if need.value in chosen}
    return values


async def home(request: Request) -> Response:
    svc = services(request)
    now = utcnow()
    context: dict[str, Any] = {
        "form": form_values(request),
        "needs": list(Need),
        "language_choices": LANGUAGE_CHOICES,
        "distances": DISTANCES,
        "helplines": helplines("NO"),
        "searched": False,
        "outcome": None,
        "understood": None,
        "candidates": (),
        "problem": None,
    }
    status = 200
    params = request.query_params
    if params.get("q") or params.get("lat"):
        context["searched"] = True
        try:
            query, understood = parse_query(plain(params), svc.gazetteer)
            index = await svc.index()
            outcome = search(index, query, now, svc.settings.stale_after, public=True)
            if not live_refresh(request):
                svc.count_search(understood.county, query.party, outcome)
            context.update(outcome=outcome, understood=understood, groups=list(Group))
        except AmbiguousPlace as exc:
            context["candidates"] = exc.candidates
        except PlaceNotFound:
            context["problem"] = {"field": "q", "not_found": True}
            status = 422
        except InvalidInput as exc:
            context["problem"] = {"field": exc.detail.get("field", "q"), "not_found": False}
            status = 422
        if context["problem"]:
            context["problem"]["message"] = FIELDS.get(context["problem"]["field"], FIELDS["q"])
    return pages(request).render(
        request, "search.html", context, block="results", status_code=status
    )


async def centre_page(request: Request) -> Response:
    svc = services(request)
    index = await svc.index()
    position = index.centre_index(request.path_params["centre_id"])
    if position is None:
        raise NotFound("No such centre")
    now = utcnow()
    centre = index.centres[position]
    held = index.held(now, public=True)
    units = [
        (unit, held[row]) for row, unit in enumerate(index.units) if unit.centre_id == centre.id
    ]
    serves = [svc.gazetteer.municipality(code, centre.country) for code in centre.serves]
    context = {
        "centre": centre,
        "host": svc.gazetteer.municipality(centre.host_municipality, centre.country),
        "serves": [place for place in serves if place is not None],
        "units": units,
        "stale_before": now - svc.settings.stale_after,
        "helplines": helplines(centre.country),
        "needs": [need for need in Need if need is not Need.WHEELCHAIR],
    }
    return pages(request).render(request, "centre.html", context)


async def municipalities(request: Request) -> Response:
    svc = services(request)
    index = await svc.index()
    counties: dict[str, list[tuple[Any, list[Any], bool]]] = {}
    for place in svc.gazetteer.municipalities("NO"):
        key = ("NO", place.municipality_code)
        centres = [index.centres[i] for i in index.responsible.get(key, [])]
        confirmed = key not in index.unconfirmed
        counties.setdefault(place.county, []).append((place, centres, confirmed))
    context = {
        "counties": sorted(counties.items()),
        "helplines": helplines("NO"),
    }
    return pages(request).render(request, "municipalities.html", context)


async def safety(request: Request) -> Response:
    context: dict[str, Any] = {}
    return pages(request).render(request, "safety.html", context)
