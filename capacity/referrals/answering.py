"""The asked centre's side of a referral: accept it (the first yes wins) or decline it.

First wins: accepting is one conditional UPDATE of the referral row `WHERE status = 'pending'`
(`rows.lock`), so of two centres accepting at the same moment exactly one changes it (on
SQLite writers queue for the database, on PostgreSQL the second waits for the row and then
finds it placed). Both answers open the same way (`_answer`) and differ only in what follows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from capacity import holds, stats
from capacity.accounts import Principal
from capacity.errors import Conflict, Forbidden, InvalidInput, NotFound
from capacity.models import DECLINE_REASONS, Referral, ReferralRequest, utcnow
from capacity.referrals import rows
from capacity.referrals.draft import check_text

ANSWER_MINUTES = 15  # a request unanswered this long is overdue
GRACE_MINUTES = 60  # an accepted place is kept this long after the arrival window
MAX_REASON_TEXT = 200


async def accept(
    session: AsyncSession,
    request_id: str,
    *,
    actor: Principal,
    now: datetime | None = None,
    grace_minutes: int = GRACE_MINUTES,
) -> Referral:
    """The centre takes the party: the referral is placed there, and in the same transaction
    the other pending requests are withdrawn and their holds released. The accepting centre's
    hold stays until the arrival window's end plus `grace_minutes`.

    Accepting again returns the referral as it is. Raises Forbidden (not centre staff),
    NotFound (no such request, or another centre's) or Conflict (declined, no longer needed,
    expired, or the hold ran out).
    """
    now = now or utcnow()
    counts: Counter[stats.Key] = Counter()
    async with _answer(
        session, request_id, "accepted", actor, now, same=lambda r: r.status == "accepted"
    ) as (request, answered):
        referral = await rows.referral(session, request.referral_id)
        if not answered:
            return referral
        until = max(referral.arrival_by, now) + timedelta(minutes=grace_minutes)
        await holds.extend(session, request.hold_id, until, actor=actor, now=now)
        region = await rows.region(session, request.centre_id)
        rows.count(counts, now, region, "referral_accepted")
        await rows.end_others(session, referral.id, "withdrawn", now, counts)
        await session.refresh(request)
        rows.record_request(
            session,
            request,
            "referral.accepted",
            actor=actor.name,
            now=now,
            hold_expires_at=until.isoformat(),
        )
        rows.record_referral(
            session,
            referral,
            "referral.placed",
            actor=actor.name,
            now=now,
            centre_id=request.centre_id,
        )
        await stats.add(session, counts)
    return referral


async def decline(
    session: AsyncSession,
    request_id: str,
    reason: str,
    *,
    text: str | None = None,
    actor: Principal,
    now: datetime | None = None,
) -> ReferralRequest:
    """The centre says no, with one reason from DECLINE_REASONS ("other" needs a short text);
    its hold is released and the referral stays pending for the other centres.

    Declining again with the same reason returns the request as it is. Raises InvalidInput,
    Forbidden, NotFound (no such request, or another centre's) or Conflict (accepted, declined
    for another reason, no longer needed, or expired).
    """
    now = now or utcnow()
    if reason not in DECLINE_REASONS:
        raise InvalidInput(f"The reason is one of {', '.join(DECLINE_REASONS)}", field="reason")
    text = check_text(text, MAX_REASON_TEXT, "text")
    if (reason == "other") != (text is not None):
        raise InvalidInput(
            "A short text goes with the reason other, and only with it", field="text"
        )
    counts: Counter[stats.Key] = Counter()
    async with _answer(
        session,
        request_id,
        "declined",
        actor,
        now,
        same=lambda r: r.status == "declined" and r.reason == reason,
        reason=reason,
        reason_text=text,
    ) as (request, answered):
        if not answered:
            return request
        await rows.end_hold(session, request.hold_id, "released", now)
        await session.refresh(request)
        rows.record_request(session, request, "referral.declined", actor=actor.name, now=now)
        region = await rows.region(session, request.centre_id)
        rows.count(counts, now, region, "referral_declined", reason)
        await stats.add(session, counts)
    return request


@asynccontextmanager
async def _answer(
    session: AsyncSession,
    request_id: str,
    status: str,
    actor: Principal,
    now: datetime,
    *,
    same: Callable[[ReferralRequest], bool],
    **values: Any,
) -> AsyncIterator[tuple[ReferralRequest, bool]]:
    """The opening both answers share: the request (NotFound unless `actor` is staff of its
    centre), then in a savepoint the referral's row taken first (and placed at this centre when
    `status` is "accepted") and the request set to `status` with `values`.

    Yields the request and True when it is answered now: the caller goes on in the savepoint,
    and what it raises undoes the answer. Yields False instead when `same(request)` holds: it
    was answered this way before, and the caller returns it as it is. Raises Forbidden (not
    centre staff), NotFound, or Conflict when the request or its referral has ended otherwise.
    """
    # Read before the savepoint: on SQLite a transaction that has read cannot wait for the
    # write lock, so a racing answer would fail with "database is locked".
    request = await _request_for_centre(session, request_id, actor)
    if _answered_before(request, same):
        yield request, False
        return
    placed: dict[str, Any] = {}
    if status == "accepted":
        placed = dict(
            status="placed",
            placed_centre_id=request.centre_id,
            placed_at=now,
            ended_at=now,
            callback=None,
            note=None,
        )
    async with session.begin_nested():
        if await rows.lock(session, request.referral_id, now, **placed) and await rows.set_request(
            session, request.id, status, now, answered_by=actor.name, **values
        ):
            yield request, True
            return
        # Another answer came first (another centre won, or the referral ended meanwhile).
        await session.refresh(request)
        if not _answered_before(request, same):
            raise Conflict("This referral has ended", request_status="pending")
        yield request, False


def _answered_before(request: ReferralRequest, same: Callable[[ReferralRequest], bool]) -> bool:
    """True when `same(request)`, False while the request is pending; Conflict otherwise."""
    if same(request):
        return True
    if request.status != "pending":
        raise _ended(request)
    return False


async def _request_for_centre(
    session: AsyncSession, request_id: str, actor: Principal
) -> ReferralRequest:
    """The request, if `actor` is staff (or a token) of its centre; NotFound for anyone else's,
    so another centre cannot even learn that it exists. Forbidden for other roles."""
    if actor.role != "staff":
        raise Forbidden("Only the asked centre answers a referral")
    request = await session.get(ReferralRequest, request_id, populate_existing=True)
    if request is None or request.centre_id != actor.centre_id:
        raise NotFound("No such referral request")
    return request


def _ended(request: ReferralRequest) -> Conflict:
    message = {
        "accepted": "This centre has already accepted this referral",
        "declined": "This centre has already declined this referral",
        "withdrawn": "No longer needed: the referral was placed elsewhere or withdrawn",
        "expired": "This request has expired",
    }[request.status]
    return Conflict(message, request_status=request.status, reason=request.reason)
