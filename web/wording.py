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
