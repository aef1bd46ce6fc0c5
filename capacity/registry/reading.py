"""Reading the registry: centres, units and their numbers, and the holds on them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from capacity.errors import NotFound
from capacity.models import Centre, Hold, Unit


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
    """The centre with its units and numbers; raises NotFound (also for an id no centre can
    have: longer than the column, or with a NUL, which PostgreSQL refuses to compare)."""
    if len(centre_id) > 64 or "\x00" in centre_id:
        raise NotFound(f"No centre {centre_id[:64]!r}")
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
