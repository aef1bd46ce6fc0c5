"""The rows every change to a referral goes through, shared by sending, answering and expiry.

`lock` takes the pending referral's row and is the first step of every change, which keeps
the lock order the same everywhere; requests and their holds are ended only under it.
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import audit, holds, stats
from capacity.accounts import Principal
from capacity.errors import Conflict, NotFound
from capacity.models import Centre, Referral, ReferralRequest

log = logging.getLogger("havn.referrals")


def referral_record(referral: Referral) -> dict[str, Any]:
    """The referral for the audit trail: never the callback line or the note."""
    return {
        "status": referral.status,
        "party": referral.party,
        "language": referral.language,
        "arrival_by": referral.arrival_by.isoformat(),
        "asked": referral.asked,
        "placed_centre_id": referral.placed_centre_id,
    }


def request_record(request: ReferralRequest) -> dict[str, Any]:
    """A request for the audit trail: never the declining centre's free text."""
    return {
        "referral_id": request.referral_id,
        "centre_id": request.centre_id,
        "hold_id": request.hold_id,
        "status": request.status,
        "reason": request.reason,
    }


def record_referral(
    session: AsyncSession,
    referral: Referral,
    action: str,
    *,
    actor: str,
    now: datetime,
    centre_id: str | None = None,
    before: str | None = "pending",
    **more: Any,
) -> None:
    """Audit `action` on the referral: `before` is the status it had (None when new), `more`
    goes with its record."""
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="referral",
        entity_id=referral.id,
        centre_id=centre_id,
        before=None if before is None else {"status": before},
        after=referral_record(referral) | more,
        at=now,
    )


def record_request(
    session: AsyncSession,
    request: ReferralRequest,
    action: str,
    *,
    actor: str,
    now: datetime,
    before: str | None = "pending",
    **more: Any,
) -> None:
    """Audit `action` on the request, under its centre: `before` is the status it had (None
    when new), `more` goes with its record."""
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="referral_request",
        entity_id=request.id,
        centre_id=request.centre_id,
        before=None if before is None else {"status": before},
        after=request_record(request) | more,
        at=now,
    )


def new_id() -> str:
    return secrets.token_hex(8)


def count(
    counts: Counter[stats.Key], now: datetime, region: str, metric: str, detail: str = ""
) -> None:
    counts[(now.date(), region, metric, detail)] += 1


async def region(session: AsyncSession, centre_id: str) -> str:
    return str(await session.scalar(select(Centre.region).where(Centre.id == centre_id)) or "")


async def lock(
    session: AsyncSession, referral_id: str, now: datetime, *also: Any, **values: Any
) -> bool:
    """Take the pending referral's row (first, in every change), setting `values` on it;
    False when it has ended (or a condition in `also` does not hold)."""
    locked = await session.execute(
        update(Referral)
        .where(and_(Referral.id == referral_id, Referral.status == "pending", *also))
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if values.get("status") in ("placed", "withdrawn", "expired") and locked.rowcount == 1:  # type: ignore[attr-defined]
        # The referral ended: forget what the centres wrote in free text, with the rest.
        await session.execute(
            update(ReferralRequest)
            .where(ReferralRequest.referral_id == referral_id)
            .values(reason_text=None)
            .execution_options(synchronize_session=False)
        )
    return locked.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def set_request(
    session: AsyncSession, request_id: str, status: str, now: datetime, **values: Any
) -> bool:
    changed = await session.execute(
        update(ReferralRequest)
        .where(and_(ReferralRequest.id == request_id, ReferralRequest.status == "pending"))
        .values(status=status, answered_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return changed.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def end_others(
    session: AsyncSession, referral_id: str, status: str, now: datetime, counts: Counter[stats.Key]
) -> None:
    """End every pending request of the (locked) referral and release its hold."""
    pending = list(
        await session.scalars(
            select(ReferralRequest.id).where(
                ReferralRequest.referral_id == referral_id, ReferralRequest.status == "pending"
            )
        )
    )
    for request_id in pending:
        await end_request(session, request_id, status, now, counts)


async def end_request(
    session: AsyncSession,
    request_id: str,
    status: str,
    now: datetime,
    counts: Counter[stats.Key],
) -> bool:
    """Withdraw or expire one pending request and its hold (audited, counted)."""
    if not await set_request(session, request_id, status, now):
        return False
    request = await session.get(ReferralRequest, request_id, populate_existing=True)
    assert request is not None
    await end_hold(
        session, request.hold_id, "released" if status == "withdrawn" else "expired", now
    )
    record_request(session, request, f"referral.{status}", actor="system", now=now)
    count(counts, now, await region(session, request.centre_id), f"referral_{status}")
    return True


async def end_hold(session: AsyncSession, hold_id: str, status: str, now: datetime) -> None:
    """End a request's hold if it is still active; one the database refuses to end stays
    held (logged) and the holds sweeper tries again, as for any hold."""
    try:
        async with session.begin_nested():
            await holds.end(session, hold_id, status, now=now)
    except Conflict as exc:
        if exc.detail.get("hold_status") is None:
            log.warning("hold %s could not end: %s", hold_id, exc.message)


async def referral(session: AsyncSession, referral_id: str) -> Referral:
    """The referral as the database has it now; NotFound when there is none."""
    found = await session.get(Referral, referral_id, populate_existing=True)
    if found is None:
        raise NotFound("No such referral")
    return found


async def own_referral(session: AsyncSession, referral_id: str, actor: Principal) -> Referral:
    """The referral if `actor` sent it (or is an administrator); NotFound for anyone else's."""
    actor.require_role("adviser", "admin")
    referral = await session.get(Referral, referral_id, populate_existing=True)
    if referral is None or (actor.role != "admin" and referral.created_by != actor.name):
        raise NotFound("No such referral")
    return referral
