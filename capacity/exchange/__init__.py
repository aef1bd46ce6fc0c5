"""Exchanging the registry with other systems: centres as CSV (in and out) and HSDS JSON (out).

Plain functions: a session in, plain data out. Every change goes through audited registry
functions; the caller commits. The CSV format itself lives in exchange.csv, HSDS in
exchange.hsds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from capacity import audit, location, registry
from capacity.errors import InvalidInput
from capacity.exchange.csv import (
    EDITABLE,
    UNIT_DEFAULTS,
    UNIT_FIELDS,
    CentreRow,
    RowError,
    invalid,
    parse_centres_csv,
    write_centres_csv,
)
from capacity.exchange.hsds import export_hsds
from capacity.geocoder import Gazetteer
from capacity.models import REFERRERS, UNIT_KINDS, Centre, ServedMunicipality, Unit, utcnow

__all__ = [
    "ImportReport",
    "RowError",
    "export_centres_csv",
    "export_hsds",
    "import_centres_csv",
    "update_centre",
]

# What only transitional flats have: the usual stay and whom a person asks (capacity.models).
FLAT_FIELDS = ("stay_months", "referred_by")


@dataclass(frozen=True)
class ImportReport:
    """What an import did: centres created, updated and left as they were."""

    created: int
    updated: int
    unchanged: int
    changed_ids: tuple[str, ...] = ()
    # Rows whose coordinates were replaced by their host municipality's public point.
    snapped_ids: tuple[str, ...] = ()


async def export_centres_csv(session: AsyncSession) -> str:
    """Every centre as one CSV row (RFC 4180, header first, ordered by id)."""
    return write_centres_csv(sorted(await registry.list_centres(session), key=lambda c: c.id))


async def import_centres_csv(
    session: AsyncSession, text: str | bytes, actor: str, gazetteer: Gazetteer
) -> ImportReport:
    """Create and update centres from CSV `text` (as export_centres_csv writes it).

    Every row is checked before anything is written: if any cell is wrong, InvalidInput is
    raised with `detail["errors"]`, a list of RowError(line, column, message), and nothing
    changes. A missing optional column leaves that field as it is. Changes go through
    registry.add_centre and update_centre, so each is audited. The caller commits.

    The latitude and longitude given are never stored: each centre gets its host
    municipality's public point (location.public_point), and the report lists the rows
    whose coordinates differed in `snapped_ids`. A host municipality the gazetteer does not
    know is an error of that row.
    """
    rows = parse_centres_csv(text)
    existing = await _load(session, [row.id for row in rows])
    errors = [error for row in rows for error in _check_units(row, existing.get(row.id))]
    snapped = [row.id for row in rows if _snap(row, gazetteer, errors)]
    if errors:
        raise invalid(errors)
    created = updated = unchanged = 0
    changed: list[str] = []
    for row in rows:
        centre = existing.get(row.id)
        if centre is None:
            await registry.add_centre(session, _new_centre(row), actor=actor)
            created += 1
        elif await update_centre(session, centre, _changes(row), actor):
            updated += 1
        else:
            unchanged += 1
            continue
        changed.append(row.id)
    return ImportReport(created, updated, unchanged, tuple(changed), tuple(snapped))


def _snap(row: CentreRow, gazetteer: Gazetteer, errors: list[RowError]) -> bool:
    """Put the host municipality's public point in `row`; True when the file said otherwise."""
    try:
        point = location.public_point(
            gazetteer, row.fields["country"], row.fields["host_municipality"]
        )
    except InvalidInput:
        message = (
            "is not a municipality number Havn knows; a centre's location is its host "
            "municipality's point, so use a current municipality number"
        )
        errors.append(RowError(row.line, "host_municipality", message))
        return False
    given = (row.fields["latitude"], row.fields["longitude"])
    row.fields["latitude"], row.fields["longitude"] = point
    return given != point


def _check_units(row: CentreRow, centre: Centre | None) -> list[RowError]:
    units = {unit.kind: unit for unit in centre.units} if centre is not None else {}
    errors: list[RowError] = []
    for kind, values in row.units.items():
        if values is None and kind in units:
            message = f"removing the {kind}'s unit is not done by import"
            errors.append(RowError(row.line, f"{kind}_beds", message))
        for name, free in _below_free(units.get(kind), values or {}):
            message = f"cannot be below the {free} reported free now: lower that first"
            errors.append(RowError(row.line, f"{kind}_{name}", message))
    return errors


def _check_flats(values: dict[str, Any]) -> None:
    """Refuse what the units table's constraints would (stay_months, referred_by)."""
    months = values.get("stay_months")
    if months is not None and (
        isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 60
    ):
        message = "The usual stay is a whole number of months from 1 to 60, or empty"
        raise InvalidInput(message, field="transitional_stay_months")
    referrer = values.get("referred_by")
    if referrer is not None and referrer not in REFERRERS:
        message = "Who refers is the crisis centre or the municipality"
        raise InvalidInput(message, field="transitional_referred_by")


def _below_free(unit: Unit | None, sizes: dict[str, Any]) -> list[tuple[str, int]]:
    """The sizes in `sizes` smaller than the unit's free places now, with those places."""
    numbers = unit.availability if unit is not None else None
    if numbers is None:
        return []
    free = {
        "beds": numbers.free_beds,
        "family_rooms": numbers.free_family_rooms,
        "accessible_rooms": numbers.free_accessible_rooms,
    }
    return [(name, free[name]) for name in free if name in sizes and sizes[name] < free[name]]


async def _load(session: AsyncSession, ids: list[str]) -> dict[str, Centre]:
    found: dict[str, Centre] = {}
    for start in range(0, len(ids), 500):
        query = (
            select(Centre)
            .where(Centre.id.in_(ids[start : start + 500]))
            .options(
                selectinload(Centre.units).selectinload(Unit.availability),
                selectinload(Centre.municipalities),
            )
            .execution_options(populate_existing=True)
        )
        found.update({centre.id: centre for centre in await session.scalars(query)})
    return found


def _changes(row: CentreRow) -> dict[str, Any]:
    changes: dict[str, Any] = dict(row.fields)
    if row.serves is not None:
        changes["serves"] = row.serves
    changes["units"] = {kind: values for kind, values in row.units.items() if values is not None}
    return changes


def _new_centre(row: CentreRow) -> Centre:
    now = utcnow()
    fields = {"status": "open", "interpreter": True, "languages": []} | row.fields
    centre = Centre(id=row.id, is_demo=False, version=1, created_at=now, updated_at=now, **fields)
    centre.municipalities = [ServedMunicipality(municipality_code=c) for c in row.serves or []]
    centre.units = [
        Unit(kind=kind, **(UNIT_DEFAULTS | values))
        for kind, values in row.units.items()
        if values is not None
    ]
    return centre


def _snapshot(centre: Centre) -> dict[str, Any]:
    return registry.centre_record(centre) | {
        "units": [registry.unit_record(unit) for unit in centre.units]
    }


async def update_centre(
    session: AsyncSession, centre: Centre, changes: dict[str, Any], actor: str
) -> bool:
    """Change a centre's fields, served municipalities and units; audited as one event.

    `centre` must be loaded with its units, their availability and municipalities
    (registry.get_centre). `changes` holds already validated values: centre fields by name,
    "serves" (municipality codes) and "units" ({kind: {field: value}}; a new kind adds a unit;
    transitional flats also take FLAT_FIELDS). Returns False, writing nothing, when nothing
    differs. Raises InvalidInput for an unknown key, a size below the free places reported
    now (as registry.update_unit does), a usual stay outside 1-60 months or an unknown
    referrer (field "transitional_<name>"), or a point finer than the public one
    (location.require_public).
    """
    unknown = set(changes) - EDITABLE - {"serves", "units"}
    unit_changes: dict[str, dict[str, Any]] = changes.get("units") or {}
    unknown |= {kind for kind in unit_changes if kind not in UNIT_KINDS}
    for kind, values in unit_changes.items():
        allowed = set(UNIT_FIELDS) | (set(FLAT_FIELDS) if kind == "transitional" else set())
        unknown |= set(values) - allowed
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))}", field=min(unknown))
    _check_flats(unit_changes.get("transitional", {}))
    fields = {k: v for k, v in changes.items() if k in EDITABLE and getattr(centre, k) != v}
    if "latitude" in fields or "longitude" in fields:
        location.require_public(
            fields.get("latitude", centre.latitude), fields.get("longitude", centre.longitude)
        )
    current = {m.municipality_code: m for m in centre.municipalities}
    serves = set(changes.get("serves", current))
    units = {unit.kind: unit for unit in centre.units}
    unit_diffs = {
        kind: {k: v for k, v in values.items() if kind not in units or getattr(units[kind], k) != v}
        for kind, values in unit_changes.items()
    }
    unit_diffs = {kind: diff for kind, diff in unit_diffs.items() if diff or kind not in units}
    for kind, diff in unit_diffs.items():
        for name, free in _below_free(units.get(kind), diff):
            message = f"{kind} {name} cannot be below the {free} reported free: lower that first"
            raise InvalidInput(message, field=f"{kind}_{name}")
    if not fields and serves == set(current) and not unit_diffs:
        return False
    before = _snapshot(centre)
    for name, value in fields.items():
        setattr(centre, name, value)
    for code in set(current) - serves:
        centre.municipalities.remove(current[code])
    for code in sorted(serves - set(current)):
        centre.municipalities.append(ServedMunicipality(municipality_code=code))
    for kind, diff in unit_diffs.items():
        if kind in units:
            for name, value in diff.items():
                setattr(units[kind], name, value)
        else:
            centre.units.append(Unit(kind=kind, **(UNIT_DEFAULTS | diff)))
    centre.version += 1
    centre.updated_at = utcnow()
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action="centre.updated",
        entity="centre",
        entity_id=centre.id,
        centre_id=centre.id,
        before=before,
        after=_snapshot(centre),
    )
    return True
