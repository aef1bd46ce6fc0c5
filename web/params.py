"""Search parameters, parsed strictly from a query string (the API and the pages share them)."""

from __future__ import annotations

import math
import re

from starlette.datastructures import QueryParams

from capacity.errors import InvalidInput, NotFound
from capacity.geocoder import Gazetteer, Place
from capacity.party import Party, parse_adults, parse_children, parse_gender, parse_needs
from capacity.search import MAX_RESULTS, Area, Point, Query

MAX_PARAM = 200
# The largest value an INTEGER column holds on every engine (PostgreSQL's is 32-bit).
MAX_INT = 2**31 - 1
DEFAULT_LIMIT = 20
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def parse_search(params: QueryParams, gazetteer: Gazetteer) -> tuple[Query, Place]:
    """Build a Query from the request's parameters; raises InvalidInput, PlaceNotFound or
    AmbiguousPlace with a message a person can act on."""
    q = text(params, "q")
    lat, lon = number(params, "lat"), number(params, "lon")
    if q is not None and (lat is not None or lon is not None):
        raise InvalidInput("Give either q or lat and lon, not both", field="q")
    if (lat is None) != (lon is None):
        raise InvalidInput("Give both lat and lon", field="lat" if lat is None else "lon")
    if q is not None:
        place = gazetteer.resolve(q)
        origin = Point(place.latitude, place.longitude)
    elif lat is not None and lon is not None:
        origin = Point(lat, lon)
        place = gazetteer.nearest(lat, lon)
    else:
        raise InvalidInput(
            "Say where: q (place, municipality or postcode) or lat and lon", field="q"
        )

    away_name = text(params, "away_from")
    away = gazetteer.resolve(away_name) if away_name is not None else None
    min_km = number(params, "min_km")
    if away is not None and min_km is None:
        raise InvalidInput(
            "With away_from, give min_km: how far away the place must be", field="min_km"
        )
    if away is None and min_km is not None:
        raise InvalidInput("min_km needs away_from: the place to stay away from", field="away_from")
    language = text(params, "language")
    if language is not None and not _LANGUAGE.match(language.lower()):
        raise InvalidInput("language must be a language code like nb, en, ar", field="language")
    limit = number(params, "limit")
    if limit is not None and (limit != int(limit) or not 1 <= limit <= MAX_RESULTS):
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_RESULTS}", field="limit")
    party = Party(
        gender=parse_gender(text(params, "gender")),
        adults=parse_adults(text(params, "adults")),
        children=parse_children(text(params, "children")),
        needs=parse_needs(needs(params)),
    )
    query = Query(
        origin=origin,
        party=party,
        language=language.lower() if language else None,
        municipality=Area(place.country, place.municipality_code, place.municipality),
        away_from=Point(away.latitude, away.longitude) if away else None,
        min_km=min_km,
        max_km=number(params, "max_km"),
        limit=int(limit) if limit is not None else DEFAULT_LIMIT,
    )
    return query, place


def needs(params: QueryParams) -> str | None:
    """Needs as one comma list: the API sends "a,b", a form's checkboxes send needs=a&needs=b."""
    values = [text_value("needs", v) for v in params.getlist("needs")]
    joined = ",".join(v for v in values if v)
    return joined or None


def text(params: QueryParams, name: str) -> str | None:
    """A query parameter, stripped; None when absent or blank; InvalidInput when absurd."""
    value = params.get(name)
    return None if value is None else text_value(name, value)


def text_value(name: str, value: str) -> str | None:
    if not value.strip():
        return None
    if len(value) > MAX_PARAM:
        raise InvalidInput(f"{name} is too long (at most {MAX_PARAM} characters)", field=name)
    if any(ord(ch) < 32 for ch in value):
        raise InvalidInput(f"{name} contains control characters", field=name)
    return value.strip()


def whole(
    value: object, name: str, *, low: int = 0, high: int = MAX_INT, message: str | None = None
) -> int:
    """`value` (text from a form, header or path) as a whole number from `low` to `high`.

    Digits of any script count ("١٢" is 12, as int() reads them); "²", "1_000", "1.0", "+1",
    a minus when `low` is not negative, and anything outside the range raise InvalidInput with
    `message` (or one naming `name` and the range). Every request's whole number is parsed
    here, so none reaches int() or the database unchecked.
    """
    raw = str(value).strip()
    digits = raw.removeprefix("-") if low < 0 else raw
    if not digits.isdecimal() or len(digits) > len(str(MAX_INT)):
        raise InvalidInput(message or f"{name} must be a whole number", field=name)
    number = int(raw)
    if not low <= number <= high:
        raise InvalidInput(message or f"{name} must be from {low} to {high}", field=name)
    return number


def known_id(value: object, what: str) -> int:
    """A row id from a URL path; NotFound for anything that cannot be one (huge, "²", "x")."""
    try:
        return whole(value, what, low=1)
    except InvalidInput:
        raise NotFound(f"No such {what}") from None


def number(params: QueryParams, name: str) -> float | None:
    value = text(params, name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a number", field=name) from None
    if not math.isfinite(number):
        raise InvalidInput(f"{name} must be a finite number", field=name)
    return number
