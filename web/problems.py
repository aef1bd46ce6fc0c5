"""One place that turns errors into responses: RFC 9457 problem details for the API."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from capacity.errors import AmbiguousPlace, HavnError, Unauthorized
from capacity.helplines import helplines
from web.state import pages

log = logging.getLogger("havn.web")

TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    422: "Invalid input",
    500: "Internal error",
}


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


RESERVED = frozenset({"type", "title", "status", "code", "detail"})


def problem(status: int, code: str, detail: str, **extra: Any) -> ProblemResponse:
    extra = {key: value for key, value in extra.items() if key not in RESERVED}
    body = {
        "type": f"https://havn.invalid/problems/{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


async def havn_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HavnError)
    if isinstance(exc, Unauthorized) and not wants_json(request):
        target = request.url.path if request.method == "GET" else ""
        return RedirectResponse(f"/login?next={quote(target)}" if target else "/login", 303)
    if not wants_json(request):
        # What went wrong, for a person (a 404's title says it all, and names nothing typed).
        return await error_page(request, exc.status, exc.message if exc.status != 404 else None)
    extra: dict[str, Any] = {k: v for k, v in exc.detail.items() if _jsonable(v)}
    if isinstance(exc, AmbiguousPlace):
        extra["candidates"] = [_candidate(place) for place in exc.candidates]
    return problem(exc.status, exc.code, exc.message, **extra)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not wants_json(request):
        response = await error_page(request, exc.status_code)
    else:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = problem(exc.status_code, code, str(exc.detail))
    response.headers.update(exc.headers or {})  # a 405 says which methods are allowed
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    if not wants_json(request) and hasattr(request.app.state, "pages"):
        return await error_page(request, 500)
    return problem(500, "internal_error", "Something went wrong on our side. Please try again.")


async def error_page(request: Request, status: int, message: str | None = None) -> Response:
    """The error page; `message` (a domain error's, for a person) says what went wrong."""
    context = {
        "status": status,
        "message": message,
        "helplines": helplines("NO"),
    }
    return pages(request).render(request, "error.html", context, status_code=status)


def _candidate(place: Any) -> dict[str, Any]:
    return {
        "name": place.name,
        "kind": place.kind,
        "municipality": place.municipality,
        "county": place.county,
        "query": f"{place.name}, {place.county}",
    }


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)


EXCEPTION_HANDLERS = {
    HavnError: havn_error,
    HTTPException: http_error,
    Exception: server_error,
}
