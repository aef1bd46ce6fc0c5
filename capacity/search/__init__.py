"""Routing: rank the registry's units for a party, nearest first within three groups.

The search runs on a `SearchIndex`, an in-memory snapshot of the registry held in NumPy arrays
(one row per unit), so one search over 10,000 centres is a handful of vectorised operations.
`capacity.registry.load_index` builds it from the database; callers rebuild it when the
registry's revision changes. Time-dependent parts (holds expiring, numbers going stale) are
evaluated at query time against `now`.
"""

from capacity.search.distance import exact_km
from capacity.search.index import CentreFacts, HoldFacts, SearchIndex, UnitFacts
from capacity.search.query import MAX_RESULTS, Area, Point, Query, parse_query
from capacity.search.rank import CROSS_BORDER_KM, Group, Outcome, Result, search

__all__ = [
    "CROSS_BORDER_KM",
    "MAX_RESULTS",
    "Area",
    "CentreFacts",
    "Group",
    "HoldFacts",
    "Outcome",
    "Point",
    "Query",
    "Result",
    "SearchIndex",
    "UnitFacts",
    "exact_km",
    "parse_query",
    "search",
]
