"""Holds: places an adviser keeps for a party on its way, which nobody else can take.

Every change is one conditional UPDATE on the unit's availability row, so two advisers can
never both take the last place (on SQLite and PostgreSQL alike), and a database CHECK keeps
held places within the free ones whatever the code does.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import audit
from capacity.accounts import Principal
from capacity.errors import Conflict, Forbidden, InvalidInput, NotFound
from capacity.models import Availability, Hold, Unit, utcnow
from capacity.party import Party

log = logging.getLogger("havn.holds")
DEFAULT_MINUTES = 120
MAX_MINUTES = 24 * 60
MAX_NOTE = 300


@dataclass(frozen=True, slots=True)
class HoldRequest:
    unit_id: int
    party: Party
    minutes: int = DEFAULT_MINUTES
    note: str | None = None


def _party_record(party: Party) -> dict[str, Any]:
    return {
        "gender": party.gender.value,
        "adults": party.adults,
        "children": [child.age for child in party.children],
        "needs": sorted(need.value for need in party.needs),
    }


def hold_record(hold: Hold) -> dict[str, Any]:
    return {
        "unit_id": hold.unit_id,
        "places": hold.places,
        "family_rooms": hold.family_rooms,
        "accessible_rooms": hold.accessible_rooms,
        "party": hold.party,
        "status": hold.status,
        "expires_at": hold.expires_at.isoformat(),
    }


async def place_hold(
    session: AsyncSession, request: HoldRequest, *, actor: Principal, now: datetime | None = None
) -> Hold:
    """Hold places for `request.party`; raises InvalidInput, NotFound, Forbidden or Conflict.

    Advisers and administrators may hold anywhere; centre staff only at their own centre.
    Conflict (with `free` in its detail) when fewer places are free than the party needs.
    """
    if actor.role not in ("adviser", "admin", "staff"):
        raise Forbidden("This account may not hold places")
    if not 5 <= request.minutes <= MAX_MINUTES:
        raise InvalidInput(f"A hold lasts 5 to {MAX_MINUTES} minutes", field="minutes")
    note = (request.note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput(f"The note has at most {MAX_NOTE} characters", field="note")
    unit = await session.get(Unit, request.unit_id)
    if unit is None:
        raise NotFound("No such unit")
    if actor.role == "staff":
        actor.require_centre(unit.centre_id)
    party = request.party
    places, family, accessible = party.places, party.family_rooms, party.accessible_rooms
    now = now or utcnow()
    result = await session.execute(
        update(Availability)
        .where(
            and_(
                Availability.unit_id == unit.id,
                Availability.free_beds - Availability.held_beds >= places,
                Availability.free_family_rooms - Availability.held_family_rooms >= family,
                Availability.free_accessible_rooms - Availability.held_accessible_rooms
                >= accessible,
            )
        )
        .values(
            held_beds=Availability.held_beds + places,
            held_family_rooms=Availability.held_family_rooms + family,
            held_accessible_rooms=Availability.held_accessible_rooms + accessible,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        numbers = await session.get(Availability, unit.id, populate_existing=True)
        free = numbers.free_beds - numbers.held_beds if numbers else 0
        raise Conflict(
            f"Not enough free places: {free} free, {places} needed", free=free, needed=places
        )
    hold = Hold(
        id=secrets.token_hex(8),
        unit_id=unit.id,
        places=places,
        family_rooms=family,
        accessible_rooms=accessible,
        party=_party_record(party),
        note=note,
        status="active",
        created_by=actor.name,
        created_at=now,
        expires_at=now + timedelta(minutes=request.minutes),
    )
    session.add(hold)
    await session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="hold.placed",
        entity="hold",
        entity_id=hold.id,
        centre_id=unit.centre_id,
        before=None,
        after=hold_record(hold),
        at=now,
    )
    return hold


async def _resolve(
    session: AsyncSession,
    hold_id: str,
    status: str,
    *,
    actor: Principal | None,
    now: datetime,
    take_places: bool,
) -> Hold:
    """End an active hold once: the status change and the counters move together."""
    hold = await session.get(Hold, hold_id, populate_existing=True)
    if hold is None:
        raise NotFound("No such hold")
    unit = await session.get(Unit, hold.unit_id)
    assert unit is not None
    if actor is not None and actor.role == "staff":
        actor.require_centre(unit.centre_id)
    elif actor is not None and actor.role not in ("adviser", "admin"):
        raise Forbidden("This account may not change holds")
    ended = await session.execute(
        update(Hold)
        .where(and_(Hold.id == hold_id, Hold.status == "active"))
        .values(status=status, resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    if ended.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(hold)
        raise Conflict(f"This hold is already {hold.status}", hold_status=hold.status)
    counters: dict[str, Any] = {
        "held_beds": Availability.held_beds - hold.places,
        "held_family_rooms": Availability.held_family_rooms - hold.family_rooms,
        "held_accessible_rooms": Availability.held_accessible_rooms - hold.accessible_rooms,
    }
    if take_places:  # they arrived: the places are taken now
        counters |= {
            "free_beds": Availability.free_beds - hold.places,
            "free_family_rooms": Availability.free_family_rooms - hold.family_rooms,
            "free_accessible_rooms": Availability.free_accessible_rooms - hold.accessible_rooms,
            "version": Availability.version + 1,
            "as_of": now,
            "set_by": actor.name if actor else "system",
        }
    try:
        await session.execute(
            update(Availability)
            .where(Availability.unit_id == hold.unit_id)
            .values(**counters)
            .execution_options(synchronize_session=False)
        )
    except IntegrityError as exc:  # the CHECK caught an impossible state: refuse, lose nothing
        raise Conflict("The numbers changed meanwhile; reload and try again") from exc
    await session.refresh(hold)
    audit.record(
        session,
        actor=actor.name if actor else "system",
        action=f"hold.{status}",
        entity="hold",
        entity_id=hold.id,
        centre_id=unit.centre_id,
        before={"status": "active"},
        after=hold_record(hold),
        at=now,
    )
    return hold


async def confirm(session: AsyncSession, hold_id: str, *, actor: Principal) -> Hold:
    """They arrived: the held places become taken. Raises NotFound, Forbidden or Conflict."""
    return await _resolve(
        session, hold_id, "confirmed", actor=actor, now=utcnow(), take_places=True
    )


async def release(session: AsyncSession, hold_id: str, *, actor: Principal) -> Hold:
    """Give the places back. Raises NotFound, Forbidden or Conflict."""
    return await _resolve(
        session, hold_id, "released", actor=actor, now=utcnow(), take_places=False
    )


async def extend(
    session: AsyncSession, hold_id: str, until: datetime, *, actor: Principal, now: datetime
) -> Hold:
    """Keep an active hold until `until` (audited); raises NotFound, or Conflict when the hold
    has already ended or its time has run out (even if no sweep has expired it yet)."""
    hold = await session.get(Hold, hold_id, populate_existing=True)
    if hold is None:
        raise NotFound("No such hold")
    before = hold.expires_at
    kept = await session.execute(
        update(Hold)
        .where(and_(Hold.id == hold_id, Hold.status == "active", Hold.expires_at > now))
        .values(expires_at=until)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(hold)
    if kept.rowcount != 1:  # type: ignore[attr-defined]
        status = "expired" if hold.status == "active" else hold.status
        raise Conflict(f"This hold is already {status}", hold_status=status)
    unit = await session.get(Unit, hold.unit_id)
    assert unit is not None
    audit.record(
        session,
        actor=actor.name,
        action="hold.extended",
        entity="hold",
        entity_id=hold.id,
        centre_id=unit.centre_id,
        before={"expires_at": before.isoformat()},
        after=hold_record(hold),
        at=now,
    )
    return hold


async def end(session: AsyncSession, hold_id: str, status: str, *, now: datetime) -> Hold:
    """End an active hold on the registry's own authority ("released" or "expired"), as when
    the referral it belongs to is placed elsewhere or expires. Raises NotFound or Conflict
    (already ended; or the database refused to move the counters)."""
    if status not in ("released", "expired"):
        raise ValueError(status)
    return await _resolve(session, hold_id, status, actor=None, now=now, take_places=False)


async def expire_due(session: AsyncSession, now: datetime | None = None) -> int:
    """Expire every active hold past its time; returns how many. Safe to run concurrently.

    Each hold ends in its own savepoint: a hold whose counters the database refuses to move
    stays active with its places held (logged), and the others still expire.
    """
    now = now or utcnow()
    due = list(
        await session.scalars(
            select(Hold.id)
            .where(Hold.status == "active", Hold.expires_at <= now)
            .order_by(Hold.expires_at)
            .limit(500)
        )
    )
    expired = 0
    for hold_id in due:
        try:
            async with session.begin_nested():
                await _resolve(session, hold_id, "expired", actor=None, now=now, take_places=False)
        except Conflict as exc:
            if exc.detail.get("hold_status") is None:  # refused by the CHECK, not ended elsewhere
                log.warning("hold %s could not expire: %s", hold_id, exc.message)
            continue  # otherwise someone confirmed, released or expired it first
        expired += 1
    return expired


async def holds_for(
    session: AsyncSession,
    *,
    centre_id: str | None = None,
    active_only: bool = True,
    now: datetime | None = None,
) -> list[Hold]:
    """Holds, newest first; one centre's when given; only live ones unless asked."""
    query = select(Hold).order_by(Hold.created_at.desc()).limit(500)
    if centre_id is not None:
        query = query.join(Unit, Unit.id == Hold.unit_id).where(Unit.centre_id == centre_id)
    if active_only:
        query = query.where(Hold.status == "active", Hold.expires_at > (now or utcnow()))
    return list(await session.scalars(query))
