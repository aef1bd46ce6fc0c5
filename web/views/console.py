"""The helpline advisers' console: every centre with the reason, holds, unmet-need statistics."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import select
from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from capacity import aftercare, holds, referral_views, referrals, registry, stats, watches
from capacity.accounts import principal_for_user
from capacity.errors import (
    AmbiguousPlace,
    Conflict,
    HavnError,
    InvalidInput,
    NotFound,
    PlaceNotFound,
)
from capacity.models import Centre, User, utcnow
from capacity.party import Need, parse_party
from capacity.search import MAX_RESULTS, Group, Point, parse_query, search
from web.auth import csrf_token, current_user, form
from web.forms import failed
from web.params import plain, whole
from web.state import pages, services
from web.templating import live_refresh
from web.wording import DECLINE_LABELS, FIELDS, N_

FORM_FIELDS = ("q", "gender", "adults", "children", "language", "away_from", "min_km", "max_km")
NO_NAMES = N_("Do not write names or other personal data in the note.")
MESSAGES = {
    "held": N_("The places are held. The centre sees the hold on its dashboard."),
    "full": N_("Not enough free places there any more. Choose another centre."),
    "invalid": N_("The hold could not be made: search again for who is coming."),
    "confirm": N_("Arrival confirmed: the places are now taken."),
    "release": N_("The hold is released."),
    "ended": N_("That hold had already ended."),
    "referred": N_("The referral is sent. The centres see it on their dashboards now."),
    "cannot_take": N_("A centre you ticked cannot take them now. Search again and choose another."),
    "refer_centres": N_("Tick one to three centres to ask."),
    "refer_callback": N_("Write the callback line as a phone number: 8 to 15 digits."),
    "refer_note": N_("Leave names and personal numbers out of the note (at most 300 characters)."),
    "refer_other": N_("The referral could not be sent: check the party and the arrival time."),
    "added": N_("The centre is asked too."),
    "add_refused": N_("That centre cannot be asked: it cannot take them, or three are waiting."),
    "withdrawn": N_("The referral is withdrawn. The centres see that it is no longer needed."),
    "referral_ended": N_("That referral had already ended."),
    "watching": N_("You will see it here when a place opens."),
    "watch_invalid": N_("Give a place and a distance of at most 2000 km."),
    "dismissed": N_("Stopped watching."),
}
REFERRAL_LABELS = {
    "pending": N_("Waiting for answers"),
    "placed": N_("Placed"),
    "withdrawn": N_("Withdrawn"),
    "expired": N_("Expired: nobody answered in time"),
}
REQUEST_LABELS = {
    "pending": N_("waiting"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
    "withdrawn": N_("withdrawn (no longer needed)"),
    "expired": N_("expired"),
}
# The statistics' columns (capacity.stats.COLUMNS) in words.
COLUMN_LABELS = {
    "searches": N_("Searches"),
    "no_place": N_("Searches with no place"),
    "holds": N_("Places held"),
    "confirmed": N_("Holds that arrived"),
    "expired": N_("Holds that ran out"),
    "released": N_("Holds released"),
    "referral_requests": N_("Centres asked in referrals"),
    "referral_accepted": N_("Referrals accepted"),
    "referral_declined": N_("Referrals declined"),
    "referral_expired": N_("Referral requests unanswered in time"),
    "referral_withdrawn": N_("Referral requests no longer needed"),
}
ARRIVAL_CHOICES = (30, 60, 120, 240, 480)  # minutes: "they arrive within"
RECENT = timedelta(hours=12)  # ended referrals stay on the console this long
MINUTES = N_("Write how many minutes to hold the place: a whole number from 5 to 1440.")
NOTE_TOO_LONG = N_("Leave names and personal numbers out of the note (at most 300 characters).")
GONE = N_("That place cannot be held from here any more. Search again.")


async def console(request: Request) -> Response:
    user = await current_user(request, "adviser", "admin")
    here = _here(request.query_params)
    context, status = await _context(request, user, request.query_params, here=here)
    block = "mine" if request.headers.get("hx-target") == "mine" else "results"
    return pages(request).render(
        request, "console.html", context, block=block, status_code=status, private=True
    )


def _here(params: QueryParams) -> str:
    """The console's address for `params`, without a message shown after a change."""
    kept = [(k, v) for k, v in params.multi_items() if k != "message"]
    return "/console" + ("?" + urlencode(kept) if kept else "")


async def _context(
    request: Request, user: User, params: QueryParams, *, here: str
) -> tuple[dict[str, Any], int]:
    """The console for the search in `params` (shown at `here`), and its status: 422 when the
    search itself cannot be made. A live refresh, or the page shown again after a failed
    form, does not count as a search."""
    svc = services(request)
    now = utcnow()
    context: dict[str, Any] = {
        "user": user,
        "csrf": csrf_token(request),
        "here": here,
        "form": {name: (params.get(name) or "")[:200] for name in FORM_FIELDS},
        "chosen_needs": {v for item in params.getlist("needs") for v in item.split(",")},
        "needs": list(Need),
        "outcome": None,
        "understood": None,
        "candidates": (),
        "problem": None,
        "problem_field": None,
        "hold_problem": None,
        "details": {},
        "holdable": set(),
        "responsible": [],
        "live_holds": [],
        "flats": [],
        "after_services": [],
        "groups": list(Group),
        "message": MESSAGES.get(str(params.get("message", "")).split(":")[0]),
        "no_names": NO_NAMES,
    }
    status = 200
    if params.get("q") or params.get("lat"):
        try:
            query, understood = parse_query(plain(params), svc.gazetteer)
            query = replace(query, limit=MAX_RESULTS)
            outcome = search(await svc.index(), query, now, svc.settings.stale_after)
            if not live_refresh(request) and request.method == "GET":
                svc.count_search(understood.county, query.party, outcome)
            ids = [result.centre.id for result in outcome.results]
            async with svc.session() as session:
                context["details"] = await registry.adviser_details(session, ids)
                # After the stay: flats near the place (with counts, for advisers) and help.
                context["flats"] = await aftercare.flats_near(session, understood, svc.gazetteer)
                context["after_services"] = await aftercare.services_for(session, understood)
            names = {result.centre.id: result.centre.name for result in outcome.results}
            context.update(
                outcome=outcome,
                understood=understood,
                responsible=[names.get(c, c) for c in outcome.responsible_ids],
                # The units a hold form is shown for: one rule for the page and its errors.
                holdable={
                    result.unit.id
                    for result in outcome.results
                    if result.group.label != "unavailable" and result.free_places
                }
                | {flat.unit_id for flat in context["flats"] if flat.free},
            )
        except AmbiguousPlace as exc:
            context["candidates"] = exc.candidates
        except (PlaceNotFound, InvalidInput) as exc:
            field = exc.detail.get("field", "q") if isinstance(exc, InvalidInput) else "q"
            context["problem"] = FIELDS.get(field, FIELDS["q"])
            context["problem_field"] = field
            status = 422
    principal = principal_for_user(user)
    async with svc.session() as session:
        live = await holds.holds_for(session)
        context["live_holds"] = sorted(live, key=lambda hold: hold.expires_at)
        context["held_units"] = await registry.unit_names(session, [hold.unit_id for hold in live])
        sent = await referral_views.referrals_for(
            session,
            actor=principal,
            now=now,
            answer_minutes=svc.settings.referral_answer_minutes,
        )
        watching = await watches.watches_for(session, actor=principal, now=now)
        matched = {c for w in watching for c in w.matched}
        rows = await session.execute(select(Centre.id, Centre.name).where(Centre.id.in_(matched)))
        names = {centre_id: name for centre_id, name in rows}
    context.update(
        referrals=[r for r in sent if r.status == "pending" or r.created_at > now - RECENT],
        watches=watching,
        opened={w.id: [names[c] for c in w.matched if c in names] for w in watching},
        arrival_choices=ARRIVAL_CHOICES,
        answer_minutes=svc.settings.referral_answer_minutes,
        decline_labels=DECLINE_LABELS,
        referral_labels=REFERRAL_LABELS,
        request_labels=REQUEST_LABELS,
    )
    return context, status


def _back(data: Any) -> str:
    back = str(data.get("back", "/console"))
    return back if back.startswith("/console") and "\\" not in back else "/console"


def _to(back: str, message: str) -> RedirectResponse:
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{separator}message={message}", status_code=303)


async def refer(request: Request) -> Response:
    """Send a referral to the ticked centres (one to three) for the party searched for."""
    user = await current_user(request, "adviser", "admin")
    data = await form(request)
    svc = services(request)
    back = _back(data)
    try:
        minutes = whole(data.get("arrival_within", "60"), "arrival_by", low=10, high=24 * 60)
        draft = referrals.Draft(
            centres=tuple(str(c) for c in data.getlist("centres")),
            party=parse_party(plain(data)),
            arrival_by=utcnow() + timedelta(minutes=minutes),
            callback=str(data.get("callback", "")),
            language=str(data.get("language", "")) or None,
            note=str(data.get("note", "")) or None,
        )
        if not 1 <= len(set(draft.centres)) <= referrals.AT_ONCE:
            raise InvalidInput("centres", field="centres")
        async with svc.session() as session:
            try:
                await referrals.send(session, draft, actor=principal_for_user(user))
            except (Conflict, NotFound):
                await session.rollback()
                return _to(back, "cannot_take")
            await svc.commit_and_announce(session)
    except InvalidInput as exc:
        field = str(exc.detail.get("field", ""))
        code = f"refer_{field}" if f"refer_{field}" in MESSAGES else "refer_other"
        return _to(back, code)
    return _to(back, "referred")


async def change_referral(request: Request) -> Response:
    """Withdraw a pending referral, or ask one more centre about it."""
    user = await current_user(request, "adviser", "admin")
    data = await form(request)
    svc = services(request)
    action = request.path_params["action"]
    if action not in ("withdraw", "add"):
        raise NotFound("No such action")
    referral_id = str(request.path_params["referral_id"])[:64]
    principal = principal_for_user(user)
    async with svc.session() as session:
        try:
            if action == "withdraw":
                await referrals.withdraw(session, referral_id, actor=principal)
                message = "withdrawn"
            else:
                centre = str(data.get("centre", ""))[:64]
                await referrals.add_centre(session, referral_id, centre, actor=principal)
                message = "added"
            await svc.commit_and_announce(session)
        except (Conflict, InvalidInput, NotFound):
            await session.rollback()
            message = "add_refused" if action == "add" else "referral_ended"
    return _to(_back(data), message)


async def watch(request: Request) -> Response:
    """Tell me when a place opens: for the party searched for, near the searched place."""
    user = await current_user(request, "adviser", "admin")
    data = await form(request)
    svc = services(request)
    back = _back(data)
    try:
        place = svc.gazetteer.resolve(str(data.get("near", ""))[:200])
        max_km = whole(data.get("max_km", ""), "max_km", low=1, high=int(watches.MAX_KM))
        draft = watches.WatchDraft(
            party=parse_party(plain(data)),
            near=Point(place.latitude, place.longitude),
            place=place.name,
            max_km=float(max_km),
            language=str(data.get("language", "")) or None,
        )
        async with svc.session() as session:
            made = await watches.watch(session, draft, actor=principal_for_user(user))
            made.matched = watches.matches(
                await svc.index(), made, made.created_at, svc.settings.stale_after
            )
            await session.commit()
    except (InvalidInput, PlaceNotFound, AmbiguousPlace):
        return _to(back, "watch_invalid")
    return _to(back, "watching")


async def dismiss_watch(request: Request) -> Response:
    user = await current_user(request, "adviser", "admin")
    data = await form(request)
    async with services(request).session() as session:
        await watches.dismiss(
            session, str(request.path_params["watch_id"])[:64], actor=principal_for_user(user)
        )
        await session.commit()
    return _to(_back(data), "dismissed")


async def place(request: Request) -> Response:
    """Hold places for the party searched for. Bad input, or a place gone, brings the console
    back with the message by that row's field and what was typed (web/forms.py)."""
    user = await current_user(request, "adviser", "admin")
    data = await form(request)
    svc = services(request)
    back = _back(data)
    unit_id = 0
    try:
        unit_id = whole(data.get("unit_id", ""), "unit_id", low=1, message=GONE)
        minutes = whole(
            data.get("minutes", ""), "minutes", low=5, high=holds.MAX_MINUTES, message=MINUTES
        )
        note = str(data.get("note", "")).strip() or None
        if note is not None and len(note) > holds.MAX_NOTE:
            raise InvalidInput(NOTE_TOO_LONG, field="note")
        party = parse_party(plain(data))
        async with svc.session() as session:
            hold = await holds.place_hold(
                session,
                holds.HoldRequest(unit_id, party, minutes, note),
                actor=principal_for_user(user),
            )
            await svc.commit_and_announce(session)
    except (InvalidInput, Conflict, NotFound) as exc:
        return await _hold_failed(request, user, data, back, unit_id, exc)
    return _to(back, f"held:{hold.id}")


async def _hold_failed(
    request: Request, user: User, data: FormData, back: str, unit_id: int, exc: HavnError
) -> Response:
    """The console at `back` again, with why the hold on `unit_id` was not made by its field
    (or at the top, when that row has no hold form any more); nothing was stored."""
    field = str(exc.detail.get("field", ""))
    if isinstance(exc, InvalidInput) and field in ("minutes", "note"):
        error: HavnError = InvalidInput(
            MINUTES if field == "minutes" else NOTE_TOO_LONG, field=field
        )
    elif isinstance(exc, Conflict):
        error = Conflict(MESSAGES["full"], field="unit_id")
    elif isinstance(exc, NotFound) or field == "unit_id":
        error = NotFound(GONE, field="unit_id")
    else:  # the party sent along with the row (the search's hidden fields) is wrong
        error = InvalidInput(MESSAGES["invalid"], field="unit_id")
    context, _ = await _context(request, user, QueryParams(urlsplit(back).query), here=back)
    if unit_id not in context["holdable"]:
        context["hold_problem"] = error.message
    return failed(request, "console.html", context, form=f"hold-{unit_id}", error=error, data=data)


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
            "columns": [(c, COLUMN_LABELS.get(c, c)) for c in stats.COLUMNS],
            "chart": sorted(by_day.items()),
            "peak": peak,
            "unmet_total": sorted(unmet_total.items(), key=lambda kv: -kv[1]),
            "csrf": csrf_token(request),
        },
        private=True,
    )
