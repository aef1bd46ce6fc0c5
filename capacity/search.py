"""Routing: rank the registry's units for a party, nearest first within three groups.

The search runs on a `SearchIndex`, an in-memory snapshot of the registry held in NumPy arrays
(one row per unit), so one search over 10,000 centres is a handful of vectorised operations.
`capacity.registry.load_index` builds it from the database; callers rebuild it when the
registry's revision changes. Time-dependent parts (holds expiring, numbers going stale) are
evaluated at query time against `now`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from geographiclib.geodesic import Geodesic

from capacity.errors import InvalidInput
from capacity.gazetteer import Place
from capacity.party import Gender, Need, Party
from capacity.reasons import Reason
from capacity.responsibility import responsible_centres

EARTH_RADIUS_KM = 6371.0088
# Spherical and geodesic distances differ by at most ~0.56 %: boundary cases are re-checked.
SPHERE_ERROR = 0.006
NO_LIMIT = 999
MAX_RESULTS = 500

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


class Group(IntEnum):
    """Result groups, in the order they are shown."""

    NOW = 0  # can take them now
    CALL = 1  # numbers unknown or stale: call to check
    UNAVAILABLE = 2  # full, closed, or (responsible centre only) does not fit

    @property
    def label(self) -> str:
        return ("now", "call", "unavailable")[self]


@dataclass(frozen=True, slots=True)
class CentreFacts:
    """A centre's public facts (never adviser notes). Coordinates are the approximate point."""

    id: str
    name: str
    country: str
    region: str
    host_municipality: str
    status: str
    latitude: float
    longitude: float
    languages: tuple[str, ...] = ()
    interpreter: bool = True
    serves: tuple[str, ...] = ()
    is_demo: bool = False
    status_reason: str | None = None
    operator_type: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None


@dataclass(frozen=True, slots=True)
class UnitFacts:
    """A unit, what it accepts, and its last reported numbers (None: never reported)."""

    id: int
    centre_id: str
    kind: str
    beds: int = 0
    rooms: int = 0
    family_rooms: int = 0
    accessible_rooms: int = 0
    children: bool = True
    children_max_age: int | None = None
    boys_max_age: int | None = None
    offers: frozenset[Need] = frozenset()
    free_beds: int | None = None
    free_family_rooms: int | None = None
    free_accessible_rooms: int | None = None
    as_of: datetime | None = None
    demo: bool = False


@dataclass(frozen=True, slots=True)
class HoldFacts:
    unit_id: int
    places: int
    family_rooms: int
    accessible_rooms: int
    expires_at: datetime
    created_at: datetime | None = None  # None: counts as known to the public (older data)


@dataclass(frozen=True, slots=True)
class Point:
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise InvalidInput("Coordinates out of range", field="lat/lon")


@dataclass(frozen=True, slots=True)
class Area:
    """A municipality: the person's, whose responsible centre is always shown."""

    country: str
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Query:
    """A search from `origin` for `party`; `municipality` is the person's, when known."""

    origin: Point
    party: Party = field(default_factory=Party)
    language: str | None = None
    municipality: Area | None = None
    away_from: Point | None = None
    min_km: float | None = None
    max_km: float | None = None
    limit: int = 20

    def __post_init__(self) -> None:
        for name in ("min_km", "max_km"):
            value = getattr(self, name)
            if value is not None and not (0 <= value <= 20_000):
                raise InvalidInput(f"{name} must be between 0 and 20000", field=name)
        if (self.away_from is None) != (self.min_km is None):
            raise InvalidInput("away_from and min_km go together", field="away_from")
        if not 1 <= self.limit <= MAX_RESULTS:
            raise InvalidInput(f"limit must be between 1 and {MAX_RESULTS}", field="limit")


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


def _unit_vectors(latitudes: Floats, longitudes: Floats) -> Floats:
    lat, lon = np.radians(latitudes), np.radians(longitudes)
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


class SearchIndex:
    """A read-only snapshot of the registry for searching.

    `areas` are the municipalities (and Svalbard) that get a likely responsible centre where
    none is confirmed; without them only confirmed ones are known.
    """

    def __init__(
        self,
        centres: Sequence[CentreFacts],
        units: Sequence[UnitFacts],
        holds: Iterable[HoldFacts],
        revision: int = 0,
        areas: Iterable[Place] = (),
    ) -> None:
        self.revision = revision
        self.centres = tuple(centres)
        self.units = tuple(units)
        position = {centre.id: i for i, centre in enumerate(self.centres)}
        self.centre_of = np.array([position[u.centre_id] for u in self.units], dtype=np.int64)
        per_centre = np.bincount(self.centre_of) if self.units else np.zeros(1, dtype=np.int64)
        self.units_per_centre = max(1, int(per_centre.max()))
        assigned = responsible_centres(self.centres, areas)
        self.responsible: dict[tuple[str, str], list[int]] = {
            key: list(found.centres) for key, found in assigned.items()
        }
        self.unconfirmed = {key for key, found in assigned.items() if not found.confirmed}

        lat = np.array([c.latitude for c in self.centres], dtype=np.float64)
        lon = np.array([c.longitude for c in self.centres], dtype=np.float64)
        self.xyz = _unit_vectors(lat, lon)[self.centre_of] if self.units else np.zeros((0, 3))
        self.open = np.array([self.centres[c].status == "open" for c in self.centre_of], dtype=bool)
        self.men = np.array([u.kind == "men" for u in self.units], dtype=bool)
        self.offers = {
            need: np.array([need in u.offers for u in self.units], dtype=bool) for need in Need
        }
        self.offers[Need.WHEELCHAIR] = np.array([u.accessible_rooms > 0 for u in self.units])
        self.children = np.array([u.children for u in self.units], dtype=bool)
        self.child_max = self._ages([u.children_max_age for u in self.units])
        self.boys_max = self._ages([u.boys_max_age for u in self.units])
        self.reported = np.array([u.as_of is not None for u in self.units], dtype=bool)
        self.free = np.array(
            [
                [u.free_beds or 0, u.free_family_rooms or 0, u.free_accessible_rooms or 0]
                for u in self.units
            ],
            dtype=np.int64,
        ).reshape(-1, 3)
        self.as_of = np.array(
            [u.as_of.timestamp() if u.as_of else -np.inf for u in self.units], dtype=np.float64
        )
        row = {u.id: i for i, u in enumerate(self.units)}
        kept = [h for h in holds if h.unit_id in row]
        self.hold_unit = np.array([row[h.unit_id] for h in kept], dtype=np.int64)
        self.hold_amount = np.array(
            [[h.places, h.family_rooms, h.accessible_rooms] for h in kept], dtype=np.int64
        ).reshape(-1, 3)
        self.hold_expiry = np.array([h.expires_at.timestamp() for h in kept], dtype=np.float64)
        self.hold_created = np.array(
            [h.created_at.timestamp() if h.created_at else -np.inf for h in kept],
            dtype=np.float64,
        )

    @staticmethod
    def _ages(values: list[int | None]) -> Ints:
        return np.array([NO_LIMIT if v is None else v for v in values], dtype=np.int64)

    def held(self, now: datetime, *, public: bool = False) -> Ints:
        """Places, family rooms and accessible rooms held per unit at `now` (rows as units).

        `public`: only the holds placed before the unit's numbers were last set. A new hold
        then moves no public number until the centre next publishes its numbers, so a watcher
        cannot see a count drop by a party's size while that party is travelling.
        """
        held = np.zeros((len(self.units), 3), dtype=np.int64)
        active = self.hold_expiry > now.timestamp()
        if public:
            active &= self.hold_created <= self.as_of[self.hold_unit]
        np.add.at(held, self.hold_unit[active], self.hold_amount[active])
        return held

    def distances(self, point: Point) -> Floats:
        """Great-circle km from `point` to every unit's centre (spherical; for ranking)."""
        origin = _unit_vectors(np.array([point.latitude]), np.array([point.longitude]))[0]
        return EARTH_RADIUS_KM * np.arccos(np.clip(self.xyz @ origin, -1.0, 1.0))  # type: ignore[no-any-return]

    def centre_index(self, centre_id: str) -> int | None:
        for i, centre in enumerate(self.centres):
            if centre.id == centre_id:
                return i
        return None


def exact_km(a: Point, centre: CentreFacts) -> float:
    """Geodesic distance on WGS-84 in km.

    geographiclib is the engine under geopy's `geodesic`; asking it for the distance alone
    costs half as much, and searches from the same place hit the cache.
    """
    return _geodesic_km(a.latitude, a.longitude, centre.latitude, centre.longitude)


@lru_cache(maxsize=65_536)
def _geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2, Geodesic.DISTANCE)["s12"]) / 1000


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
    responsible = index.responsible.get((area.country, area.code), []) if area else []
    confirmed = not area or (area.country, area.code) not in index.unconfirmed
    candidates = np.flatnonzero(fits_needs & allowed)
    counts = _group_counts(index, candidates, group)
    chosen = [int(u) for u in _top_units(index, candidates, group, distance, query.limit)]
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
    results.sort(key=lambda r: (r.group, r.distance_km))
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


def _top_units(index: SearchIndex, units: Ints, group: Ints, distance: Floats, limit: int) -> Ints:
    """The best-ranked unit of each of the `limit` best centres among `units`, in rank order."""
    if len(units) == 0:
        return units
    # A centre has at most `index.units_per_centre` units, so the best `limit` centres are
    # among the best `limit * units_per_centre` units: no need to sort them all.
    score = group[units] * 1e6 + distance[units]
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
