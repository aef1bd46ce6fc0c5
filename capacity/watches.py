"""Watches: "tell me when a place opens" for a party near a place, for 24 hours.

A watch keeps the party's shape, the place's name and public point (rounded like a centre's),
`max_km`, and which centres matched when last checked, so an adviser is told of a centre once,
when it newly can take the party. Dismissed and expired watches are deleted by `purge`; the
audit trail records the party's shape and the distance, never the place.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import audit, location
from capacity.accounts import Principal
from capacity.errors import InvalidInput, NotFound
from capacity.models import Watch, utcnow
from capacity.party import Party
from capacity.referrals import parse_language, party_of, party_record
from capacity.search import Group, Point, Query, SearchIndex, search

LIFETIME = timedelta(hours=24)
MAX_KM = 2000.0
STALE_AFTER = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class WatchDraft:
    party: Party
    near: Point
    place: str
    max_km: float
    language: str | None = None


def _record(watch: Watch) -> dict[str, object]:
    """For the audit trail: never the place, which may tell where the person is."""
    return {
        "party": watch.party,
        "max_km": watch.max_km,
        "expires_at": watch.expires_at.isoformat(),
        "dismissed_at": watch.dismissed_at and watch.dismissed_at.isoformat(),
    }


async def watch(
    session: AsyncSession, draft: WatchDraft, *, actor: Principal, now: datetime | None = None
) -> Watch:
    """Start watching for the adviser (audited); raises Forbidden or InvalidInput."""
    actor.require_role("adviser", "admin")
    now = now or utcnow()
    if isinstance(draft.max_km, bool) or not 0 < float(draft.max_km) <= MAX_KM:
        raise InvalidInput(f"max_km is more than 0 and at most {MAX_KM:g}", field="max_km")
    place = " ".join(draft.place.split())[:120]
    if not place:
        raise InvalidInput("Name the place to watch near", field="near")
    latitude, longitude = location.rounded(draft.near.latitude, draft.near.longitude)
    created = Watch(
        id=secrets.token_hex(8),
        adviser=actor.name,
        party=party_record(draft.party),
        language=parse_language(draft.language),
        place=place,
        latitude=latitude,
        longitude=longitude,
        max_km=float(draft.max_km),
        matched=[],
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(created)
    await session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="watch.created",
        entity="watch",
        entity_id=created.id,
        centre_id=None,
        before=None,
        after=_record(created),
        at=now,
    )
    return created


def matches(
    index: SearchIndex, watch: Watch, now: datetime, stale_after: timedelta = STALE_AFTER
) -> list[str]:
    """The ids of the centres that can take the watch's party now within its `max_km`,
    nearest first, from the adviser's (non-public) search: held places count."""
    query = Query(
        origin=Point(watch.latitude, watch.longitude),
        party=party_of(watch.party),
        language=watch.language,
        max_km=watch.max_km,
        limit=500,
    )
    outcome = search(index, query, now, stale_after, public=False)
    return [r.centre.id for r in outcome.results if r.group is Group.NOW]


async def newly_matching(
    session: AsyncSession,
    index: SearchIndex,
    changed: set[str],
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> list[tuple[Watch, list[str]]]:
    """The live watches that now match a centre in `changed` (whose availability just
    changed) that they did not match before, each with those centres; every live watch's
    remembered matches are brought up to date, so each opening is told once."""
    now = now or utcnow()
    if not changed:
        return []
    live = await session.scalars(
        select(Watch)
        .where(Watch.dismissed_at.is_(None), Watch.expires_at > now)
        .order_by(Watch.created_at)
    )
    found = []
    for each in live:
        current = matches(index, each, now, stale_after)
        new = [c for c in current if c in changed and c not in each.matched]
        if set(current) != set(each.matched):
            each.matched = current
        if new:
            found.append((each, new))
    return found


async def watches_for(
    session: AsyncSession, *, actor: Principal, now: datetime | None = None
) -> list[Watch]:
    """The adviser's live watches (an administrator's: everyone's), newest first."""
    actor.require_role("adviser", "admin")
    query = select(Watch).where(Watch.dismissed_at.is_(None), Watch.expires_at > (now or utcnow()))
    if actor.role != "admin":
        query = query.where(Watch.adviser == actor.name)
    return list(await session.scalars(query.order_by(Watch.created_at.desc()).limit(200)))


async def dismiss(
    session: AsyncSession, watch_id: str, *, actor: Principal, now: datetime | None = None
) -> Watch:
    """Stop a watch (audited; again: no change); NotFound for another adviser's."""
    actor.require_role("adviser", "admin")
    found = await session.get(Watch, watch_id)
    if found is None or (actor.role != "admin" and found.adviser != actor.name):
        raise NotFound("No such watch")
    if found.dismissed_at is None:
        found.dismissed_at = now or utcnow()
        audit.record(
            session,
            actor=actor.name,
            action="watch.dismissed",
            entity="watch",
            entity_id=found.id,
            centre_id=None,
            before=None,
            after=_record(found),
            at=found.dismissed_at,
        )
    return found


async def purge(session: AsyncSession, now: datetime | None = None) -> int:
    """Delete dismissed and expired watches; returns how many."""
    gone = await session.execute(
        delete(Watch)
        .where((Watch.dismissed_at.is_not(None)) | (Watch.expires_at <= (now or utcnow())))
        .execution_options(synchronize_session=False)
    )
    return int(gone.rowcount)  # type: ignore[attr-defined]
