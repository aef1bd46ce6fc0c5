"""The holds API: advisers (and centre staff, at their own centre) keep places for a party."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from capacity import holds, registry
from capacity.errors import Conflict, Forbidden, InvalidInput, NotFound
from capacity.models import Hold
from capacity.party import parse_party
from web.api.body import json_object
from web.auth import api_principal
from web.problems import problem
from web.state import services

PARTY_FIELDS = ("gender", "adults", "children", "needs")
FIELDS = {"centre", "unit", *PARTY_FIELDS, "minutes", "note"}


def public_hold(hold: Hold, centre_id: str) -> dict[str, Any]:
    return {
        "id": hold.id,
        "centre": centre_id,
        "unit_id": hold.unit_id,
        "places": hold.places,
        "family_rooms": hold.family_rooms,
        "accessible_rooms": hold.accessible_rooms,
        "party": hold.party,
        "note": hold.note,
        "status": hold.status,
        "created_by": hold.created_by,
        "created_at": hold.created_at.isoformat(),
        "expires_at": hold.expires_at.isoformat(),
    }


def _as_text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        if not all(isinstance(v, int | str) and not isinstance(v, bool) for v in value):
            raise InvalidInput(f"{name} must be a list of words or numbers", field=name)
        return ",".join(str(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(f"{name} has the wrong type", field=name)
    return str(value)


async def _body(request: Request) -> dict[str, Any]:
    return await json_object(request, FIELDS)


async def create(request: Request) -> Response:
    principal = await api_principal(request)
    data = await _body(request)
    centre_id, kind = data.get("centre"), data.get("unit", "women")
    if not isinstance(centre_id, str) or not isinstance(kind, str):
        raise InvalidInput("Give the centre id and the unit (women or men)", field="centre")
    minutes = data.get("minutes", holds.DEFAULT_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise InvalidInput("minutes must be a whole number", field="minutes")
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        raise InvalidInput("note must be text", field="note")
    party = parse_party({name: _as_text(data.get(name), name) for name in PARTY_FIELDS})
    svc = services(request)
    async with svc.session() as session:
        unit = await registry.find_unit(session, centre_id, kind)
        try:
            hold = await holds.place_hold(
                session, holds.HoldRequest(unit.id, party, minutes, note), actor=principal
            )
        except Conflict as exc:
            await session.rollback()
            return problem(409, "not_enough_places", exc.message, **exc.detail)
        await svc.commit_and_announce(session)
        body = public_hold(hold, unit.centre_id)
    return JSONResponse(body, status_code=201, headers={"Location": f"/api/v1/holds/{hold.id}"})


async def resolve(request: Request) -> Response:
    principal = await api_principal(request)
    action = request.path_params["action"]
    if action not in ("confirm", "release"):
        raise NotFound("No such action")
    svc = services(request)
    async with svc.session() as session:
        ended = await (holds.confirm if action == "confirm" else holds.release)(
            session, request.path_params["hold_id"], actor=principal
        )
        await svc.commit_and_announce(session)
        unit = await registry.get_unit(session, ended.unit_id)
        body = public_hold(ended, unit.centre_id)
    return JSONResponse(body)


async def listing(request: Request) -> Response:
    principal = await api_principal(request)
    centre = request.query_params.get("centre") or None
    if principal.role == "staff":
        if centre not in (None, principal.centre_id):
            raise Forbidden("Centre staff see only their own centre's holds")
        centre = principal.centre_id
    elif principal.role not in ("adviser", "admin"):
        raise Forbidden("This token may not list holds")
    async with services(request).session() as session:
        found = await holds.holds_for(session, centre_id=centre)
        units = await registry.unit_centres(session)
    return JSONResponse(
        {"holds": [public_hold(hold, units.get(hold.unit_id, "")) for hold in found]},
        headers={"Cache-Control": "no-store"},
    )
