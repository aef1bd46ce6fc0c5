"""The audit trail: every change to the registry is one append-only event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity.models import Event, utcnow


def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    centre_id: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime | None = None,
) -> Event:
    """Add an event to `session`; it commits (or rolls back) with the change it describes."""
    event = Event(
        at=at or utcnow(),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        centre_id=centre_id,
        before=before,
        after=after,
    )
    session.add(event)
    return event


async def revision(session: AsyncSession) -> int:
    """The id of the newest event: it changes whenever anything in the registry changes."""
    return int(await session.scalar(select(func.coalesce(func.max(Event.id), 0))) or 0)


async def history(
    session: AsyncSession, centre_id: str | None = None, limit: int = 100
) -> list[Event]:
    """Newest first; one centre's events when `centre_id` is given."""
    query = select(Event).order_by(Event.id.desc()).limit(limit)
    if centre_id is not None:
        query = query.where(Event.centre_id == centre_id)
    return list(await session.scalars(query))


# Who may read what in the audit trail: the one place this is decided, for every view and
# export of it. A field not named here is readable by anyone who may see the event at all.
ADVISER_FIELDS = frozenset({"adviser_notes", "intake_phone"})  # advisers and administrators
ADMIN_FIELDS = frozenset({"latitude", "longitude"})  # administrators only
CENTRE_FIELDS = frozenset({"note"})  # a hold's note: that centre's staff, advisers, admins
SECRET_FIELDS = frozenset({"password_hash", "secret_hash"})  # nobody
HIDDEN = "(hidden)"

Change = tuple[str, Any, Any]  # (field, before, after): one line of "what changed"


@dataclass(frozen=True, slots=True)
class ShownEvent:
    """An event as one reader may see it: `before` and `after` with hidden fields masked."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    centre_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changes: tuple[Change, ...] = ()


def _flat(snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """`snapshot` with each nested dict spread one level: {"party": {"adults": 1}} gives
    {"party.adults": 1}; deeper values (and lists) stay whole."""
    flat: dict[str, Any] = {}
    for key, value in (snapshot or {}).items():
        if isinstance(value, dict) and value:
            for inner, item in value.items():
                flat[f"{key}.{inner}"] = item
        else:
            flat[key] = value
    return flat


def changes(
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    hidden: frozenset[str] = frozenset(),
) -> list[Change]:
    """The fields that differ between two snapshots, as (field, before, after), in the order
    the fields first appear; a field missing on one side is None there.

    Nested dicts are spread one level ("party.adults"). The comparison is of the stored
    values, so a change to a field in `hidden` (by its own name or its parent's, at any
    depth) is still listed, with both sides HIDDEN: the reader learns that it changed, never
    what it was or became.
    """
    old, new = _flat(before), _flat(after)
    found: list[Change] = []
    for field in dict.fromkeys([*old, *new]):
        was, now = old.get(field), new.get(field)
        if was == now:
            continue
        if hidden.intersection(field.split(".")):
            found.append((field, HIDDEN, HIDDEN))
        else:
            found.append((field, redact(was, hidden), redact(now, hidden)))
    return found


def may_see(event: Event, role: str, centre_id: str | None) -> bool:
    """Whether a reader with `role` (of centre `centre_id`, for staff) may see the event."""
    if role in ("admin", "adviser"):
        return True
    return role == "staff" and centre_id is not None and event.centre_id == centre_id


def hidden_fields(role: str, centre_id: str | None, event_centre: str | None) -> frozenset[str]:
    """The snapshot fields a reader with `role` (of centre `centre_id`) may not read."""
    hidden = set(SECRET_FIELDS)
    if role != "admin":
        hidden |= ADMIN_FIELDS
    if role not in ("admin", "adviser"):
        hidden |= ADVISER_FIELDS
        if centre_id is None or event_centre != centre_id:
            hidden |= CENTRE_FIELDS
    return frozenset(hidden)


def redact(snapshot: Any, hidden: frozenset[str]) -> Any:
    """`snapshot` with the value of every `hidden` key, at any depth, replaced by HIDDEN."""
    if isinstance(snapshot, dict):
        return {
            key: HIDDEN if key in hidden else redact(value, hidden)
            for key, value in snapshot.items()
        }
    if isinstance(snapshot, list):
        return [redact(item, hidden) for item in snapshot]
    return snapshot


def shown(events: list[Event], role: str, centre_id: str | None) -> list[ShownEvent]:
    """The events a reader may see, each with only the fields that reader may read.

    `role` is "staff", "adviser" or "admin"; `centre_id` is a staff member's own centre.
    Staff see only their own centre's events, never advisers' notes, the intake phone or
    coordinates; advisers see everything but coordinates; administrators see everything
    except password and token hashes, which nobody does.
    """
    visible = []
    for event in events:
        if not may_see(event, role, centre_id):
            continue
        hidden = hidden_fields(role, centre_id, event.centre_id)
        visible.append(
            ShownEvent(
                id=event.id,
                at=event.at,
                actor=event.actor,
                action=event.action,
                entity=event.entity,
                entity_id=event.entity_id,
                centre_id=event.centre_id,
                before=redact(event.before, hidden),
                after=redact(event.after, hidden),
                changes=tuple(changes(event.before, event.after, hidden)),
            )
        )
    return visible


async def events_after(session: AsyncSession, after: int, limit: int = 1000) -> list[Event]:
    """The events newer than revision `after`, oldest first (at most `limit`)."""
    return list(
        await session.scalars(select(Event).where(Event.id > after).order_by(Event.id).limit(limit))
    )
