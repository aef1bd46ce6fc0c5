"""End to end: the web chat page → the web app's proxy → Rasa → the action server → the JSON
API → the registry, with the real trained bot. `make test` requires it (HAVN_TEST_BOT=required);
run alone without a trained bot, it is skipped with the reason.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.helpers import (
    BOT,
    bot_environment,
    bot_installed,
    copy_database,
    early_rasa_log,
    free_port,
    listening,
    soup,
    start_rasa,
    wait_for_port,
    web_process,
)
from web.app import create_app
from web.config import Settings

RASA_PORT, ACTIONS_PORT = 5005, 5055


@pytest.fixture(scope="module")
def stack(demo_registry: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    early = early_rasa_log()  # the run started Rasa at its beginning (tests/conftest.py)
    if early is None and not bot_installed():
        if os.environ.get("HAVN_TEST_BOT") == "required":
            raise AssertionError("the bot is not installed and trained: run `make bot`")
        pytest.skip("no trained bot (make bot); make test runs this")
    for port in (ACTIONS_PORT,) if early else (RASA_PORT, ACTIONS_PORT):
        assert not listening(port), f"port {port} is taken: stop the running bot first"
    folder = tmp_path_factory.mktemp("e2e")
    url = copy_database(demo_registry, folder)
    web_port = free_port()
    env = bot_environment()
    env.update(
        HAVN_DATABASE_URL=url,
        HAVN_DATA_DIR=str(folder),
        HAVN_SECRET_KEY="e" * 40,
        HAVN_API_URL=f"http://127.0.0.1:{web_port}",
    )
    logs = {name: folder / f"{name}.log" for name in ("web", "actions", "rasa")}
    handles = {name: path.open("wb") for name, path in logs.items()}
    processes = [
        web_process(web_port, env, stdout=handles["web"], stderr=subprocess.STDOUT),
        subprocess.Popen(
            [str(BOT / "scripts" / "serve.sh"), "actions"],
            env=env,
            stdout=handles["actions"],
            stderr=subprocess.STDOUT,
        ),
    ]
    rasa = None if early else start_rasa(handles["rasa"])
    if rasa is not None:
        processes.append(rasa)
    try:
        wait_for_port(web_port, 30, processes[0], logs["web"])
        wait_for_port(ACTIONS_PORT, 120, processes[1], logs["actions"])
        wait_for_port(RASA_PORT, 240, rasa, early or logs["rasa"])
        yield Settings.from_environ(
            {
                "HAVN_DATABASE_URL": url,
                "HAVN_DATA_DIR": str(folder),
                "HAVN_BOT_URL": f"http://127.0.0.1:{RASA_PORT}",
            }
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for handle in handles.values():
            handle.close()


def bot_says(client: TestClient, message: str) -> tuple[str, list[str]]:
    """Send `message` through the web chat; the bot's newest answers and suggested payloads."""
    form = soup(client.get("/chat")).select_one("form.chat-form")
    csrf = form.select_one("input[name=csrf]")["value"]
    response = client.post(
        "/chat", data={"message": message, "csrf": csrf}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200, response.text[-500:]
    page = soup(response)
    turns = page.select(".turn")
    last_person = max(i for i, t in enumerate(turns) if "turn-person" in t["class"])
    answer = "\n".join(t.get_text(" ", strip=True) for t in turns[last_person + 1 :])
    buttons = [b["value"] for b in page.select(".suggestions button")]
    return answer, buttons


def test_a_person_finds_a_place_through_the_web_chat(stack: Settings) -> None:
    with TestClient(create_app(stack)) as client:
        answer, buttons = bot_says(client, "I need a place to stay in Bodø")
        replies = ["a woman", "no children", "no special needs", "English"]
        for turn in range(8):
            if "Salten" in answer or "km" in answer:
                break
            answer, buttons = bot_says(client, buttons[0] if buttons else replies[min(turn, 3)])
        assert "Krisesenteret i Salten" in answer, answer
        assert "demo" in answer.lower()
        danger, _ = bot_says(client, "he is here now")
        assert danger.index("112") < danger.index("116 006"), danger
        page = soup(client.get("/chat"))
        csrf = page.select_one("form.chat-form input[name=csrf]")["value"]
        ended = client.post("/chat/end", data={"csrf": csrf}, follow_redirects=False)
        assert ended.status_code == 303


def test_the_bot_answers_in_norwegian(stack: Settings) -> None:
    with TestClient(create_app(stack)) as client:
        answer, _ = bot_says(client, "Hva er et krisesenter?")
        assert "gratis" in answer.lower() or "krisesenter" in answer.lower(), answer
