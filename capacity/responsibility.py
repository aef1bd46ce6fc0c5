"""Which crisis centre is responsible for a municipality.

The crisis-centre act obliges every municipality to offer a crisis centre, but the registry
knows the municipalities a centre serves only where that list is sourced. Elsewhere Havn shows
the nearest open centre in the municipality's county as the likely one, marked "not confirmed —
call to check"; it never guesses silently.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from capacity.gazetteer import Place
    from capacity.search import CentreFacts

# Svalbard (county code 21) has no crisis centre and no county. It is counted with Troms, whose
# hospital (UNN Tromsø) and court serve it and through which the usual route from Longyearbyen
# runs, so its likely centre is Troms' nearest rather than Finnmark's (Hammerfest lies nearer
# as the crow flies, but no service of Svalbard's runs through it).
COUNTY_OF = {"21": "55"}

# Countries whose law makes each municipality offer a crisis centre, so that every area has a
# responsible centre to show. Norway's crisis-centre act (krisesenterlova) does; Denmark's
# Serviceloven §§ 109/110 lets a person turn to any shelter and gives no municipality its own
# centre, so there Havn shows only what a centre's sourced `serves` list says, and guesses
# nothing.
DUTY_COUNTRIES = frozenset({"NO"})


@dataclass(frozen=True, slots=True)
class Responsibility:
    """The centres responsible for one municipality (positions in the index's centres) and
    whether the registry confirms it (False: the likely centre, nearest in the county)."""

    centres: tuple[int, ...]
    confirmed: bool


def responsible_centres(
    centres: Sequence[CentreFacts], areas: Iterable[Place]
) -> dict[tuple[str, str], Responsibility]:
    """Every area's responsible centre, keyed by (country, municipality number).

    A centre that is not closed and lists the area among those it serves is confirmed (several
    can be). An area no such centre serves gets the nearest open centre whose host municipality
    lies in the same county (Svalbard: Troms, see COUNTY_OF), else the nearest open centre of
    the country, unconfirmed. A closed centre is never responsible. Areas not in `areas` get
    only their confirmed centres; an area with no centre at all (no open centre in its
    country) is left out, and so is every area of a country outside DUTY_COUNTRIES (Denmark):
    there only confirmed centres count, never the nearest.
    """
    found: dict[tuple[str, str], list[int]] = {}
    for i, centre in enumerate(centres):
        if centre.status == "closed":
            continue
        for code in centre.serves:
            found.setdefault((centre.country, code), []).append(i)
    answer = {key: Responsibility(tuple(found[key]), True) for key in found}
    open_centres = [i for i, c in enumerate(centres) if c.status == "open"]
    for area in areas:
        key = (area.country, area.municipality_code)
        if key in answer or area.country not in DUTY_COUNTRIES:
            continue
        county = _county(area.municipality_code)
        here = [i for i in open_centres if centres[i].country == area.country]
        same = [i for i in here if _county(centres[i].host_municipality) == county]
        choice = min(same or here, key=lambda i: _km(area, centres[i]), default=None)
        if choice is not None:
            answer[key] = Responsibility((choice,), False)
    return answer


def _county(municipality_code: str) -> str:
    return COUNTY_OF.get(municipality_code[:2], municipality_code[:2])


def _km(area: Place, centre: CentreFacts) -> float:
    """Great-circle distance; only compares centres, so the sphere is precise enough."""
    lat1, lat2 = math.radians(area.latitude), math.radians(centre.latitude)
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1)
        * math.cos(lat2)
        * math.sin(math.radians(centre.longitude - area.longitude) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))
