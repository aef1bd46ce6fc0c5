"""Ending what nobody answered in time: the sweep every worker runs (web.services)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import stats
from capacity.models import Hold, Referral, ReferralRequest, utcnow
from capacity.referrals import rows


async def expire_due(session: AsyncSession, now: datetime | None = None) -> int:
    """End what nobody answered in time; returns how many requests and referrals it ended.

    A pending request whose hold has expired (or ended some other way) expires, its hold with
    it; then a pending referral past its time with no pending request left expires, and its
    callback line and note are deleted. Each ends in its own savepoint, as holds.expire_due.
    """
    now = now or utcnow()
    due = list(
        await session.execute(
            select(ReferralRequest.id, ReferralRequest.referral_id)
            .join(Hold, Hold.id == ReferralRequest.hold_id)
            .where(
                ReferralRequest.status == "pending",
                (Hold.status != "active") | (Hold.expires_at <= now),
            )
            .limit(500)
        )
    )
    ended = 0
    counts: Counter[stats.Key] = Counter()
    for request_id, referral_id in due:
        async with session.begin_nested():
            if await rows.lock(session, referral_id, now) and await rows.end_request(
                session, request_id, "expired", now, counts
            ):
                ended += 1
    still_asking = exists().where(
        ReferralRequest.referral_id == Referral.id, ReferralRequest.status == "pending"
    )
    stale = list(
        await session.scalars(
            select(Referral.id)
            .where(Referral.status == "pending", Referral.expires_at <= now, ~still_asking)
            .limit(500)
        )
    )
    for referral_id in stale:
        async with session.begin_nested():
            if not await rows.lock(
                session, referral_id, now, status="expired", ended_at=now, callback=None, note=None
            ):
                continue
            referral = await rows.referral(session, referral_id)
            rows.record_referral(session, referral, "referral.expired", actor="system", now=now)
            ended += 1
    await stats.add(session, counts)
    return ended
