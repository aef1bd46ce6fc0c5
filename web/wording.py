"""Words the pages show for registry codes, as gettext message ids (Babel extracts `N_`)."""

from __future__ import annotations

from capacity.party import Need


def N_(message: str) -> str:
    return message


REASONS = {
    "unit_women": N_("Women's unit"),
    "unit_men": N_("Men's unit"),
    "no_unit": N_("No unit for this person"),
    "places_free": N_("%(free)s free, %(needed)s needed"),
    "not_enough_places": N_("Only %(free)s free, %(needed)s needed"),
    "held": N_("%(held)s held for people on their way"),
    "family_room_free": N_("Family room free"),
    "no_family_room": N_("No family room free"),
    "accessible_room_free": N_("Wheelchair-accessible room free"),
    "no_accessible_room": N_("No wheelchair-accessible room free"),
    "children_welcome": N_("Children can come (up to %(age)s years)"),
    "children_welcome_any_age": N_("Children can come"),
    "no_children": N_("Children cannot stay here"),
    "child_too_old": N_("Children up to %(age)s years only"),
    "boys_too_old": N_("Boys up to %(age)s years only"),
    "boys_limit": N_("Boys over %(age)s cannot stay: ask if a boy is coming"),
    "need_met": N_("Yes: %(need)s"),
    "need_missing": N_("Not listed: %(need)s"),
    "language_spoken": N_("Staff speak %(language)s"),
    "language_interpreter": N_("Interpreter for %(language)s"),
    "language_missing": N_("No %(language)s listed"),
    "fresh": N_("Numbers updated %(ago)s"),
    "stale": N_("Numbers are old (%(ago)s): call to check"),
    "no_numbers": N_("No numbers reported: call to check"),
    "closed": N_("Closed"),
    "temporarily_closed": N_("Temporarily closed"),
    "responsible": N_("The crisis centre for %(municipality)s"),
    "demo": N_("Demo data: not real capacity"),
}

NEEDS = {
    Need.WHEELCHAIR: N_("wheelchair"),
    Need.PETS: N_("pets"),
    Need.SUBSTANCE_USE: N_("active substance use"),
    Need.TRAFFICKING: N_("human trafficking"),
    Need.SAMI: N_("Sami-adapted service"),
    Need.LGBTQ: N_("LGBTQ+ competence"),
    Need.HEARING: N_("hearing support"),
    Need.VISION: N_("vision support"),
}

# A unit's kind (capacity.models.UNIT_KINDS) in words: its name, and the heading over what it
# accepts. Every page names units through templating's `unit_kind`, never by the code.
UNIT_KINDS = {
    "women": N_("Women's unit"),
    "men": N_("Men's unit"),
    "transitional": N_("Transitional flats (after the stay)"),
}

# Whom a person asks for a transitional flat (capacity.models.REFERRERS).
REFERRERS = {
    "centre": N_("The crisis centre"),
    "municipality": N_("The municipality"),
}

# The aftercare directory's kinds of help (capacity.models.AFTERCARE_KINDS), in that order.
AFTERCARE_KINDS = {
    "centre_follow_up": N_("Follow-up from the crisis centre"),
    "housing": N_("Housing"),
    "nav": N_("NAV (money and social services)"),
    "family_counselling": N_("Family counselling"),
    "legal_aid": N_("Free legal aid"),
    "children": N_("Support for children"),
    "peer_network": N_("Meeting others in the same situation"),
    "aftercare_programme": N_("Aftercare programme"),
}

UNIT_ACCEPTS = {
    "women": N_("What the women's unit accepts"),
    "men": N_("What the men's unit accepts"),
    "transitional": N_("What the transitional flats accept"),
}

GENDERS = {
    "woman": N_("A woman"),
    "man": N_("A man"),
    "other": N_("Someone else"),
}

# Who an account is (capacity.models.ROLES).
ROLES = {
    "staff": N_("Centre staff"),
    "adviser": N_("Helpline adviser"),
    "admin": N_("Administrator"),
}

# The fixed reasons a centre may give for saying no to a referral (capacity.DECLINE_REASONS).
DECLINE_LABELS = {
    "no_place": N_("No free place after all"),
    "needs_not_met": N_("We cannot meet their needs"),
    "too_close_to_danger": N_("Too close to the danger"),
    "risk_assessment": N_("Our risk assessment"),
    "other": N_("Another reason"),
}

# The unmet-need statistics' details (capacity.stats.unmet_labels) other than needs.
UNMET = {
    "children": N_("Children"),
    "man": N_("A man"),
    "man_with_children": N_("A man with children"),
}

GROUPS = {
    "now": N_("Can take you now"),
    "call": N_("Call to check"),
    "unavailable": N_("Full or closed"),
}

FIELDS = {
    "q": N_("Write a place, municipality or postcode."),
    "lat": N_("We could not use your position. Write a place instead."),
    "lon": N_("We could not use your position. Write a place instead."),
    "lat/lon": N_("We could not use your position. Write a place instead."),
    "children": N_("Write the children's ages with commas, like 3, 7."),
    "needs": N_("Choose needs from the list."),
    "gender": N_("Choose who needs a place."),
    "adults": N_("Choose how many adults."),
    "language": N_("Choose a language from the list."),
    "away_from": N_("Write the place you need to be far from."),
    "min_km": N_("Choose how far away you need to be."),
    "max_km": N_("Choose a distance from the list."),
    "limit": N_("Something in the address was wrong. Start a new search."),
}

# The history of changes (templates/history.html): what happened, by the audit action code.
ACTIONS = {
    "availability.set": N_("Free places changed"),
    "hold.placed": N_("Place held"),
    "hold.confirmed": N_("Held place: arrived"),
    "hold.released": N_("Held place released"),
    "hold.expired": N_("Held place expired"),
    "hold.extended": N_("Held place extended"),
    "centre.created": N_("Centre added"),
    "centre.updated": N_("Centre details changed"),
    "centre.private_updated": N_("Details for advisers changed"),
    "centre.status": N_("Open or closed changed"),
    "centre.languages": N_("Languages changed"),
    "centre.location_public": N_("Public location set"),
    "unit.updated": N_("Who the unit takes changed"),
    "user.created": N_("User added"),
    "user.password_set": N_("Password set"),
    "user.reactivated": N_("User reactivated"),
    "user.deactivated": N_("User deactivated"),
    "user.sessions_ended": N_("User logged out everywhere"),
    "user.two_factor_enabled": N_("Two-step login turned on"),
    "user.recovery_code_used": N_("Recovery code used"),
    "user.two_factor_reset": N_("Two-step login reset"),
    "token.created": N_("API key created"),
    "token.revoked": N_("API key revoked"),
    "referral.sent": N_("Referral sent"),
    "referral.asked": N_("Centre asked for a place"),
    "referral.accepted": N_("Referral accepted"),
    "referral.placed": N_("Referral placed"),
    "referral.declined": N_("Referral declined"),
    "referral.withdrawn": N_("Referral withdrawn"),
    "referral.expired": N_("Referral expired"),
    "watch.created": N_("Watch started"),
    "watch.dismissed": N_("Watch dismissed"),
}

# The history's before/after lines: a snapshot field's name (a nested one by its last part).
CHANGED_FIELDS = {
    "free_beds": N_("Free beds"),
    "free_family_rooms": N_("Free family rooms"),
    "free_accessible_rooms": N_("Free wheelchair-accessible rooms"),
    "held_beds": N_("Held beds"),
    "held_family_rooms": N_("Held family rooms"),
    "held_accessible_rooms": N_("Held wheelchair-accessible rooms"),
    "status": N_("Status"),
    "status_reason": N_("Reason"),
    "phone": N_("Phone"),
    "email": N_("Email"),
    "website": N_("Website"),
    "languages": N_("Languages"),
    "interpreter": N_("Interpreter"),
    "children": N_("Children"),
    "children_max_age": N_("Children up to age"),
    "boys_max_age": N_("Boys up to age"),
    "pets": N_("Pets"),
    "substance_use": N_("Active substance use"),
    "trafficking": N_("Human trafficking"),
    "sami": N_("Sami-adapted service"),
    "lgbtq": N_("LGBTQ+ competence"),
    "hearing": N_("Hearing support"),
    "vision": N_("Vision support"),
    "wheelchair": N_("Wheelchair access"),
    "beds": N_("Beds"),
    "rooms": N_("Rooms"),
    "family_rooms": N_("Family rooms"),
    "accessible_rooms": N_("Wheelchair-accessible rooms"),
    "places": N_("Places"),
    "expires_at": N_("Expires"),
    "note": N_("Note"),
    "party": N_("Who is coming"),
    "adults": N_("Adults"),
    "name": N_("Name"),
    "address": N_("Address"),
    "units": N_("Units"),
    "adviser_notes": N_("Notes for advisers"),
    "intake_phone": N_("Intake phone"),
    "latitude": N_("Latitude"),
    "longitude": N_("Longitude"),
    "as_of": N_("Numbers as of"),
    "set_by": N_("Set by"),
    "source": N_("Source"),
    "version": N_("Version"),
    "kind": N_("Unit"),
    "username": N_("Username"),
    "display_name": N_("Display name"),
    "role": N_("Role"),
    "active": N_("Active"),
    "is_demo": N_("Demo data"),
    "country": N_("Country"),
    "region": N_("Region"),
    "host_municipality": N_("Host municipality"),
    "serves": N_("Municipalities served"),
    "centre_id": N_("Centre"),
    "language": N_("Language"),
    "reason": N_("Reason"),
    "needs": N_("Needs"),
    "gender": N_("Gender"),
}

# The history's values of a "status" field (capacity/models.py: centres, holds, referrals).
STATUS_VALUES = {
    "open": N_("Open"),
    "temporarily_closed": N_("Temporarily closed"),
    "closed": N_("Closed"),
    "active": N_("Active"),
    "confirmed": N_("Arrived"),
    "released": N_("Released"),
    "expired": N_("Expired"),
    "pending": N_("Pending"),
    "placed": N_("Placed"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "withdrawn": N_("Withdrawn"),
}

# The history's coded values, by the (last part of the) field's name: words, not codes.
CODED_VALUES: dict[str, dict[str, str]] = {
    "status": STATUS_VALUES,
    "kind": UNIT_KINDS,
    "gender": GENDERS,
    "role": ROLES,
    "reason": DECLINE_LABELS,
    "needs": {need.value: label for need, label in NEEDS.items()},
}
