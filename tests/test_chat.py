"""The web chat proxy, against a stand-in Rasa REST channel served on a real socket.

The real bot, trained, is exercised end to end in tests/test_bot_e2e.py.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from bs4 import BeautifulSoup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from capacity import migrate
from web.app import create_app
from web.config import Settings


class FakeRasa:
    """Answers like Rasa's REST channel and remembers what it was sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []

    async def webhook(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.received.append(body)
        self.headers.append(dict(request.headers))
        if body["message"] == "/restart":
            return JSONResponse([])
        return JSONResponse(
            [
                {"recipient_id": body["sender"], "text": f"You said: {body['message']}"},
                {
                    "recipient_id": body["sender"],
                    "text": "Who needs a place?",
                    "buttons": [
                        {"title": "A woman", "payload": '/inform_gender{"gender":"woman"}'}
                    ],
                },
            ]
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def rasa() -> Iterator[tuple[FakeRasa, str]]:
    fake = FakeRasa()
    app = Starlette(routes=[Route("/webhooks/rest/webhook", fake.webhook, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield fake, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def make_client(tmp_path: Path, bot_url: str) -> TestClient:
    url = f"sqlite:///{tmp_path / 'chat.sqlite3'}"
    migrate.upgrade(url)
    settings = Settings.from_environ(
        {"HAVN_DATABASE_URL": url, "HAVN_DATA_DIR": str(tmp_path), "HAVN_BOT_URL": bot_url}
    )
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture
def client(tmp_path: Path, rasa: tuple[FakeRasa, str]) -> Iterator[TestClient]:
    with make_client(tmp_path, rasa[1]) as client:
        yield client


def soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def test_the_chat_page_works_without_javascript(
    client: TestClient, rasa: tuple[FakeRasa, str]
) -> None:
    page = soup(client.get("/chat"))
    form = page.select_one("form.chat-form")
    assert form["method"] == "post" and form["action"] == "/chat"
    assert page.select_one("a#quick-exit") is not None
    response = client.post("/chat", data={"message": "Jeg er i Bodø"}, follow_redirects=False)
    assert response.status_code == 303
    assert "havn_chat=" in response.headers["set-cookie"]
    page = soup(client.get("/chat"))
    texts = [p.get_text() for p in page.select(".turn p:not(.who)")]
    assert texts == ["Jeg er i Bodø", "You said: Jeg er i Bodø", "Who needs a place?"]
    button = page.select_one(".suggestions button")
    assert button.get_text() == "A woman" and button["name"] == "message"


def test_the_bot_gets_an_opaque_id_the_text_and_the_language_only(
    client: TestClient, rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = rasa
    fake.received.clear()
    fake.headers.clear()
    client.post(
        "/chat?lang=en",
        data={"message": "hello"},
        headers={
            "HX-Request": "true",
            "X-Forwarded-For": "203.0.113.7",
            "User-Agent": "Secret/1.0",
        },
    )
    (body,) = fake.received
    assert set(body) == {"sender", "message", "metadata"}
    assert body["metadata"] == {"language": "en"} and len(body["sender"]) >= 24
    sent = " ".join(f"{k}: {v}" for k, v in fake.headers[0].items())
    assert "203.0.113.7" not in sent and "Secret/1.0" not in sent and "havn_chat" not in sent


def test_one_conversation_keeps_its_id_and_ending_it_forgets_everything(
    client: TestClient, rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = rasa
    fake.received.clear()
    client.post("/chat", data={"message": "one"})
    client.post("/chat", data={"message": "two"})
    assert fake.received[0]["sender"] == fake.received[1]["sender"]
    ended = client.post("/chat/end", follow_redirects=False)
    assert fake.received[-1]["message"] == "/restart"
    assert 'havn_chat=""' in ended.headers["set-cookie"]
    client.cookies.clear()
    assert soup(client.get("/chat")).select(".turn") == []


@pytest.mark.parametrize("message", ["", " ", "x" * 1001, "bad\x00byte", "\x1b[31m"])
def test_bad_messages_get_a_clear_answer(client: TestClient, message: str) -> None:
    response = client.post("/chat", data={"message": message})
    assert response.status_code == 422


def test_html_in_messages_is_shown_as_text(client: TestClient) -> None:
    client.post("/chat", data={"message": "<img src=x onerror=alert(1)>"})
    page = client.get("/chat").text
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_a_bot_that_is_not_running_gets_a_clear_message(tmp_path: Path) -> None:
    with make_client(tmp_path, f"http://127.0.0.1:{free_port()}") as client:
        response = client.post("/chat", data={"message": "hei"}, headers={"HX-Request": "true"})
        assert response.status_code == 503
        assert "116 006" in soup(response).select_one(".problem").get_text()


def test_chat_messages_are_rate_limited(client: TestClient) -> None:
    statuses = [
        client.post("/chat", data={"message": f"m{n}"}, headers={"HX-Request": "true"}).status_code
        for n in range(22)
    ]
    assert statuses[:20] == [200] * 20 and statuses[-1] == 429


def test_typing_stop_ends_and_forgets_the_chat(
    client: TestClient, rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = rasa
    client.post("/chat", data={"message": "Jeg er i Bodø"})
    response = client.post("/chat", data={"message": "Avslutt"})
    assert fake.received[-1]["message"] == "Avslutt"  # the bot resets itself too
    assert 'havn_chat=""' in response.headers["set-cookie"]
    assert soup(response).select(".turn") == []
