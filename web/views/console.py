"""The helpline advisers' console: every centre with the reason, holds, unmet-need statistics."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from capacity import aftercare, holds, registry, stats
from capacity.accounts import principal_for_user
from capacity.errors import AmbiguousPlace, Conflict, InvalidInput, NotFound, PlaceNotFound
from capacity.models import utcnow
from capacity.party import Need, parse_party
from capacity.search import MAX_RESULTS, Group, parse_query, search
from web.auth import csrf_token, current_user, form
from web.params import plain, whole
from web.state import pages, services
from web.templating import live_refresh
from web.wording import FIELDS, N_

FORM_FIELDS = ("q", "gender", "adults", "children", "language", "away_from", "min_km", "max_km")
NO_NAMES = N_("Do not write names or other personal data in the note.")
MESSAGES = {
    "held": N_("The places are held. The centre sees the hold on its dashboard."),
    "full": N_("Not enough free places there any more. Choose another centre."),
    "invalid": N_("The hold could not be made: check the numbers and the note."),
    "confirm": N_("Arrival confirmed: the places are now taken."),
    "release": N_("The hold is released."),
    "ended": N_("That hold had already ended."),
}


async def console(request: Request) -> Response:
    user = await current_user(request, "adviser", "admin")
    svc = services(request)
    params = request.query_params
    now = utcnow()
    context: dict[str, Any] = {
        "user": user,
        "csrf": csrf_token(request),
        "form": {name: (params.get(name) or "")[:200] for name in FORM_FIELDS},
        "chosen_needs": {v for item in params.getlist("needs") for v in item.split(",")},
        "needs": list(Need),
        "outcome": None,
        "understood": None,
        "candidates": (),
        "problem": None,
        "details": {},
        "live_holds": [],
        "flats": [],
        "after_services": [],
        "groups": list(Group),
        "message": MESSAGES.get(str(request.query_params.get("message", "")).split(":")[0]),
        "no_names": NO_NAMES,
    }
    status = 200
    if params.get("q") or params.get("lat"):
        try:
            query, understood = parse_query(plain(params), svc.gazetteer)
            query = replace(query, limit=MAX_RESULTS)
            outcome = search(await svc.index(), query, now, svc.settings.stale_after)
            if not live_refresh(request):
                svc.count_search(understood.county, query.party, outcome)
            ids = [result.centre.id for result in outcome.results]
            async with svc.session() as session:
                context["details"] = await registry.adviser_details(session, ids)
                # After the stay: flats near the place (with counts, for advisers) and help.
                context["flats"] = await aftercare.flats_near(session, understood, svc.gazetteer)
                context["after_services"] = await aftercare.services_for(session, understood)
            context.update(outcome=outcome, understood=understood)
        except AmbiguousPlace as exc:
            context["candidates"] = exc.candidates
        except (PlaceNotFound, InvalidInput) as exc:
            field = exc.detail.get("field", "q") if isinstance(exc, InvalidInput) else "q"
            context["problem"] = FIELDS.get(field, FIELDS["q"])
            status = 422
    async with svc.session() as session:
        context["live_holds"] = await holds.holds_for(session)
        unit_ids = [hold.unit_id for hold in context["live_holds"]]
        context["hold_centre"] = await registry.unit_centres(session, unit_ids)
    return pages(request).render(
        request, "console.html", context, block="results", status_code=status, private=True
    )


async def place(request: Request) -> Response:
    user = await current_user(request, "adviser", "admin")
    data = await form(request)
    svc = services(request)
    back = str(data.get("back", "/console"))
    back = back if back.startswith("/console") else "/console"
    try:
        party = parse_party(plain(data))
        minutes = whole(data.get("minutes", holds.DEFAULT_MINUTES), "minutes")
        unit_id = whole(data.get("unit_id", ""), "unit_id", low=1)
        async with svc.session() as session:
            hold = await holds.place_hold(
                session,
                holds.HoldRequest(unit_id, party, minutes, str(data.get("note", "")) or None),
                actor=principal_for_user(user),
            )
            await svc.commit_and_announce(session)
        message = f"held:{hold.id}"
    except InvalidInput as exc:
        message = "invalid:" + exc.message
    except Conflict as exc:
        message = f"full:{exc.detail.get('free', 0)}"
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{separator}message={message}", status_code=303)


async def resolve(request: Request) -> Response:
    user = await current_user(request, "adviser", "admin", "staff")
    data = await form(request)
    svc = services(request)
    action = request.path_params["action"]
    hold_id = request.path_params["hold_id"]
    if action not in ("confirm", "release"):
        raise NotFound("No such action")
    message = f"{action}:{hold_id}"
    async with svc.session() as session:
        try:
            if action == "confirm":
                await holds.confirm(session, hold_id, actor=principal_for_user(user))
            else:
                await holds.release(session, hold_id, actor=principal_for_user(user))
            await svc.commit_and_announce(session)
        except Conflict:
            await session.rollback()
            message = f"ended:{hold_id}"
    back = str(data.get("back", "/console"))
    back = back if back.startswith(("/console", "/staff")) else "/console"
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{separator}message={message}", status_code=303)


async def statistics(request: Request) -> Response:
    user = await current_user(request, "adviser", "admin")
    svc = services(request)
    await svc.flush_counts()
    async with svc.session() as session:
        rows = await stats.table(session, days=30)
    if request.url.path.endswith(".csv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        unmet_keys = sorted({key for row in rows for key in row.unmet})
        writer.writerow(["day", "region", *stats.COLUMNS, *[f"unmet_{key}" for key in unmet_keys]])
        for row in rows:
            writer.writerow(
                [
                    row.day.isoformat(),
                    row.region,
                    *[row.values[c] for c in stats.COLUMNS],
                    *[row.unmet.get(key, 0) for key in unmet_keys],
                ]
            )
        return Response(
            buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="havn-unmet-need.csv"'},
        )
    by_day: dict[str, dict[str, int]] = {}
    for row in rows:
        day = by_day.setdefault(row.day.isoformat(), {"searches": 0, "no_place": 0})
        day["searches"] += row.values["searches"]
        day["no_place"] += row.values["no_place"]
    peak = max([d["searches"] for d in by_day.values()] or [1]) or 1
    unmet_total: dict[str, int] = {}
    for row in rows:
        for key, count in row.unmet.items():
            unmet_total[key] = unmet_total.get(key, 0) + count
    return pages(request).render(
        request,
        "stats.html",
        {
            "user": user,
            "rows": rows,
            "columns": stats.COLUMNS,
            "chart": sorted(by_day.items()),
            "peak": peak,
            "unmet_total": sorted(unmet_total.items(), key=lambda kv: -kv[1]),
            "csrf": csrf_token(request),
        },
        private=True,
    )
