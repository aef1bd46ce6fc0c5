"""Referrals: an adviser asks up to three centres at once, a centre answers, the first yes wins.

A referral is pending until it is placed (a centre accepted), withdrawn (the adviser ended it)
or expired (no centre took the party in time); each asked centre has a request that is pending
until it is accepted, declined (with a reason), withdrawn (no longer needed) or expired. Every
request keeps a hold (capacity.holds) on the centre's places while it is pending.

First wins: accepting is one conditional UPDATE of the referral row `WHERE status = 'pending'`,
so of two centres accepting at the same moment exactly one changes it (on SQLite writers queue
for the database, on PostgreSQL the second waits for the row and then finds it placed). Every
change to a referral takes that row first, which keeps the lock order the same everywhere.

What is stored: the party's shape (gender, adults, children's ages, needs), the language, the
arrival window, and while the referral is pending, the adviser's callback line and a short
note. The callback line, the note and any declining centre's free text are deleted (set NULL)
when the referral ends, placed, expired or withdrawn, and a database CHECK refuses an ended
referral that still has them. None of them is ever written to the audit trail.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import audit, holds, stats
from capacity.accounts import Principal
from capacity.errors import Conflict, Forbidden, InvalidInput, NotFound
from capacity.models import (
    DECLINE_REASONS,
    Centre,
    Hold,
    Referral,
    ReferralRequest,
    Unit,
    utcnow,
)
from capacity.party import Child, Gender, Need, Party

log = logging.getLogger("havn.referrals")
AT_ONCE = 3  # centres asked and not yet answered, at most
MAX_ASKED = 5  # centres asked over a referral's life, at most
ANSWER_MINUTES = 15  # a request unanswered this long is overdue
GRACE_MINUTES = 60  # an accepted place is kept this long after the arrival window
MAX_AHEAD = timedelta(hours=24)
MAX_NOTE = 300
MAX_REASON_TEXT = 200

_PHONE = re.compile(r"\+?[0-9 ]+")
# A Norwegian fødselsnummer (or D-/H-number): eleven digits, often written 6 + 5.
_PERSONAL_NUMBER = re.compile(r"(?<!\d)\d{6}[ .-]?\d{5}(?!\d)")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_KINDS = {Gender.WOMAN: ("women",), Gender.MAN: ("men",), Gender.OTHER: ("women", "men")}


@dataclass(frozen=True, slots=True)
class Draft:
    """What an adviser sends: centre ids (one to three), the party and how to reach them."""

    centres: tuple[str, ...]
    party: Party
    arrival_by: datetime
    callback: str
    language: str | None = None
    note: str | None = None
    hold_minutes: int = holds.DEFAULT_MINUTES


def has_personal_number(text: str) -> bool:
    """Whether `text` holds eleven digits in a row (6 + 5 may be split): a fødselsnummer."""
    return _PERSONAL_NUMBER.search(text) is not None


def parse_callback(value: object) -> str:
    """The adviser's callback line, spaces tidied: 8 to 15 digits, spaces, an optional + first.

    Raises InvalidInput (field "callback") otherwise, and for an 11-digit run that reads as a
    personal number.
    """
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not _PHONE.fullmatch(text) or not 8 <= len(text.replace(" ", "").lstrip("+")) <= 15:
        raise InvalidInput(
            "The callback line is a phone number: 8 to 15 digits, spaces, an optional + first",
            field="callback",
        )
    if has_personal_number(text):
        raise InvalidInput(
            "That looks like a national identity number, not a phone number", field="callback"
        )
    return text


def check_text(value: str | None, limit: int, field: str) -> str | None:
    """Short free text, stripped (None when empty); raises InvalidInput when longer than
    `limit` or when it holds a personal number (11 digits)."""
    text = (value or "").strip() or None
    if text is None:
        return None
    if len(text) > limit:
        raise InvalidInput(f"At most {limit} characters", field=field)
    if has_personal_number(text):
        raise InvalidInput(
            "Leave out personal numbers (fødselsnummer) and anything else that identifies "
            "the person",
            field=field,
        )
    return text


def parse_language(value: str | None) -> str | None:
    text = (value or "").strip().lower() or None
    if text is not None and not _LANGUAGE.fullmatch(text):
        raise InvalidInput("A language is a 2- or 3-letter code, like ar or nb", field="language")
    return text


def party_record(party: Party) -> dict[str, Any]:
    return {
        "gender": party.gender.value,
        "adults": party.adults,
        "children": [{"age": child.age, "sex": child.sex} for child in party.children],
        "needs": sorted(need.value for need in party.needs),
    }


def party_of(record: dict[str, Any]) -> Party:
    return Party(
        gender=Gender(record["gender"]),
        adults=int(record["adults"]),
        children=tuple(Child(int(c["age"]), c.get("sex")) for c in record["children"]),
        needs=frozenset(Need(n) for n in record["needs"]),
    )


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


def _new_id() -> str:
    return secrets.token_hex(8)


def _count(
    counts: Counter[stats.Key], now: datetime, region: str, metric: str, detail: str = ""
) -> None:
    counts[(now.date(), region, metric, detail)] += 1


async def _region(session: AsyncSession, centre_id: str) -> str:
    return str(await session.scalar(select(Centre.region).where(Centre.id == centre_id)) or "")


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
        id=_new_id(),
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
        audit.record(
            session,
            actor=actor.name,
            action="referral.sent",
            entity="referral",
            entity_id=referral.id,
            centre_id=None,  # it names several centres: staff never see who else was asked
            before=None,
            after=referral_record(referral) | {"centres": list(centres)},
            at=now,
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
        id=_new_id(),
        referral_id=referral.id,
        centre_id=centre.id,
        hold_id=hold.id,
        status="pending",
        created_at=now,
    )
    session.add(asked)
    referral.expires_at = max(referral.expires_at, hold.expires_at)
    await session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="referral.asked",
        entity="referral_request",
        entity_id=asked.id,
        centre_id=centre.id,
        before=None,
        after=request_record(asked),
        at=now,
    )
    _count(counts, now, centre.region, "referral_requests")
    return asked


async def _lock(
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
    request = await _request_for_centre(session, request_id, actor)
    if request.status != "pending":
        if request.status == "accepted":
            return await _referral(session, request.referral_id)
        raise _ended(request)
    counts: Counter[stats.Key] = Counter()
    async with session.begin_nested():
        placed = await _lock(
            session,
            request.referral_id,
            now,
            status="placed",
            placed_centre_id=request.centre_id,
            placed_at=now,
            ended_at=now,
            callback=None,
            note=None,
        )
        if not placed:  # another centre won, or the referral ended meanwhile
            await session.refresh(request)
            if request.status == "accepted":
                return await _referral(session, request.referral_id)
            raise (
                _ended(request)
                if request.status != "pending"
                else Conflict("This referral has ended", request_status="pending")
            )
        if not await _set_request(session, request.id, "accepted", now, answered_by=actor.name):
            await session.refresh(request)
            raise _ended(request)
        referral = await _referral(session, request.referral_id)
        until = max(referral.arrival_by, now) + timedelta(minutes=grace_minutes)
        await holds.extend(session, request.hold_id, until, actor=actor, now=now)
        region = await _region(session, request.centre_id)
        _count(counts, now, region, "referral_accepted")
        await _end_others(session, referral.id, "withdrawn", now, counts)
        await session.refresh(request)
        audit.record(
            session,
            actor=actor.name,
            action="referral.accepted",
            entity="referral_request",
            entity_id=request.id,
            centre_id=request.centre_id,
            before={"status": "pending"},
            after=request_record(request) | {"hold_expires_at": until.isoformat()},
            at=now,
        )
        audit.record(
            session,
            actor=actor.name,
            action="referral.placed",
            entity="referral",
            entity_id=referral.id,
            centre_id=request.centre_id,
            before={"status": "pending"},
            after=referral_record(referral),
            at=now,
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
    request = await _request_for_centre(session, request_id, actor)
    if request.status == "declined" and request.reason == reason:
        return request
    if request.status != "pending":
        raise _ended(request)
    counts: Counter[stats.Key] = Counter()
    async with session.begin_nested():
        if not await _lock(session, request.referral_id, now) or not await _set_request(
            session,
            request.id,
            "declined",
            now,
            answered_by=actor.name,
            reason=reason,
            reason_text=text,
        ):
            await session.refresh(request)
            if request.status == "declined" and request.reason == reason:
                return request
            raise _ended(request)
        await _end_hold(session, request.hold_id, "released", now)
        await session.refresh(request)
        audit.record(
            session,
            actor=actor.name,
            action="referral.declined",
            entity="referral_request",
            entity_id=request.id,
            centre_id=request.centre_id,
            before={"status": "pending"},
            after=request_record(request),
            at=now,
        )
        _count(counts, now, await _region(session, request.centre_id), "referral_declined", reason)
        await stats.add(session, counts)
    return request


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
    referral = await _own_referral(session, referral_id, actor)
    async with session.begin_nested():
        more = Referral.asked < MAX_ASKED
        if not await _lock(session, referral.id, now, more, asked=Referral.asked + 1):
            referral = await _referral(session, referral.id)
            if referral.status != "pending":
                raise Conflict("This referral has ended", referral_status=referral.status)
            raise Conflict(f"A referral asks at most {MAX_ASKED} centres in all")
        referral = await _referral(session, referral.id)
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
    referral = await _own_referral(session, referral_id, actor)
    counts: Counter[stats.Key] = Counter()
    async with session.begin_nested():
        ended = await _lock(
            session, referral.id, now, status="withdrawn", ended_at=now, callback=None, note=None
        )
        referral = await _referral(session, referral.id)
        if not ended:
            if referral.status == "withdrawn":
                return referral
            raise Conflict(
                f"This referral is already {referral.status}", referral_status=referral.status
            )
        await _end_others(session, referral.id, "withdrawn", now, counts)
        audit.record(
            session,
            actor=actor.name,
            action="referral.withdrawn",
            entity="referral",
            entity_id=referral.id,
            centre_id=None,
            before={"status": "pending"},
            after=referral_record(referral),
            at=now,
        )
        await stats.add(session, counts)
    return referral


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
            if await _lock(session, referral_id, now) and await _end_request(
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
            if not await _lock(
                session, referral_id, now, status="expired", ended_at=now, callback=None, note=None
            ):
                continue
            referral = await _referral(session, referral_id)
            audit.record(
                session,
                actor="system",
                action="referral.expired",
                entity="referral",
                entity_id=referral.id,
                centre_id=None,
                before={"status": "pending"},
                after=referral_record(referral),
                at=now,
            )
            ended += 1
    await stats.add(session, counts)
    return ended


async def _set_request(
    session: AsyncSession, request_id: str, status: str, now: datetime, **values: Any
) -> bool:
    changed = await session.execute(
        update(ReferralRequest)
        .where(and_(ReferralRequest.id == request_id, ReferralRequest.status == "pending"))
        .values(status=status, answered_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return changed.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def _end_others(
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
        await _end_request(session, request_id, status, now, counts)


async def _end_request(
    session: AsyncSession,
    request_id: str,
    status: str,
    now: datetime,
    counts: Counter[stats.Key],
) -> bool:
    """Withdraw or expire one pending request and its hold (audited, counted)."""
    if not await _set_request(session, request_id, status, now):
        return False
    request = await session.get(ReferralRequest, request_id, populate_existing=True)
    assert request is not None
    await _end_hold(
        session, request.hold_id, "released" if status == "withdrawn" else "expired", now
    )
    audit.record(
        session,
        actor="system",
        action=f"referral.{status}",
        entity="referral_request",
        entity_id=request.id,
        centre_id=request.centre_id,
        before={"status": "pending"},
        after=request_record(request),
        at=now,
    )
    _count(counts, now, await _region(session, request.centre_id), f"referral_{status}")
    return True


async def _end_hold(session: AsyncSession, hold_id: str, status: str, now: datetime) -> None:
    """End a request's hold if it is still active; one the database refuses to end stays
    held (logged) and the holds sweeper tries again, as for any hold."""
    try:
        async with session.begin_nested():
            await holds.end(session, hold_id, status, now=now)
    except Conflict as exc:
        if exc.detail.get("hold_status") is None:
            log.warning("hold %s could not end: %s", hold_id, exc.message)


async def _referral(session: AsyncSession, referral_id: str) -> Referral:
    referral = await session.get(Referral, referral_id, populate_existing=True)
    if referral is None:
        raise NotFound("No such referral")
    return referral


async def _own_referral(session: AsyncSession, referral_id: str, actor: Principal) -> Referral:
    """The referral if `actor` sent it (or is an administrator); NotFound for anyone else's."""
    actor.require_role("adviser", "admin")
    referral = await session.get(Referral, referral_id, populate_existing=True)
    if referral is None or (actor.role != "admin" and referral.created_by != actor.name):
        raise NotFound("No such referral")
    return referral
