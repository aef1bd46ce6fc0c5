"""The registry as a search snapshot (capacity.search): facts of centres, units and holds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from capacity import audit, location
from capacity.gazetteer import Place
from capacity.models import Centre, Unit, utcnow
from capacity.party import Need
from capacity.registry.reading import active_holds, list_centres
from capacity.search import CentreFacts, HoldFacts, SearchIndex, UnitFacts

UNIT_OFFERS = tuple(need for need in Need if need is not Need.WHEELCHAIR)


async def load_index(
    session: AsyncSession, now: datetime | None = None, areas: Iterable[Place] = ()
) -> SearchIndex:
    """A search snapshot of the whole registry, stamped with the audit revision it reflects;
    `areas` get a likely responsible centre where none is confirmed (capacity.responsibility)."""
    revision = await audit.revision(session)
    centres = await list_centres(session)
    holds = await active_holds(session, now or utcnow())
    return SearchIndex(
        [centre_facts(c) for c in centres],
        [unit_facts(u) for c in centres for u in c.units],
        [
            HoldFacts(
                h.unit_id,
                h.places,
                h.family_rooms,
                h.accessible_rooms,
                h.expires_at,
                h.created_at,
            )
            for h in holds
        ],
        revision=revision,
        areas=areas,
    )


def centre_facts(centre: Centre) -> CentreFacts:
    return CentreFacts(
        id=centre.id,
        name=centre.name,
        country=centre.country,
        region=centre.region,
        host_municipality=centre.host_municipality,
        status=centre.status,
        # Rounded again, so no distance, filter or ordering can ever see a finer point.
        latitude=round(centre.latitude, location.PUBLIC_DECIMALS),
        longitude=round(centre.longitude, location.PUBLIC_DECIMALS),
        languages=tuple(centre.languages),
        interpreter=centre.interpreter,
        serves=tuple(m.municipality_code for m in centre.municipalities),
        is_demo=centre.is_demo,
        status_reason=centre.status_reason,
        operator_type=centre.operator_type,
        phone=centre.phone,
        email=centre.email,
        website=centre.website,
        phone_source=centre.phone_source,
        phone_published=centre.phone_published,
    )


def unit_facts(unit: Unit) -> UnitFacts:
    numbers = unit.availability
    return UnitFacts(
        id=unit.id,
        centre_id=unit.centre_id,
        kind=unit.kind,
        beds=unit.beds,
        rooms=unit.rooms,
        family_rooms=unit.family_rooms,
        accessible_rooms=unit.accessible_rooms,
        children=unit.children,
        children_max_age=unit.children_max_age,
        boys_max_age=unit.boys_max_age,
        offers=frozenset(need for need in UNIT_OFFERS if getattr(unit, need.value)),
        free_beds=numbers.free_beds if numbers else None,
        free_family_rooms=numbers.free_family_rooms if numbers else None,
        free_accessible_rooms=numbers.free_accessible_rooms if numbers else None,
        as_of=numbers.as_of if numbers else None,
        demo=bool(numbers and numbers.source == "demo"),
    )
