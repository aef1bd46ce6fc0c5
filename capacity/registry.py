"""Reading and writing the registry: centres, units and their numbers, each change audited."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from capacity import audit, location
from capacity.errors import Conflict, InvalidInput, NotFound
from capacity.gazetteer import Place
from capacity.models import Availability, Centre, Hold, Unit, utcnow
from capacity.party import Need
from capacity.search import CentreFacts, HoldFacts, SearchIndex, UnitFacts

UNIT_OFFERS = tuple(need for need in Need if need is not Need.WHEELCHAIR)


async def list_centres(session: AsyncSession, country: str | None = None) -> list[Centre]:
    """All centres with units, numbers and served municipalities, ordered by name."""
    query = (
        select(Centre)
        .options(
            selectinload(Centre.units).selectinload(Unit.availability),
            selectinload(Centre.municipalities),
        )
        .order_by(Centre.name)
        .execution_options(populate_existing=True)
    )
    if country is not None:
        query = query.where(Centre.country == country)
    return list(await session.scalars(query))


async def get_centre(session: AsyncSession, centre_id: str) -> Centre:
    """The centre with its units and numbers; raises NotFound."""
    centre = await session.scalar(
        select(Centre)
        .where(Centre.id == centre_id)
        .options(
            selectinload(Centre.units).selectinload(Unit.availability),
            selectinload(Centre.municipalities),
        )
    )
    if centre is None:
        raise NotFound(f"No centre {centre_id[:64]!r}")
    return centre


async def active_holds(session: AsyncSession, now: datetime) -> list[Hold]:
    return list(
        await session.scalars(select(Hold).where(Hold.status == "active", Hold.expires_at > now))
    )


async def load_index(
    session: AsyncSession, now: datetime | None = None, areas: Iterable[Place] = ()
) -> SearchIndex:
    """A search snapshot of the whole registry, stamped with the audit revision it reflects;
    `areas` get a likely responsible centre where none is confirmed (capacity.responsibility)."""
    revision = await audit.revision(session)
    centres = await list_centres(session)
    holds = await active_holds(session, now or utcnow())
    return SearchIndex(
        [centre_facts(c) for c in centres],
        [unit_facts(u) for c in centres for u in c.units],
        [
            HoldFacts(
                h.unit_id,
                h.places,
                h.family_rooms,
                h.accessible_rooms,
                h.expires_at,
                h.created_at,
            )
            for h in holds
        ],
        revision=revision,
        areas=areas,
    )


def centre_facts(centre: Centre) -> CentreFacts:
    return CentreFacts(
        id=centre.id,
        name=centre.name,
        country=centre.country,
        region=centre.region,
        host_municipality=centre.host_municipality,
        status=centre.status,
        # Rounded again, so no distance, filter or ordering can ever see a finer point.
        latitude=round(centre.latitude, location.PUBLIC_DECIMALS),
        longitude=round(centre.longitude, location.PUBLIC_DECIMALS),
        languages=tuple(centre.languages),
        interpreter=centre.interpreter,
        serves=tuple(m.municipality_code for m in centre.municipalities),
        is_demo=centre.is_demo,
        status_reason=centre.status_reason,
        operator_type=centre.operator_type,
        phone=centre.phone,
        email=centre.email,
        website=centre.website,
        phone_source=centre.phone_source,
        phone_published=centre.phone_published,
    )


def unit_facts(unit: Unit) -> UnitFacts:
    numbers = unit.availability
    return UnitFacts(
        id=unit.id,
        centre_id=unit.centre_id,
        kind=unit.kind,
        beds=unit.beds,
        rooms=unit.rooms,
        family_rooms=unit.family_rooms,
        accessible_rooms=unit.accessible_rooms,
        children=unit.children,
        children_max_age=unit.children_max_age,
        boys_max_age=unit.boys_max_age,
        offers=frozenset(need for need in UNIT_OFFERS if getattr(unit, need.value)),
        free_beds=numbers.free_beds if numbers else None,
        free_family_rooms=numbers.free_family_rooms if numbers else None,
        free_accessible_rooms=numbers.free_accessible_rooms if numbers else None,
        as_of=numbers.as_of if numbers else None,
        demo=bool(numbers and numbers.source == "demo"),
    )


def centre_record(centre: Centre) -> dict[str, Any]:
    """The centre's fields as stored, for the audit trail."""
    return {
        column.key: getattr(centre, column.key)
        for column in Centre.__table__.columns
        if column.key not in ("created_at", "updated_at")
    } | {"serves": sorted(m.municipality_code for m in centre.municipalities)}


def unit_record(unit: Unit) -> dict[str, Any]:
    return {column.key: getattr(unit, column.key) for column in Unit.__table__.columns}


def availability_record(numbers: Availability) -> dict[str, Any]:
    return {
        "free_beds": numbers.free_beds,
        "free_family_rooms": numbers.free_family_rooms,
        "free_accessible_rooms": numbers.free_accessible_rooms,
        "as_of": numbers.as_of.isoformat(),
        "set_by": numbers.set_by,
        "source": numbers.source,
        "version": numbers.version,
        "held_beds": numbers.held_beds,
    }


async def add_centre(session: AsyncSession, centre: Centre, actor: str) -> Centre:
    """Add a new centre (with its units and municipalities) and audit it.

    The centre's point must already be its public one (location.public_point): raises
    InvalidInput for a finer point, Conflict when the id is taken.
    """
    location.require_public(centre.latitude, centre.longitude)
    if await session.get(Centre, centre.id) is not None:
        raise Conflict(f"Centre {centre.id!r} exists already")
    session.add(centre)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action="centre.created",
        entity="centre",
        entity_id=centre.id,
        centre_id=centre.id,
        before=None,
        after=centre_record(centre) | {"units": [unit_record(u) for u in centre.units]},
    )
    return centre


async def set_availability(
    session: AsyncSession,
    unit: Unit,
    *,
    free_beds: int,
    free_family_rooms: int,
    free_accessible_rooms: int,
    actor: str,
    source: str,
    now: datetime | None = None,
    as_of: datetime | None = None,
    expected_version: int | None = None,
) -> Availability:
    """Set a unit's free places; audited; raises InvalidInput or Conflict.

    Values must lie between 0 and the unit's capacity. With `expected_version`, the write
    succeeds only if nobody changed the numbers since that version (one conditional UPDATE,
    so two writers can never both win). `as_of` (default: now) is when the numbers were true.
    """
    limits = {
        "free_beds": (free_beds, unit.beds),
        "free_family_rooms": (free_family_rooms, unit.family_rooms),
        "free_accessible_rooms": (free_accessible_rooms, unit.accessible_rooms),
    }
    for name, (value, capacity) in limits.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"{name} must be a whole number", field=name)
        if not 0 <= value <= capacity:
            raise InvalidInput(f"{name} must be between 0 and {capacity}", field=name)
    now = now or utcnow()
    values = {
        "free_beds": free_beds,
        "free_family_rooms": free_family_rooms,
        "free_accessible_rooms": free_accessible_rooms,
        "as_of": as_of or now,
        "set_by": actor,
        "source": source,
    }
    current = await session.get(Availability, unit.id, populate_existing=True)
    if current is None:
        if expected_version not in (None, 0):
            raise Conflict("These numbers were changed meanwhile", current=None)
        current = Availability(unit_id=unit.id, version=1, **values)
        session.add(current)
        await session.flush()
        before = None
    else:
        before = availability_record(current)
        held = (current.held_beds, current.held_family_rooms, current.held_accessible_rooms)
        if free_beds < held[0] or free_family_rooms < held[1] or free_accessible_rooms < held[2]:
            raise InvalidInput(
                f"{held[0]} places are held for people on their way: confirm or release "
                "those holds before lowering the numbers below them",
                field="free_beds",
            )
        version = current.version if expected_version is None else expected_version
        result = await session.execute(
            update(Availability)
            .where(
                and_(
                    Availability.unit_id == unit.id,
                    Availability.version == version,
                    # Checked again in the same statement: a hold may have come in meanwhile.
                    Availability.held_beds <= free_beds,
                    Availability.held_family_rooms <= free_family_rooms,
                    Availability.held_accessible_rooms <= free_accessible_rooms,
                )
            )
            .values(version=Availability.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            await session.refresh(current)
            raise Conflict(
                "These numbers were changed meanwhile", current=availability_record(current)
            )
        await session.refresh(current)
    audit.record(
        session,
        actor=actor,
        action="availability.set",
        entity="unit",
        entity_id=str(unit.id),
        centre_id=unit.centre_id,
        before=before,
        after=availability_record(current),
        at=now,
    )
    return current


ACCEPT_FIELDS = (
    "children",
    "children_max_age",
    "boys_max_age",
    "pets",
    "substance_use",
    "trafficking",
    "sami",
    "lgbtq",
    "hearing",
    "vision",
)
SIZE_FIELDS = ("beds", "rooms", "family_rooms", "accessible_rooms")


async def set_status(
    session: AsyncSession, centre: Centre, status: str, reason: str | None, *, actor: str
) -> None:
    """Open, temporarily close or close a centre; audited; raises InvalidInput."""
    if status not in ("open", "temporarily_closed", "closed"):
        raise InvalidInput("Status is open, temporarily_closed or closed", field="status")
    reason = (reason or "").strip()[:500] or None
    if status == "temporarily_closed" and reason is None:
        raise InvalidInput("Say why the centre is temporarily closed", field="status_reason")
    before = {"status": centre.status, "status_reason": centre.status_reason}
    after = {"status": status, "status_reason": reason if status != "open" else None}
    if before == after:
        return
    centre.status, centre.status_reason = status, after["status_reason"]
    centre.version += 1
    centre.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="centre.status",
        entity="centre",
        entity_id=centre.id,
        centre_id=centre.id,
        before=before,
        after=after,
    )


async def update_unit(
    session: AsyncSession, unit: Unit, changes: dict[str, Any], *, actor: str
) -> bool:
    """Change what a unit accepts or its size; audited; returns False when nothing changed.

    Raises InvalidInput for unknown fields, wrong types, ages outside 0–17 and sizes below 0
    or below the free places currently reported.
    """
    unknown = set(changes) - set(ACCEPT_FIELDS) - set(SIZE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    for name, value in changes.items():
        if name in ("children_max_age", "boys_max_age"):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 17
            ):
                raise InvalidInput(f"{name} is an age from 0 to 17, or empty", field=name)
        elif name in SIZE_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 500:
                raise InvalidInput(f"{name} must be a whole number from 0 to 500", field=name)
        elif not isinstance(value, bool):
            raise InvalidInput(f"{name} must be yes or no", field=name)
    numbers = await session.get(Availability, unit.id)
    if numbers is not None:
        limits = {
            "beds": numbers.free_beds,
            "family_rooms": numbers.free_family_rooms,
            "accessible_rooms": numbers.free_accessible_rooms,
        }
        for name, free in limits.items():
            if name in changes and changes[name] < free:
                raise InvalidInput(
                    f"{name} cannot be below the {free} reported free: lower that first",
                    field=name,
                )
    before = {name: getattr(unit, name) for name in changes}
    after = {name: value for name, value in changes.items() if before[name] != value}
    if not after:
        return False
    for name, value in after.items():
        setattr(unit, name, value)
    audit.record(
        session,
        actor=actor,
        action="unit.updated",
        entity="unit",
        entity_id=str(unit.id),
        centre_id=unit.centre_id,
        before={k: before[k] for k in after},
        after=after,
    )
    return True


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


async def set_languages(
    session: AsyncSession, centre: Centre, codes: list[str], *, actor: str
) -> bool:
    """Set the languages the centre's staff speak (ISO 639 codes); audited.

    Returns False when nothing changed; raises InvalidInput for anything but 1–20 codes.
    """
    cleaned = list(dict.fromkeys(code.strip().lower() for code in codes if code.strip()))
    if not 1 <= len(cleaned) <= 20 or not all(_LANGUAGE_CODE.match(c) for c in cleaned):
        raise InvalidInput("Languages are 1 to 20 language codes like nb en ar", field="languages")
    if cleaned == list(centre.languages):
        return False
    before = {"languages": list(centre.languages)}
    centre.languages = cleaned
    centre.version += 1
    centre.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="centre.languages",
        entity="centre",
        entity_id=centre.id,
        centre_id=centre.id,
        before=before,
        after={"languages": cleaned},
    )
    return True


async def get_unit(session: AsyncSession, unit_id: int) -> Unit:
    """The unit with this id; raises NotFound."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("No such unit")
    return unit


async def find_unit(session: AsyncSession, centre_id: str, kind: str) -> Unit:
    """A centre's unit of one kind ("women" or "men"); raises NotFound naming both."""
    unit = await session.scalar(select(Unit).where(Unit.centre_id == centre_id, Unit.kind == kind))
    if unit is None:
        raise NotFound(f"No {kind[:10]!r} unit at centre {centre_id[:64]!r}")
    return unit


async def unit_centres(
    session: AsyncSession, unit_ids: Iterable[int] | None = None
) -> dict[int, str]:
    """The centre id of each unit (of every unit when `unit_ids` is None)."""
    query = select(Unit.id, Unit.centre_id)
    if unit_ids is not None:
        query = query.where(Unit.id.in_(list(unit_ids)))
    return {unit_id: centre_id for unit_id, centre_id in await session.execute(query)}


async def unit_names(session: AsyncSession, unit_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """The centre's name and the unit's kind of each unit: (name, "women"), by unit id."""
    query = (
        select(Unit.id, Centre.name, Unit.kind)
        .join(Centre, Centre.id == Unit.centre_id)
        .where(Unit.id.in_(list(unit_ids)))
    )
    return {unit_id: (name, kind) for unit_id, name, kind in await session.execute(query)}


async def centre_names(session: AsyncSession) -> dict[str, str]:
    """Every centre's name by its id."""
    return {
        centre_id: name for centre_id, name in await session.execute(select(Centre.id, Centre.name))
    }


async def adviser_details(
    session: AsyncSession, centre_ids: Iterable[str]
) -> dict[str, dict[str, str | None]]:
    """What advisers see beyond the public page (the intake phone, notes), by centre id."""
    rows = await session.scalars(select(Centre).where(Centre.id.in_(list(centre_ids))))
    return {c.id: {"intake_phone": c.intake_phone, "adviser_notes": c.adviser_notes} for c in rows}


async def find_centre(session: AsyncSession, centre_id: str) -> Centre:
    """The centre row (without loading its units); raises NotFound."""
    centre = await session.get(Centre, centre_id)
    if centre is None:
        raise NotFound("No such centre")
    return centre
