"""The public site: search, results, centre pages, municipalities, safety advice and the
help after the stay."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from capacity import aftercare
from capacity.errors import AmbiguousPlace, InvalidInput, NotFound, PlaceNotFound
from capacity.helplines import helplines
from capacity.models import utcnow
from capacity.party import Need
from capacity.search import SearchIndex, parse_query, search
from web.directory import directory
from web.params import plain
from web.rendercache import Counted, Rendered
from web.resultview import nothing_now, sections
from web.services import Services
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
LANGUAGE_CHOICES = ("nb", "nn", "se", "da", "en", "pl", "uk", "ar", "so", "ti", "ru", "fa", "es")
DISTANCES = (50, 100, 200, 400)


def form_values(request: Request) -> dict[str, Any]:
    params = request.query_params
    values: dict[str, Any] = {name: (params.get(name) or "")[:200] for name in SEARCH_FIELDS}
    chosen = {v for item in params.getlist("needs") for v in item.split(",")}
    values["needs"] = {need for need in Need if need.value in chosen}
    return values


async def home(request: Request) -> Response:
    svc = services(request)
    params = request.query_params
    if not (params.get("q") or params.get("lat")):
        return pages(request).render(request, "search.html", search_context(request))
    index = await svc.index()
    key = svc.page_cache.key(request, index.revision)
    page = svc.page_cache.get(key)
    if page is None:
        page = svc.page_cache.put(key, render_search(request, svc, index))
    if page.counted is not None and not live_refresh(request):
        svc.count_search(page.counted.region, page.counted.party, page.counted.found)
    return pages(request).respond(request, page.html, status_code=page.status_code)


def search_context(request: Request) -> dict[str, Any]:
    return {
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


def render_search(request: Request, svc: Services, index: SearchIndex) -> Rendered:
    """The results page (or its htmx block) for the request's search, and what to count."""
    context = search_context(request)
    context["searched"] = True
    status = 200
    counted = None
    try:
        query, understood = parse_query(plain(request.query_params), svc.gazetteer)
        outcome = search(index, query, utcnow(), svc.settings.stale_after, public=True)
        counted = Counted(understood.county, query.party, not nothing_now(outcome))
        context.update(
            outcome=outcome,
            understood=understood,
            party=query.party,
            sections=sections(outcome),
            nothing_now=nothing_now(outcome),
            helplines=helplines(understood.country),
        )
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
    html = pages(request).html(request, "search.html", context, block="results")
    return Rendered(html, status, counted)


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
    context = {
        "directory": directory(svc.gazetteer, index, request.query_params.get("q", "")),
        "helplines": helplines("NO"),
    }
    return pages(request).render(request, "municipalities.html", context, block="directory")


async def safety(request: Request) -> Response:
    context: dict[str, Any] = {}
    return pages(request).render(request, "safety.html", context)


async def after_the_stay(request: Request) -> Response:
    """ "I am moving out": for the person's municipality, the help after the stay (its own
    services first, then the country's), the centre's follow-up and the transitional flats
    in or near it with whom to ask, never how many or where."""
    svc = services(request)
    query = " ".join((request.query_params.get("q") or "").split())[:200]
    context: dict[str, Any] = {
        "query": query,
        "place": None,
        "candidates": (),
        "problem": None,
        "services": [],
        "flats": [],
        "centres": (),
        "helplines": helplines("NO"),
    }
    status = 200
    if query:
        try:
            found = svc.gazetteer.lookup(query)
        except InvalidInput:
            found = None
        if found is None or found.status == "not_found":
            context["problem"] = FIELDS["q"]
            status = 422
        elif found.status == "ambiguous":
            context["candidates"] = found.places
        else:
            place = found.places[0]
            index = await svc.index()
            key = (place.country, place.municipality_code)
            async with svc.session() as session:
                context["services"] = await aftercare.services_for(session, place)
                flats = await aftercare.flats_near(session, place, svc.gazetteer)
            context.update(
                place=place,
                flats=[flat.public() for flat in flats],
                centres=tuple(index.centres[i] for i in index.responsible.get(key, [])),
                helplines=helplines(place.country),
            )
    return pages(request).render(
        request, "after_the_stay.html", context, block="answer", status_code=status
    )
