"""Reading referrals: each reader sees only what is theirs (capacity.referrals changes them).

An adviser reads the referrals they sent (an administrator reads all), with every asked
centre's answer and, once placed, whom to call. A centre's staff read only their own centre's
requests: never another centre's, never which other centres were asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity.accounts import Principal
from capacity.errors import Forbidden, NotFound
from capacity.models import Centre, Hold, Referral, ReferralRequest, utcnow
from capacity.referrals import ANSWER_MINUTES


@dataclass(frozen=True, slots=True)
class Asked:
    """One asked centre, as the adviser sees it."""

    request_id: str
    centre_id: str
    centre_name: str
    status: str
    reason: str | None
    reason_text: str | None
    asked_at: datetime
    answered_at: datetime | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class Handover:
    """Whom the adviser calls once a centre has accepted: its intake line, else its public one."""

    centre_id: str
    centre_name: str
    phone: str | None


@dataclass(frozen=True, slots=True)
class ReferralView:
    id: str
    status: str
    party: dict[str, Any]
    language: str | None
    arrival_by: datetime
    callback: str | None
    note: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime
    placed_at: datetime | None
    handover: Handover | None
    asked: tuple[Asked, ...]


@dataclass(frozen=True, slots=True)
class Incoming:
    """One request as the asked centre sees it: the party, the arrival window, the adviser's
    callback line and note while pending, and nothing about other centres."""

    request_id: str
    referral_id: str
    centre_id: str
    status: str
    reason: str | None
    reason_text: str | None
    party: dict[str, Any]
    language: str | None
    arrival_by: datetime
    callback: str | None
    note: str | None
    asked_at: datetime
    answered_at: datetime | None
    hold_expires_at: datetime
    overdue: bool


def _overdue(request: ReferralRequest, now: datetime, minutes: int) -> bool:
    return request.status == "pending" and request.created_at <= now - timedelta(minutes=minutes)


async def view(
    session: AsyncSession,
    referral_id: str,
    *,
    actor: Principal,
    now: datetime | None = None,
    answer_minutes: int = ANSWER_MINUTES,
) -> ReferralView:
    """The referral for the adviser who sent it (or an administrator); NotFound for anyone
    else's, Forbidden for centre staff."""
    actor.require_role("adviser", "admin")
    referral = await session.get(Referral, referral_id, populate_existing=True)
    if referral is None or (actor.role != "admin" and referral.created_by != actor.name):
        raise NotFound("No such referral")
    return (await _views(session, [referral], now or utcnow(), answer_minutes))[0]


async def referrals_for(
    session: AsyncSession,
    *,
    actor: Principal,
    pending_only: bool = False,
    now: datetime | None = None,
    answer_minutes: int = ANSWER_MINUTES,
) -> list[ReferralView]:
    """The adviser's referrals (an administrator's: everyone's), newest first, at most 200."""
    actor.require_role("adviser", "admin")
    query = select(Referral).order_by(Referral.created_at.desc()).limit(200)
    if actor.role != "admin":
        query = query.where(Referral.created_by == actor.name)
    if pending_only:
        query = query.where(Referral.status == "pending")
    found = list(await session.scalars(query.execution_options(populate_existing=True)))
    return await _views(session, found, now or utcnow(), answer_minutes)


async def _views(
    session: AsyncSession, referrals: list[Referral], now: datetime, minutes: int
) -> list[ReferralView]:
    ids = [r.id for r in referrals]
    rows = await session.execute(
        select(ReferralRequest, Centre.name)
        .join(Centre, Centre.id == ReferralRequest.centre_id)
        .where(ReferralRequest.referral_id.in_(ids))
        .order_by(ReferralRequest.created_at, ReferralRequest.id)
        .execution_options(populate_existing=True)
    )
    asked: dict[str, list[Asked]] = {}
    for request, name in rows:
        asked.setdefault(request.referral_id, []).append(
            Asked(
                request_id=request.id,
                centre_id=request.centre_id,
                centre_name=name,
                status=request.status,
                reason=request.reason,
                reason_text=request.reason_text,
                asked_at=request.created_at,
                answered_at=request.answered_at,
                overdue=_overdue(request, now, minutes),
            )
        )
    views = []
    for referral in referrals:
        handover = None
        if referral.placed_centre_id is not None:
            centre = await session.get(Centre, referral.placed_centre_id)
            assert centre is not None
            handover = Handover(centre.id, centre.name, centre.intake_phone or centre.phone)
        views.append(
            ReferralView(
                id=referral.id,
                status=referral.status,
                party=referral.party,
                language=referral.language,
                arrival_by=referral.arrival_by,
                callback=referral.callback,
                note=referral.note,
                created_by=referral.created_by,
                created_at=referral.created_at,
                expires_at=referral.expires_at,
                placed_at=referral.placed_at,
                handover=handover,
                asked=tuple(asked.get(referral.id, ())),
            )
        )
    return views


def _may_read_centre(actor: Principal, centre_id: str) -> bool:
    return actor.role == "admin" or (actor.role == "staff" and actor.centre_id == centre_id)


async def incoming(
    session: AsyncSession,
    centre_id: str,
    *,
    actor: Principal,
    pending_only: bool = True,
    now: datetime | None = None,
    answer_minutes: int = ANSWER_MINUTES,
) -> list[Incoming]:
    """The requests to `centre_id`, oldest pending first, at most 200; only its own staff (or
    an administrator) may read them: Forbidden for anyone else."""
    if not _may_read_centre(actor, centre_id):
        raise Forbidden("This account may not read this centre's referrals")
    query = select(ReferralRequest).where(ReferralRequest.centre_id == centre_id)
    if pending_only:
        query = query.where(ReferralRequest.status == "pending")
    query = query.order_by(ReferralRequest.created_at).limit(200)
    return await _incoming(session, query, now or utcnow(), answer_minutes)


async def incoming_one(
    session: AsyncSession,
    request_id: str,
    *,
    actor: Principal,
    now: datetime | None = None,
    answer_minutes: int = ANSWER_MINUTES,
) -> Incoming:
    """One request for its centre's staff (or an administrator); NotFound for anyone else, so
    another centre cannot learn that it exists."""
    query = select(ReferralRequest).where(ReferralRequest.id == request_id)
    found = await _incoming(session, query, now or utcnow(), answer_minutes)
    if not found or not _may_read_centre(actor, found[0].centre_id):
        raise NotFound("No such referral request")
    return found[0]


async def _incoming(
    session: AsyncSession, query: Any, now: datetime, minutes: int
) -> list[Incoming]:
    rows = await session.execute(
        query.add_columns(Referral, Hold.expires_at)
        .join(Referral, Referral.id == ReferralRequest.referral_id)
        .join(Hold, Hold.id == ReferralRequest.hold_id)
        .execution_options(populate_existing=True)
    )
    return [
        Incoming(
            request_id=request.id,
            referral_id=referral.id,
            centre_id=request.centre_id,
            status=request.status,
            reason=request.reason,
            reason_text=request.reason_text,
            party=referral.party,
            language=referral.language,
            arrival_by=referral.arrival_by,
            # The adviser's line and note are for the centre only while it is asked.
            callback=referral.callback if request.status == "pending" else None,
            note=referral.note if request.status == "pending" else None,
            asked_at=request.created_at,
            answered_at=request.answered_at,
            hold_expires_at=expires_at,
            overdue=_overdue(request, now, minutes),
        )
        for request, referral, expires_at in rows
    ]


@dataclass(frozen=True, slots=True)
class Overdue:
    request_id: str
    referral_id: str
    centre_id: str
    centre_name: str
    adviser: str
    asked_at: datetime
    waiting_minutes: int


async def overdue(
    session: AsyncSession,
    *,
    actor: Principal,
    minutes: int = ANSWER_MINUTES,
    now: datetime | None = None,
) -> list[Overdue]:
    """Pending requests unanswered for `minutes` or more, longest waiting first: an adviser's
    own referrals', a centre's own (for its staff), or all (for an administrator)."""
    now = now or utcnow()
    query = (
        select(ReferralRequest, Referral.created_by, Centre.name)
        .join(Referral, Referral.id == ReferralRequest.referral_id)
        .join(Centre, Centre.id == ReferralRequest.centre_id)
        .where(
            ReferralRequest.status == "pending",
            ReferralRequest.created_at <= now - timedelta(minutes=minutes),
        )
        .order_by(ReferralRequest.created_at)
        .limit(500)
    )
    if actor.role == "adviser":
        query = query.where(Referral.created_by == actor.name)
    elif actor.role == "staff":
        query = query.where(ReferralRequest.centre_id == actor.centre_id)
    elif actor.role != "admin":
        raise Forbidden("This account may not read referrals")
    return [
        Overdue(
            request_id=request.id,
            referral_id=request.referral_id,
            centre_id=request.centre_id,
            centre_name=name,
            adviser=adviser,
            asked_at=request.created_at,
            waiting_minutes=int((now - request.created_at).total_seconds() // 60),
        )
        for request, adviser, name in await session.execute(query)
    ]
