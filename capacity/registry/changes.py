"""Changing the registry: centres, units and their numbers, each change audited."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import and_, update
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import audit, location
from capacity.errors import Conflict, InvalidInput
from capacity.models import Availability, Centre, Unit, utcnow

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
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


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
    _changed(session, centre, "centre.status", before, after, actor=actor)


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
    _changed(session, centre, "centre.languages", before, {"languages": cleaned}, actor=actor)
    return True


def _changed(
    session: AsyncSession,
    centre: Centre,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    actor: str,
) -> None:
    """A change made to `centre`'s row: a new version, its time, and `action` audited."""
    centre.version += 1
    centre.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="centre",
        entity_id=centre.id,
        centre_id=centre.id,
        before=before,
        after=after,
    )
