"""The demo registry: real centre facts (capacity/data/demo_centres.json) with synthetic numbers.

Units, what they accept and their free places are invented, deterministically from each
centre's id, and marked as demo data (`Centre.is_demo`, `Availability.source == "demo"`)
so every view can say so. Loading twice changes nothing. About a third of the open centres
get invented transitional flats (second-stage housing); the aftercare services directory is
loaded from its sourced seed file (capacity.aftercare), never invented.

A phone number is never invented: the file sets one only together with `phone_source` (the
public page that prints it) and `phone_published` (that page's date as it shows it); the
loader refuses a phone without both, and the Centre row carries all three so every page
can say who published the number and when.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import aftercare, location, registry
from capacity.errors import InvalidInput
from capacity.geocoder import Gazetteer
from capacity.models import Centre, ServedMunicipality, Unit, utcnow

DEMO_FILE = Path(__file__).parent / "data" / "demo_centres.json"
ACTOR = "demo-loader"
SAMI_REGIONS = {"Finnmark", "Troms", "Nordland", "Trøndelag"}


def read_demo_file(path: Path = DEMO_FILE) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    centres: list[dict[str, Any]] = data["centres"]
    return centres


def build_centre(facts: dict[str, Any], gazetteer: Gazetteer, now: datetime) -> Centre:
    """A Centre from the demo file's facts plus synthetic units; raises InvalidInput."""
    if facts.get("phone") and not (facts.get("phone_source") and facts.get("phone_published")):
        raise InvalidInput(f"{facts['id']}: a phone needs its phone_source and phone_published")
    try:
        latitude, longitude = location.public_point(
            gazetteer, facts["country"], facts["host_municipality"]
        )
    except InvalidInput as error:
        raise InvalidInput(f"{facts['id']}: {error.message}") from error
    rng = random.Random(facts["id"])  # noqa: S311 - synthetic demo numbers, not security
    centre = Centre(
        id=facts["id"],
        name=facts["name"],
        country=facts["country"],
        region=facts["region"],
        host_municipality=facts["host_municipality"],
        operator_type=facts.get("operator_type"),
        status=facts.get("status", "open"),
        status_reason=facts.get("status_reason"),
        phone=facts.get("phone"),
        phone_source=facts.get("phone_source"),
        phone_published=facts.get("phone_published"),
        email=facts.get("email"),
        website=facts.get("website"),
        languages=_languages(rng, facts["region"]),
        interpreter=True,
        latitude=latitude,
        longitude=longitude,
        is_demo=True,
        version=1,
        created_at=now,
        updated_at=now,
    )
    centre.municipalities = [
        ServedMunicipality(municipality_code=code) for code in sorted(set(facts.get("serves", [])))
    ]
    centre.units = [_unit(rng, "women", facts["region"])]
    if rng.random() < 0.8:
        centre.units.append(_unit(rng, "men", facts["region"]))
    # Its own random stream, so adding flats changed no centre's invented beds.
    flats = random.Random(f"flats:{centre.id}")  # noqa: S311
    if centre.status == "open" and flats.random() < 0.35:
        centre.units.append(_flats(flats))
    return centre


def _flats(rng: random.Random) -> Unit:
    count = rng.randint(1, 6)
    return Unit(
        kind="transitional",
        rooms=count,
        beds=count,
        family_rooms=0,
        accessible_rooms=rng.choice([0, 0, 1]),
        children=rng.random() < 0.8,
        children_max_age=17,
        pets=rng.random() < 0.3,
        stay_months=rng.choice([3, 6, 6, 12]),
        referred_by=rng.choice(["centre", "centre", "municipality"]),
    )


def _languages(rng: random.Random, region: str) -> list[str]:
    spoken = ["nb", "en"]
    spoken += rng.sample(["pl", "ar", "so", "ti", "uk", "ru", "fa", "es"], k=rng.randint(0, 3))
    if region in SAMI_REGIONS and rng.random() < 0.4:
        spoken.append("se")
    return spoken


def _unit(rng: random.Random, kind: str, region: str) -> Unit:
    women = kind == "women"
    rooms = rng.randint(6, 16) if women else rng.randint(1, 4)
    family = rng.randint(1, max(1, rooms // 3)) if women else rng.randint(0, 1)
    return Unit(
        kind=kind,
        rooms=rooms,
        beds=rooms + family * 2,
        family_rooms=family,
        accessible_rooms=rng.choice([0, 1, 1, 2]),
        children=women or rng.random() < 0.6,
        children_max_age=17,
        boys_max_age=rng.choice([None, 12, 14, 16]) if women else None,
        pets=rng.random() < 0.2,
        substance_use=rng.random() < 0.1,
        trafficking=rng.random() < 0.4,
        sami=region in SAMI_REGIONS and rng.random() < 0.5,
        lgbtq=rng.random() < 0.5,
        hearing=rng.random() < 0.3,
        vision=rng.random() < 0.3,
    )


def _numbers(rng: random.Random, unit: Unit, now: datetime) -> tuple[int, int, int, datetime]:
    free_beds = rng.choice([0, 0, *range(0, unit.beds + 1)])
    free_family = min(unit.family_rooms, rng.randint(0, unit.family_rooms), free_beds // 2)
    free_accessible = min(unit.accessible_rooms, rng.randint(0, unit.accessible_rooms), free_beds)
    # Some centres report rarely: about one in six is older than the staleness threshold.
    age = (
        timedelta(hours=rng.randint(26, 72))
        if rng.random() < 0.17
        else timedelta(minutes=rng.randint(3, 600))
    )
    return free_beds, free_family, free_accessible, now - age


async def load(session: AsyncSession, gazetteer: Gazetteer, now: datetime | None = None) -> int:
    """Add the demo centres that are not in the registry yet; returns how many were added.

    Centres already present (by id) are left exactly as they are. Commits.
    """
    now = now or utcnow()
    existing = set(await session.scalars(select(Centre.id)))
    added = 0
    for facts in read_demo_file():
        if facts["id"] in existing:
            continue
        centre = build_centre(facts, gazetteer, now)
        await registry.add_centre(session, centre, ACTOR)
        if centre.status == "open":
            rng = random.Random(f"numbers:{centre.id}")  # noqa: S311
            # Crisis units first, in their usual order, so flats take no number from them.
            units = sorted(centre.units, key=lambda unit: unit.kind == "transitional")
            for unit in units:
                beds, family, accessible, as_of = _numbers(rng, unit, now)
                await registry.set_availability(
                    session,
                    unit,
                    free_beds=beds,
                    free_family_rooms=family,
                    free_accessible_rooms=accessible,
                    actor=ACTOR,
                    source="demo",
                    now=now,
                    as_of=as_of,
                )
        added += 1
    await session.commit()
    await aftercare.load_seed(session, gazetteer)
    return added
