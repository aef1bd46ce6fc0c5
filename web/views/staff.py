"""The centre staff's dashboard: free places in one tap, holds, status, what the centre accepts."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from capacity import audit, referral_views, referrals, registry
from capacity import holds as capacity_holds
from capacity.accounts import principal_for_user
from capacity.errors import Conflict, Forbidden, InvalidInput, NotFound
from capacity.models import DECLINE_REASONS, Centre, Unit, User, utcnow
from web.auth import csrf_token, current_user, form
from web.forms import failed
from web.params import MAX_INT, known_id, whole
from web.state import pages, services
from web.wording import DECLINE_LABELS, N_

COUNTERS = ("free_beds", "free_family_rooms", "free_accessible_rooms")
CONFLICT = N_("Someone else changed these numbers just now. Here are the current numbers.")
SAVED = N_("Saved.")
CENTRE_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")


WHOLE = N_("Write whole numbers.")
assert tuple(DECLINE_LABELS) == DECLINE_REASONS
CHOOSE_REASON = N_("Choose why you cannot take them.")
SAY_WHY = N_("Say in a few words why (at most 200 characters, nothing that identifies anyone).")
NO_LONGER = N_("No longer needed: the referral was placed elsewhere or withdrawn.")
ANSWERED = N_("This request has already been answered.")
RECENT = timedelta(hours=12)  # answered requests stay on the dashboard this long
# What staff are told for the registry's checks (its own messages are for the API).
MESSAGES = {
    "status": N_("Choose open or temporarily closed."),
    "status_reason": N_("Say why the centre is temporarily closed."),
    "languages": N_("Write 1 to 20 language codes, like nb en ar."),
}


async def staff_centre(request: Request, user: User) -> str:
    """The centre this request may manage: the staff member's own, or any for an admin."""
    if user.role == "staff":
        assert user.centre_id is not None
        wanted = request.query_params.get("centre") or request.path_params.get("centre_id")
        if wanted and wanted != user.centre_id:
            raise Forbidden("Centre staff can change only their own centre")
        return user.centre_id
    wanted = request.query_params.get("centre") or request.path_params.get("centre_id")
    if not wanted:
        raise InvalidInput("Choose a centre", field="centre")
    return str(wanted)


async def dashboard_context(request: Request, user: User, centre_id: str) -> dict[str, Any]:
    svc = services(request)
    now = utcnow()
    async with svc.session() as session:
        centre = await registry.get_centre(session, centre_id)
        holds = sorted(
            await capacity_holds.holds_for(session, centre_id=centre_id, now=now),
            key=lambda hold: hold.expires_at,
        )
        asked = await referral_views.incoming(
            session,
            centre_id,
            actor=principal_for_user(user),
            pending_only=False,
            now=now,
            answer_minutes=svc.settings.referral_answer_minutes,
        )
    stale_before = now - svc.settings.stale_after
    stale = [
        u for u in centre.units if u.availability is None or u.availability.as_of < stale_before
    ]
    held = {unit.id: sum(h.places for h in holds if h.unit_id == unit.id) for unit in centre.units}
    recent = [a for a in asked if a.status == "pending" or (a.answered_at or now) > now - RECENT]
    return {
        "user": user,
        "centre": centre,
        "incoming": [a for a in recent if a.status == "pending"],
        "answered": [a for a in reversed(recent) if a.status != "pending"],
        "decline_labels": DECLINE_LABELS,
        "holds": holds,
        "held": held,
        "stale": stale,
        "stale_hours": int(svc.settings.stale_after.total_seconds() // 3600),
        "csrf": csrf_token(request),
        "now": now,
        "message": None,
        "problem": None,
        "failed": None,
    }


def _block(request: Request) -> str:
    """The live section an htmx request refreshes: the referrals' or the numbers'."""
    return "referrals" if request.headers.get("hx-target") == "referrals" else "units"


async def dashboard(request: Request) -> Response:
    user = await current_user(request, "staff", "admin")
    centre_id = await staff_centre(request, user)
    context = await dashboard_context(request, user, centre_id)
    return pages(request).render(
        request, "staff.html", context, block=_block(request), private=True
    )


async def answer_referral(request: Request) -> Response:
    """Accept a referral request, or decline it with one reason (`other` with a short text).
    Answering again the same way changes nothing; another centre's request does not exist."""
    user = await current_user(request, "staff")
    data = await form(request)
    action = request.path_params["action"]
    if action not in ("accept", "decline"):
        raise NotFound("No such action")
    request_id = str(request.path_params["request_id"])[:64]
    principal = principal_for_user(user)
    svc = services(request)
    assert user.centre_id is not None
    async with svc.session() as session:
        try:
            if action == "accept":
                await referrals.accept(session, request_id, actor=principal)
            else:
                reason = str(data.get("reason", ""))
                if reason not in DECLINE_REASONS:
                    raise InvalidInput(CHOOSE_REASON, field="reason")
                text = str(data.get("reason_text", "")).strip() or None
                if reason == "other" and text is None:
                    raise InvalidInput(SAY_WHY, field="reason_text")
                try:
                    await referrals.decline(session, request_id, reason, text=text, actor=principal)
                except InvalidInput as exc:
                    raise InvalidInput(SAY_WHY, field="reason_text") from exc
        except (InvalidInput, Conflict) as exc:
            await session.rollback()
            context = await dashboard_context(request, user, user.centre_id)
            if isinstance(exc, Conflict):
                ended = exc.detail.get("request_status") in ("withdrawn", "pending")
                context.update(problem=NO_LONGER if ended else ANSWERED)
                return pages(request).render(
                    request, "staff.html", context, status_code=409, private=True
                )
            return failed(
                request, "staff.html", context, form=f"answer-{request_id}", error=exc, data=data
            )
        await svc.commit_and_announce(session)
    return RedirectResponse("/staff#referrals", status_code=303)


def _counts(data: FormData, unit: Unit) -> dict[str, int]:
    """The three numbers from the form, after an optional one-tap step ("free_beds:+1")."""
    values: dict[str, int] = {}
    for name in COUNTERS:
        values[name] = whole(data.get(name, ""), name, low=-MAX_INT, message=WHOLE)
    step = str(data.get("step", ""))
    if step:
        name, _, delta = step.partition(":")
        if name not in COUNTERS or delta not in ("+1", "-1"):
            raise InvalidInput(N_("Unknown button."), field="step")
        values[name] += int(delta)
    limits = {
        "free_beds": unit.beds,
        "free_family_rooms": unit.family_rooms,
        "free_accessible_rooms": unit.accessible_rooms,
    }
    for name, value in values.items():
        values[name] = max(0, min(value, limits[name])) if step else value
    return values


async def set_numbers(request: Request) -> Response:
    user = await current_user(request, "staff", "admin")
    data = await form(request)
    svc = services(request)
    unit_id = known_id(request.path_params["unit_id"], "unit")
    async with svc.session() as session:
        unit = await _own_unit(session, user, unit_id)
        centre_id = unit.centre_id
        try:
            version = whole(data.get("version", "0"), "version", message=WHOLE)
            values = _counts(data, unit)
            await registry.set_availability(
                session,
                unit,
                free_beds=values["free_beds"],
                free_family_rooms=values["free_family_rooms"],
                free_accessible_rooms=values["free_accessible_rooms"],
                actor=user.username,
                source="staff",
                expected_version=version,
            )
        except Conflict:
            await session.rollback()
            context = await dashboard_context(request, user, centre_id)
            context.update(problem=CONFLICT, focus_unit=unit_id)
            return pages(request).render(
                request, "staff.html", context, block="units", status_code=409, private=True
            )
        except InvalidInput as exc:
            await session.rollback()
            context = await dashboard_context(request, user, centre_id)
            return failed(
                request,
                "staff.html",
                context,
                form=f"numbers-{unit_id}",
                error=exc,
                data=data,
                block="units",
            )
        await svc.commit_and_announce(session)
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(_back(user, centre_id), status_code=303)
    context = await dashboard_context(request, user, centre_id)
    context.update(message=SAVED, focus_unit=unit_id)
    return pages(request).render(request, "staff.html", context, block="units", private=True)


async def _own_unit(session: AsyncSession, user: User, unit_id: int) -> Unit:
    """The unit, when this user may change it; raises NotFound or Forbidden."""
    unit = await registry.get_unit(session, unit_id)
    if user.role == "staff" and unit.centre_id != user.centre_id:
        raise Forbidden("Centre staff can change only their own centre")
    return unit


async def set_status(request: Request) -> Response:
    user = await current_user(request, "staff", "admin")
    data = await form(request)
    centre_id = await staff_centre(request, user)
    status = str(data.get("status", ""))
    if status == "closed" and user.role != "admin":
        raise Forbidden("Only an administrator can close a centre for good")
    reason = str(data.get("status_reason", ""))
    return await _change(
        request, user, centre_id, "status", data,
        lambda session, centre: registry.set_status(
            session, centre, status, reason, actor=user.username
        ),
    )  # fmt: skip


async def set_languages(request: Request) -> Response:
    user = await current_user(request, "staff", "admin")
    data = await form(request)
    centre_id = await staff_centre(request, user)
    codes = str(data.get("languages", ""))[:200].replace(",", " ").split()
    return await _change(
        request, user, centre_id, "languages", data,
        lambda session, centre: registry.set_languages(
            session, centre, codes, actor=user.username
        ),
    )  # fmt: skip


async def _change(
    request: Request,
    user: User,
    centre_id: str,
    form_name: str,
    data: FormData,
    change: Callable[[AsyncSession, Centre], Awaitable[object]],
) -> Response:
    """Make one change to the centre; bad input brings the dashboard back with the message
    by the field and what was typed (web/forms.py); success goes back to the dashboard."""
    svc = services(request)
    async with svc.session() as session:
        centre = await registry.find_centre(session, centre_id)
        try:
            await change(session, centre)
        except InvalidInput as exc:
            await session.rollback()
            field = str(exc.detail.get("field") or form_name)
            shown = InvalidInput(MESSAGES.get(field, exc.message), field=field)
            context = await dashboard_context(request, user, centre_id)
            return failed(request, "staff.html", context, form=form_name, error=shown, data=data)
        await svc.commit_and_announce(session)
    return RedirectResponse(_back(user, centre_id), status_code=303)


def _flag(data: FormData, name: str) -> bool:
    return data.get(name) in ("on", "true", "yes", "1")


def _age(data: FormData, name: str) -> int | None:
    raw = str(data.get(name, "")).strip()
    if not raw:
        return None
    return whole(raw, name, high=17, message=N_("Ages are whole numbers from 0 to 17."))


async def set_accepts(request: Request) -> Response:
    user = await current_user(request, "staff", "admin")
    data = await form(request)
    svc = services(request)
    unit_id = known_id(request.path_params["unit_id"], "unit")
    async with svc.session() as session:
        unit = await _own_unit(session, user, unit_id)
        centre_id = unit.centre_id
        changes: dict[str, Any] = {
            name: _flag(data, name) for name in registry.ACCEPT_FIELDS if "age" not in name
        }
        try:
            changes["children_max_age"] = _age(data, "children_max_age")
            changes["boys_max_age"] = _age(data, "boys_max_age")
            await registry.update_unit(session, unit, changes, actor=user.username)
        except InvalidInput as exc:
            await session.rollback()
            # The dashboard again with the message; what was stored stays as it was.
            context = await dashboard_context(request, user, centre_id)
            return failed(
                request, "staff.html", context, form=f"accepts-{unit_id}", error=exc, data=data
            )
        await svc.commit_and_announce(session)
    return RedirectResponse(_back(user, centre_id), status_code=303)


async def history(request: Request) -> Response:
    """The audit trail (one centre's for staff), each field only if the reader may see it."""
    user = await current_user(request, "staff", "admin")
    async with services(request).session() as session:
        if user.role == "staff":
            centre_id: str | None = await staff_centre(request, user)
        else:
            centre_id = await _chosen_centre(session, request.query_params.get("centre"))
        events = audit.shown(
            await audit.history(session, centre_id, limit=500), user.role, user.centre_id
        )
        names = await registry.centre_names(session)
    if request.url.path.endswith(".csv"):
        # The name comes from the validated id only: nothing raw reaches a header.
        return csv_response(events, f"havn-history-{centre_id or 'all'}.csv")
    return pages(request).render(
        request,
        "history.html",
        {
            "user": user,
            "events": events,
            "centre_id": centre_id,
            "names": names,
            "hidden": audit.HIDDEN,
            "csrf": csrf_token(request),
        },
        private=True,
    )


async def _chosen_centre(session: AsyncSession, wanted: str | None) -> str | None:
    """The centre an administrator asked for (None: all); InvalidInput or NotFound."""
    if not wanted:
        return None
    if not CENTRE_ID.fullmatch(wanted):
        raise InvalidInput(
            "centre is a centre id: lowercase letters, digits and dashes", field="centre"
        )
    await registry.find_centre(session, wanted)
    return wanted


def csv_response(events: list[Any], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["id", "at", "actor", "action", "entity", "entity_id", "centre", "before", "after"]
    )
    for event in events:
        writer.writerow(
            [
                event.id,
                event.at.isoformat(),
                _cell(event.actor),
                event.action,
                event.entity,
                event.entity_id,
                event.centre_id or "",
                _cell(_json(event.before)),
                _cell(_json(event.after)),
            ]
        )
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _json(value: Any) -> str:
    return (
        "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    )


def _cell(value: str) -> str:
    """Spreadsheets run cells that start like a formula: neutralise them."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _back(user: User, centre_id: str) -> str:
    return "/staff" if user.role == "staff" else f"/staff?centre={centre_id}"
