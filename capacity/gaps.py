"""What the registry does not know yet, for an administrator to fix: municipalities whose
responsible centre is only the likely one (capacity/responsibility.py), and postcodes the
gazetteer answers approximately (capacity/gazetteer.py).

A municipality is fixed in the registry, by adding it to a centre's served list. A postcode is
fixed in the gazetteer build (POSTCODE_FIX): the admin can only see where.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from capacity.exchange.csv import neutralise
from capacity.gazetteer import Gazetteer, Place
from capacity.search import CentreFacts, SearchIndex

POSTCODE_FIX = (
    "scripts/build_gazetteer.py, with a source giving each postcode's municipality number "
    "(Posten's full register or Kartverket's postcode areas); see capacity/data/GAZETTEER.md"
)
CSV_COLUMNS = ("kind", "code", "name", "county", "likely_centre_id", "likely_centre", "fix")


@dataclass(frozen=True, slots=True)
class MunicipalityGap:
    """An area whose responsible centre is not confirmed; `likely` is None when no open centre
    of the country can stand in."""

    place: Place
    likely: CentreFacts | None


@dataclass(frozen=True, slots=True)
class PostcodeGap:
    """A postcode answered approximately: its post town and every candidate municipality (two
    when it lies by its numbering between two)."""

    postcode: str
    town: str
    candidates: tuple[Place, ...]


@dataclass(frozen=True, slots=True)
class Gaps:
    municipalities: tuple[MunicipalityGap, ...]
    municipality_total: int
    postcodes: tuple[PostcodeGap, ...]
    postcode_total: int


def find_gaps(gazetteer: Gazetteer, index: SearchIndex, country: str = "NO") -> Gaps:
    """Every unconfirmed area of `country` (its municipalities and Svalbard), in name order,
    with its likely centre, and every approximate postcode, in number order.

    `index` must have been built with the gazetteer's areas (as the web app's is), so that it
    knows the likely centres; an area with no responsible centre at all is a gap too.
    """
    areas = gazetteer.areas(country)
    municipalities = []
    for place in areas:
        key = (country, place.municipality_code)
        found = index.responsible.get(key, [])
        if found and key not in index.unconfirmed:
            continue
        likely = index.centres[found[0]] if found else None
        municipalities.append(MunicipalityGap(place, likely))
    by_code: dict[str, list[Place]] = {}
    for place in gazetteer.places("postcode", country):
        assert place.postcode is not None  # every postcode place has its code
        by_code.setdefault(place.postcode, []).append(place)
    postcodes = [
        PostcodeGap(
            code,
            places[0].name.removeprefix(f"{code} "),
            tuple(sorted(places, key=lambda p: p.municipality_code)),
        )
        for code, places in sorted(by_code.items())
        if any(place.approximate for place in places)
    ]
    return Gaps(tuple(municipalities), len(areas), tuple(postcodes), len(by_code))


def write_gaps_csv(gaps: Gaps) -> str:
    """`gaps` as CSV (RFC 4180, header first): one row per municipality, then one per postcode
    and candidate municipality; text a spreadsheet would run as a formula gets an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for gap in gaps.municipalities:
        likely = gap.likely
        fix = "add it to its centre's served municipalities (/admin/gaps)"
        row = [
            "municipality",
            gap.place.municipality_code,
            gap.place.municipality,
            gap.place.county,
            likely.id if likely else "",
            likely.name if likely else "",
            fix,
        ]
        writer.writerow([neutralise(cell) for cell in row])
    for postcode in gaps.postcodes:
        for place in postcode.candidates:
            row = [
                "postcode",
                postcode.postcode,
                f"{postcode.town} ({place.municipality_code} {place.municipality})",
                place.county,
                "",
                "",
                POSTCODE_FIX,
            ]
            writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()
