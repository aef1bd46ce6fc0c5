"""The search snapshot: the registry's centres, units and holds as NumPy arrays, one row per unit.

`capacity.registry.load_index` builds it from the database; callers rebuild it when the
registry's revision changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from capacity.gazetteer import Place
from capacity.models import CRISIS_KINDS
from capacity.party import Need
from capacity.responsibility import responsible_centres
from capacity.search.distance import spherical_km, unit_vectors
from capacity.search.query import Point

NO_LIMIT = 999

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


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
    phone_source: str | None = None
    phone_published: str | None = None


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


class SearchIndex:
    """A read-only snapshot of the registry for searching.

    `areas` are the municipalities (and Svalbard) that get a likely responsible centre where
    none is confirmed; without them only confirmed ones are known. Only crisis units are
    kept: a transitional flat is never offered to a person fleeing tonight, and its numbers
    never reach a public page (capacity.aftercare lists the flats for advisers).
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
        self.units = tuple(u for u in units if u.kind in CRISIS_KINDS)
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
        self.xyz = unit_vectors(lat, lon)[self.centre_of] if self.units else np.zeros((0, 3))
        self.open = np.array([self.centres[c].status == "open" for c in self.centre_of], dtype=bool)
        self.men = np.array([u.kind == "men" for u in self.units], dtype=bool)
        self.country = np.array([self.centres[c].country for c in self.centre_of], dtype="U2")
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
        return spherical_km(self.xyz, point)

    def centre_index(self, centre_id: str) -> int | None:
        for i, centre in enumerate(self.centres):
            if centre.id == centre_id:
                return i
        return None
