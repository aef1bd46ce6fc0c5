"""Reading and writing the registry: centres, units and their numbers, each change audited.

The modules: `reading` (centres, units, holds as stored), `changes` (adding a centre, setting
numbers, status, languages and what a unit accepts, each audited) and `snapshot` (the whole
registry as a capacity.search index). The names below are the registry's public ones.
"""

from capacity.registry.changes import (
    ACCEPT_FIELDS,
    SIZE_FIELDS,
    add_centre,
    availability_record,
    centre_record,
    set_availability,
    set_languages,
    set_status,
    unit_record,
    update_unit,
)
from capacity.registry.reading import (
    active_holds,
    adviser_details,
    centre_names,
    find_centre,
    find_unit,
    get_centre,
    get_unit,
    list_centres,
    unit_centres,
    unit_names,
)
from capacity.registry.snapshot import UNIT_OFFERS, centre_facts, load_index, unit_facts

__all__ = [
    "ACCEPT_FIELDS",
    "SIZE_FIELDS",
    "UNIT_OFFERS",
    "active_holds",
    "add_centre",
    "adviser_details",
    "availability_record",
    "centre_facts",
    "centre_names",
    "centre_record",
    "find_centre",
    "find_unit",
    "get_centre",
    "get_unit",
    "list_centres",
    "load_index",
    "set_availability",
    "set_languages",
    "set_status",
    "unit_centres",
    "unit_facts",
    "unit_names",
    "unit_record",
    "update_unit",
]
