"""The write API: centres (or their systems) report free places with a centre-scoped token."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from capacity import registry
from capacity.errors import Conflict, HavnError, InvalidInput
from capacity.models import CRISIS_KINDS, Availability, Unit
from web.api.body import json_object
from web.auth import api_principal
from web.params import whole
from web.problems import problem
from web.state import services

FIELDS = ("free_beds", "free_family_rooms", "free_accessible_rooms")


class PreconditionRequired(HavnError):
    status = 428
    code = "precondition_required"


def etag(version: int) -> str:
    return f'"{version}"'


def parse_etag(value: str | None) -> int:
    if value is None or not value.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag of the numbers you are changing (GET them first)"
        )
    raw = value.strip().removeprefix("W/").strip('"')
    return whole(raw, "If-Match", message='If-Match must be an ETag from this API, like "3"')


def body(numbers: Availability | None, unit: Unit) -> dict[str, Any]:
    return {
        "centre": unit.centre_id,
        "unit": unit.kind,
        "capacity": {
            "beds": unit.beds,
            "family_rooms": unit.family_rooms,
            "accessible_rooms": unit.accessible_rooms,
        },
        **({name: getattr(numbers, name) for name in FIELDS} if numbers else dict.fromkeys(FIELDS)),
        "as_of": numbers.as_of.isoformat() if numbers else None,
        "version": numbers.version if numbers else 0,
    }


async def read(request: Request) -> Response:
    """A unit's numbers. Crisis units are public; free transitional flats are not (a count
    at a centre tells where people live after the stay): advisers, admins and the centre only."""
    if request.path_params["unit"] not in CRISIS_KINDS:
        principal = await api_principal(request)
        if principal.role == "staff":
            principal.require_centre(request.path_params["centre_id"])
        else:
            principal.require_role("adviser", "admin")
    async with services(request).session() as session:
        unit = await registry.find_unit(
            session, request.path_params["centre_id"], request.path_params["unit"]
        )
        numbers = await session.get(Availability, unit.id)
        version = numbers.version if numbers else 0
        return JSONResponse(
            body(numbers, unit), headers={"ETag": etag(version), "Cache-Control": "no-store"}
        )


async def _json(request: Request) -> dict[str, Any]:
    data = await json_object(request, FIELDS)
    missing = [name for name in FIELDS if name not in data]
    if missing:
        raise InvalidInput(f"Missing {missing[0]}", field=missing[0])
    return data


async def write(request: Request) -> Response:
    """PUT the three numbers; If-Match guards against overwriting a newer value (409)."""
    principal = await api_principal(request)
    centre_id = request.path_params["centre_id"]
    principal.require_centre(centre_id)
    expected = parse_etag(request.headers.get("if-match"))
    data = await _json(request)
    svc = services(request)
    async with svc.session() as session:
        unit = await registry.find_unit(session, centre_id, request.path_params["unit"])
        current = await session.get(Availability, unit.id)
        if current is not None and all(getattr(current, n) == data[n] for n in FIELDS):
            # The same numbers again (a retry after a lost answer): nothing to change.
            return JSONResponse(body(current, unit), headers={"ETag": etag(current.version)})
        try:
            numbers = await registry.set_availability(
                session,
                unit,
                **{name: data[name] for name in FIELDS},
                actor=principal.name,
                source="api",
                expected_version=expected,
            )
        except Conflict as exc:
            await session.rollback()
            await session.refresh(unit)
            fresh = await session.get(Availability, unit.id, populate_existing=True)
            version = fresh.version if fresh else 0
            response = problem(
                409,
                "conflict",
                exc.message + ": read the current numbers and decide again",
                current=body(fresh, unit),
            )
            response.headers["ETag"] = etag(version)
            return response
        await svc.commit_and_announce(session)
        result = body(numbers, unit)
    return JSONResponse(result, headers={"ETag": etag(result["version"])})
