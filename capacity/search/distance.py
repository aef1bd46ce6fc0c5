"""Distances: a fast spherical one for ranking every unit, the geodesic one for results shown."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from geographiclib.geodesic import Geodesic

if TYPE_CHECKING:
    from capacity.search.index import CentreFacts
    from capacity.search.query import Point

EARTH_RADIUS_KM = 6371.0088
# Spherical and geodesic distances differ by at most ~0.56 %: boundary cases are re-checked.
SPHERE_ERROR = 0.006

Floats = npt.NDArray[np.float64]


def unit_vectors(latitudes: Floats, longitudes: Floats) -> Floats:
    lat, lon = np.radians(latitudes), np.radians(longitudes)
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


def spherical_km(xyz: Floats, point: Point) -> Floats:
    """Great-circle km from `point` to each row of unit vectors `xyz` (spherical; for ranking)."""
    origin = unit_vectors(np.array([point.latitude]), np.array([point.longitude]))[0]
    return EARTH_RADIUS_KM * np.arccos(np.clip(xyz @ origin, -1.0, 1.0))  # type: ignore[no-any-return]


def exact_km(a: Point, centre: CentreFacts) -> float:
    """Geodesic distance on WGS-84 in km.

    geographiclib is the engine under geopy's `geodesic`; asking it for the distance alone
    costs half as much, and searches from the same place hit the cache.
    """
    return _geodesic_km(a.latitude, a.longitude, centre.latitude, centre.longitude)


@lru_cache(maxsize=65_536)
def _geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2, Geodesic.DISTANCE)["s12"]) / 1000
