"""A centre's units on the administration page: the sizes of its women's and men's units, and
its transitional flats (second-stage housing after the stay: how many, how many are
wheelchair-accessible, the usual stay and whom a person asks). Every change goes through
exchange.update_centre, so it is audited as the centre's change, as every unit edit is."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from capacity import exchange, registry
from capacity.errors import Conflict, InvalidInput
from capacity.models import CRISIS_KINDS, REFERRERS, Centre, Unit, User
from web.params import whole
from web.state import services
from web.views.admin.page import Form, text

SIZES = ("beds", "rooms", "family_rooms", "accessible_rooms")
MAX_SIZE = 500  # as registry.update_unit and the CSV import allow
MAX_STAY = 60  # months, as the units table allows
WHAT = {
    "beds": "beds",
    "rooms": "rooms",
    "family_rooms": "family rooms",
    "accessible_rooms": "wheelchair-accessible rooms",
}
FLAT_FIELDS = (
    "transitional_beds",
    "transitional_accessible_rooms",
    "transitional_stay_months",
    "transitional_referred_by",
)
UNIT_FIELDS = frozenset(f"{kind}_{name}" for kind in CRISIS_KINDS for name in SIZES) | set(
    FLAT_FIELDS
)
ADD_FORM = Form("flats-{centre_id}", frozenset(FLAT_FIELDS))


def sizes(data: FormData, centre: Centre) -> dict[str, dict[str, Any]]:
    """The unit changes the centre's form asks for, as exchange.update_centre takes them.

    A size left empty stays as it is (sizes sent for a unit the centre lacks add it, as the
    CSV import does). Transitional flats are read only when the centre has them: they are
    added by `add_flats`. Raises InvalidInput by the field.
    """
    changes: dict[str, dict[str, Any]] = {}
    for kind in CRISIS_KINDS:
        found = {}
        for name in SIZES:
            field = f"{kind}_{name}"
            raw = text(data, field, 40)
            if raw:
                message = (
                    f"The {kind}'s unit's {WHAT[name]} must be a whole number from 0 to {MAX_SIZE}"
                )
                found[name] = whole(raw, field, high=MAX_SIZE, message=message)
        if found:
            changes[kind] = found
    flats = next((unit for unit in centre.units if unit.kind == "transitional"), None)
    if flats is not None:
        changes["transitional"] = _flats(data, flats)
    return changes


def _flats(data: FormData, unit: Unit | None) -> dict[str, Any]:
    """The transitional flats' fields from the form: for the centre's `unit`, what was sent
    (an empty count stays as it is; an empty stay or referrer is "not stated"), or for a
    new unit (None) all of them, the number of flats and whom to ask required."""
    found: dict[str, Any] = {}
    adding = unit is None
    raw = text(data, "transitional_beds", 40)
    if raw or adding:
        low = 1 if adding else 0
        message = f"Flats must be a whole number from {low} to {MAX_SIZE}"
        flats = whole(raw, "transitional_beds", low=low, high=MAX_SIZE, message=message)
        found["beds"] = found["rooms"] = flats  # a flat is one room, as the demo registry has it
    raw = text(data, "transitional_accessible_rooms", 40) or ("0" if adding else "")
    if raw:
        message = f"Wheelchair-accessible flats must be a whole number from 0 to {MAX_SIZE}"
        accessible = whole(raw, "transitional_accessible_rooms", high=MAX_SIZE, message=message)
        if accessible > found.get("beds", unit.beds if unit else 0):
            message = "Wheelchair-accessible flats cannot be more than the flats"
            raise InvalidInput(message, field="transitional_accessible_rooms")
        found["accessible_rooms"] = accessible
    if adding or "transitional_stay_months" in data:
        raw = text(data, "transitional_stay_months", 40)
        message = f"The usual stay is a whole number of months from 1 to {MAX_STAY}, or empty"
        found["stay_months"] = (
            whole(raw, "transitional_stay_months", low=1, high=MAX_STAY, message=message)
            if raw
            else None
        )
    if adding or "transitional_referred_by" in data:
        raw = text(data, "transitional_referred_by", 40)
        if raw not in REFERRERS and (adding or raw):
            message = "Choose who refers: the crisis centre or the municipality"
            raise InvalidInput(message, field="transitional_referred_by")
        found["referred_by"] = raw or None
    return found


async def add_flats(request: Request, user: User, data: FormData) -> dict[str, Any]:
    """Add transitional flats to a centre; Conflict when it has them already."""
    async with services(request).session() as session:
        centre = await registry.get_centre(session, request.path_params["centre_id"])
        if any(unit.kind == "transitional" for unit in centre.units):
            raise Conflict(f"{centre.name} has transitional flats already: change them above")
        values = _flats(data, None)
        await exchange.update_centre(
            session, centre, {"units": {"transitional": values}}, actor=user.username
        )
        await services(request).commit_and_announce(session)
        return {"message": f"Transitional flats added to {centre.name}."}
