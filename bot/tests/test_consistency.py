"""The bot's parts agree: actions and classes, responses and languages, settings and docs,
training data and held-out test data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor

from actions.settings import SETTINGS

BOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("nn", "en")


@pytest.fixture(scope="module")
def registered_actions() -> set[str]:
    executor = ActionExecutor()
    executor.register_package("actions")
    return set(executor.actions)


def test_every_domain_action_has_a_class_and_every_class_is_in_the_domain(
    domain: dict[str, Any], registered_actions: set[str]
) -> None:
    in_domain = {name for name in domain["actions"] if name.startswith("action_")}

    assert registered_actions == in_domain


def test_every_response_an_action_names_is_in_the_domain(domain: dict[str, Any]) -> None:
    named = set()
    for path in (BOT / "actions").glob("*.py"):
        named |= set(re.findall(r'"(utter_\w+)"', path.read_text(encoding="utf-8")))

    assert named
    assert named <= set(domain["responses"])


def test_every_response_has_bokmal_first_then_nynorsk_and_english(domain: dict[str, Any]) -> None:
    for name, variations in domain["responses"].items():
        default, *conditional = variations
        assert "condition" not in default, name
        languages = [v["condition"][0]["value"] for v in conditional]
        assert sorted(set(languages) - {"se"}) == sorted(LANGUAGES), name
        assert len(languages) == len(set(languages)), name


# The core path in Northern Sami: what a person in danger or looking for a place meets.
SAMI_CORE = (
    "utter_greet", "utter_danger", "utter_ask_place", "utter_place_not_found",
    "utter_results_intro", "utter_results_none", "utter_results_outro", "utter_refine",
    "utter_registry_down", "utter_crisis_centre", "utter_arrival", "utter_bring",
    "utter_handover_chat", "utter_handover_phone", "utter_restart", "utter_default",
    "utter_out_of_scope", "utter_risk_trafficking", "utter_someone_else",
)  # fmt: skip


def test_the_core_path_has_northern_sami_with_112_and_116_006(domain: dict[str, Any]) -> None:
    for name in SAMI_CORE:
        sami = [
            v["text"]
            for v in domain["responses"][name]
            if v.get("condition", [{}])[0].get("value") == "se"
        ]
        assert len(sami) == 1, name
        assert "112" in sami[0] and "116 006" in sami[0], name


def test_the_sami_greeting_says_it_is_not_yet_reviewed(domain: dict[str, Any]) -> None:
    (greeting,) = [
        v["text"]
        for v in domain["responses"]["utter_greet"]
        if "condition" in v and v["condition"][0]["value"] == "se"
    ]
    assert "eatnigielat hálli dárkkistan" in greeting


def test_response_variations_of_a_name_take_the_same_template_values(
    domain: dict[str, Any],
) -> None:
    for name, variations in domain["responses"].items():
        fields = {frozenset(re.findall(r"{(\w+)}", v["text"])) for v in variations}
        assert len(fields) == 1, name


def test_button_payloads_survive_rasas_interpolation(domain: dict[str, Any]) -> None:
    from rasa.core.nlg.interpolator import interpolate_text

    payload = re.compile(r'^/(\w+)(\{"\w+": "\w+"\})?$')
    for name, variations in domain["responses"].items():
        for variation in variations:
            for button in variation.get("buttons", []):
                sent = interpolate_text(button["payload"], {"language": "nb"})
                match = payload.match(sent)
                assert match, (name, sent)
                assert match.group(1) in domain["intents"], (name, sent)


def test_the_form_can_ask_for_every_slot_it_needs(domain: dict[str, Any]) -> None:
    askers = set(domain["responses"]) | set(domain["actions"])
    for slot in domain["forms"]["shelter_form"]["required_slots"]:
        assert f"utter_ask_{slot}" in askers or f"action_ask_{slot}" in askers, slot


def test_the_bot_never_asks_for_a_name_an_address_or_a_personal_number(
    domain: dict[str, Any],
) -> None:
    asking = re.compile(
        r"(hva heter du|what is your name|your address\?|adressen din\?|personnummeret ditt|"
        r"fødselsnummer|date of birth)",
        re.IGNORECASE,
    )
    for name, variations in domain["responses"].items():
        for variation in variations:
            assert not asking.search(variation["text"]), name


def test_danger_says_112_before_the_helpline(domain: dict[str, Any]) -> None:
    for variation in domain["responses"]["utter_danger"]:
        text = variation["text"]
        assert text.index("112") < text.index("116 006")


def test_every_setting_is_in_the_readme() -> None:
    readme = (BOT / "README.md").read_text(encoding="utf-8")
    for name, default, _ in SETTINGS:
        assert f"`{name}`" in readme, name
        if default:
            assert default in readme, name


def _texts(path: Path) -> set[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts = set()
    for block in data.get("nlu", []):
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip().removeprefix("- ")
            texts.add(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line).strip().lower())
    return texts - {""}


def test_held_out_examples_are_not_in_the_training_data() -> None:
    training = set()
    for path in (BOT / "data" / "nlu").glob("*.yml"):
        training |= _texts(path)
    for path in (BOT / "tests" / "nlu_test").glob("*.yml"):
        assert not _texts(path) & training, path.name


def test_sami_is_tested_on_the_core_path() -> None:
    data = yaml.safe_load((BOT / "tests" / "nlu_test" / "se.yml").read_text())
    tested = {block["intent"] for block in data["nlu"] if "intent" in block}
    assert {"danger", "find_place", "ask_crisis_centre", "ask_human"} <= tested


def test_every_intent_is_tested_in_bokmal_and_english(domain: dict[str, Any]) -> None:
    intents = set(domain["intents"])
    for language in ("nb", "en"):
        data = yaml.safe_load((BOT / "tests" / "nlu_test" / f"{language}.yml").read_text())
        tested = {block["intent"] for block in data["nlu"] if "intent" in block}
        assert tested == intents, language
