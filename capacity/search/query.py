"""What a search asks: the place, the party and the limits, parsed once from plain strings."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from capacity.errors import InvalidInput
from capacity.gazetteer import Place
from capacity.party import Party, parse_party

MAX_RESULTS = 500
DEFAULT_LIMIT = 20
MAX_TEXT = 200
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


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


class Places(Protocol):
    """What a search needs of the gazetteer (capacity.geocoder.Gazetteer)."""

    def resolve(self, text: str) -> Place: ...

    def nearest(self, latitude: float, longitude: float) -> Place: ...


def parse_query(values: Mapping[str, str], places: Places) -> tuple[Query, Place]:
    """The search a person or a program asked for, from its plain string fields.

    Fields: `q` (or `lat` and `lon`), `gender`, `adults`, `children`, `needs` (a comma list),
    `language`, `away_from` with `min_km`, `max_km`, `limit`; absent or blank means the
    default. Returns the query and the place it was understood as. Raises one InvalidInput
    naming the first wrong field, PlaceNotFound or AmbiguousPlace.
    """

    def get(name: str) -> str | None:
        return text_value(name, values.get(name))

    def number(name: str) -> float | None:
        return number_value(name, values.get(name))

    q = get("q")
    lat, lon = number("lat"), number("lon")
    if q is not None and (lat is not None or lon is not None):
        raise InvalidInput("Give either q or lat and lon, not both", field="q")
    if (lat is None) != (lon is None):
        raise InvalidInput("Give both lat and lon", field="lat" if lat is None else "lon")
    if q is not None:
        place = places.resolve(q)
        origin = Point(place.latitude, place.longitude)
    elif lat is not None and lon is not None:
        origin = Point(lat, lon)
        place = places.nearest(lat, lon)
    else:
        raise InvalidInput(
            "Say where: q (place, municipality or postcode) or lat and lon", field="q"
        )
    away_name = get("away_from")
    away = places.resolve(away_name) if away_name is not None else None
    min_km = number("min_km")
    if away is not None and min_km is None:
        raise InvalidInput(
            "With away_from, give min_km: how far away the place must be", field="min_km"
        )
    if away is None and min_km is not None:
        raise InvalidInput("min_km needs away_from: the place to stay away from", field="away_from")
    language = get("language")
    if language is not None and not _LANGUAGE.match(language.lower()):
        raise InvalidInput("language must be a language code like nb, en, ar", field="language")
    limit = number("limit")
    if limit is not None and (limit != int(limit) or not 1 <= limit <= MAX_RESULTS):
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_RESULTS}", field="limit")
    party = parse_party({name: get(name) for name in ("gender", "adults", "children", "needs")})
    query = Query(
        origin=origin,
        party=party,
        language=language.lower() if language else None,
        municipality=Area(place.country, place.municipality_code, place.municipality),
        away_from=Point(away.latitude, away.longitude) if away else None,
        min_km=min_km,
        max_km=number("max_km"),
        limit=int(limit) if limit is not None else DEFAULT_LIMIT,
    )
    return query, place


def text_value(name: str, value: str | None) -> str | None:
    """`value` stripped; None when absent or blank; InvalidInput when too long or when it
    holds control characters."""
    if value is None or not value.strip():
        return None
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{name} is too long (at most {MAX_TEXT} characters)", field=name)
    if any(ord(ch) < 32 for ch in value):
        raise InvalidInput(f"{name} contains control characters", field=name)
    return value.strip()


def number_value(name: str, value: str | None) -> float | None:
    """`value` as a finite number; None when absent or blank; InvalidInput otherwise."""
    text = text_value(name, value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a number", field=name) from None
    if not math.isfinite(number):
        raise InvalidInput(f"{name} must be a finite number", field=name)
    return number
