"""The administration page and how its forms run: a form's action either succeeds (the page
again, or a redirect to it) or comes back with its message by the wrong field (web/forms.py)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from capacity import accounts, aftercare, registry
from capacity.errors import Conflict, Forbidden, InvalidInput, NotFound
from capacity.models import AFTERCARE_KINDS, UNIT_KINDS, Centre, User
from web.auth import csrf_token, current_user, form
from web.forms import failed
from web.state import pages, services

MAX_IMPORT = 5_000_000

Action = Callable[[Request, User, FormData], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True, slots=True)
class Form:
    """A form on the page that shows its message by the field: its name (path parameters in
    braces, as "centre-{centre_id}") and the fields it shows a message by. An error naming
    another field is shown at the top of the page."""

    name: str
    fields: frozenset[str]


async def admin_page(request: Request) -> Response:
    return await overview(request)


async def overview(request: Request, extra: dict[str, Any] | None = None) -> Response:
    user = await current_user(request, "admin")
    context = await _context(request, user)
    return pages(request).render(request, "admin.html", {**context, **(extra or {})}, private=True)


async def _context(request: Request, user: User) -> dict[str, Any]:
    async with services(request).session() as session:
        centres = await registry.list_centres(session)
        users = await accounts.list_users(session)
        tokens = await accounts.list_tokens(session)
        services_after = await aftercare.all_services(session)
    return {
        "aftercare": services_after,
        "aftercare_kinds": AFTERCARE_KINDS,
        "user": user,
        "centres": centres,
        "users": users,
        "tokens": tokens,
        "csrf": csrf_token(request),
        "problem": None,
        "message": None,
        "new_token": None,
        "places": {c.id: _place_note(request, c) for c in centres},
        "units": {
            c.id: sorted(c.units, key=lambda unit: UNIT_KINDS.index(unit.kind)) for c in centres
        },
    }


def _place_note(request: Request, centre: Centre) -> str:
    """What the admin is told about a centre's location, by its edit form."""
    place = services(request).gazetteer.municipality(centre.host_municipality, centre.country)
    where = place.municipality if place else centre.host_municipality
    return (
        f"Location shown and used for distances: the point of {where} "
        f"({centre.latitude:.2f}, {centre.longitude:.2f}). No address or finer point is stored."
    )


def action(handler: Action, shown: Form | None = None, upload: bool = False) -> Any:
    """The endpoint running `handler` on an administrator's form (see `_guarded`)."""

    async def endpoint(request: Request) -> Response:
        return await _guarded(request, handler, shown, upload)

    return endpoint


async def _guarded(request: Request, handler: Action, shown: Form | None, upload: bool) -> Response:
    """Run a form action; a domain error brings the page back with a 4xx status, what was
    typed kept and the message by its field on `shown` (else at the top), losing nothing."""
    user = await current_user(request, "admin")
    data = await (
        form(request, max_bytes=MAX_IMPORT + 100_000, max_files=1) if upload else form(request)
    )
    try:
        extra = await handler(request, user, data)
    except (InvalidInput, Conflict, NotFound, Forbidden) as exc:
        context = await _context(request, user)
        by_field = shown is not None and exc.detail.get("field") in shown.fields
        context["problem"] = None if by_field else exc.message
        name = shown.name.format(**request.path_params) if shown else request.url.path
        return failed(request, "admin.html", context, form=name, error=exc, data=data)
    if extra is None:
        return RedirectResponse("/admin", status_code=303)
    return await overview(request, extra)


def text(data: FormData, name: str, limit: int = 200) -> str:
    """The field `name` stripped; InvalidInput (by the field) when it is a file or too long."""
    value = data.get(name, "")
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", field=name)
    if len(value) > limit:
        raise InvalidInput(f"{name} is too long (at most {limit} characters)", field=name)
    return value.strip()


def one_line(data: FormData, name: str, limit: int) -> str:
    value = text(data, name, limit)
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise InvalidInput(f"{name} must be one line of text", field=name)
    return value
