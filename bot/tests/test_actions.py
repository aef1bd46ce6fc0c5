"""The custom actions, run with CollectingDispatcher and JSON trackers against a fake registry."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from actions.handover import Handover, chat_open
from actions.questions import AskPlace
from actions.search import SearchCentres
from actions.settings import Settings, SettingsError
from actions.slot_mappings import ValidateSlotMappings
from tests.conftest import (
    entity,
    place_json,
    result_json,
    run,
    search_json,
    slots_of,
    tracker,
)

FILLED = {
    "place": "Bodø",
    "place_query": "Bodø",
    "gender": "woman",
    "children": "4,7",
    "needs": ["wheelchair", "pets"],
    "speaks": "ar",
    "language": "nb",
}


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages if m.get("response")]


# ---------------------------------------------------------------- action_search


def test_search_names_the_responsible_centre_and_the_nearest_that_can_take_them_now(
    domain, registry, settings
):
    registry.on(
        "/api/v1/search",
        body=search_json(
            [
                result_json("Krisesenter Lofoten", phone=None, distance=120.0),
                result_json("Krisesenteret i Salten", group="call", responsible=True),
                result_json("Vesterålen krisesenter", group="call", as_of=None, demo=False),
            ]
        ),
    )
    action = SearchCentres(settings=settings, transport=registry.transport())

    events, messages = run(action, tracker(slots=FILLED), domain)

    assert registry.last_params == {
        "q": "Bodø",
        "gender": "woman",
        "children": "4,7",
        "needs": "wheelchair,pets",
        "language": "ar",
        "limit": "3",
    }
    assert slots_of(events) == {"place_name": "Bodø", "search_outcome": "found"}
    assert responses(messages) == ["utter_results_intro", "utter_results_outro"]
    assert messages[0]["place"] == "Bodø"
    cards = [m["text"] for m in messages if m.get("text")]
    assert len(cards) == 2
    assert cards[0].startswith("1. Krisesenteret i Salten (krisesenteret for Bodø)")
    assert "Telefon: 75 52 00 00" in cards[0]
    assert "Ring for å sjekke · 2,4 km unna" in cards[0]
    assert "Passer: 3 ledige, 3 trengs; Tar imot: kjæledyr" in cards[0]
    assert "Oppdatert for 30 minutter siden. Demodata, ikke ekte kapasitet." in cards[0]
    assert cards[1].startswith("2. Krisesenter Lofoten")
    assert "Kan ta imot nå · 120 km unna" in cards[1]
    assert "Ingen telefon registrert: ring VO-linjen 116 006" in cards[1]


def test_when_the_responsible_centre_can_take_them_now_it_is_the_one_answer(
    domain, registry, settings
):
    registry.on(
        "/api/v1/search",
        body=search_json(
            [
                result_json("Krisesenteret i Salten", responsible=True),
                result_json("Krisesenter Lofoten", distance=120.0),
            ]
        ),
    )
    action = SearchCentres(settings=settings, transport=registry.transport())

    _, messages = run(action, tracker(slots=FILLED), domain)

    cards = [m["text"] for m in messages if m.get("text")]
    assert len(cards) == 1
    assert cards[0].startswith("1. Krisesenteret i Salten")


def test_the_place_alone_is_enough_for_an_answer_then_one_refinement_is_offered(
    domain, registry, settings
):
    registry.on(
        "/api/v1/search",
        body=search_json([result_json("Krisesenteret i Salten", responsible=True)]),
    )
    action = SearchCentres(settings=settings, transport=registry.transport())
    slots = {"place": "Bodø", "place_query": "Bodø", "language": "nb"}

    events, messages = run(action, tracker(slots=slots), domain)

    assert registry.last_params == {"q": "Bodø", "limit": "3"}
    assert responses(messages) == ["utter_results_intro", "utter_refine"]
    assert slots_of(events) == {
        "place_name": "Bodø",
        "search_outcome": "found",
        "asked": "gender",
        "offered": ["gender"],
    }
    offered_before = {**slots, "gender": "woman", "offered": ["gender"]}
    events, messages = run(action, tracker(slots=offered_before), domain)
    assert responses(messages) == ["utter_results_intro", "utter_refine_needs"]
    assert slots_of(events)["offered"] == ["gender", "needs"]


def test_children_without_ages_are_searched_as_small_children_and_their_ages_asked(
    domain, registry, settings
):
    registry.on(
        "/api/v1/search",
        body=search_json([result_json("Krisesenteret i Salten", responsible=True)]),
    )
    action = SearchCentres(settings=settings, transport=registry.transport())
    slots = {"place": "Bodø", "gender": "woman", "children_count": 2, "adults": 2}

    events, messages = run(action, tracker(slots=slots), domain)

    assert registry.last_params == {
        "q": "Bodø",
        "gender": "woman",
        "adults": "2",
        "children": "0,0",
        "limit": "3",
    }
    assert responses(messages) == ["utter_results_intro", "utter_ask_children_ages_count"]
    assert messages[-1]["count"] == 2
    assert slots_of(events)["asked"] == "children"


def test_with_the_children_known_the_refinement_asks_only_who_needs_the_place(
    domain, registry, settings
):
    registry.on(
        "/api/v1/search",
        body=search_json([result_json("Krisesenteret i Salten", responsible=True)]),
    )
    action = SearchCentres(settings=settings, transport=registry.transport())
    slots = {"place": "Bodø", "children": "4,9", "children_count": 2}

    events, messages = run(action, tracker(slots=slots), domain)

    assert registry.last_params["children"] == "4,9"
    assert responses(messages) == ["utter_results_intro", "utter_refine_who"]
    assert slots_of(events)["asked"] == "gender"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", "1. Krisesenteret i Salten (krisesenteret for Bodø: ikke bekreftet, ring og sjekk)"),
        ("en", "1. Krisesenteret i Salten (the crisis centre for Bodø: not confirmed, call to check)"),
    ],
)
def test_a_responsible_centre_the_registry_does_not_confirm_says_so(
    domain, registry, settings, language, expected
):
    result = result_json("Krisesenteret i Salten", responsible=True, responsible_confirmed=False)
    registry.on("/api/v1/search", body=search_json([result]))
    action = SearchCentres(settings=settings, transport=registry.transport())

    _, messages = run(action, tracker(slots={**FILLED, "language": language}), domain)

    cards = [m["text"] for m in messages if m.get("text")]
    assert cards[0].splitlines()[0] == expected


def test_search_answers_in_english_when_the_conversation_is_in_english(domain, registry, settings):
    missing = [{"code": "need_missing", "text": "Does not list pets", "need": "pets"}]
    registry.on(
        "/api/v1/search",
        body=search_json([result_json("Krisesenteret i Salten", missing=missing, stale=True)]),
    )
    action = SearchCentres(settings=settings, transport=registry.transport())

    _, messages = run(action, tracker(slots={**FILLED, "language": "en"}), domain)

    card = texts(messages)
    assert "Phone: 75 52 00 00" in card
    assert "Can take you now · 2.4 km away" in card
    assert "Missing: Does not list pets" in card
    assert "The numbers are 0 hours old: call to check. Demo data, not real capacity." in card


def test_search_leaves_out_what_was_answered_with_none(domain, registry, settings):
    registry.on("/api/v1/search", body=search_json([result_json("Krisesenteret i Salten")]))
    action = SearchCentres(settings=settings, transport=registry.transport())
    slots = {**FILLED, "children": "none", "needs": ["none"], "speaks": "any"}

    run(action, tracker(slots=slots), domain)

    assert registry.last_params == {"q": "Bodø", "gender": "woman", "limit": "3"}


def test_search_with_no_place_that_fits_now_says_so_and_hands_over(domain, registry, settings):
    registry.on(
        "/api/v1/search",
        body=search_json([result_json("Krisesenteret i Salten", group="unavailable")]),
    )
    action = SearchCentres(settings=settings, transport=registry.transport())

    events, messages = run(action, tracker(slots=FILLED), domain)

    assert slots_of(events)["search_outcome"] == "none"
    assert responses(messages) == ["utter_results_none"]
    assert "Fullt eller stengt" in texts(messages)


def test_search_when_the_registry_is_unreachable_gives_the_helpline(domain, registry, settings):
    registry.fail("/api/v1/search")
    action = SearchCentres(settings=settings, transport=registry.transport())

    events, messages = run(action, tracker(slots=FILLED), domain)

    assert slots_of(events) == {"search_outcome": "error"}
    assert responses(messages) == ["utter_registry_down"]


def test_search_when_the_registry_answers_500_counts_as_unreachable(domain, registry, settings):
    registry.on(
        "/api/v1/search",
        status=500,
        body={"code": "internal_error", "status": 500, "detail": "Something went wrong"},
    )
    action = SearchCentres(settings=settings, transport=registry.transport())

    events, messages = run(action, tracker(slots=FILLED), domain)

    assert slots_of(events) == {"search_outcome": "error"}
    assert responses(messages) == ["utter_registry_down"]


def test_search_with_an_ambiguous_place_asks_which_one(domain, registry, settings):
    registry.on(
        "/api/v1/search",
        status=409,
        body={
            "status": 409,
            "code": "ambiguous_place",
            "detail": "Several places are called Os",
            "candidates": [
                {"name": "Os", "county": "Innlandet", "query": "Os, Innlandet"},
                {"name": "Os", "county": "Vestland", "query": "Os, Vestland"},
            ],
        },
    )
    action = SearchCentres(settings=settings, transport=registry.transport())

    events, messages = run(action, tracker(slots={**FILLED, "place_query": "Os"}), domain)

    assert slots_of(events) == {
        "place": None,
        "place_query": None,
        "place_candidates": ["Os, Innlandet", "Os, Vestland"],
        "search_outcome": "ask",
    }
    assert messages == []


def test_search_with_an_unknown_place_asks_again(domain, registry, settings):
    registry.on(
        "/api/v1/search",
        status=422,
        body={"status": 422, "code": "place_not_found", "detail": "No place 'Atlantis'"},
    )
    action = SearchCentres(settings=settings, transport=registry.transport())

    events, _ = run(action, tracker(slots={**FILLED, "place_query": "Atlantis"}), domain)

    assert slots_of(events) == {
        "place": None,
        "place_query": None,
        "place_unknown": "Atlantis",
        "search_outcome": "ask",
    }


def test_search_with_refused_children_asks_for_them_again(domain, registry, settings):
    registry.on(
        "/api/v1/search",
        status=422,
        body={
            "status": 422,
            "code": "invalid_input",
            "field": "children",
            "detail": "A child is under 18",
        },
    )
    action = SearchCentres(settings=settings, transport=registry.transport())

    events, messages = run(action, tracker(slots=FILLED), domain)

    assert slots_of(events) == {"children": None, "children_count": None, "search_outcome": "ask"}
    assert responses(messages) == ["utter_search_invalid"]


# ---------------------------------------------------------------- reading messages


def validate(action: ValidateSlotMappings, tracker_, domain) -> dict[str, Any]:
    events, _ = run(action, tracker_, domain)
    return slots_of(events)


@pytest.fixture
def reader(settings, registry) -> ValidateSlotMappings:
    return ValidateSlotMappings(settings=settings, transport=registry.transport())


def test_a_place_is_resolved_by_the_geocoder(domain, registry, reader):
    registry.on(
        "/api/v1/geocode", body={"query": "bodo", "status": "found", "places": [place_json()]}
    )

    slots = validate(reader, tracker("jeg er i bodo", entities=[entity("place", "bodo")]), domain)

    assert registry.last_params == {"q": "bodo"}
    assert slots["place"] == "bodo"
    assert slots["place_query"] == "bodo"
    assert slots["place_name"] == "Bodø"
    assert slots["place_candidates"] is None


def test_an_ambiguous_place_keeps_the_candidates_for_the_question(domain, registry, reader):
    registry.on(
        "/api/v1/geocode",
        body={
            "query": "Os",
            "status": "ambiguous",
            "places": [place_json("Os", "Innlandet"), place_json("Os", "Vestland")],
        },
    )

    slots = validate(reader, tracker("Os", entities=[entity("place", "Os")]), domain)

    assert slots["place"] is None
    assert slots["place_candidates"] == ["Os, Innlandet", "Os, Vestland"]


def test_the_answer_to_which_place_picks_the_candidate(domain, registry, reader):
    registry.on(
        "/api/v1/geocode",
        body={"query": "Os, Vestland", "status": "found", "places": [place_json("Os")]},
    )
    candidates = {"place_candidates": ["Os, Innlandet", "Os, Vestland"]}
    asking = {**candidates, "requested_slot": "place"}

    slots = validate(reader, tracker("Vestland", slots=asking, active_loop="shelter_form"), domain)

    assert registry.last_params == {"q": "Os, Vestland"}
    assert slots["place"] == "Os, Vestland"
    assert slots["place_candidates"] is None


def test_an_unknown_place_is_remembered_for_the_question(domain, registry, reader):
    registry.on("/api/v1/geocode", body={"query": "Atlantis", "status": "not_found", "places": []})
    asking = {"requested_slot": "place"}

    slots = validate(
        reader, tracker("I'm in Atlantis", slots=asking, active_loop="shelter_form"), domain
    )

    assert slots["place"] is None
    assert slots["place_unknown"] == "Atlantis"


def test_when_the_geocoder_is_down_the_place_is_kept_as_written(domain, registry, reader):
    registry.fail("/api/v1/geocode")

    slots = validate(reader, tracker("Tromsø", entities=[entity("place", "Tromsø")]), domain)

    assert slots["place"] == slots["place_query"] == "Tromsø"


def test_a_place_already_resolved_is_not_looked_up_again(domain, registry, reader):
    known = {"place": "Bodø", "place_query": "Bodø", "place_name": "Bodø"}

    validate(reader, tracker("Bodø", entities=[entity("place", "Bodø")], slots=known), domain)

    assert registry.requests == []


def test_danger_fills_no_slot_so_the_form_stops_for_it(domain, registry, reader):
    message = tracker(
        "he is here in Bodø, 2 kids",
        intent="danger",
        entities=[entity("place", "Bodø")],
        slots={"requested_slot": "children"},
        active_loop="shelter_form",
    )

    slots = validate(reader, message, domain)

    assert registry.requests == []
    assert set(slots) <= {"language"}


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("3 og 7", "inform", {"children": "3,7", "children_count": 2}),
        ("a girl of 3 and a boy of 12", "inform", {"children": "3g,12b", "children_count": 2}),
        ("nei", "deny", {"children": "none", "children_count": 0}),
        ("ja", "affirm", {"children": "some"}),
        ("to barn", "inform", {"children": None, "children_count": 2}),
    ],
)
def test_the_answer_about_children(domain, reader, text, intent, expected):
    asking = {"requested_slot": "children", "language": "nb"}

    slots = validate(
        reader, tracker(text, intent=intent, slots=asking, active_loop="shelter_form"), domain
    )

    slots.pop("language", None)
    assert slots == expected


def test_a_correction_about_the_number_of_children_asks_for_their_ages(domain, reader):
    known = {**FILLED, "language": "en"}

    slots = validate(reader, tracker("we are three children", slots=known), domain)

    assert slots == {"children": None, "children_count": 3}


def test_bare_numbers_outside_the_children_question_are_not_ages(domain, reader):
    slots = validate(reader, tracker("3 og 7", slots={"language": "nb"}), domain)

    assert "children" not in slots


@pytest.mark.parametrize(
    ("text", "entities", "previous", "expected"),
    [
        ("I use a wheelchair and have a dog", [], None, ["wheelchair", "pets"]),
        ("rullestol", [entity("need", "wheelchair")], None, ["wheelchair"]),
        ("we also have a dog", [], ["wheelchair"], ["wheelchair", "pets"]),
        ("actually just a dog", [], ["wheelchair"], ["pets"]),
    ],
)
def test_needs_are_read_and_added_to(domain, reader, text, entities, previous, expected):
    slots = validate(reader, tracker(text, entities=entities, slots={"needs": previous}), domain)

    assert slots["needs"] == expected


def test_no_needs_is_an_answer(domain, reader):
    asking = {"requested_slot": "needs"}

    slots = validate(
        reader,
        tracker("nei, ingenting", intent="deny", slots=asking, active_loop="shelter_form"),
        domain,
    )

    assert slots["needs"] == ["none"]


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        ("arabisk", [entity("speaks", "ar")], "ar"),
        ("I'd like Polish", [], "pl"),
        ("norsk går fint", [entity("speaks", "any")], "any"),
        ("det spiller ingen rolle", [], "any"),
    ],
)
def test_the_language_to_speak_with_staff(domain, reader, text, entities, expected):
    asking = {"requested_slot": "speaks"}

    slots = validate(
        reader, tracker(text, entities=entities, slots=asking, active_loop="shelter_form"), domain
    )

    assert slots["speaks"] == expected


def test_gender_from_a_button_and_from_words(domain, reader):
    button = tracker('/inform{"gender": "woman"}', entities=[entity("gender", "woman")])
    asking = {"requested_slot": "gender"}
    words = tracker("jeg er en mann", slots=asking, active_loop="shelter_form")

    assert validate(reader, button, domain)["gender"] == "woman"
    assert validate(reader, words, domain)["gender"] == "man"


@pytest.mark.parametrize(
    ("text", "site", "previous", "expected"),
    [
        ("Bodø", "en", None, "en"),
        ("jeg trenger et sted å bo", "en", None, "nb"),
        ("eg treng ein stad å bu", None, None, "nn"),
        ("I need a place to stay", "nb", "nb", "en"),
        ("Bodø", "nb", "en", "en"),
        ("Bodø", "ar", None, "en"),
        ("Bodø", None, None, "nb"),
        ('/inform{"gender": "woman"}', "nb", None, "nb"),
        ("ja", "en", "nn", "nn"),
        ("ja", "nn", None, "nn"),
        ("ja", "en", None, "nb"),
    ],
)
def test_the_answer_language(domain, reader, text, site, previous, expected):
    metadata = {"language": site} if site else {}
    message = tracker(text, slots={"language": previous}, metadata=metadata)

    slots = validate(reader, message, domain)

    assert slots.get("language", previous) == expected


# ---------------------------------------------------------------- questions


def test_the_place_question_offers_the_candidates(domain):
    slots = {"place_candidates": ["Os, Innlandet", "Os, Vestland"]}

    _, messages = run(AskPlace(), tracker(slots=slots), domain)

    (message,) = messages
    assert message["response"] == "utter_ask_place_choice"
    assert message["candidates"] == "Os, Innlandet; Os, Vestland"
    assert message["buttons"][1] == {
        "title": "Os, Vestland",
        "payload": '/inform{"place": "Os, Vestland"}',
    }


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        ({"place_unknown": "Atlantis"}, "utter_place_not_found"),
        ({}, "utter_ask_place"),
    ],
)
def test_the_place_question(domain, slots, expected):
    _, messages = run(AskPlace(), tracker(slots=slots), domain)

    assert responses(messages) == [expected]


# ---------------------------------------------------------------- handover


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        ("2025-03-04T10:00:00+01:00", True),  # Tuesday morning
        ("2025-03-04T19:59:00+01:00", True),
        ("2025-03-04T20:00:00+01:00", False),  # closes at 20
        ("2025-03-04T08:59:00+01:00", False),
        ("2025-03-08T12:00:00+01:00", False),  # Saturday
        ("2025-05-17T12:00:00+02:00", False),  # Constitution Day (a Saturday anyway)
        ("2025-04-18T12:00:00+02:00", False),  # Good Friday
        ("2025-06-09T12:00:00+02:00", False),  # Whit Monday
        ("2025-07-01T17:30:00+00:00", True),  # 19:30 in Oslo (summer time)
        ("2025-07-01T18:30:00+00:00", False),  # 20:30 in Oslo
    ],
)
def test_chat_opening_hours_in_oslo_time(now, is_open):
    assert chat_open(datetime.fromisoformat(now)) is is_open


def test_handover_reads_the_clock_from_havn_bot_now(domain):
    open_settings = Settings.from_env({"HAVN_BOT_NOW": "2025-03-04T10:00:00+01:00"})
    closed_settings = Settings.from_env({"HAVN_BOT_NOW": "2025-03-04T21:00:00+01:00"})

    open_events, _ = run(Handover(settings=open_settings), tracker(), domain)
    closed_events, _ = run(Handover(settings=closed_settings), tracker(), domain)

    assert slots_of(open_events) == {"chat_open": True}
    assert slots_of(closed_events) == {"chat_open": False}


def test_the_real_clock_is_aware():
    assert Settings().now().tzinfo is not None
    assert Settings(fixed_now=datetime(2025, 1, 1, tzinfo=timezone.utc)).now().year == 2025


def test_settings_fail_loudly_on_bad_values() -> None:
    with pytest.raises(SettingsError, match="HAVN_API_URL"):
        Settings.from_env({"HAVN_API_URL": "ftp://x"})
    with pytest.raises(SettingsError, match="HAVN_BOT_API_TIMEOUT"):
        Settings.from_env({"HAVN_BOT_API_TIMEOUT": "soon"})
    with pytest.raises(SettingsError, match="time zone"):
        Settings.from_env({"HAVN_BOT_NOW": "2025-03-04T10:00"})
