"""Geocoding without a network: the gazetteer behind geopy's `Geocoder` interface.

`Place`, `Lookup` and `Gazetteer` live in `capacity.gazetteer` and are re-exported here, so the
rest of Havn imports everything geographic from `capacity.geocoder`. `OfflineGeocoder` lets
code written for geopy's online geocoders (Nominatim and others) run against the shipped data.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from geopy.adapters import BaseSyncAdapter
from geopy.exc import GeocoderServiceError
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point

from capacity.errors import InvalidInput, PlaceNotFound
from capacity.gazetteer import Gazetteer, Lookup, Place

__all__ = ["Gazetteer", "Lookup", "OfflineGeocoder", "Place"]

DEFAULT_LIMIT = 8


class _NoNetwork(BaseSyncAdapter):  # type: ignore[misc]  # geopy ships no type hints
    """geopy requires an adapter; this one refuses any request, so nothing can go online."""

    def get_json(self, url: str, *, timeout: float, headers: dict[str, str]) -> Any:
        raise GeocoderServiceError("OfflineGeocoder makes no network requests")

    def get_text(self, url: str, *, timeout: float, headers: dict[str, str]) -> str:
        raise GeocoderServiceError("OfflineGeocoder makes no network requests")


class OfflineGeocoder(Geocoder):  # type: ignore[misc]  # geopy ships no type hints
    """geopy-compatible: geocode() and reverse() return geopy.location.Location (raw = Place as
    dict), no network."""

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        super().__init__(adapter_factory=_NoNetwork)
        self.gazetteer = gazetteer or Gazetteer.packaged()

    def geocode(
        self,
        query: str,
        *,
        exactly_one: bool = True,
        timeout: float | None = None,
        limit: int | None = None,
    ) -> Location | list[Location] | None:
        """Locate a place name, municipality or postcode in Norway.

        Returns None when nothing matches. With `exactly_one` (geopy's default) an ambiguous
        query gives its best-ranked place, as geopy's online geocoders do; otherwise a list of
        up to `limit` (default 8) locations, best first. `timeout` is accepted for geopy
        compatibility and ignored. Raises InvalidInput for empty or oversized queries.
        """
        found = self.gazetteer.lookup(query, limit=1 if exactly_one else limit or DEFAULT_LIMIT)
        if not found.places:
            return None
        if exactly_one:
            return _location(found.places[0])
        return [_location(place) for place in found.places]

    def reverse(
        self, query: Any, *, exactly_one: bool = True, timeout: float | None = None
    ) -> Location | list[Location] | None:
        """The nearest town or municipality centre to a point ("lat, lon", a tuple or a
        geopy Point); None when the point is not near Norway. With `exactly_one=False` the
        answer is a one-element list. Raises InvalidInput for coordinates out of range."""
        try:
            point = Point(query)
        except (TypeError, ValueError) as error:
            raise InvalidInput(f"Not a position: {str(query)[:60]!r}", field="q") from error
        try:
            place = self.gazetteer.nearest(point.latitude, point.longitude)
        except PlaceNotFound:
            return None
        return _location(place) if exactly_one else [_location(place)]


def _location(place: Place) -> Location:
    parts = [place.name]
    if place.municipality not in place.name:
        parts.append(place.municipality)
    address = ", ".join([*parts, place.county, "Norway"])
    return Location(address, (place.latitude, place.longitude), asdict(place))
