"""Unmet-need statistics: counts per day and region, never anything about a person.

Searches are counted into `daily_counts` (callers buffer and flush them); hold outcomes are
read from the audit trail, so they cost no extra write. Referral outcomes are counted into
`daily_counts` by capacity.referrals in the transaction that decides them, per asked centre's
region: requests sent, accepted, declined (detail: the reason code), expired and withdrawn.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from capacity.models import Centre, DailyCount, Event
from capacity.party import Gender, Party

HOLD_ACTIONS = {
    "hold.placed": "holds",
    "hold.confirmed": "confirmed",
    "hold.expired": "expired",
    "hold.released": "released",
}
REFERRAL_METRICS = (
    "referral_requests",
    "referral_accepted",
    "referral_declined",
    "referral_expired",
    "referral_withdrawn",
)
COLUMNS = ("searches", "no_place", "holds", "confirmed", "expired", "released", *REFERRAL_METRICS)
Key = tuple[date, str, str, str]  # day, region, metric, detail


def search_counts(day: date, region: str, party: Party, found_place: bool) -> Counter[Key]:
    """What one search adds: a search, and when nothing could take the party now, a no-place
    count with each of the party's needs that went unmet."""
    counts: Counter[Key] = Counter({(day, region, "searches", ""): 1})
    if not found_place:
        counts[(day, region, "no_place", "")] += 1
        for detail in unmet_labels(party):
            counts[(day, region, "unmet", detail)] += 1
    return counts


def unmet_labels(party: Party) -> list[str]:
    labels = sorted(need.value for need in party.needs)
    if party.children:
        labels.append("children")
    if party.gender is Gender.MAN:
        labels.append("man_with_children" if party.children else "man")
    return labels


async def add(session: AsyncSession, counts: Mapping[Key, int]) -> None:
    """Add `counts` to the stored ones (one upsert per key; concurrent workers add up)."""
    if not counts:
        return
    rows = [
        {"day": day, "region": region[:100], "metric": metric, "detail": detail, "count": n}
        for (day, region, metric, detail), n in counts.items()
    ]
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(DailyCount).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["day", "region", "metric", "detail"],
        set_={"count": DailyCount.count + statement.excluded.count},
    )
    await session.execute(statement)


@dataclass(frozen=True, slots=True)
class Row:
    day: date
    region: str
    values: dict[str, int]
    unmet: dict[str, int]
    declined: dict[str, int] = field(default_factory=dict)  # referral declines by reason


async def table(session: AsyncSession, days: int = 30, today: date | None = None) -> list[Row]:
    """Per day and region, newest first: searches, no place, hold and referral outcomes
    (declines also by reason), unmet needs."""
    today = today or datetime.now(UTC).date()
    since = today - timedelta(days=days - 1)
    cells: dict[tuple[date, str], dict[str, int]] = {}
    unmet: dict[tuple[date, str], dict[str, int]] = {}
    declined: dict[tuple[date, str], dict[str, int]] = {}
    stored = await session.execute(
        select(
            DailyCount.day,
            DailyCount.region,
            DailyCount.metric,
            DailyCount.detail,
            DailyCount.count,
        ).where(DailyCount.day >= since)
    )
    for day, region, metric, detail, count in stored:
        if metric == "unmet":
            unmet.setdefault((day, region), {})[detail] = count
            continue
        cell = cells.setdefault((day, region), {})
        cell[metric] = cell.get(metric, 0) + count  # a metric with details adds them up
        if metric == "referral_declined":
            declined.setdefault((day, region), {})[detail] = count
    start = datetime.combine(since, time.min, tzinfo=UTC)
    events = await session.execute(
        select(Event.at, Event.action, Centre.region)
        .join(Centre, Centre.id == Event.centre_id)
        .where(Event.action.in_(HOLD_ACTIONS), Event.at >= start)
    )
    for at, action, region in events:
        key = (at.astimezone(UTC).date(), region)
        column = HOLD_ACTIONS[action]
        cells.setdefault(key, {})[column] = cells.get(key, {}).get(column, 0) + 1
    keys = sorted(set(cells) | set(unmet), key=lambda k: (k[0], k[1]), reverse=True)
    return [
        Row(
            day,
            region,
            {c: cells.get((day, region), {}).get(c, 0) for c in COLUMNS},
            unmet.get((day, region), {}),
            declined.get((day, region), {}),
        )
        for day, region in keys
    ]


async def totals(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.sum(DailyCount.count), 0))) or 0)
