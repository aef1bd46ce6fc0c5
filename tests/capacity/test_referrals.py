"""Referrals and watches: first acceptance wins, nothing personal outlives the referral,
each centre sees only its own requests (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity import audit, holds, referral_views, referrals, registry, stats, watches
from capacity.accounts import Principal
from capacity.db import session_factory
from capacity.errors import Conflict, Forbidden, InvalidInput, NotFound
from capacity.geocoder import Gazetteer
from capacity.models import (
    Availability,
    Event,
    Hold,
    Referral,
    ReferralRequest,
    Unit,
    Watch,
    utcnow,
)
from capacity.party import Child, Party
from capacity.search import Point
from tests.helpers import make_centre

ADVISER = Principal("adviser-1", "adviser")
OTHER_ADVISER = Principal("adviser-2", "adviser")
HOSTS = {"a": "1804", "b": "0301", "c": "4601", "d": "5001", "e": "5501", "f": "1103"}
CALLBACK = "+47 915 55 123"
NOTE = "Ring before nine; arrives by train"


def staff(centre: str) -> Principal:
    return Principal(f"staff-{centre}", "staff", centre)


async def setup(
    session: AsyncSession, gazetteer: Gazetteer, free: dict[str, int] | None = None
) -> dict[str, int]:
    """Six centres a–f, each with a women's unit; returns their units' ids."""
    free = free or {}
    units = {}
    for centre_id, host in HOSTS.items():
        centre = make_centre(centre_id, gazetteer, host, phone="+47 800 00 000")
        centre.intake_phone = f"+47 400 00 00{len(units)}"
        added = await registry.add_centre(session, centre, actor="test")
        women = next(u for u in added.units if u.kind == "women")
        await registry.set_availability(
            session,
            women,
            free_beds=free.get(centre_id, 3),
            free_family_rooms=1,
            free_accessible_rooms=1,
            actor="test",
            source="staff",
        )
        units[centre_id] = women.id
    await session.commit()
    return units


def draft(*centres: str, **changes: object) -> referrals.Draft:
    values: dict[str, object] = {
        "centres": centres,
        "party": Party(children=(Child(4), Child(12, "boy"))),
        "arrival_by": utcnow() + timedelta(hours=2),
        "callback": CALLBACK,
        "language": "ar",
        "note": NOTE,
    }
    return referrals.Draft(**(values | changes))  # type: ignore[arg-type]


async def held(session: AsyncSession, unit_id: int) -> int:
    numbers = await session.get(Availability, unit_id, populate_existing=True)
    assert numbers is not None
    return numbers.held_beds


async def request_of(session: AsyncSession, referral_id: str, centre: str) -> ReferralRequest:
    found = await session.scalar(
        select(ReferralRequest)
        .where(ReferralRequest.referral_id == referral_id, ReferralRequest.centre_id == centre)
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def test_a_referral_holds_the_party_s_places_at_each_asked_centre(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    units = await setup(session, gazetteer)
    sent = await referrals.send(session, draft("a", "b", "c"), actor=ADVISER)
    rid = sent.id
    await session.commit()
    seen = await referral_views.view(session, rid, actor=ADVISER)
    assert seen.status == "pending" and seen.handover is None
    assert sorted((a.centre_id, a.status) for a in seen.asked) == [
        ("a", "pending"),
        ("b", "pending"),
        ("c", "pending"),
    ]
    assert seen.party == {
        "gender": "woman",
        "adults": 1,
        "children": [{"age": 4, "sex": None}, {"age": 12, "sex": "boy"}],
        "needs": [],
    }
    assert (seen.callback, seen.note, seen.language) == (CALLBACK, NOTE, "ar")
    for centre in "abc":
        assert await held(session, units[centre]) == 3
    assert await held(session, units["d"]) == 0


async def test_creation_is_all_or_nothing_and_names_the_centre_that_cannot(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    units = await setup(session, gazetteer, free={"c": 2})
    with pytest.raises(Conflict) as caught:
        await referrals.send(session, draft("a", "b", "c"), actor=ADVISER)
    assert caught.value.detail["centre_id"] == "c"
    assert "Bergen krisesenter" in caught.value.message
    await session.commit()  # even committing after the refusal keeps nothing
    assert await session.scalar(select(func.count()).select_from(Referral)) == 0
    assert await session.scalar(select(func.count()).select_from(Hold)) == 0
    assert [await held(session, units[c]) for c in "abc"] == [0, 0, 0]
    with pytest.raises(NotFound):
        await referrals.send(session, draft("a", "nowhere"), actor=ADVISER)
    await session.commit()
    assert await held(session, units["a"]) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"callback": "12345"},
        {"callback": "1234567890123456"},
        {"callback": "+47-915-55-123"},
        {"callback": "ring me"},
        {"callback": ""},
        {"callback": "++4791555123"},
        {"callback": "01019012345"},
        {"note": "Kari, born 010190 12345"},
        {"note": "fnr 01019012345"},
        {"note": "x" * 301},
        {"centres": ()},
        {"centres": ("a", "b", "c", "d")},
        {"arrival_by": utcnow() - timedelta(minutes=1)},
        {"arrival_by": utcnow() + timedelta(hours=25)},
        {"arrival_by": utcnow().replace(tzinfo=None)},
        {"language": "arabic; drop table"},
        {"hold_minutes": 1},
    ],
)
async def test_bad_referrals_are_refused_and_hold_nothing(
    session: AsyncSession, gazetteer: Gazetteer, changes: dict[str, object]
) -> None:
    units = await setup(session, gazetteer)
    with pytest.raises(InvalidInput):
        await referrals.send(session, draft("a", "b", **changes), actor=ADVISER)
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(Referral)) == 0
    assert await held(session, units["a"]) == 0


@pytest.mark.parametrize("callback", ["+47 915 55 123", "91555123", "0047 915 55 123 45"])
async def test_phone_numbers_people_write_are_callback_lines(callback: str) -> None:
    assert referrals.parse_callback(f"  {callback} ") == callback


async def test_only_advisers_and_administrators_send(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await setup(session, gazetteer)
    with pytest.raises(Forbidden):
        await referrals.send(session, draft("a"), actor=staff("a"))


async def test_accepting_places_it_withdraws_the_others_and_releases_their_holds(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    units = await setup(session, gazetteer)
    arrival = utcnow() + timedelta(hours=3)
    sent = await referrals.send(session, draft("a", "b", "c", arrival_by=arrival), actor=ADVISER)
    rid = sent.id
    await session.commit()
    asked_b = await request_of(session, rid, "b")
    placed = await referrals.accept(session, asked_b.id, actor=staff("b"))
    await session.commit()
    assert (placed.status, placed.placed_centre_id) == ("placed", "b")
    seen = await referral_views.view(session, rid, actor=ADVISER)
    assert seen.handover is not None and seen.handover.phone == "+47 400 00 001"
    assert {a.centre_id: a.status for a in seen.asked} == {
        "a": "withdrawn",
        "b": "accepted",
        "c": "withdrawn",
    }
    assert [await held(session, units[c]) for c in "abc"] == [0, 3, 0]
    hold_id = asked_b.hold_id
    kept = await session.get(Hold, hold_id, populate_existing=True)
    assert kept is not None and kept.status == "active"
    assert kept.expires_at == arrival + timedelta(minutes=referrals.GRACE_MINUTES)
    # Centre a is told only that it is no longer needed, not where the party went.
    (for_a,) = await referral_views.incoming(session, "a", actor=staff("a"), pending_only=False)
    assert (for_a.status, for_a.callback, for_a.note) == ("withdrawn", None, None)
    with pytest.raises(Conflict, match="No longer needed"):
        await referrals.accept(session, for_a.request_id, actor=staff("a"))
    await session.rollback()
    # The accepted hold then works as any hold: they arrive, the place is taken.
    await holds.confirm(session, hold_id, actor=staff("b"))
    await session.commit()
    numbers = await session.get(Availability, units["b"], populate_existing=True)
    assert numbers is not None and (numbers.free_beds, numbers.held_beds) == (0, 0)


async def test_centres_accepting_at_the_same_moment_exactly_one_wins(
    engine: AsyncEngine, session: AsyncSession, gazetteer: Gazetteer
) -> None:
    units = await setup(session, gazetteer)
    sent = await referrals.send(session, draft("a", "b", "c"), actor=ADVISER)
    rid = sent.id
    await session.commit()
    asked = {c: (await request_of(session, rid, c)).id for c in "abc"}
    sessions = session_factory(engine)

    async def attempt(centre: str) -> str:
        async with sessions() as own:
            try:
                await referrals.accept(own, asked[centre], actor=staff(centre))
                await own.commit()
                return centre
            except Conflict:
                await own.rollback()
                return "lost"

    results = await asyncio.gather(*(attempt(c) for c in "abc"))
    (winner,) = [r for r in results if r != "lost"]
    assert results.count("lost") == 2
    stored = await session.get(Referral, rid, populate_existing=True)
    assert stored is not None and (stored.status, stored.placed_centre_id) == ("placed", winner)
    statuses = {c: (await request_of(session, rid, c)).status for c in "abc"}
    assert statuses == {c: "accepted" if c == winner else "withdrawn" for c in "abc"}
    assert {c: await held(session, units[c]) for c in "abc"} == {
        c: 3 if c == winner else 0 for c in "abc"
    }
    placed = await session.scalar(
        select(func.count()).select_from(Event).where(Event.action == "referral.placed")
    )
    assert placed == 1


async def test_answering_twice_is_harmless_and_a_different_answer_is_refused(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await setup(session, gazetteer)
    sent = await referrals.send(session, draft("a", "b"), actor=ADVISER)
    rid = sent.id
    await session.commit()
    a_id, b_id = [(await request_of(session, rid, c)).id for c in "ab"]
    first = await referrals.decline(session, a_id, "no_place", actor=staff("a"))
    await session.commit()
    again = await referrals.decline(session, a_id, "no_place", actor=staff("a"))
    assert (again.id, again.status, again.reason) == (first.id, "declined", "no_place")
    with pytest.raises(Conflict, match="already declined"):
        await referrals.decline(session, a_id, "risk_assessment", actor=staff("a"))
    with pytest.raises(Conflict, match="already declined"):
        await referrals.accept(session, a_id, actor=staff("a"))
    await session.rollback()
    placed = await referrals.accept(session, b_id, actor=staff("b"))
    await session.commit()
    placed_at = placed.placed_at
    twice = await referrals.accept(session, b_id, actor=staff("b"))
    assert (twice.id, twice.status, twice.placed_at) == (rid, "placed", placed_at)
    with pytest.raises(Conflict, match="already accepted"):
        await referrals.decline(session, b_id, "no_place", actor=staff("b"))
    await session.rollback()
    events = [e.action for e in await audit.history(session, "b")]
    assert events.count("referral.accepted") == 1 and events.count("referral.placed") == 1


@pytest.mark.parametrize(
    "reason,text",
    [("full", None), ("other", None), ("no_place", "we are full"), ("other", "y" * 201)],
)
async def test_a_decline_has_one_known_reason(
    session: AsyncSession, gazetteer: Gazetteer, reason: str, text: str | None
) -> None:
    await setup(session, gazetteer)
    sent = await referrals.send(session, draft("a"), actor=ADVISER)
    rid = sent.id
    await session.commit()
    asked = await request_of(session, rid, "a")
    with pytest.raises(InvalidInput):
        await referrals.decline(session, asked.id, reason, text=text, actor=staff("a"))
    assert (await request_of(session, rid, "a")).status == "pending"


async def test_outcomes_feed_the_statistics_with_decline_reasons(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await setup(session, gazetteer)
    sent = await referrals.send(session, draft("a", "b", "c"), actor=ADVISER)
    rid = sent.id
    await session.commit()
    asked = {c: await request_of(session, rid, c) for c in "abc"}
    await referrals.decline(session, asked["a"].id, "too_close_to_danger", actor=staff("a"))
    await referrals.decline(
        session, asked["b"].id, "other", text="Renovating the family rooms", actor=staff("b")
    )
    await session.commit()
    await referrals.add_centre(session, rid, "d", actor=ADVISER)
    await referrals.accept(session, asked["c"].id, actor=staff("c"))
    await session.commit()
    rows = {row.region: row for row in await stats.table(session)}
    assert rows["Nordland"].values["referral_declined"] == 1
    assert rows["Nordland"].declined == {"too_close_to_danger": 1}
    assert rows["Oslo"].declined == {"other": 1}
    assert rows["Vestland"].values["referral_accepted"] == 1
    assert rows["Trøndelag"].values["referral_withdrawn"] == 1
    assert sum(r.values["referral_requests"] for r in rows.values()) == 4
    stored = await session.get(ReferralRequest, asked["b"].id, populate_existing=True)
    assert stored is not None and stored.reason == "other" and stored.reason_text is None


async def test_a_centre_never_sees_or_answers_another_centre_s_requests(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await setup(session, gazetteer)
    sent = await referrals.send(session, draft("a", "b"), actor=ADVISER)
    rid = sent.id
    await session.commit()
    asked_a = await request_of(session, rid, "a")
    (for_b,) = await referral_views.incoming(session, "b", actor=staff("b"))
    assert for_b.centre_id == "b" and for_b.callback == CALLBACK
    assert not hasattr(for_b, "asked")  # nothing about the other centres asked
    with pytest.raises(Forbidden):
        await referral_views.incoming(session, "a", actor=staff("b"))
    with pytest.raises(NotFound):
        await referral_views.incoming_one(session, asked_a.id, actor=staff("b"))
    with pytest.raises(NotFound):
        await referrals.accept(session, asked_a.id, actor=staff("b"))
    with pytest.raises(NotFound):
        await referrals.decline(session, asked_a.id, "no_place", actor=staff("b"))
    with pytest.raises(Forbidden):
        await referrals.accept(session, asked_a.id, actor=ADVISER)
    with pytest.raises(Forbidden):
        await referral_views.view(session, rid, actor=staff("a"))
    with pytest.raises(NotFound):
        await referral_views.view(session, rid, actor=OTHER_ADVISER)
    with pytest.raises(NotFound):
        await referrals.add_centre(session, rid, "c", actor=OTHER_ADVISER)
    assert await referral_views.referrals_for(session, actor=OTHER_ADVISER) == []
    assert (await request_of(session, rid, "a")).status == "pending"
    # Nor in the audit trail: staff of b see b's request events only.
    shown = audit.shown(await audit.history(session), "staff", "b")
    assert {e.centre_id for e in shown} == {"b"}
    assert all(e.entity_id != asked_a.id for e in shown)
    assert "referral.sent" not in {e.action for e in shown}


async def personal_traces(session: AsyncSession, referral_id: str) -> list[object]:
    stored = await session.get(Referral, referral_id, populate_existing=True)
    assert stored is not None
    texts = await session.scalars(
        select(ReferralRequest.reason_text).where(ReferralRequest.referral_id == referral_id)
    )
    return [stored.callback, stored.note, *(text for text in texts if text is not None)]


@pytest.mark.parametrize("ending", ["placed", "withdrawn", "expired"])
async def test_nothing_personal_is_kept_after_the_referral_ends(
    session: AsyncSession, gazetteer: Gazetteer, ending: str
) -> None:
    await setup(session, gazetteer)
    sent = await referrals.send(session, draft("a", "b", hold_minutes=30), actor=ADVISER)
    rid = sent.id
    await session.commit()
    asked_a, asked_b = [await request_of(session, rid, c) for c in "ab"]
    await referrals.decline(session, asked_a.id, "other", text="Known conflict", actor=staff("a"))
    await session.commit()
    assert await personal_traces(session, rid) == [CALLBACK, NOTE, "Known conflict"]
    if ending == "placed":
        await referrals.accept(session, asked_b.id, actor=staff("b"))
    elif ending == "withdrawn":
        await referrals.withdraw(session, rid, actor=ADVISER)
    else:
        assert await referrals.expire_due(session, utcnow() + timedelta(minutes=31)) == 2
    await session.commit()
    stored = await session.get(Referral, rid, populate_existing=True)
    assert stored is not None and stored.status == ending and stored.ended_at is not None
    assert await personal_traces(session, rid) == [None, None]
    logged = json.dumps([[e.before, e.after] for e in await audit.history(session)])
    assert (
        CALLBACK not in logged
        and "915 55" not in logged
        and "train" not in logged
        and "Known conflict" not in logged
    )
    # The database itself refuses to give an ended referral its callback line back.
    with pytest.raises(IntegrityError):
        await session.execute(update(Referral).where(Referral.id == rid).values(callback=CALLBACK))
    await session.rollback()


async def test_unanswered_requests_are_overdue_then_expire_with_their_holds(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    units = await setup(session, gazetteer)
    sent = await referrals.send(session, draft("a", "b", hold_minutes=60), actor=ADVISER)
    rid = sent.id
    await session.commit()
    asked_a = await request_of(session, rid, "a")
    await referrals.decline(session, asked_a.id, "needs_not_met", actor=staff("a"))
    await session.commit()
    later = utcnow() + timedelta(minutes=16)
    assert await referral_views.overdue(session, actor=ADVISER, now=utcnow()) == []
    (late,) = await referral_views.overdue(session, actor=ADVISER, now=later)
    assert (late.centre_id, late.adviser, late.waiting_minutes) == ("b", "adviser-1", 16)
    assert await referral_views.overdue(session, actor=staff("a"), now=later) == []
    assert len(await referral_views.overdue(session, actor=staff("b"), now=later)) == 1
    assert await referral_views.overdue(session, actor=OTHER_ADVISER, now=later) == []
    assert await referral_views.overdue(session, actor=ADVISER, minutes=30, now=later) == []
    assert await referrals.expire_due(session, utcnow() + timedelta(minutes=59)) == 0
    assert await referrals.expire_due(session, utcnow() + timedelta(minutes=61)) == 2
    await session.commit()
    assert await referrals.expire_due(session, utcnow() + timedelta(minutes=62)) == 0
    assert (await request_of(session, rid, "b")).status == "expired"
    assert await held(session, units["b"]) == 0
    rows = {row.region: row for row in await stats.table(session)}
    assert rows["Oslo"].values["referral_expired"] == 1


async def test_a_request_whose_hold_the_holds_sweeper_expired_expires_too(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await setup(session, gazetteer)
    sent = await referrals.send(session, draft("a", hold_minutes=10), actor=ADVISER)
    rid = sent.id
    await session.commit()
    assert await holds.expire_due(session, utcnow() + timedelta(minutes=11)) == 1
    await session.commit()
    asked = await request_of(session, rid, "a")
    with pytest.raises(Conflict):
        await referrals.accept(session, asked.id, actor=staff("a"))
    await session.rollback()
    stored = await session.get(Referral, rid, populate_existing=True)
    assert stored is not None and stored.status == "pending"
    assert await referrals.expire_due(session, utcnow() + timedelta(minutes=11)) == 2
    await session.commit()
    assert (await request_of(session, rid, "a")).status == "expired"


async def test_an_adviser_adds_centres_three_at_once_and_five_in_all(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    units = await setup(session, gazetteer)
    sent = await referrals.send(session, draft("a", "b", "c"), actor=ADVISER)
    rid = sent.id
    await session.commit()
    with pytest.raises(Conflict, match="at once"):
        await referrals.add_centre(session, rid, "d", actor=ADVISER)
    await session.rollback()
    assert await held(session, units["d"]) == 0
    for centre, added in (("a", "d"), ("b", "e")):
        asked = await request_of(session, rid, centre)
        await referrals.decline(session, asked.id, "no_place", actor=staff(centre))
        await session.commit()
        with pytest.raises(Conflict, match="already been asked"):
            await referrals.add_centre(session, rid, centre, actor=ADVISER)
        await session.rollback()
        await referrals.add_centre(session, rid, added, actor=ADVISER)
        await session.commit()
    assert await held(session, units["e"]) == 3
    asked_c = await request_of(session, rid, "c")
    await referrals.decline(session, asked_c.id, "no_place", actor=staff("c"))
    await session.commit()
    with pytest.raises(Conflict, match="at most 5"):
        await referrals.add_centre(session, rid, "f", actor=ADVISER)
    await session.rollback()
    stored = await session.get(Referral, rid, populate_existing=True)
    assert stored is not None and stored.asked == 5
    asked_e = await request_of(session, rid, "e")
    await referrals.accept(session, asked_e.id, actor=staff("e"))
    await session.commit()
    with pytest.raises(Conflict, match="ended"):
        await referrals.add_centre(session, rid, "f", actor=ADVISER)
    await session.rollback()
    assert await held(session, units["d"]) == 0  # withdrawn with the placement


async def test_a_watch_tells_once_when_a_place_opens_near_the_place(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    units = await setup(session, gazetteer, free={"a": 0})
    bodo = Point(67.28, 14.405)
    party = Party(children=(Child(4),))
    watch = await watches.watch(
        session, watches.WatchDraft(party, bodo, "Bodø", max_km=50), actor=ADVISER
    )
    far = await watches.watch(
        session, watches.WatchDraft(party, Point(59.91, 10.75), "Oslo", 5), actor=ADVISER
    )
    await session.commit()
    index = await registry.load_index(session)
    assert watches.matches(index, watch, utcnow()) == []
    assert await watches.newly_matching(session, index, {"a"}) == []
    unit = await session.get(Unit, units["a"])
    assert unit is not None
    await registry.set_availability(
        session,
        unit,
        free_beds=2,
        free_family_rooms=1,
        free_accessible_rooms=0,
        actor="staff-a",
        source="staff",
    )
    await session.commit()
    index = await registry.load_index(session)
    assert watches.matches(index, watch, utcnow()) == ["a"]
    found = await watches.newly_matching(session, index, {"a", "b"})
    assert [(w.id, centres) for w, centres in found] == [(watch.id, ["a"])]
    await session.commit()
    assert await watches.newly_matching(session, index, {"a"}) == []  # told once
    assert [w.id for w in await watches.watches_for(session, actor=ADVISER)] == [far.id, watch.id]
    assert await watches.watches_for(session, actor=OTHER_ADVISER) == []
    # A hold on the opened place takes it away again: held places count for advisers.
    await holds.place_hold(session, holds.HoldRequest(units["a"], party), actor=OTHER_ADVISER)
    await session.commit()
    assert watches.matches(await registry.load_index(session), watch, utcnow()) == []
    with pytest.raises(NotFound):
        await watches.dismiss(session, watch.id, actor=OTHER_ADVISER)
    await watches.dismiss(session, watch.id, actor=ADVISER)
    await session.commit()
    assert [w.id for w in await watches.watches_for(session, actor=ADVISER)] == [far.id]
    assert (
        await watches.watches_for(session, actor=ADVISER, now=utcnow() + timedelta(hours=25)) == []
    )
    assert await watches.purge(session, utcnow() + timedelta(hours=25)) == 2
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(Watch)) == 0
    logged = json.dumps([e.after for e in await audit.history(session) if e.entity == "watch"])
    assert "Bod" not in logged and "Oslo" not in logged


@pytest.mark.parametrize("max_km", [0, -5, 2001, True, float("nan")])
async def test_a_watch_needs_a_sensible_distance(session: AsyncSession, max_km: float) -> None:
    with pytest.raises(InvalidInput):
        await watches.watch(
            session, watches.WatchDraft(Party(), Point(67.28, 14.4), "Bodø", max_km), actor=ADVISER
        )
    with pytest.raises(Forbidden):
        await watches.watch(
            session, watches.WatchDraft(Party(), Point(67.28, 14.4), "Bodø", 10), actor=staff("a")
        )
