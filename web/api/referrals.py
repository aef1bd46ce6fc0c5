"""The referrals API: an adviser asks up to three centres at once, each centre answers its own.

Advisers send and read their referrals and watch for places; a centre's token reads and answers
only its own centre's requests (another centre's are 404, so they do not even exist for it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from capacity import referral_views, referrals, watches
from capacity.accounts import Principal
from capacity.errors import Conflict, Forbidden, InvalidInput, NotFound
from capacity.models import DECLINE_REASONS, ReferralRequest, Watch
from capacity.party import parse_party
from capacity.search import Point
from web.api.body import json_object
from web.api.holds import PARTY_FIELDS, _as_text
from web.auth import api_principal
from web.problems import problem
from web.state import services

FIELDS = {"centres", *PARTY_FIELDS, "language", "arrival_by", "callback", "note"}
DECLINE_FIELDS = {"reason", "text"}
WATCH_FIELDS = {"near", "max_km", *PARTY_FIELDS, "language"}
NO_STORE = {"Cache-Control": "no-store"}


def _optional_text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", field=name)
    return value


def parse_arrival(value: object) -> datetime:
    """An ISO 8601 time with its zone: 2026-11-29T18:00:00+01:00."""
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidInput(
            "arrival_by is a time with its zone, like 2026-11-29T18:00+01:00", field="arrival_by"
        )
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "arrival_by is not a time: use ISO 8601 with the zone", field="arrival_by"
        ) from None
    if when.tzinfo is None:
        raise InvalidInput("arrival_by needs its time zone", field="arrival_by")
    return when


def _party(data: dict[str, Any]) -> Any:
    return parse_party({name: _as_text(data.get(name), name) for name in PARTY_FIELDS})


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def referral_body(view: referral_views.ReferralView, hold_ids: dict[str, str]) -> dict[str, Any]:
    handover = view.handover
    return {
        "id": view.id,
        "status": view.status,
        "party": view.party,
        "language": view.language,
        "arrival_by": view.arrival_by.isoformat(),
        "callback": view.callback,
        "note": view.note,
        "created_at": view.created_at.isoformat(),
        "expires_at": view.expires_at.isoformat(),
        "placed_at": _iso(view.placed_at),
        "handover": handover
        and {"centre": handover.centre_id, "name": handover.centre_name, "phone": handover.phone},
        "requests": [
            {
                "id": asked.request_id,
                "centre": asked.centre_id,
                "centre_name": asked.centre_name,
                "status": asked.status,
                "reason": asked.reason,
                "reason_text": asked.reason_text,
                "hold": hold_ids.get(asked.request_id),
                "asked_at": asked.asked_at.isoformat(),
                "answered_at": _iso(asked.answered_at),
                "overdue": asked.overdue,
            }
            for asked in view.asked
        ],
    }


def incoming_body(found: referral_views.Incoming) -> dict[str, Any]:
    return {
        "id": found.request_id,
        "referral": found.referral_id,
        "centre": found.centre_id,
        "status": found.status,
        "reason": found.reason,
        "reason_text": found.reason_text,
        "party": found.party,
        "language": found.language,
        "arrival_by": found.arrival_by.isoformat(),
        "callback": found.callback,
        "note": found.note,
        "asked_at": found.asked_at.isoformat(),
        "answered_at": _iso(found.answered_at),
        "hold_expires_at": found.hold_expires_at.isoformat(),
        "overdue": found.overdue,
    }


def watch_body(watch: Watch) -> dict[str, Any]:
    return {
        "id": watch.id,
        "near": watch.place,
        "max_km": watch.max_km,
        "party": watch.party,
        "language": watch.language,
        "matched": list(watch.matched),
        "created_at": watch.created_at.isoformat(),
        "expires_at": watch.expires_at.isoformat(),
    }


async def _hold_ids(session: AsyncSession, referral_id: str) -> dict[str, str]:
    rows = await session.execute(
        select(ReferralRequest.id, ReferralRequest.hold_id).where(
            ReferralRequest.referral_id == referral_id
        )
    )
    return {request_id: hold_id for request_id, hold_id in rows}


async def _body_of(request: Request, session: AsyncSession, principal: Principal, rid: str) -> Any:
    minutes = services(request).settings.referral_answer_minutes
    view = await referral_views.view(session, rid, actor=principal, answer_minutes=minutes)
    return referral_body(view, await _hold_ids(session, rid))


async def create(request: Request) -> Response:
    principal = await api_principal(request)
    data = await json_object(request, FIELDS)
    centres = data.get("centres")
    if not isinstance(centres, list) or not all(isinstance(c, str) for c in centres):
        raise InvalidInput("centres is a list of one to three centre ids", field="centres")
    if len(centres) > referrals.AT_ONCE:
        raise InvalidInput(f"Ask one to {referrals.AT_ONCE} centres", field="centres")
    draft = referrals.Draft(
        centres=tuple(centres),
        party=_party(data),
        arrival_by=parse_arrival(data.get("arrival_by")),
        callback=referrals.parse_callback(data.get("callback")),
        language=_optional_text(data, "language"),
        note=_optional_text(data, "note"),
    )
    svc = services(request)
    async with svc.session() as session:
        try:
            sent = await referrals.send(session, draft, actor=principal)
        except Conflict as exc:
            await session.rollback()
            return problem(409, "cannot_take_party", exc.message, **exc.detail)
        await svc.commit_and_announce(session)
        body = await _body_of(request, session, principal, sent.id)
    location = f"/api/v1/referrals/{sent.id}"
    return JSONResponse(body, status_code=201, headers={"Location": location, **NO_STORE})


async def read(request: Request) -> Response:
    principal = await api_principal(request)
    async with services(request).session() as session:
        body = await _body_of(request, session, principal, request.path_params["referral_id"])
    return JSONResponse(body, headers=NO_STORE)


async def listing(request: Request) -> Response:
    """A centre's token: its own requests (?centre= may only name its own centre);
    an adviser's: the referrals they sent."""
    principal = await api_principal(request)
    minutes = services(request).settings.referral_answer_minutes
    centre = request.query_params.get("centre") or None
    async with services(request).session() as session:
        if principal.role == "staff" or centre is not None:
            if principal.role == "staff" and centre not in (None, principal.centre_id):
                raise Forbidden("A centre's token sees only its own centre's requests")
            found = await referral_views.incoming(
                session,
                centre or principal.centre_id or "",
                actor=principal,
                pending_only=request.query_params.get("status") == "pending",
                answer_minutes=minutes,
            )
            return JSONResponse({"requests": [incoming_body(f) for f in found]}, headers=NO_STORE)
        views = await referral_views.referrals_for(session, actor=principal, answer_minutes=minutes)
        bodies = [referral_body(view, await _hold_ids(session, view.id)) for view in views]
    return JSONResponse({"referrals": bodies}, headers=NO_STORE)


async def _request_id(
    session: AsyncSession, principal: Principal, referral_id: str, centre_id: str
) -> str:
    """The request to `centre_id` in the referral, for that centre's own token only."""
    if principal.role != "staff":
        raise Forbidden("Only the asked centre answers a referral")
    found = None
    if centre_id == principal.centre_id:
        found = await session.scalar(
            select(ReferralRequest.id)
            .where(
                ReferralRequest.referral_id == referral_id,
                ReferralRequest.centre_id == centre_id,
            )
            .order_by(ReferralRequest.created_at.desc())
            .limit(1)
        )
    if found is None:
        raise NotFound("No such referral request")
    return found


async def answer(request: Request) -> Response:
    """accept, or decline with {"reason", "text"?}: answering again the same way changes
    nothing; a different answer after the decision is a 409."""
    principal = await api_principal(request)
    action = request.path_params["action"]
    if action not in ("accept", "decline"):
        raise NotFound("No such action")
    data: dict[str, Any] = {}
    if action == "decline":
        data = await json_object(request, DECLINE_FIELDS)
        if data.get("reason") not in DECLINE_REASONS:
            raise InvalidInput("reason is one of " + ", ".join(DECLINE_REASONS), field="reason")
    svc = services(request)
    async with svc.session() as session:
        request_id = await _request_id(
            session, principal, request.path_params["referral_id"], request.path_params["centre"]
        )
        if action == "accept":
            await referrals.accept(session, request_id, actor=principal)
        else:
            await referrals.decline(
                session,
                request_id,
                data["reason"],
                text=_optional_text(data, "text"),
                actor=principal,
            )
        await svc.commit_and_announce(session)
        found = await referral_views.incoming_one(
            session,
            request_id,
            actor=principal,
            answer_minutes=svc.settings.referral_answer_minutes,
        )
    return JSONResponse(incoming_body(found), headers=NO_STORE)


async def create_watch(request: Request) -> Response:
    principal = await api_principal(request)
    data = await json_object(request, WATCH_FIELDS)
    near = data.get("near")
    if not isinstance(near, str) or not near.strip() or len(near) > 120:
        raise InvalidInput("near is a place, municipality or postcode", field="near")
    max_km = data.get("max_km")
    if isinstance(max_km, bool) or not isinstance(max_km, int | float):
        raise InvalidInput("max_km is a number of kilometres", field="max_km")
    svc = services(request)
    place = svc.gazetteer.resolve(near)
    draft = watches.WatchDraft(
        party=_party(data),
        near=Point(place.latitude, place.longitude),
        place=place.name,
        max_km=float(max_km),
        language=_optional_text(data, "language"),
    )
    async with svc.session() as session:
        created = await watches.watch(session, draft, actor=principal)
        index = await svc.index()
        created.matched = watches.matches(
            index, created, created.created_at, svc.settings.stale_after
        )
        await session.commit()
        body = watch_body(created)
    return JSONResponse(
        body, status_code=201, headers={"Location": f"/api/v1/watches/{created.id}", **NO_STORE}
    )


async def delete_watch(request: Request) -> Response:
    principal = await api_principal(request)
    async with services(request).session() as session:
        await watches.dismiss(session, request.path_params["watch_id"], actor=principal)
        await session.commit()
    return Response(status_code=204)
