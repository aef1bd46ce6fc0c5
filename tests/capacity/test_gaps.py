"""The gaps an administrator sees, computed from the demo registry and the gazetteer."""

from __future__ import annotations

import csv
import io

from sqlalchemy.ext.asyncio import AsyncSession

from capacity import demo, registry
from capacity.gaps import CSV_COLUMNS, find_gaps, write_gaps_csv
from capacity.geocoder import Gazetteer


async def test_the_demo_registry_confirms_187_areas_and_the_rest_are_gaps(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await demo.load(session, gazetteer)
    index = await registry.load_index(session, areas=gazetteer.areas())
    gaps = find_gaps(gazetteer, index)
    sourced = {
        code
        for facts in demo.read_demo_file()
        if facts["country"] == "NO" and facts["status"] != "closed"
        for code in facts["serves"]
    }
    assert gaps.municipality_total == len(gazetteer.areas()) == 358
    assert len(gaps.municipalities) == 358 - len(sourced) == 171
    assert not {gap.place.municipality_code for gap in gaps.municipalities} & sourced
    for gap in gaps.municipalities:
        assert gap.likely is not None and gap.likely.status == "open"
        assert gap.likely.country == "NO"
    assert (len(gaps.postcodes), gaps.postcode_total) == (1784, 5132)
    assert sum(len(gap.candidates) == 2 for gap in gaps.postcodes) == 1028
    for gap in gaps.postcodes:
        assert len({place.municipality_code for place in gap.candidates}) == len(gap.candidates)


async def test_the_csv_lists_every_gap_once_under_its_header(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await demo.load(session, gazetteer)
    gaps = find_gaps(gazetteer, await registry.load_index(session, areas=gazetteer.areas()))
    table = list(csv.reader(io.StringIO(write_gaps_csv(gaps), newline="")))
    assert tuple(table[0]) == CSV_COLUMNS
    kinds = [row[0] for row in table[1:]]
    assert kinds.count("municipality") == 171
    assert kinds.count("postcode") == 1784 + 1028  # one row per candidate municipality
    assert all(len(row) == len(CSV_COLUMNS) for row in table)
