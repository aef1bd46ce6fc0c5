"""Centres: creating and editing one (its details, served municipalities and units), and
centres as CSV in and out."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from capacity import audit, exchange, location, registry, website
from capacity.errors import HavnError, InvalidInput
from capacity.models import Centre, ServedMunicipality, Unit, User, utcnow
from web.auth import current_user
from web.state import services
from web.views.admin import units
from web.views.admin.page import MAX_IMPORT, Form, one_line, text

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
PRIVATE_FIELDS = ("intake_phone", "adviser_notes")
# The centre form's fields that may be emptied; one not sent at all is left unchanged.
OPTIONAL_FIELDS = ("phone", "email", "website", "phone_source", "phone_published", "serves")
CENTRE_FIELDS = (
    "name",
    "phone",
    "phone_source",
    "phone_published",
    "email",
    "website",
    "host_municipality",
    "serves",
    *PRIVATE_FIELDS,
)
EDIT_FORM = Form("centre-{centre_id}", frozenset(CENTRE_FIELDS) | units.UNIT_FIELDS)


def _website(data: FormData, name: str = "website", what: str = "The website") -> str | None:
    address = text(data, name, website.MAX_LENGTH + 50)
    if not address:
        return None
    try:
        return website.parse(address)
    except ValueError as exc:
        message = f"{what} {exc}: write an address like https://krisesenter.no."
        raise InvalidInput(message + " Nothing was changed.", field=name) from None


def _snapped(name: str, municipality: str, point: tuple[float, float]) -> str:
    return (
        f"{name}'s location is now the point of {municipality} ({point[0]:.2f}, "
        f"{point[1]:.2f}): Havn stores no address or finer point, so that no search can "
        "reveal where a centre is."
    )


def _codes(request: Request, listed: str) -> list[str]:
    gazetteer = services(request).gazetteer
    codes = [code for code in re.split(r"[\s,;]+", listed) if code]
    unknown = [code for code in codes if gazetteer.municipality(code) is None]
    if unknown:
        raise InvalidInput(f"Unknown municipality number {unknown[0][:8]!r}", field="serves")
    return sorted(set(codes))


async def create_centre(request: Request, user: User, data: FormData) -> dict[str, Any]:
    centre_id = text(data, "id", 64).lower()
    if not SLUG.match(centre_id):
        raise InvalidInput("The id is lowercase letters, digits and dashes", field="id")
    host = text(data, "host_municipality", 8)
    place = services(request).gazetteer.municipality(host)
    if place is None:
        raise InvalidInput(f"Unknown municipality number {host!r}", field="host_municipality")
    latitude, longitude = location.public_point(services(request).gazetteer, "NO", host)
    name = text(data, "name")
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
        phone=text(data, "phone", 40) or None,
        email=text(data, "email") or None,
        is_demo=False,
        version=1,
        created_at=now,
        updated_at=now,
    )
    centre.municipalities = [
        ServedMunicipality(municipality_code=code)
        for code in _codes(request, text(data, "serves", 4000)) or [host]
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
        host = text(data, "host_municipality", 16) or centre.host_municipality
        point = location.public_point(gazetteer, centre.country, host)
        place = gazetteer.municipality(host, centre.country)
        assert place is not None  # public_point found it
        changes: dict[str, Any] = {
            "name": text(data, "name") or centre.name,
            "phone": text(data, "phone", 40) or None,
            "email": text(data, "email") or None,
            "website": _website(data),
            "phone_source": _website(data, "phone_source", "The page publishing the phone"),
            "phone_published": one_line(data, "phone_published", 100) or None,
            "host_municipality": host,
            "latitude": point[0],
            "longitude": point[1],
            "serves": _codes(request, text(data, "serves", 4000)),
        }
        # A field the form did not send stays as it is (a field sent empty clears it): a
        # hand-made request with only a name must not empty the centre's phone or areas.
        changes = {k: v for k, v in changes.items() if k not in OPTIONAL_FIELDS or k in data}
        if host != centre.host_municipality:
            changes["region"] = place.county
        moved = (centre.latitude, centre.longitude) != point
        changes["units"] = units.sizes(data, centre)
        await exchange.update_centre(session, centre, changes, actor=user.username)
        private = {name: text(data, name, 2000) or None for name in PRIVATE_FIELDS if name in data}
        before = {name: getattr(centre, name) for name in private}
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
    if not moved:
        return None
    return {"message": "Saved. " + _snapped(changes["name"], place.municipality, point)}


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


async def export_csv(request: Request) -> Response:
    await current_user(request, "admin")
    async with services(request).session() as session:
        exported = await exchange.export_centres_csv(session)
    return Response(
        exported,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="havn-centres.csv"'},
    )
