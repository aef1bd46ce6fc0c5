"""A centre's location: only its public point, the host municipality's, is ever stored.

A centre's street address is secret, for the safety of the people staying there. A precise
point would be as bad: a watcher who bisects the public search's `max_km` from three places
recovers any stored point to within a metre. So the registry keeps nothing finer than the
host municipality's point (from the offline gazetteer) rounded to PUBLIC_DECIMALS, which is
public anyway, and every distance, filter and ordering is computed from that.
"""

from __future__ import annotations

from capacity.errors import InvalidInput
from capacity.geocoder import Gazetteer

PUBLIC_DECIMALS = 2  # about 1 km: the resolution of every public point


def public_point(gazetteer: Gazetteer, country: str, municipality: str) -> tuple[float, float]:
    """The public point of a centre hosted by `municipality` (a municipality number).

    Raises InvalidInput (field "host_municipality") when the gazetteer does not know that
    municipality: without it Havn has no public point to store, and stores none finer.
    """
    place = gazetteer.municipality(municipality, country)
    if place is None:
        raise InvalidInput(
            f"Havn does not know municipality number {municipality[:16]!r} in {country[:2]!r}: "
            "a centre's location is its host municipality's point, so give a municipality "
            "number from the current list",
            field="host_municipality",
        )
    return rounded(place.latitude, place.longitude)


def rounded(latitude: float, longitude: float) -> tuple[float, float]:
    """The point at public resolution (PUBLIC_DECIMALS decimals)."""
    return round(latitude, PUBLIC_DECIMALS), round(longitude, PUBLIC_DECIMALS)


def is_public(latitude: float, longitude: float) -> bool:
    """Whether the point is no finer than the public resolution."""
    return rounded(latitude, longitude) == (latitude, longitude)


def require_public(latitude: float, longitude: float) -> None:
    """Refuse a point finer than the public resolution (InvalidInput, field "latitude")."""
    if not is_public(latitude, longitude):
        raise InvalidInput(
            "A centre's location is stored only as its host municipality's point "
            f"({PUBLIC_DECIMALS} decimals), never a finer one",
            field="latitude",
        )
