"""Issue 13: risk groups, someone asking about one centre, the handover summary, Sami."""

from __future__ import annotations

from typing import Any

import pytest

from actions.centre_question import AskCentre
from actions.handover import Handover
from actions.risk import RiskGroup
from actions.slot_mappings import ValidateSlotMappings
from actions.summary import summary
from tests.conftest import (
    centre_json,
    entity,
    result_json,
    run,
    search_json,
    slots_of,
    tracker,
    unit_json,
)


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages if m.get("response")]


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


# ---------------------------------------------------------------- risk groups


@pytest.mark.parametrize(
    ("intent", "text", "slots", "response", "expected"),
    [
        ("trafficking", "de tok passet mitt", {}, "utter_risk_trafficking",
         {"needs": ["trafficking"]}),
        ("substance_use", "I use drugs", {"needs": ["pets"]}, "utter_risk_substance_use",
         {"needs": ["pets", "substance_use"]}),
        ("disability", "I'm deaf and use a wheelchair", {}, "utter_risk_disability",
         {"needs": ["wheelchair", "hearing"]}),
        ("disability", "I have a learning disability", {}, "utter_risk_disability", {}),
        ("men", "I'm a dad with two kids", {"gender": "woman"}, "utter_risk_men",
         {"gender": "man"}),
        ("lgbtq", "jeg er trans", {}, "utter_risk_lgbtq", {"needs": ["lgbtq"]}),
        ("no_residence", "I have no papers", {}, "utter_risk_no_residence", {}),
    ],
)  # fmt: skip
def test_each_risk_group_gets_what_applies_and_the_search_filters_for_it(
    domain, intent, text, slots, response, expected
):
    events, messages = run(RiskGroup(), tracker(text, intent=intent, slots=slots), domain)

    assert responses(messages) == [response]
    assert slots_of(events) == expected


def test_the_trafficking_answer_gives_rosa_and_vo_linjen_in_every_language(domain):
    for variation in domain["responses"]["utter_risk_trafficking"]:
        assert "22 33 11 60" in variation["text"]
        assert "116 006" in variation["text"]
        assert "112" in variation["text"]


# ---------------------------------------------------------------- a question about a centre

CENTRES = {
    "count": 3,
    "centres": [
        centre_json(
            "krisesenteret-i-salten",
            "Krisesenteret i Salten",
            "Bodø",
            [unit_json(pets=True), unit_json("men", free=0, pets=False)],
        ),
        centre_json(
            "krisesenteret-tromso-og-omegn",
            "Krisesenteret for Tromsø og omegn",
            "Tromsø",
            [unit_json(accessible_free=1, as_of="2025-03-04T05:30:00+00:00", stale=True)],
        ),
        centre_json("alta-krisesenter", "Alta Krisesenter", "Alta", [unit_json(free=3)]),
    ],
}


@pytest.fixture
def ask_centre(settings, registry) -> AskCentre:
    registry.on("/api/v1/centres", body=CENTRES)
    return AskCentre(settings=settings, transport=registry.transport())


def test_does_salten_take_dogs(domain, ask_centre):
    question = tracker("tar Salten imot hunder?", intent="ask_centre", slots={"language": "nb"})

    events, messages = run(ask_centre, question, domain)

    answer = texts(messages)
    assert answer.startswith("Krisesenteret i Salten")
    assert "Avdeling for kvinner: kjæledyr: ja" in answer
    assert "Avdeling for menn: kjæledyr: nei" in answer
    assert "Oppdatert for 30 minutter siden. Demodata, ikke ekte kapasitet." in answer
    assert "Telefon: 75 52 00 00" in answer
    assert slots_of(events) == {"centre": "krisesenteret-i-salten"}


def test_a_wheelchair_room_in_tromso_says_how_old_the_numbers_are(domain, ask_centre):
    question = tracker(
        "does the Tromsø centre have a wheelchair room?",
        intent="ask_centre",
        entities=[entity("place", "Tromsø")],
        slots={"language": "en"},
    )

    _, messages = run(ask_centre, question, domain)

    answer = texts(messages)
    assert answer.startswith("Krisesenteret for Tromsø og omegn")
    assert "wheelchair access: yes; 1 free wheelchair-accessible rooms" in answer
    assert "The numbers are 5 hours old: call to check" in answer


def test_a_place_tonight_in_alta_only_for_the_persons_unit(domain, ask_centre):
    question = tracker(
        "har dere plass i Alta i natt?", intent="ask_centre", slots={"gender": "woman"}
    )

    _, messages = run(ask_centre, question, domain)

    assert "Avdeling for kvinner: 3 ledige plasser." in texts(messages)


def test_a_place_that_is_not_a_centre_name_asks_the_search_for_its_centre(
    domain, registry, ask_centre
):
    registry.on(
        "/api/v1/search",
        body=search_json([result_json("Krisesenteret i Salten", responsible=True)], "Fauske"),
    )
    question = tracker(
        "tar de imot hund i Fauske?", intent="ask_centre", entities=[entity("place", "Fauske")]
    )

    _, messages = run(ask_centre, question, domain)

    assert registry.last_params == {"q": "Fauske", "limit": "1"}
    assert texts(messages).startswith("Krisesenteret i Salten")


def test_an_unknown_centre_is_asked_about(domain, ask_centre):
    _, messages = run(ask_centre, tracker("har dere plass?", intent="ask_centre"), domain)

    assert responses(messages) == ["utter_which_centre"]


def test_a_centre_question_when_the_registry_is_down(domain, settings, registry):
    registry.fail("/api/v1/centres")
    action = AskCentre(settings=settings, transport=registry.transport())

    _, messages = run(action, tracker("tar Salten imot hunder?", intent="ask_centre"), domain)

    assert responses(messages) == ["utter_registry_down"]


# ---------------------------------------------------------------- the handover summary


def test_the_handover_offers_a_summary_of_place_party_and_needs_only(domain, settings):
    slots = {
        "language": "nb",
        "place_name": "Bodø",
        "gender": "woman",
        "children": "4,9b",
        "children_count": 2,
        "needs": ["wheelchair"],
        "place_unknown": "hemmelig gate 3",
        "centre": "krisesenteret-i-salten",
    }

    events, messages = run(Handover(settings=settings), tracker(slots=slots), domain)

    assert responses(messages) == ["utter_handover_chat", "utter_summary_intro"]
    told = messages[-1]["text"]
    assert told == (
        "Jeg er i Bodø. Jeg er en kvinne. Barn som kommer med: 2 (4 og 9 (gutt) år). "
        "Behov: rullestol."
    )
    assert "hemmelig" not in told
    assert slots_of(events) == {"chat_open": True}


def test_the_handover_without_anything_told_has_no_summary(domain, settings):
    _, messages = run(Handover(settings=settings), tracker(slots={"language": "en"}), domain)

    assert responses(messages) == ["utter_handover_chat"]
    assert len(messages) == 1


@pytest.mark.parametrize(
    ("slots", "language", "expected"),
    [
        ({"place": "Tromsø", "children_count": 1}, "en",
         "I am in Tromsø. Children coming with me: 1."),
        ({"adults": 2, "children": "0"}, "en",
         "We are 2 adults. Children coming with me: 1 (aged 0)."),
        ({"place_name": "Romsa", "children": "some"}, "se",
         "Jeg er i Romsa. Barn kommer med."),
        ({"gender": "man", "speaks": "ar"}, "nn",
         "Eg er ein mann. Eg vil gjerne snakke arabisk."),
    ],
)  # fmt: skip
def test_the_summary(slots, language, expected):
    assert summary(slots, language) == expected


# ---------------------------------------------------------------- the party and Sami


@pytest.fixture
def reader(settings, registry) -> ValidateSlotMappings:
    return ValidateSlotMappings(settings=settings, transport=registry.transport())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I need a shelter for me and my daughter", {"children": None, "children_count": 1}),
        ("jeg og de tre barna mine", {"children": None, "children_count": 3}),
        ("eg og sonen min på 12", {"children": "12b", "children_count": 1}),
        ("we are two adults and a baby", {"children": "0", "children_count": 1, "adults": 2}),
        ("me and the kids", {"children": "some", "children_count": None}),
    ],
)
def test_the_party_as_people_say_it(domain, reader, text, expected):
    events, _ = run(reader, tracker(text, intent="find_place"), domain)
    slots = slots_of(events)
    slots.pop("language", None)

    assert slots == expected


def test_a_correction_of_the_number_of_children_after_the_answer(domain, reader):
    known = {"children": "4,9", "children_count": 2, "language": "en"}

    events, _ = run(reader, tracker("actually three kids", slots=known), domain)

    assert slots_of(events) == {"children": None, "children_count": 3}


def test_the_age_asked_after_the_answer_is_read_as_an_age_once(domain, reader):
    asked = {"asked": "children", "children_count": 1, "language": "en"}

    events, _ = run(reader, tracker("6", slots=asked), domain)

    assert slots_of(events) == {"children": "6", "children_count": 1, "asked": None}


def test_a_sami_message_is_answered_in_sami(domain, reader):
    events, _ = run(reader, tracker("Mun dárbbašan veahki", intent="find_place"), domain)

    assert slots_of(events)["language"] == "se"


def test_the_sami_site_language_answers_in_sami(domain, reader):
    events, _ = run(reader, tracker("8006", metadata={"language": "se"}), domain)

    assert slots_of(events)["language"] == "se"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Mun dárbbašan veahki", "se"),
        ("son áitá mu", "se"),
        ("giitu", "se"),
        ("Kárášjohka", None),  # a Sami place name alone is not Sami writing
        ("jeg er i Kárášjohka", "nb"),
        ("I'm in Guovdageaidnu", "en"),
    ],
)
def test_northern_sami_is_recognised(text, language):
    from actions.understanding import detect_language

    assert detect_language(text) == language
