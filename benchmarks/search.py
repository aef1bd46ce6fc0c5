"""Search-function latency on the demo registry and on a synthetic 10,000-centre Europe.

Run on demand: `make bench` or `.venv/bin/python benchmarks/search.py`. Prints p50/p99.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from capacity import demo, migrate, registry
from capacity.db import create_engine, session_factory
from capacity.geocoder import Gazetteer
from capacity.party import Child, Gender, Need, Party
from capacity.search import (
    Area,
    CentreFacts,
    HoldFacts,
    Point,
    Query,
    SearchIndex,
    UnitFacts,
    search,
)

NOW = datetime.now(UTC)
STALE = timedelta(hours=24)


def synthetic_index(centres: int, seed: int = 7) -> SearchIndex:
    rng = random.Random(seed)
    facts, units, holds = [], [], []
    for i in range(centres):
        code = f"{i:05d}"
        facts.append(
            CentreFacts(
                id=f"c{i}",
                name=f"Centre {i}",
                country="EU",
                region="R",
                host_municipality=code,
                status=rng.choices(["open", "temporarily_closed", "closed"], [95, 3, 2])[0],
                latitude=rng.uniform(36, 70),
                longitude=rng.uniform(-10, 30),
                languages=("en",),
                serves=(code,),
            )
        )
        for kind in ["women", "men"] if rng.random() < 0.6 else ["women"]:
            uid = len(units)
            units.append(
                UnitFacts(
                    id=uid,
                    centre_id=f"c{i}",
                    kind=kind,
                    beds=12,
                    family_rooms=3,
                    accessible_rooms=rng.choice([0, 1, 2]),
                    children=rng.random() < 0.9,
                    children_max_age=17,
                    boys_max_age=rng.choice([None, 12, 14]),
                    offers=frozenset(n for n in Need if rng.random() < 0.3),
                    free_beds=rng.randint(0, 12),
                    free_family_rooms=rng.randint(0, 3),
                    free_accessible_rooms=rng.randint(0, 1),
                    as_of=NOW - timedelta(hours=rng.uniform(0, 40)),
                )
            )
            if rng.random() < 0.1:
                holds.append(HoldFacts(uid, 1, 0, 0, NOW + timedelta(hours=1)))
    return SearchIndex(facts, units, holds)


def queries(rng: random.Random, lat: tuple[float, float], lon: tuple[float, float]) -> list[Query]:
    parties = [
        Party(),
        Party(children=(Child(3), Child(7), Child(12))),
        Party(gender=Gender.MAN, children=(Child(5, "boy"),)),
        Party(needs=frozenset({Need.WHEELCHAIR, Need.PETS})),
        Party(gender=Gender.OTHER, needs=frozenset({Need.SUBSTANCE_USE})),
    ]
    made = []
    for i in range(2000):
        origin = Point(rng.uniform(*lat), rng.uniform(*lon))
        extra: dict[str, object] = {}
        if i % 4 == 1:
            extra = {"away_from": origin, "min_km": 150.0}
        elif i % 4 == 2:
            extra = {"max_km": 300.0}
        made.append(
            Query(
                origin=origin,
                party=parties[i % len(parties)],
                language="ar",
                municipality=Area("EU", f"{i % 10_000:05d}", "Somewhere"),
                **extra,  # type: ignore[arg-type]
            )
        )
    return made


def measure(index: SearchIndex, made: list[Query]) -> dict[str, float]:
    for query in made[:100]:  # warm-up
        search(index, query, NOW, STALE)
    times = []
    for query in made:
        start = time.perf_counter()
        search(index, query, NOW, STALE)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": times[int(len(times) * 0.99) - 1],
        "max_ms": times[-1],
    }


async def demo_index() -> SearchIndex:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        await asyncio.to_thread(migrate.upgrade, url)
        engine = create_engine(url)
        async with session_factory(engine)() as session:
            gazetteer = Gazetteer.load()
            await demo.load(session, gazetteer)
            index = await registry.load_index(session, areas=gazetteer.areas())
        await engine.dispose()
        return index


def geocoder_timings() -> str:
    """Gazetteer load time and per-lookup median and p99 (500 runs each): an exact name, a
    district, a postcode, an approximate postcode, one between two municipalities, typos and
    an ambiguous name."""
    started = time.perf_counter()
    gazetteer = Gazetteer.load()
    load_ms = (time.perf_counter() - started) * 1000
    rows = []
    for query in (
        "Bodø", "Fyllingsdalen", "8006", "5147", "5170", "Kristiansnad", "Fylingsdalen", "Os",
    ):  # fmt: skip
        times = []
        for _ in range(500):
            started = time.perf_counter()
            gazetteer.lookup(query)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        rows.append(
            f"{query} {statistics.median(times):.3f}/{times[int(len(times) * 0.99) - 1]:.3f}"
        )
    started = time.perf_counter()
    areas = gazetteer.areas()
    index = SearchIndex(demo_facts(gazetteer), [], [], areas=areas)
    build_ms = (time.perf_counter() - started) * 1000
    assert len(index.responsible) == len(areas)
    return (
        f"gazetteer: load {load_ms:.0f} ms; lookup p50/p99 ms: "
        + ", ".join(rows)
        + f"; responsible centres for {len(areas)} areas at index build: {build_ms:.1f} ms"
    )


def demo_facts(gazetteer: Gazetteer) -> list[CentreFacts]:
    """The demo centres as search facts, at their host municipality's point."""
    facts = json.loads((Path(demo.__file__).parent / "data" / "demo_centres.json").read_text())
    made = []
    for row in facts["centres"]:
        host = gazetteer.municipality(row["host_municipality"])
        assert host is not None
        made.append(
            CentreFacts(row["id"], row["name"], "NO", row["region"], row["host_municipality"],
                        row["status"], host.latitude, host.longitude,
                        serves=tuple(row["serves"]) if row["status"] != "closed" else ())
        )  # fmt: skip
    return made


def main() -> None:
    print(geocoder_timings())
    rng = random.Random(1)
    index = asyncio.run(demo_index())
    result = measure(index, queries(rng, (58, 70), (5, 30)))
    print(f"demo registry ({len(index.centres)} centres, {len(index.units)} units): {fmt(result)}")
    for size in (1_000, 10_000):
        index = synthetic_index(size)
        result = measure(index, queries(rng, (36, 70), (-10, 30)))
        print(f"synthetic Europe ({size} centres, {len(index.units)} units): {fmt(result)}")


def fmt(result: dict[str, float]) -> str:
    return ", ".join(f"{key} {value:.3f}" for key, value in result.items())


if __name__ == "__main__":
    main()
