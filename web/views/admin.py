"""Administration: centres, their units and municipalities, users, API tokens, import/export,
and the aftercare services directory."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from capacity import accounts, aftercare, audit, exchange, gaps, location, registry, signin, website
from capacity.errors import Conflict, Forbidden, HavnError, InvalidInput, NotFound
from capacity.models import AFTERCARE_KINDS, Centre, ServedMunicipality, Unit, User, utcnow
from web.auth import csrf_token, current_user, form
from web.forms import failed
from web.params import known_id, whole
from web.state import pages, services

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
MAX_IMPORT = 5_000_000
PRIVATE_FIELDS = ("intake_phone", "adviser_notes")


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
    }


async def _guarded(request: Request, action: Any, upload: bool = False) -> Response:
    """Run a form action; a domain error brings the page back with its message (by the
    field of the centre's form, with what was typed: web/forms.py), losing nothing."""
    user = await current_user(request, "admin")
    data = await (
        form(request, max_bytes=MAX_IMPORT + 100_000, max_files=1) if upload else form(request)
    )
    try:
        extra = await action(request, user, data)
    except (InvalidInput, Conflict, NotFound, Forbidden) as exc:
        context = await _context(request, user)
        context["problem"] = exc.message
        name = (
            f"centre-{request.path_params['centre_id']}"
            if "centre_id" in request.path_params
            else request.url.path
        )
        return failed(request, "admin.html", context, form=name, error=exc, data=data)
    if extra is None:
        return RedirectResponse("/admin", status_code=303)
    return await overview(request, extra)


def _text(data: FormData, name: str, limit: int = 200) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", field=name)
    if len(value) > limit:
        raise InvalidInput(f"{name} is too long (at most {limit} characters)", field=name)
    return value.strip()


def _one_line(data: FormData, name: str, limit: int) -> str:
    value = _text(data, name, limit)
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise InvalidInput(f"{name} must be one line of text", field=name)
    return value


def _website(data: FormData, name: str = "website", what: str = "The website") -> str | None:
    text = _text(data, name, website.MAX_LENGTH + 50)
    if not text:
        return None
    try:
        return website.parse(text)
    except ValueError as exc:
        message = f"{what} {exc}: write an address like https://krisesenter.no."
        raise InvalidInput(message + " Nothing was changed.", field=name) from None


def _place_note(request: Request, centre: Centre) -> str:
    """What the admin is told about a centre's location, by its edit form."""
    place = services(request).gazetteer.municipality(centre.host_municipality, centre.country)
    where = place.municipality if place else centre.host_municipality
    return (
        f"Location shown and used for distances: the point of {where} "
        f"({centre.latitude:.2f}, {centre.longitude:.2f}). No address or finer point is stored."
    )


def _snapped(name: str, municipality: str, point: tuple[float, float]) -> str:
    return (
        f"{name}'s location is now the point of {municipality} ({point[0]:.2f}, "
        f"{point[1]:.2f}): Havn stores no address or finer point, so that no search can "
        "reveal where a centre is."
    )


def _codes(request: Request, text: str) -> list[str]:
    gazetteer = services(request).gazetteer
    codes = [code for code in re.split(r"[\s,;]+", text) if code]
    unknown = [code for code in codes if gazetteer.municipality(code) is None]
    if unknown:
        raise InvalidInput(f"Unknown municipality number {unknown[0][:8]!r}", field="serves")
    return sorted(set(codes))


async def create_centre(request: Request, user: User, data: FormData) -> dict[str, Any]:
    centre_id = _text(data, "id", 64).lower()
    if not SLUG.match(centre_id):
        raise InvalidInput("The id is lowercase letters, digits and dashes", field="id")
    host = _text(data, "host_municipality", 8)
    place = services(request).gazetteer.municipality(host)
    if place is None:
        raise InvalidInput(f"Unknown municipality number {host!r}", field="host_municipality")
    latitude, longitude = location.public_point(services(request).gazetteer, "NO", host)
    name = _text(data, "name")
    if not name:
        raise InvalidInput("Give the centre's name", field="name")
    now = utcnow()
    centre = Centre(
        id=centre_id,
        name=name,
        country="NO",
        region=place.county,
        host_municipality=host,
        status="open",
        languages=["nb"],
        interpreter=True,
        latitude=latitude,
        longitude=longitude,
        phone=_text(data, "phone", 40) or None,
        email=_text(data, "email") or None,
        is_demo=False,
        version=1,
        created_at=now,
        updated_at=now,
    )
    centre.municipalities = [
        ServedMunicipality(municipality_code=code)
        for code in _codes(request, _text(data, "serves", 4000)) or [host]
    ]
    centre.units = [Unit(kind="women", beds=0, rooms=0, family_rooms=0, accessible_rooms=0)]
    async with services(request).session() as session:
        await registry.add_centre(session, centre, actor=user.username)
        await services(request).commit_and_announce(session)
    return {
        "message": f"Centre {centre_id} created. "
        + _snapped(name, place.municipality, (latitude, longitude))
    }


async def edit_centre(request: Request, user: User, data: FormData) -> dict[str, Any] | None:
    centre_id = request.path_params["centre_id"]
    gazetteer = services(request).gazetteer
    async with services(request).session() as session:
        centre = await registry.get_centre(session, centre_id)
        host = _text(data, "host_municipality", 16) or centre.host_municipality
        point = location.public_point(gazetteer, centre.country, host)
        place = gazetteer.municipality(host, centre.country)
        assert place is not None  # public_point found it
        changes: dict[str, Any] = {
            "name": _text(data, "name") or centre.name,
            "phone": _text(data, "phone", 40) or None,
            "email": _text(data, "email") or None,
            "website": _website(data),
            "phone_source": _website(data, "phone_source", "The page publishing the phone"),
            "phone_published": _one_line(data, "phone_published", 100) or None,
            "host_municipality": host,
            "latitude": point[0],
            "longitude": point[1],
            "serves": _codes(request, _text(data, "serves", 4000)),
            "units": {},
        }
        if host != centre.host_municipality:
            changes["region"] = place.county
        moved = (centre.latitude, centre.longitude) != point
        name = changes["name"]
        for kind in ("women", "men"):
            sizes = {}
            for name in ("beds", "rooms", "family_rooms", "accessible_rooms"):
                raw = _text(data, f"{kind}_{name}", 4)
                if raw:
                    sizes[name] = whole(raw, name, message=f"{kind} {name} must be a whole number")
            if sizes:
                changes["units"][kind] = sizes
        await exchange.update_centre(session, centre, changes, actor=user.username)
        private = {name: _text(data, name, 2000) or None for name in PRIVATE_FIELDS}
        before = {name: getattr(centre, name) for name in PRIVATE_FIELDS}
        if private != before:
            for name, value in private.items():
                setattr(centre, name, value)
            audit.record(
                session,
                actor=user.username,
                action="centre.private_updated",
                entity="centre",
                entity_id=centre.id,
                centre_id=centre.id,
                before=before,
                after=private,
            )
        await services(request).commit_and_announce(session)
    return {"message": "Saved. " + _snapped(name, place.municipality, point)} if moved else None


async def create_user(request: Request, user: User, data: FormData) -> dict[str, Any]:
    async with services(request).session() as session:
        created = await accounts.create_user(
            session,
            username=_text(data, "username", 120),
            display_name=_text(data, "display_name", 120),
            role=_text(data, "role", 12),
            centre_id=_text(data, "centre_id", 64) or None,
            password=str(data.get("password", "")),
            actor=user.username,
        )
        await session.commit()
        return {
            "message": f"User {created.username} created; they choose a password at first login."
        }


async def reset_password(request: Request, user: User, data: FormData) -> dict[str, Any]:
    async with services(request).session() as session:
        target = await accounts.get_user(session, known_id(request.path_params["user_id"], "user"))
        await accounts.set_password(
            session, target, str(data.get("password", "")), actor=user.username, must_change=True
        )
        await signin.end_sessions(session, target, actor=user.username, reason="password_reset")
        await session.commit()
        return {"message": f"New temporary password set for {target.username}."}


async def set_active(request: Request, user: User, data: FormData) -> dict[str, Any]:
    """Deactivate (ending every session at once) or reactivate a user."""
    active = _text(data, "active", 5) == "true"
    async with services(request).session() as session:
        target = await accounts.get_user(session, request.path_params["user_id"])
        await accounts.set_active(session, target, active, actor=user.username)
        if not active:
            await signin.end_sessions(session, target, actor=user.username, reason="deactivated")
        await session.commit()
        state = "reactivated" if active else "deactivated"
        return {"message": f"User {target.username} {state}."}


async def reset_two_factor(request: Request, user: User, data: FormData) -> dict[str, Any]:
    """Switch a user's two-factor sign-in off (a lost phone); their sessions end."""
    async with services(request).session() as session:
        target = await accounts.get_user(session, request.path_params["user_id"])
        await signin.reset_two_factor(session, target, actor=user.username)
        await signin.end_sessions(session, target, actor=user.username, reason="two_factor_reset")
        await session.commit()
        return {"message": f"Two-factor sign-in switched off for {target.username}."}


async def create_token(request: Request, user: User, data: FormData) -> dict[str, Any]:
    async with services(request).session() as session:
        token, plain = await accounts.create_token(
            session,
            name=_text(data, "name", 120),
            role=_text(data, "role", 12),
            centre_id=_text(data, "centre_id", 64) or None,
            actor=user.username,
        )
        await session.commit()
        return {"new_token": plain, "message": f"Token {token.name} created."}


async def revoke_token(request: Request, user: User, data: FormData) -> None:
    async with services(request).session() as session:
        await accounts.revoke_token(
            session, request.path_params["token_id"], actor=accounts.principal_for_user(user)
        )
        await session.commit()


AFTERCARE_FIELDS = (
    "country",
    "municipality_code",
    "kind",
    "name",
    "who_for",
    "phone",
    "website",
    "source",
    "source_date",
)


def _aftercare_values(data: FormData) -> dict[str, Any]:
    return {name: _text(data, name, 600) for name in AFTERCARE_FIELDS}


async def add_aftercare(request: Request, user: User, data: FormData) -> dict[str, Any]:
    svc = services(request)
    async with svc.session() as session:
        service = await aftercare.add_service(
            session, _aftercare_values(data), svc.gazetteer, actor=user.username
        )
        await session.commit()
        return {"message": f"Aftercare service {service.name} added."}


async def edit_aftercare(request: Request, user: User, data: FormData) -> dict[str, Any]:
    svc = services(request)
    async with svc.session() as session:
        service = await aftercare.update_service(
            session,
            request.path_params["service_id"],
            _aftercare_values(data),
            svc.gazetteer,
            actor=user.username,
        )
        await session.commit()
        return {"message": f"Aftercare service {service.name} saved."}


async def import_csv(request: Request, user: User, data: FormData) -> dict[str, Any]:
    upload = data.get("file")
    if isinstance(upload, UploadFile):
        try:
            raw: str | bytes = await upload.read(MAX_IMPORT + 1)
        finally:
            await upload.close()
    else:
        raw = str(data.get("text", ""))
    if len(raw) > MAX_IMPORT:
        raise InvalidInput("The file is larger than 5 MB", field="file")
    async with services(request).session() as session:
        try:
            report = await exchange.import_centres_csv(
                session, raw, actor=user.username, gazetteer=services(request).gazetteer
            )
        except HavnError:
            await session.rollback()
            raise
        await services(request).commit_and_announce(session)
    message = (
        f"Imported: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged."
    )
    if report.snapped_ids:
        message += (
            f" The latitude and longitude given for {', '.join(report.snapped_ids)} were not "
            "stored: each centre's location is its host municipality's point, and Havn "
            "stores no address or finer point, so that no search can reveal where a centre is."
        )
    return {"message": message}


def action(handler: Any, upload: bool = False) -> Any:
    async def endpoint(request: Request) -> Response:
        return await _guarded(request, handler, upload)

    return endpoint


async def export_csv(request: Request) -> Response:
    await current_user(request, "admin")
    async with services(request).session() as session:
        text = await exchange.export_centres_csv(session)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="havn-centres.csv"'},
    )


async def admin_page(request: Request) -> Response:
    return await overview(request)


async def gaps_page(request: Request) -> Response:
    """The municipalities whose responsible centre is not confirmed, each with a form adding it
    to a centre's served list, and the postcodes answered approximately."""
    user = await current_user(request, "admin")
    return await _gaps(request, user)


async def _gaps(
    request: Request, user: User, problem: str | None = None, status_code: int = 200
) -> Response:
    index = await services(request).index()
    found = gaps.find_gaps(services(request).gazetteer, index)
    open_centres = [c for c in index.centres if c.status == "open" and c.country == "NO"]
    choices = {
        gap.place.municipality_code: [
            c for c in open_centres if c.region == gap.place.county or c == gap.likely
        ]
        or open_centres
        for gap in found.municipalities
    }
    fixed = services(request).gazetteer.municipality(request.query_params.get("fixed", "")[:8])
    context = {
        "user": user,
        "gaps": found,
        "choices": choices,
        "postcode_fix": gaps.POSTCODE_FIX,
        "csrf": csrf_token(request),
        "problem": problem,
        "fixed": fixed,
    }
    return pages(request).render(
        request, "admin_gaps.html", context, status_code=status_code, private=True
    )


async def gaps_csv(request: Request) -> Response:
    await current_user(request, "admin")
    found = gaps.find_gaps(services(request).gazetteer, await services(request).index())
    return Response(
        gaps.write_gaps_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="havn-gaps.csv"'},
    )


async def fix_gap(request: Request) -> Response:
    """Add a municipality to the chosen centre's served list (audited as a centre edit)."""
    user = await current_user(request, "admin")
    data = await form(request)
    code = request.path_params["code"]
    place = services(request).gazetteer.municipality(code)
    try:
        if place is None:
            raise NotFound(f"Unknown municipality number {code[:8]!r}")
        async with services(request).session() as session:
            centre = await registry.get_centre(session, _text(data, "centre_id", 64))
            if centre.status == "closed" or centre.country != place.country:
                raise InvalidInput(f"{centre.name} cannot serve {place.municipality}")
            serves = sorted({m.municipality_code for m in centre.municipalities} | {code})
            await exchange.update_centre(session, centre, {"serves": serves}, user.username)
            await services(request).commit_and_announce(session)
    except (InvalidInput, NotFound) as exc:
        status = 422 if isinstance(exc, InvalidInput) else 404
        return await _gaps(request, user, exc.message, status)
    return RedirectResponse(f"/admin/gaps?fixed={code}", status_code=303)
