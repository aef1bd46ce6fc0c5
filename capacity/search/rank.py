"""Ranking: the units that fit a party, nearest first within three groups, with the reasons.

Time-dependent parts (holds expiring, numbers going stale) are evaluated at query time
against `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

import numpy as np

from capacity.party import Gender, Need, Party
from capacity.reasons import Reason
from capacity.search.distance import SPHERE_ERROR, exact_km
from capacity.search.index import Bools, CentreFacts, Floats, Ints, SearchIndex, UnitFacts
from capacity.search.query import Point, Query

# A centre in another country than the place searched from is listed only within this distance
# (a search near the border): further away it is no place to go tonight.
CROSS_BORDER_KM = 400.0


class Group(IntEnum):
    """Result groups, in the order they are shown."""

    NOW = 0  # can take them now
    CALL = 1  # numbers unknown or stale: call to check
    UNAVAILABLE = 2  # full, closed, or (responsible centre only) does not fit

    @property
    def label(self) -> str:
        return ("now", "call", "unavailable")[self]


@dataclass(frozen=True, slots=True)
class Result:
    centre: CentreFacts
    unit: UnitFacts
    group: Group
    distance_km: float
    responsible: bool
    fits_needs: bool
    free_places: int | None  # free minus held, for new people; None when never reported
    held_places: int
    stale: bool
    fits: tuple[Reason, ...]
    missing: tuple[Reason, ...]
    # Responsible but not confirmed by the registry: the likely centre (capacity.responsibility).
    responsible_confirmed: bool = True


@dataclass(frozen=True, slots=True)
class Outcome:
    results: tuple[Result, ...]
    counts: dict[str, int]  # centres per group among all matches, before the limit
    responsible_ids: tuple[str, ...]
    responsible_excluded: tuple[str, ...]  # responsible centres left out by "away from"
    responsible_confirmed: bool = True


def search(
    index: SearchIndex,
    query: Query,
    now: datetime,
    stale_after: timedelta,
    *,
    public: bool = False,
) -> Outcome:
    """Rank the index's units for `query` at time `now`.

    `public` answers never reveal holds: free places count only the holds the centre's last
    published numbers already knew (see `SearchIndex.held`), and `held_places` is 0.

    Returns at most `query.limit` results, one per centre, ordered by group then distance,
    plus every centre responsible for `query.municipality` (flagged) even when it would not
    otherwise be listed, unless it lies within the "away from" distance.
    """
    party = query.party
    n = len(index.units)
    if n == 0:
        return Outcome((), {g.label: 0 for g in Group}, (), ())
    distance = index.distances(query.origin)
    held = index.held(now, public=public)
    free_now = index.free - held
    if public:
        held = np.zeros_like(held)

    fits_needs = _needs_mask(index, party)
    capacity_ok = (
        (free_now[:, 0] >= party.places)
        & (free_now[:, 1] >= party.family_rooms)
        & (free_now[:, 2] >= party.accessible_rooms)
    )
    fresh = index.reported & (index.as_of >= (now - stale_after).timestamp())
    group = np.where(
        ~index.open,
        Group.UNAVAILABLE,
        np.where(~fresh, Group.CALL, np.where(capacity_ok, Group.NOW, Group.UNAVAILABLE)),
    ).astype(np.int64)

    allowed = np.ones(n, dtype=bool)
    if query.max_km is not None:
        allowed &= _within(index, query.origin, distance, query.max_km)
    too_close = np.zeros(n, dtype=bool)
    if query.away_from is not None and query.min_km is not None:
        too_close = _within(index, query.away_from, index.distances(query.away_from), query.min_km)
        allowed &= ~too_close

    area = query.municipality
    # Own-country centres come first; another country's only near the border.
    foreign = index.country != area.country if area else np.zeros(n, dtype=bool)
    allowed &= ~foreign | (distance <= CROSS_BORDER_KM)
    responsible = index.responsible.get((area.country, area.code), []) if area else []
    confirmed = not area or (area.country, area.code) not in index.unconfirmed
    candidates = np.flatnonzero(fits_needs & allowed)
    counts = _group_counts(index, candidates, group)
    ranked = _top_units(index, candidates, group + foreign * 0.1, distance, query.limit)
    chosen = [int(u) for u in ranked]
    listed = {int(index.centre_of[u]) for u in chosen}

    excluded: list[str] = []
    wrong_kind = _wrong_kind(index, party)
    for centre in responsible:
        if centre in listed:
            continue
        units = np.flatnonzero((index.centre_of == centre) & ~too_close)
        if len(units) == 0:
            excluded.append(index.centres[centre].id)
            continue
        # Prefer a unit that fits the party, then one of the right kind, then the best group.
        order = np.lexsort((group[units], wrong_kind[units], ~fits_needs[units]))
        chosen.append(int(units[order[0]]))

    results = [
        _result(
            index,
            query,
            now,
            stale_after,
            row=u,
            group=int(group[u]) if fits_needs[u] else Group.UNAVAILABLE,
            fits_needs=bool(fits_needs[u]),
            held=held[u],
            free_now=free_now[u],
            responsible=int(index.centre_of[u]) in set(responsible),
            confirmed=confirmed,
        )
        for u in chosen
    ]
    home = area.country if area else None
    results.sort(
        key=lambda r: (r.group, home is not None and r.centre.country != home, r.distance_km)
    )
    return Outcome(
        tuple(results),
        counts,
        tuple(index.centres[c].id for c in responsible),
        tuple(excluded),
        confirmed,
    )


def _wrong_kind(index: SearchIndex, party: Party) -> Bools:
    if party.gender is Gender.WOMAN:
        return index.men
    if party.gender is Gender.MAN:
        return ~index.men
    return np.zeros(len(index.units), dtype=bool)


def _needs_mask(index: SearchIndex, party: Party) -> Bools:
    mask = ~_wrong_kind(index, party)
    for need in party.needs:
        mask &= index.offers[need]
    if party.children:
        oldest = max(child.age for child in party.children)
        mask &= index.children & (index.child_max >= oldest)
        boys = [child.age for child in party.children if child.sex == "boy"]
        if boys:
            mask &= index.boys_max >= max(boys)
    return mask


def _within(index: SearchIndex, point: Point, distance: Floats, km: float) -> Bools:
    """Units whose centre lies within `km` of `point`, exact (geodesic) near the boundary."""
    inside = distance <= km
    boundary = np.flatnonzero(np.abs(distance - km) <= km * SPHERE_ERROR + 0.01)
    for unit in boundary:
        centre = index.centres[int(index.centre_of[unit])]
        inside[unit] = exact_km(point, centre) <= km
    return inside


def _group_counts(index: SearchIndex, units: Ints, group: Ints) -> dict[str, int]:
    """How many centres fall in each group, each centre counted by its best unit."""
    best = np.full(len(index.centres), len(Group), dtype=np.int64)
    np.minimum.at(best, index.centre_of[units], group[units])
    tally = np.bincount(best, minlength=len(Group) + 1)
    return {g.label: int(tally[g]) for g in Group}


def _top_units(index: SearchIndex, units: Ints, rank: Floats, distance: Floats, limit: int) -> Ints:
    """The best-ranked unit of each of the `limit` best centres among `units`, in rank order."""
    if len(units) == 0:
        return units
    # A centre has at most `index.units_per_centre` units, so the best `limit` centres are
    # among the best `limit * units_per_centre` units: no need to sort them all.
    score = rank[units] * 1e6 + distance[units]  # rank: the group, + 0.1 in another country
    keep = limit * index.units_per_centre
    if len(units) > keep:
        part = np.argpartition(score, keep - 1)[:keep]
        units, score = units[part], score[part]
    order = units[np.argsort(score, kind="stable")]
    _, first = np.unique(index.centre_of[order], return_index=True)
    return order[np.sort(first)][:limit]


def _result(
    index: SearchIndex,
    query: Query,
    now: datetime,
    stale_after: timedelta,
    row: int,
    group: int,
    fits_needs: bool,
    held: Ints,
    free_now: Ints,
    responsible: bool,
    confirmed: bool = True,
) -> Result:
    unit = index.units[row]
    centre = index.centres[int(index.centre_of[row])]
    party = query.party
    fits: list[Reason] = []
    missing: list[Reason] = []
    wrong_kind = (party.gender is Gender.WOMAN and unit.kind == "men") or (
        party.gender is Gender.MAN and unit.kind == "women"
    )
    if wrong_kind:
        missing.append(
            Reason("no_unit", {"kind": "men's" if party.gender is Gender.MAN else "women's"})
        )
    else:
        fits.append(Reason(f"unit_{unit.kind}"))
    if responsible:
        fits.append(
            Reason(
                "responsible",
                {"municipality": query.municipality.name if query.municipality else ""},
            )
        )

    if centre.status != "open":
        missing.append(Reason(centre.status))
    stale = unit.as_of is None or unit.as_of < now - stale_after
    free_places = None if unit.as_of is None else int(free_now[0])
    if unit.as_of is None:
        missing.append(Reason("no_numbers"))
    else:
        age = now - unit.as_of
        if stale:
            missing.append(Reason("stale", {"hours": int(age.total_seconds() // 3600)}))
        else:
            fits.append(Reason("fresh", {"minutes": max(0, int(age.total_seconds() // 60))}))
        _capacity_reasons(party, free_now, int(held[0]), fits, missing)
    _children_reasons(unit, party, fits, missing)
    for need in sorted(party.needs):
        offered = unit.accessible_rooms > 0 if need is Need.WHEELCHAIR else need in unit.offers
        (fits if offered else missing).append(
            Reason("need_met" if offered else "need_missing", {"need": need.value})
        )
    if query.language:
        if query.language in centre.languages:
            fits.append(Reason("language_spoken", {"language": query.language}))
        else:
            code = "language_interpreter" if centre.interpreter else "language_missing"
            missing.append(Reason(code, {"language": query.language}))
    if unit.demo:
        missing.append(Reason("demo"))
    return Result(
        centre=centre,
        unit=unit,
        group=Group(group),
        distance_km=round(exact_km(query.origin, centre), 1),
        responsible=responsible,
        fits_needs=fits_needs,
        free_places=free_places,
        held_places=int(held[0]),
        stale=stale,
        fits=tuple(fits),
        missing=tuple(missing),
        responsible_confirmed=confirmed or not responsible,
    )


def _capacity_reasons(
    party: Party, free_now: Ints, held: int, fits: list[Reason], missing: list[Reason]
) -> None:
    places = {"free": int(free_now[0]), "needed": party.places}
    if free_now[0] >= party.places:
        fits.append(Reason("places_free", places))
    else:
        missing.append(Reason("not_enough_places", places))
    if held:
        fits.append(Reason("held", {"held": held}))
    if party.family_rooms:
        ok = free_now[1] >= party.family_rooms
        (fits if ok else missing).append(Reason("family_room_free" if ok else "no_family_room"))
    if party.accessible_rooms:
        ok = free_now[2] >= party.accessible_rooms
        (fits if ok else missing).append(
            Reason("accessible_room_free" if ok else "no_accessible_room")
        )


def _children_reasons(
    unit: UnitFacts, party: Party, fits: list[Reason], missing: list[Reason]
) -> None:
    if not party.children:
        return
    if not unit.children:
        missing.append(Reason("no_children"))
        return
    oldest = max(child.age for child in party.children)
    if unit.children_max_age is not None and oldest > unit.children_max_age:
        missing.append(Reason("child_too_old", {"age": unit.children_max_age}))
    elif unit.children_max_age is None:
        fits.append(Reason("children_welcome_any_age"))
    else:
        fits.append(Reason("children_welcome", {"age": unit.children_max_age}))
    if unit.boys_max_age is None:
        return
    boys = [c.age for c in party.children if c.sex == "boy" and c.age > unit.boys_max_age]
    unknown = [c.age for c in party.children if c.sex is None and c.age > unit.boys_max_age]
    if boys:
        missing.append(Reason("boys_too_old", {"age": unit.boys_max_age}))
    elif unknown:
        missing.append(Reason("boys_limit", {"age": unit.boys_max_age}))
