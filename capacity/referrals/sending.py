"""The adviser's side of a referral: send it, ask one more centre, withdraw it.

Sending is all or nothing in one savepoint: each asked centre gets a request and a hold
(capacity.holds) on its places for the party, or nothing is created.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import holds, stats
from capacity.accounts import Principal
from capacity.errors import Conflict, InvalidInput, NotFound
from capacity.models import Centre, Hold, Referral, ReferralRequest, Unit, utcnow
from capacity.party import Gender
from capacity.referrals import rows
from capacity.referrals.draft import (
    MAX_AHEAD,
    MAX_NOTE,
    Draft,
    check_text,
    parse_callback,
    parse_language,
    party_of,
    party_record,
)

AT_ONCE = 3  # centres asked and not yet answered, at most
MAX_ASKED = 5  # centres asked over a referral's life, at most
_KINDS = {Gender.WOMAN: ("women",), Gender.MAN: ("men",), Gender.OTHER: ("women", "men")}


async def send(
    session: AsyncSession, draft: Draft, *, actor: Principal, now: datetime | None = None
) -> Referral:
    """Send a referral to `draft.centres`, holding the party's places at each.

    All or nothing: raises InvalidInput, Forbidden (not an adviser or administrator), NotFound
    (no such centre) or Conflict naming the first centre that cannot take the party now
    (`centre_id` in its detail), and then nothing is created.
    """
    actor.require_role("adviser", "admin")
    now = now or utcnow()
    centres = _centre_ids(draft.centres)
    callback = parse_callback(draft.callback)
    note = check_text(draft.note, MAX_NOTE, "note")
    language = parse_language(draft.language)
    if draft.arrival_by.tzinfo is None:
        raise InvalidInput("The arrival time needs a time zone", field="arrival_by")
    if not now <= draft.arrival_by <= now + MAX_AHEAD:
        raise InvalidInput("The arrival time is within the next 24 hours", field="arrival_by")
    referral = Referral(
        id=rows.new_id(),
        status="pending",
        party=party_record(draft.party),
        language=language,
        arrival_by=draft.arrival_by,
        callback=callback,
        note=note,
        asked=len(centres),
        created_by=actor.name,
        created_at=now,
        updated_at=now,
        expires_at=now,
    )
    counts: Counter[stats.Key] = Counter()
    async with session.begin_nested():
        session.add(referral)
        await session.flush()
        for centre_id in centres:
            await _ask(session, referral, centre_id, draft, actor, now, counts)
        # No centre_id: it names several centres, and staff never see who else was asked.
        rows.record_referral(
            session,
            referral,
            "referral.sent",
            actor=actor.name,
            now=now,
            before=None,
            centres=list(centres),
        )
        await stats.add(session, counts)
    return referral


def _centre_ids(values: Iterable[object]) -> tuple[str, ...]:
    ids = tuple(dict.fromkeys(str(v).strip() for v in values if isinstance(v, str) and v.strip()))
    if not 1 <= len(ids) <= AT_ONCE or any(len(i) > 64 for i in ids):
        raise InvalidInput(f"Ask one to {AT_ONCE} different centres", field="centres")
    return ids


async def _ask(
    session: AsyncSession,
    referral: Referral,
    centre_id: str,
    draft: Draft,
    actor: Principal,
    now: datetime,
    counts: Counter[stats.Key],
) -> ReferralRequest:
    """Hold the party's places at `centre_id` and add its request; raises NotFound or Conflict."""
    centre = await session.get(Centre, centre_id)
    if centre is None:
        raise NotFound(f"No centre {centre_id[:64]!r}", centre_id=centre_id[:64])
    if centre.status != "open":
        raise Conflict(f"{centre.name} is not open", centre_id=centre.id)
    kinds = _KINDS[draft.party.gender]
    units = sorted(
        await session.scalars(
            select(Unit).where(Unit.centre_id == centre.id, Unit.kind.in_(kinds))
        ),
        key=lambda unit: kinds.index(unit.kind),
    )
    refused: Conflict | None = None
    hold: Hold | None = None
    for unit in units:
        try:
            request = holds.HoldRequest(unit.id, draft.party, minutes=draft.hold_minutes)
            hold = await holds.place_hold(session, request, actor=actor, now=now)
            break
        except Conflict as exc:  # nothing was changed: try the next unit that could fit
            refused = exc
    if hold is None:
        why = refused.message if refused else "no unit for this party"
        raise Conflict(f"{centre.name} cannot take the party now: {why}", centre_id=centre.id)
    asked = ReferralRequest(
        id=rows.new_id(),
        referral_id=referral.id,
        centre_id=centre.id,
        hold_id=hold.id,
        status="pending",
        created_at=now,
    )
    session.add(asked)
    referral.expires_at = max(referral.expires_at, hold.expires_at)
    await session.flush()
    rows.record_request(session, asked, "referral.asked", actor=actor.name, now=now, before=None)
    rows.count(counts, now, centre.region, "referral_requests")
    return asked


async def add_centre(
    session: AsyncSession,
    referral_id: str,
    centre_id: str,
    *,
    actor: Principal,
    now: datetime | None = None,
    hold_minutes: int = holds.DEFAULT_MINUTES,
) -> ReferralRequest:
    """Ask one more centre about a pending referral, holding its places too.

    At most AT_ONCE requests are pending at once and MAX_ASKED centres are asked in all.
    Raises Forbidden, NotFound (no such referral, or another adviser's; no such centre) or
    Conflict (ended, too many asked, already asked, or the centre cannot take the party now).
    """
    now = now or utcnow()
    referral = await rows.own_referral(session, referral_id, actor)
    async with session.begin_nested():
        more = Referral.asked < MAX_ASKED
        if not await rows.lock(session, referral.id, now, more, asked=Referral.asked + 1):
            referral = await rows.referral(session, referral.id)
            if referral.status != "pending":
                raise Conflict("This referral has ended", referral_status=referral.status)
            raise Conflict(f"A referral asks at most {MAX_ASKED} centres in all")
        referral = await rows.referral(session, referral.id)
        pending = await session.scalar(
            select(func.count())
            .select_from(ReferralRequest)
            .where(ReferralRequest.referral_id == referral.id, ReferralRequest.status == "pending")
        )
        if (pending or 0) >= AT_ONCE:
            raise Conflict(f"At most {AT_ONCE} centres are asked at once: wait for an answer")
        centre_id = _centre_ids([centre_id])[0]
        already = await session.scalar(
            select(ReferralRequest.id).where(
                ReferralRequest.referral_id == referral.id, ReferralRequest.centre_id == centre_id
            )
        )
        if already is not None:
            raise Conflict("This centre has already been asked", centre_id=centre_id)
        draft = Draft(
            (centre_id,),
            party_of(referral.party),
            referral.arrival_by,
            "",
            None,
            None,
            hold_minutes,
        )
        counts: Counter[stats.Key] = Counter()
        request = await _ask(session, referral, centre_id, draft, actor, now, counts)
        await stats.add(session, counts)
    return request


async def withdraw(
    session: AsyncSession, referral_id: str, *, actor: Principal, now: datetime | None = None
) -> Referral:
    """The adviser ends a pending referral: every pending request is withdrawn and its hold
    released. Withdrawing again returns it as it is. Raises Forbidden, NotFound or Conflict
    (already placed or expired)."""
    now = now or utcnow()
    referral = await rows.own_referral(session, referral_id, actor)
    counts: Counter[stats.Key] = Counter()
    async with session.begin_nested():
        ended = await rows.lock(
            session, referral.id, now, status="withdrawn", ended_at=now, callback=None, note=None
        )
        referral = await rows.referral(session, referral.id)
        if not ended:
            if referral.status == "withdrawn":
                return referral
            raise Conflict(
                f"This referral is already {referral.status}", referral_status=referral.status
            )
        await rows.end_others(session, referral.id, "withdrawn", now, counts)
        rows.record_referral(session, referral, "referral.withdrawn", actor=actor.name, now=now)
        await stats.add(session, counts)
    return referral
