"""The write API: centres (or their systems) report free places with a centre-scoped token."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from capacity import registry
from capacity.errors import Conflict, HavnError, InvalidInput, NotFound
from capacity.models import Availability, Unit
from web.auth import api_principal
from web.params import whole
from web.problems import problem
from web.services import Services

MAX_BODY = 10_000
FIELDS = ("free_beds", "free_family_rooms", "free_accessible_rooms")


class PreconditionRequired(HavnError):
    status = 428
    code = "precondition_required"


class UnsupportedMediaType(HavnError):
    status = 415
    code = "unsupported_media_type"


class TooLarge(HavnError):
    status = 413
    code = "too_large"


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


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


async def _unit(session: Any, centre_id: str, kind: str) -> Unit:
    unit = await session.scalar(select(Unit).where(Unit.centre_id == centre_id, Unit.kind == kind))
    if unit is None:
        raise NotFound(f"No {kind[:10]!r} unit at centre {centre_id[:64]!r}")
    return unit  # type: ignore[no-any-return]


async def read_availability(request: Request) -> Response:
    async with services(request).session() as session:
        unit = await _unit(session, request.path_params["centre_id"], request.path_params["unit"])
        numbers = await session.get(Availability, unit.id)
        version = numbers.version if numbers else 0
        return JSONResponse(
            body(numbers, unit), headers={"ETag": etag(version), "Cache-Control": "no-store"}
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read as it arrives; TooLarge as soon as it passes `limit` bytes
    (or when Content-Length says it will), so a huge body is never held in memory."""
    too_large = TooLarge(f"The body is larger than {limit} bytes", limit=limit)
    length = request.headers.get("content-length")
    if length is not None:
        try:
            whole(length, "Content-Length", high=limit)
        except InvalidInput:
            raise too_large from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def json_object(request: Request, allowed: Iterable[str]) -> dict[str, Any]:
    """The request's JSON object, holding only `allowed` fields; raises UnsupportedMediaType
    or InvalidInput (too large, not JSON, not an object, an unknown field)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise UnsupportedMediaType("Send JSON: Content-Type: application/json")
    raw = await read_body(request, MAX_BODY)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The body is not valid JSON", field="body") from None
    except RecursionError:  # "[[[[…": the parser gives up on deep nesting
        raise InvalidInput("The body is nested too deeply", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput("The body must be a JSON object", field="body")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0][:40]!r}", field=unknown[0][:40])
    return data


async def _json(request: Request) -> dict[str, Any]:
    data = await json_object(request, FIELDS)
    missing = [name for name in FIELDS if name not in data]
    if missing:
        raise InvalidInput(f"Missing {missing[0]}", field=missing[0])
    return data


async def write_availability(request: Request) -> Response:
    """PUT the three numbers; If-Match guards against overwriting a newer value (409)."""
    principal = await api_principal(request)
    centre_id = request.path_params["centre_id"]
    principal.require_centre(centre_id)
    expected = parse_etag(request.headers.get("if-match"))
    data = await _json(request)
    svc = services(request)
    async with svc.session() as session:
        unit = await _unit(session, centre_id, request.path_params["unit"])
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
        await session.commit()
        result = body(numbers, unit)
    await svc.announce()
    return JSONResponse(result, headers={"ETag": etag(result["version"])})


routes = [
    Route("/centres/{centre_id}/units/{unit}/availability", read_availability, methods=["GET"]),
    Route("/centres/{centre_id}/units/{unit}/availability", write_availability, methods=["PUT"]),
]
