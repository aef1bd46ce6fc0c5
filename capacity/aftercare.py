"""After the stay: the aftercare services directory and the transitional flats near a place.

The Danish Red Cross counts one woman in four coming back to a crisis centre: what decides it
is the help with housing, network and practical matters after the stay. Services come from
capacity/data/aftercare.json (each with its source) or an administrator; a field nobody
published stays None. Transitional flats are units of kind "transitional" (capacity.models):
advisers see how many are free, the public only that they exist and whom to ask.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from capacity import audit, registry, website
from capacity.errors import InvalidInput, NotFound
from capacity.gazetteer import Gazetteer, Place
from capacity.models import AFTERCARE_KINDS, AftercareService, Centre, Unit, utcnow
from capacity.search import Point, exact_km

AFTERCARE_FILE = Path(__file__).parent / "data" / "aftercare.json"
COUNTRIES = ("NO", "DK")
NEAR_KM = 150.0
ACTOR = "seed:aftercare"
PHONE = re.compile(r"\+?[0-9][0-9 ]{1,38}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LIMITS = {"name": 200, "who_for": 500}


@dataclass(frozen=True, slots=True)
class Flat:
    """A centre's transitional flats as advisers see them; `public` drops every count."""

    unit_id: int
    centre_id: str
    centre_name: str
    municipality: str
    phone: str | None
    website: str | None
    referred_by: str | None
    stay_months: int | None
    children: bool
    pets: bool
    wheelchair: bool
    serves_here: bool
    km: float
    flats: int
    free: int | None

    def public(self) -> dict[str, Any]:
        """What anyone may see: that flats exist here and whom to ask, never how many."""
        return {
            "centre_id": self.centre_id,
            "centre_name": self.centre_name,
            "municipality": self.municipality,
            "phone": self.phone,
            "website": website.link(self.website),
            "referred_by": self.referred_by,
            "stay_months": self.stay_months,
            "children": self.children,
            "pets": self.pets,
            "wheelchair": self.wheelchair,
            "serves_here": self.serves_here,
        }


def read_seed(path: Path = AFTERCARE_FILE) -> list[dict[str, Any]]:
    services: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["services"]
    return services


def parse_service(values: dict[str, Any], gazetteer: Gazetteer) -> dict[str, Any]:
    """The service fields from `values` (a form or the seed file), checked and normalised.

    Empty optional fields become None ("not published"). Raises InvalidInput naming the
    field: an unknown country or kind, a municipality code the gazetteer does not know,
    a name or text too long or with control characters, a phone that is not digits, a
    website or source that is not an http(s) address, a source date that is not a date
    or lies in the future.
    """

    def text(key: str) -> str | None:
        value = values.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise InvalidInput(f"{key} must be text", field=key)
        value = value.strip()
        return value or None

    country = (text("country") or "").upper()
    if country not in COUNTRIES:
        raise InvalidInput("country must be NO or DK", field="country")
    kind = text("kind")
    if kind not in AFTERCARE_KINDS:
        raise InvalidInput("kind is not one of the known kinds of help", field="kind")
    code = text("municipality_code")
    if code is not None and gazetteer.municipality(code, country) is None:
        raise InvalidInput(
            "municipality_code is not a municipality of that country", field="municipality_code"
        )
    parsed: dict[str, Any] = {"country": country, "kind": kind, "municipality_code": code}
    for key, limit in LIMITS.items():
        value = text(key)
        if value is not None and (len(value) > limit or CONTROL.search(value)):
            raise InvalidInput(f"{key} is longer than {limit} or has control characters", field=key)
        parsed[key] = value
    if parsed["name"] is None:
        raise InvalidInput("name is required", field="name")
    phone = text("phone")
    if phone is not None and not PHONE.fullmatch(phone):
        raise InvalidInput("phone must be digits (spaces and a leading + allowed)", field="phone")
    parsed["phone"] = phone
    for key in ("website", "source"):
        value = text(key)
        if value is None:
            if key == "source":
                raise InvalidInput("source (the web page it was read on) is required", field=key)
            parsed[key] = None
            continue
        try:
            parsed[key] = website.parse(value)
        except ValueError as error:
            raise InvalidInput(f"{key} {error}", field=key) from None
    try:
        day = date.fromisoformat(text("source_date") or "")
    except ValueError:
        raise InvalidInput("source_date must be a date (YYYY-MM-DD)", field="source_date") from None
    if day > utcnow().date():
        raise InvalidInput("source_date lies in the future", field="source_date")
    parsed["source_date"] = day
    return parsed


def record(service: AftercareService) -> dict[str, Any]:
    return {
        column.key: (value.isoformat() if isinstance(value, date) else value)
        for column in AftercareService.__table__.columns
        if column.key != "updated_at"
        for value in [getattr(service, column.key)]
    }


async def add_service(
    session: AsyncSession, values: dict[str, Any], gazetteer: Gazetteer, *, actor: str
) -> AftercareService:
    """Add a checked service (see `parse_service`) and audit it; the caller commits."""
    service = AftercareService(**parse_service(values, gazetteer), updated_at=utcnow())
    session.add(service)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action="aftercare.added",
        entity="aftercare",
        entity_id=str(service.id),
        centre_id=None,
        before=None,
        after=record(service),
    )
    return service


async def update_service(
    session: AsyncSession,
    service_id: int,
    values: dict[str, Any],
    gazetteer: Gazetteer,
    *,
    actor: str,
) -> AftercareService:
    """Replace a service's fields with checked `values`; raises NotFound or InvalidInput."""
    service = await session.get(AftercareService, service_id)
    if service is None:
        raise NotFound(f"No aftercare service {service_id}")
    parsed = parse_service(values, gazetteer)
    before = record(service)
    for key, value in parsed.items():
        setattr(service, key, value)
    service.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="aftercare.updated",
        entity="aftercare",
        entity_id=str(service.id),
        centre_id=None,
        before=before,
        after=record(service),
    )
    return service


async def load_seed(session: AsyncSession, gazetteer: Gazetteer) -> int:
    """Add the seed file's services not in the directory yet (same country, municipality,
    kind and name); returns how many were added. Commits."""
    existing = {
        (s.country, s.municipality_code, s.kind, s.name)
        for s in await session.scalars(select(AftercareService))
    }
    added = 0
    for values in read_seed():
        key = (values["country"], values["municipality_code"], values["kind"], values["name"])
        if key in existing:
            continue
        await add_service(session, values, gazetteer, actor=ACTOR)
        added += 1
    await session.commit()
    return added


async def all_services(session: AsyncSession) -> list[AftercareService]:
    query = select(AftercareService).order_by(
        AftercareService.country, AftercareService.municipality_code, AftercareService.name
    )
    return list(await session.scalars(query))


async def services_for(session: AsyncSession, place: Place) -> list[AftercareService]:
    """The services for a person living in `place`'s municipality: its own first, then the
    country's national ones, each group in the order of AFTERCARE_KINDS, then by name."""
    found = await session.scalars(
        select(AftercareService).where(
            AftercareService.country == place.country,
            or_(
                AftercareService.municipality_code == place.municipality_code,
                AftercareService.municipality_code.is_(None),
            ),
        )
    )
    return sorted(
        found,
        key=lambda s: (s.municipality_code is None, AFTERCARE_KINDS.index(s.kind), s.name),
    )


async def flats_near(
    session: AsyncSession, place: Place, gazetteer: Gazetteer, max_km: float = NEAR_KM
) -> list[Flat]:
    """Open centres' transitional flats that serve `place`'s municipality or lie within
    `max_km` of it, those serving it first, then nearest first; with free counts (free
    minus held) for advisers: pages for the public show `Flat.public()` only."""
    centres = await session.scalars(
        select(Centre)
        .join(Unit)
        .where(Unit.kind == "transitional", Centre.status == "open")
        .options(
            selectinload(Centre.units).selectinload(Unit.availability),
            selectinload(Centre.municipalities),
        )
    )
    flats = []
    for centre in centres.unique():
        serves = place.municipality_code in {m.municipality_code for m in centre.municipalities}
        # The centre's public (rounded) point, as in every search.
        km = exact_km(Point(place.latitude, place.longitude), registry.centre_facts(centre))
        if not serves and km > max_km:
            continue
        host = gazetteer.municipality(centre.host_municipality, centre.country)
        for unit in centre.units:
            if unit.kind != "transitional":
                continue
            numbers = unit.availability
            flats.append(
                Flat(
                    unit_id=unit.id,
                    centre_id=centre.id,
                    centre_name=centre.name,
                    municipality=host.name if host else centre.region,
                    phone=centre.phone,
                    website=centre.website,
                    referred_by=unit.referred_by,
                    stay_months=unit.stay_months,
                    children=unit.children,
                    pets=unit.pets,
                    wheelchair=unit.accessible_rooms > 0,
                    serves_here=serves,
                    km=round(km, 1),
                    flats=unit.beds,
                    free=numbers.free_beds - numbers.held_beds if numbers else None,
                )
            )
    return sorted(flats, key=lambda f: (not f.serves_here, f.km))
