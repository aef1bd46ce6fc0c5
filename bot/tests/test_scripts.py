"""The helper scripts: place lookups from the gazetteer, Redis settings from a URL."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

BOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BOT / "scripts"))

import make_lookups  # noqa: E402
import redis_env  # noqa: E402

GAZETTEER = {
    "format": 1,
    "municipalities": [
        {"code": "1804", "name": "Bodø", "names": [], "other_names": ["Bådåddjo"]},
        {"code": "5612", "name": "Kautokeino", "names": ["Guovdageaidnu"], "other_names": []},
        {"code": "1121", "name": "Time", "names": [], "other_names": []},
    ],
    "towns": [
        {"name": "Mo i Rana", "code": "1833", "aliases": ["Mo"], "former": []},
        {"name": "Judaberg", "code": "1103", "aliases": [], "former": ["Finnøy"]},
    ],
    "postcodes": [["8006", "Bodø", "1804", 67.28, 14.4], ["9520", "Kautokeino", "5612", 0, 0]],
}


def test_lookups_hold_every_name_a_person_may_use(tmp_path: Path) -> None:
    source = tmp_path / "gazetteer.json"
    source.write_text(json.dumps(GAZETTEER), encoding="utf-8")
    out = tmp_path / "lookups.yml"

    assert make_lookups.main(["--gazetteer", str(source), "--out", str(out)]) == 0

    nlu = yaml.safe_load(out.read_text(encoding="utf-8"))["nlu"]
    places = [line.removeprefix("- ") for line in nlu[0]["examples"].split("\n") if line]
    assert nlu[0]["lookup"] == "place"
    assert places == [
        "Bodø",
        "Bådåddjo",
        "Finnøy",
        "Guovdageaidnu",
        "Judaberg",
        "Kautokeino",
        "Mo i Rana",
    ]
    assert nlu[1] == {"regex": "postcode", "examples": "- \\b\\d{4}\\b\n"}


def test_a_missing_gazetteer_is_an_error_not_an_empty_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lookups.yml"

    code = make_lookups.main(["--gazetteer", str(tmp_path / "none.json"), "--out", str(out)])

    assert code == 1
    assert "no gazetteer" in capsys.readouterr().err
    assert not out.exists()


def test_the_hand_list_works_without_a_gazetteer(tmp_path: Path) -> None:
    out = tmp_path / "lookups.yml"

    assert make_lookups.main(["--hand-list", "--out", str(out)]) == 0
    assert "      - Tromsø\n" in out.read_text(encoding="utf-8")


def test_redis_settings_from_a_url() -> None:
    assert redis_env.exports("redis://:s%40cret@10.0.0.5:6380/2") == {
        "HAVN_BOT_REDIS_HOST": "10.0.0.5",
        "HAVN_BOT_REDIS_PORT": "6380",
        "HAVN_BOT_REDIS_DB": "2",
        "HAVN_BOT_REDIS_PASSWORD": "s@cret",
    }
    assert redis_env.exports("redis://localhost")["HAVN_BOT_REDIS_PORT"] == "6379"
    with pytest.raises(ValueError, match="redis://"):
        redis_env.exports("http://localhost:6379")


def test_the_redis_endpoints_expire_conversations_after_the_chat_hours() -> None:
    endpoints = yaml.safe_load((BOT / "endpoints.redis.yml").read_text(encoding="utf-8"))

    # tests/test_tracker_stores.py checks the class and the expiry it reads from these.
    assert endpoints["tracker_store"]["type"] == "tracker_stores.RedisTrackerStore"
    assert endpoints["tracker_store"]["hours"] == "${HAVN_CHAT_HOURS}"
    assert endpoints["lock_store"]["type"] == "redis"
    # Rasa ignores a key prefix that is not alphanumeric (and uses its default).
    assert endpoints["tracker_store"]["key_prefix"].isalnum()
    assert endpoints["lock_store"]["key_prefix"].isalnum()
