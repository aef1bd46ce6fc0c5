"""The public directory as Open Referral HSDS 3.1 JSON: one list of records per HSDS table.

Only public facts leave: no adviser notes, no intake phone, no address, and the location is the
host municipality's point rounded to two decimals (about a kilometre). Identifiers are UUIDs
derived from Havn's ids, so they stay the same from one export to the next.

Transitional flats (help after the stay) are a service of their centre without any count: the
public may know they exist and whom to ask, never how many there are at a place. The aftercare
directory's services follow, each as its own organization, with its source in the description.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from babel import Locale, UnknownLocaleError
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import aftercare, registry, website
from capacity.models import AftercareService, Centre, Unit, utcnow

HSDS_VERSION = "3.1"
NAMESPACE = uuid.UUID("6f1d3c52-9a4e-5b0b-8d7a-0c2f4e6b8a10")
# Each list in the export and the HSDS schema (capacity/data/hsds/<schema>.json) of its records.
TABLES = {
    "organizations": "organization",
    "locations": "location",
    "services": "service",
    "service_at_locations": "service_at_location",
    "service_areas": "service_area",
    "phones": "phone",
    "languages": "language",
    "service_capacities": "service_capacity",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
    "attributes": "attribute",
}
STATUS = {"open": "active", "temporarily_closed": "temporarily closed", "closed": "inactive"}
WHO = {"women": "women", "men": "men", "transitional": "people leaving a crisis centre"}
REFERRERS = {"centre": "the crisis centre", "municipality": "the municipality"}
AFTERCARE = {
    "centre_follow_up": "The crisis centre's follow-up after the stay",
    "housing": "Housing",
    "nav": "NAV (welfare and social services)",
    "family_counselling": "Family counselling",
    "legal_aid": "Free legal aid",
    "children": "Support for children",
    "peer_network": "Peer network",
    "aftercare_programme": "Aftercare programme",
}
CAPACITY_UNITS = (
    ("bed", "Bed", "free_beds", "beds"),
    ("family-room", "Family room", "free_family_rooms", "family_rooms"),
    ("accessible-room", "Wheelchair-accessible room", "free_accessible_rooms", "accessible_rooms"),
)
FEATURES = {
    "children": "Children can come along",
    "wheelchair": "Wheelchair-accessible rooms",
    "pets": "Pets welcome",
    "substance_use": "Takes people in active substance use",
    "trafficking": "Takes victims of human trafficking",
    "sami": "Sami-adapted service",
    "lgbtq": "LGBTQ+ competence",
    "hearing": "Support for people with impaired hearing",
    "vision": "Support for people with impaired vision",
}
TAXONOMY = "Havn shelter features"

MunicipalityName = Callable[[str], str | None]
Held = dict[int, tuple[int, int, int]]


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


async def export_hsds(
    session: AsyncSession,
    municipality_name: MunicipalityName | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The public directory as HSDS 3.1 records: {"about": ..., <table>: [records], ...}.

    `municipality_name(code)` names served municipalities and locations (None: the code is
    used). Free capacity is what the centre reported minus places held by advisers now.
    """
    name_of = municipality_name or (lambda code: None)
    held: defaultdict[int, tuple[int, int, int]] = defaultdict(lambda: (0, 0, 0))
    for hold in await registry.active_holds(session, now or utcnow()):
        beds, family, accessible = held[hold.unit_id]
        held[hold.unit_id] = (
            beds + hold.places,
            family + hold.family_rooms,
            accessible + hold.accessible_rooms,
        )
    document: dict[str, Any] = {
        "about": {
            "version": HSDS_VERSION,
            "description": "Domestic-violence crisis centres and their free places (Havn)",
        }
    }
    document |= {table: [] for table in TABLES}
    document["taxonomies"].append(
        {
            "id": _id("taxonomy"),
            "name": TAXONOMY,
            "description": "What a crisis centre's unit can accommodate, as Havn records it.",
            "version": "1",
        }
    )
    document["taxonomy_terms"] = [
        {
            "id": _id("term", code),
            "code": code,
            "name": label,
            "description": label,
            "taxonomy": TAXONOMY,
            "taxonomy_id": _id("taxonomy"),
        }
        for code, label in FEATURES.items()
    ]
    for centre in sorted(await registry.list_centres(session), key=lambda c: c.id):
        _add_centre(document, centre, name_of, held)
    for service in await aftercare.all_services(session):
        _add_aftercare(document, service, name_of)
    return document


def _add_centre(
    document: dict[str, Any], centre: Centre, name_of: MunicipalityName, held: Held
) -> None:
    organization = _id("organization", centre.id)
    location = _id("location", centre.id)
    host = name_of(centre.host_municipality) or centre.host_municipality
    serves = sorted(m.municipality_code for m in centre.municipalities)
    document["organizations"].append(
        _present(
            id=organization,
            name=centre.name,
            description=(
                f"Crisis centre for people subjected to domestic violence in {centre.region}"
                f" ({centre.country}), serving {len(serves)} municipalities."
            ),
            email=centre.email,
            website=_url(centre.website),
            legal_status=centre.operator_type,
        )
    )
    document["locations"].append(
        {
            "id": location,
            "location_type": "physical",
            "organization_id": organization,
            "name": f"{host} (approximate)",
            "description": (
                f"The centre point of the municipality of {host}. The address is not "
                "published, for the safety of the people staying there: call the centre."
            ),
            "latitude": round(centre.latitude, 2),
            "longitude": round(centre.longitude, 2),
            "external_identifier": centre.host_municipality,
            "external_identifier_type": f"municipality number ({centre.country})",
        }
    )
    if centre.phone:
        document["phones"].append(_phone(centre, organization_id=organization))
    for unit in centre.units:
        service = _id("service", centre.id, unit.kind)
        document["services"].append(_service(centre, unit, service, organization))
        document["service_at_locations"].append(
            {"id": _id("sal", centre.id, unit.kind), "service_id": service, "location_id": location}
        )
        if centre.phone:
            document["phones"].append(_phone(centre, service_id=service))
        document["languages"] += [
            _present(
                id=_id("language", centre.id, unit.kind, code),
                service_id=service,
                code=code,
                name=_language_name(code),
            )
            for code in centre.languages
        ]
        document["service_areas"] += [
            {
                "id": _id("area", centre.id, unit.kind, code),
                "service_id": service,
                "name": name_of(code) or code,
                "description": f"Municipality number {code} ({centre.country})",
            }
            for code in serves
        ]
        if unit.kind != "transitional":
            document["service_capacities"] += _capacities(centre, unit, service, held)
        document["attributes"] += [
            {
                "id": _id("attribute", centre.id, unit.kind, code),
                "link_id": service,
                "link_type": "service_feature",
                "link_entity": "service",
                "taxonomy_term_id": _id("term", code),
                "label": FEATURES[code],
            }
            for code in FEATURES
            if (unit.accessible_rooms > 0 if code == "wheelchair" else getattr(unit, code))
        ]


def _service(centre: Centre, unit: Unit, service: str, organization: str) -> dict[str, Any]:
    if unit.kind == "transitional":
        return _flats(centre, unit, service, organization)
    who = WHO[unit.kind]
    children = "Children cannot come along."
    if unit.children:
        children = "Children can come along" + (
            f" up to age {unit.children_max_age}" if unit.children_max_age is not None else ""
        )
        if unit.boys_max_age is not None:
            children += f"; boys up to age {unit.boys_max_age}"
        children += "."
    return _present(
        id=service,
        organization_id=organization,
        name=f"{centre.name}: shelter for {who}",
        description=(
            f"Crisis centre shelter for {who} subjected to violence or threats in close "
            f"relationships: {unit.beds} beds in {unit.rooms} rooms, {unit.family_rooms} family "
            f"rooms, {unit.accessible_rooms} wheelchair-accessible rooms."
        ),
        url=_url(centre.website),
        email=centre.email,
        status=STATUS[centre.status],
        alert=centre.status_reason,
        interpretation_services="An interpreter can be arranged." if centre.interpreter else None,
        eligibility_description=f"{who.capitalize()} subjected to violence. {children}",
        last_modified=centre.updated_at.isoformat(),
    )


def _flats(centre: Centre, unit: Unit, service: str, organization: str) -> dict[str, Any]:
    stay = f" A stay usually lasts {unit.stay_months} months." if unit.stay_months else ""
    ask = REFERRERS.get(unit.referred_by or "", "the crisis centre")
    return _present(
        id=service,
        organization_id=organization,
        name=f"{centre.name}: transitional flats after the stay",
        description=(
            "Second-stage housing for people moving out of a crisis centre, while they find "
            f"a home of their own.{stay} Ask {ask}; where the flats are is not published."
        ),
        url=_url(centre.website),
        email=centre.email,
        status=STATUS[centre.status],
        eligibility_description=f"People leaving a crisis centre, referred by {ask}.",
        last_modified=centre.updated_at.isoformat(),
    )


def _add_aftercare(
    document: dict[str, Any], service: AftercareService, name_of: MunicipalityName
) -> None:
    organization = _id("aftercare-organization", str(service.id))
    record = _id("aftercare", str(service.id))
    source = f"Source: {service.source} (read {service.source_date.isoformat()})."
    document["organizations"].append(
        _present(
            id=organization,
            name=service.name,
            description=f"{AFTERCARE[service.kind]}: help after a crisis-centre stay. {source}",
            website=_url(service.website),
        )
    )
    document["services"].append(
        _present(
            id=record,
            organization_id=organization,
            name=service.name,
            description=f"{AFTERCARE[service.kind]} after a crisis-centre stay. {source}",
            url=_url(service.website),
            status="active",
            eligibility_description=service.who_for,
            last_modified=service.updated_at.isoformat(),
        )
    )
    code = service.municipality_code
    document["service_areas"].append(
        {
            "id": _id("aftercare-area", str(service.id)),
            "service_id": record,
            "name": (name_of(code) or code) if code else service.country,
            "description": (
                f"Municipality number {code} ({service.country})"
                if code
                else f"The whole country ({service.country})"
            ),
        }
    )
    if service.phone:
        document["phones"].append(
            {
                "id": _id("phone", record),
                "service_id": record,
                "number": service.phone,
                "type": "voice",
                "description": "As published by the service.",
            }
        )


def _capacities(centre: Centre, unit: Unit, service: str, held: Held) -> list[dict[str, Any]]:
    numbers = unit.availability
    if numbers is None:
        return []
    taken = held.get(unit.id, (0, 0, 0))
    return [
        {
            "id": _id("capacity", centre.id, unit.kind, code),
            "service_id": service,
            "unit_id": _id("unit", code),
            "unit": {"id": _id("unit", code), "name": name, "identifier": code},
            "available": max(0, getattr(numbers, free) - taken[index]),
            "maximum": getattr(unit, total),
            "description": "As the centre last reported it, less places held: call to confirm.",
            "updated": numbers.as_of.isoformat(),
        }
        for index, (code, name, free, total) in enumerate(CAPACITY_UNITS)
    ]


def _phone(centre: Centre, **link: str) -> dict[str, Any]:
    owner = next(iter(link.values()))
    return {
        "id": _id("phone", owner),
        **link,
        "number": centre.phone,
        "type": "voice",
        "description": "The centre's public phone, answered day and night.",
    }


def _url(value: str | None) -> str | None:
    return website.link(value)


def _language_name(code: str) -> str | None:
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name("en")
    except (UnknownLocaleError, ValueError):
        return None


def _present(**fields: Any) -> dict[str, Any]:
    """The record without empty fields (HSDS leaves out what is unknown)."""
    return {name: value for name, value in fields.items() if value is not None}
