"""The audit trail: every change to the registry is one append-only event."""

from __future__ import annotations

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
