"""The /municipalities page's answer to "which centre is mine?": every municipality with its
responsible centre, by county, filtered by what the person typed."""

from __future__ import annotations

from dataclasses import dataclass

from capacity.errors import InvalidInput
from capacity.gazetteer import Gazetteer, Place, name_key
from capacity.search import CentreFacts, SearchIndex

YOURS = 3  # an ambiguous name shows at most this many municipalities first


@dataclass(frozen=True, slots=True)
class Row:
    place: Place
    centres: tuple[CentreFacts, ...]  # responsible centres; empty when none is registered
    confirmed: bool  # False: the likely centre, not confirmed by the registry


@dataclass(frozen=True, slots=True)
class County:
    name: str
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Directory:
    query: str
    yours: tuple[Row, ...]  # the municipalities the query names (a place, postcode or name)
    counties: tuple[County, ...]  # only those with a matching municipality when filtered
    filtered: bool  # a query was given and something matched it


def directory(gazetteer: Gazetteer, index: SearchIndex, query: str) -> Directory:
    """Every Norwegian municipality and its responsible centre, grouped by county.

    With a `query`, "yours" holds the municipalities it names (a postcode or a place is
    taken to its municipality, a typo is forgiven; a county's name names none) and the
    counties keep only municipalities whose name, or whose county's name, contains it.
    When nothing matches, every county is kept and `filtered` is False. A malformed query
    matches nothing.
    """
    query = " ".join(query.split())[:200]
    rows = {}
    for place in gazetteer.municipalities("NO"):
        key = ("NO", place.municipality_code)
        centres = tuple(index.centres[i] for i in index.responsible.get(key, []))
        rows[place.municipality_code] = Row(place, centres, key not in index.unconfirmed)
    wanted = name_key(query)
    named: list[str] = []
    county_named = any(wanted in name_key(row.place.county) for row in rows.values())
    if wanted and not county_named:
        try:
            found = gazetteer.lookup(query).places
        except InvalidInput:
            found = ()
        for place in found[:YOURS]:
            if place.municipality_code in rows and place.municipality_code not in named:
                named.append(place.municipality_code)
    counties: dict[str, list[Row]] = {}
    for row in rows.values():
        matches = (
            not wanted
            or wanted in name_key(row.place.municipality)
            or wanted in name_key(row.place.county)
            or row.place.municipality_code in named
        )
        if matches:
            counties.setdefault(row.place.county, []).append(row)
    filtered = bool(wanted) and bool(counties)
    if not counties:
        for row in rows.values():
            counties.setdefault(row.place.county, []).append(row)
    return Directory(
        query=query,
        yours=tuple(rows[code] for code in named),
        counties=tuple(County(name, tuple(found)) for name, found in sorted(counties.items())),
        filtered=filtered,
    )
