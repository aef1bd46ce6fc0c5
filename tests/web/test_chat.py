"""The web chat proxy, against a stand-in Rasa REST channel served on a real socket.

The real bot, trained, is exercised end to end in tests/system/test_bot_e2e.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.helpers import free_port, serve, settings_for, soup
from web import chat
from web.app import create_app
from web.chat import Transcripts
from web.ratelimit import RateLimiter, key_for

TEL = "a[href='tel:116006']"


class AnyLanguage:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, dict) and set(other) == {"language"}


ANY_LANGUAGE = AnyLanguage()


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
        if body["message"] == "slow":
            await asyncio.sleep(1.0)
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


@pytest.fixture(scope="module")
def rasa() -> Iterator[tuple[FakeRasa, str]]:
    fake = FakeRasa()
    app = Starlette(routes=[Route("/webhooks/rest/webhook", fake.webhook, methods=["POST"])])
    with serve(app) as url:
        yield fake, url


def make_client(sqlite_url: str, tmp_path: Path, bot_url: str) -> TestClient:
    settings = settings_for(sqlite_url, tmp_path, HAVN_BOT_URL=bot_url)
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture
def client(sqlite_url: str, tmp_path: Path, rasa: tuple[FakeRasa, str]) -> Iterator[TestClient]:
    """The app with the stand-in Rasa as its bot (the chat keeps nothing in the registry)."""
    with make_client(sqlite_url, tmp_path, rasa[1]) as client:
        yield client


def token(client: TestClient) -> str:
    """The chat forms' CSRF token, as the page gives it (the page sets the chat cookie)."""
    field = soup(client.get("/chat")).select_one("form.chat-form input[name=csrf]")
    assert field is not None
    return str(field["value"])


def say(client: TestClient, message: str, htmx: bool = False, **kwargs: Any) -> Any:
    """Post a message as the chat page's form does."""
    headers = {"HX-Request": "true"} if htmx else {}
    data = {"message": message, "csrf": token(client)}
    return client.post("/chat", data=data, headers=headers, **kwargs)


def problem(response: Any) -> Any:
    """The error notice inside the conversation (not the page's hidden template)."""
    return soup(response).select_one("#conversation .chat-problem, .conversation .chat-problem")


def state(client: TestClient) -> chat.Chat:
    found: chat.Chat = client.app.state.chat  # type: ignore[attr-defined]
    return found


def test_the_chat_page_works_without_javascript(
    client: TestClient, rasa: tuple[FakeRasa, str]
) -> None:
    page = soup(client.get("/chat"))
    form = page.select_one("form.chat-form")
    assert form["method"] == "post" and form["action"] == "/chat"
    assert page.select_one("a#quick-exit") is not None
    response = say(client, "Jeg er i Bodø", follow_redirects=False)
    assert response.status_code == 303
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
        data={"message": "hello", "csrf": token(client)},
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
    say(client, "one")
    say(client, "two")
    sender = fake.received[0]["sender"]
    assert fake.received[1]["sender"] == sender
    assert len(state(client).transcripts) == 1
    ended = client.post("/chat/end", data={"csrf": token(client)}, follow_redirects=False)
    assert ended.status_code == 303
    assert fake.received[-1] == {"sender": sender, "message": "/restart", "metadata": ANY_LANGUAGE}
    assert 'havn_chat=""' in ended.headers["set-cookie"]
    assert len(state(client).transcripts) == 0
    page = client.get("/chat")
    assert soup(page).select(".turn") == []
    assert sender not in page.headers["set-cookie"]  # a new, unrelated chat id


@pytest.mark.parametrize("message", ["", " ", "x" * 1001, "bad\x00byte", "\x1b[31m"])
def test_bad_messages_get_a_clear_answer_in_the_conversation(
    client: TestClient, message: str
) -> None:
    for htmx in (True, False):
        response = say(client, message, htmx=htmx)
        assert response.status_code == 422
        assert problem(response).select_one(TEL) is not None
    assert soup(response).select(".turn") == []  # nothing was kept


def test_html_in_messages_is_shown_as_text(client: TestClient) -> None:
    say(client, "<img src=x onerror=alert(1)>")
    page = client.get("/chat").text
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_a_bot_that_is_not_running_gets_a_clear_message(sqlite_url: str, tmp_path: Path) -> None:
    with make_client(sqlite_url, tmp_path, f"http://127.0.0.1:{free_port()}") as client:
        response = say(client, "hei", htmx=True)
        assert response.status_code == 503
        assert response.headers["x-havn-fragment"] == "conversation"
        assert "116 006" in problem(response).get_text()
        assert problem(response).select_one(TEL).get_text(strip=True) == "116 006VO-linjen"
        page = say(client, "hei igjen")  # without JavaScript: the whole page, same notice
        assert page.status_code == 503 and problem(page).select_one(TEL) is not None
        texts = [p.get_text() for p in soup(page).select(".turn p:not(.who)")]
        assert texts == ["hei", "hei igjen"]  # what the person wrote is not lost


def test_chat_messages_are_rate_limited(client: TestClient) -> None:
    statuses = [say(client, f"m{n}", htmx=True).status_code for n in range(22)]
    assert statuses[:20] == [200] * 20 and statuses[-1] == 429
    response = say(client, "one more", htmx=True)
    assert problem(response).select_one(TEL) is not None
    assert soup(response).select_one("textarea#message").get_text() == "one more"


def test_typing_stop_ends_and_forgets_the_chat(
    client: TestClient, rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = rasa
    say(client, "Jeg er i Bodø")
    sender = fake.received[-1]["sender"]
    response = say(client, "Avslutt")
    assert fake.received[-1]["message"] == "Avslutt"  # the bot resets itself too
    assert sender not in response.headers["set-cookie"]  # a new chat id
    assert soup(response).select(".turn") == []
    assert len(state(client).transcripts) == 0


def test_a_chat_form_without_its_token_is_refused_in_the_conversation(
    client: TestClient, rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = rasa
    fake.received.clear()
    mine = token(client)
    theirs = token(TestClient(client.app))  # another browser: its own chat id and token
    attempts = [{"message": "hei"}, {"message": "hei", "csrf": "x" * 64}]
    attempts.append({"message": "hei", "csrf": theirs})
    for data in attempts:
        for htmx in (True, False):
            headers = {"HX-Request": "true"} if htmx else {}
            response = client.post("/chat", data=data, headers=headers)
            assert response.status_code == 403
            assert problem(response).select_one(TEL) is not None
            assert soup(response).select_one("textarea#message").get_text() == "hei"
    assert client.post("/chat/end", data={"csrf": theirs}).status_code == 403
    client.cookies.clear()  # a forged post from another site arrives without the cookie
    response = client.post("/chat", data={"message": "hei", "csrf": mine})
    assert response.status_code == 403
    fresh = soup(response).select_one("form.chat-form input[name=csrf]")["value"]
    assert fresh != mine  # a new chat id and a token for it: sending again works
    assert client.post("/chat", data={"message": "hei", "csrf": fresh}).status_code == 200
    assert [body["message"] for body in fake.received] == ["hei"]


def test_dropping_the_chat_cookie_does_not_escape_the_rate_limit(client: TestClient) -> None:
    statuses = []
    for n in range(chat.PER_CLIENT_PER_MINUTE + 2):
        client.cookies.clear()  # a new chat id for every message
        statuses.append(say(client, f"m{n}", htmx=True).status_code)
    assert statuses[: chat.PER_CLIENT_PER_MINUTE] == [200] * chat.PER_CLIENT_PER_MINUTE
    assert statuses[-2:] == [429, 429]


def test_the_client_address_is_kept_only_as_a_keyed_hash(client: TestClient) -> None:
    limiter = state(client).clients
    assert limiter is not None
    say(client, "hei")
    (key,) = limiter._hits
    assert "testclient" not in key and key != key_for("client", "testclient")
    assert len(key) == 32 and all(c in "0123456789abcdef" for c in key)


def test_new_conversations_have_a_ceiling_for_everyone(client: TestClient) -> None:
    found = state(client)
    found.starts = RateLimiter(3, 60)
    found.clients = RateLimiter(1000, 60)  # as if they came from many addresses
    statuses = []
    for n in range(4):
        client.cookies.clear()
        statuses.append(say(client, f"new {n}", htmx=True).status_code)
    assert statuses == [200, 200, 200, 429]
    client.cookies.clear()
    ongoing = say(client, "first", htmx=True)
    assert ongoing.status_code == 429 and problem(ongoing).select_one(TEL) is not None


def test_a_slow_bot_gets_a_clear_message_in_the_conversation(client: TestClient) -> None:
    state(client).client.timeout = httpx.Timeout(0.3)
    response = say(client, "slow", htmx=True)
    assert response.status_code == 504
    assert problem(response).select_one(TEL) is not None
    assert [p.get_text() for p in soup(response).select(".turn p:not(.who)")] == ["slow"]


def test_the_quick_exit_on_the_chat_ends_the_conversation(
    client: TestClient, rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = rasa
    say(client, "Jeg er i Bodø")
    sender = fake.received[-1]["sender"]
    page = soup(client.get("/chat"))
    link = page.select_one("a#quick-exit")
    assert link["href"] == "/chat/exit" and link["data-neutral"] == chat.NEUTRAL_SITE
    response = client.get(link["href"], follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == chat.NEUTRAL_SITE
    assert 'havn_chat=""' in response.headers["set-cookie"]
    assert fake.received[-1] == {"sender": sender, "message": "/restart", "metadata": ANY_LANGUAGE}
    assert len(state(client).transcripts) == 0
    assert soup(client.get("/chat")).select(".turn") == []
    other = soup(client.get("/safety")).select_one("a#quick-exit")
    assert other["href"] == chat.NEUTRAL_SITE  # elsewhere it leaves straight away


def test_the_quick_exit_leaves_at_once_when_the_bot_is_down(
    sqlite_url: str, tmp_path: Path
) -> None:
    with make_client(sqlite_url, tmp_path, f"http://127.0.0.1:{free_port()}") as client:
        say(client, "hei")
        response = client.get("/chat/exit", follow_redirects=False)
        assert response.headers["location"] == chat.NEUTRAL_SITE
        assert len(state(client).transcripts) == 0


def turn(n: int, size: int = 10) -> dict[str, Any]:
    return {"from": "person", "text": f"{n:05d}" + "x" * size, "buttons": []}


async def test_transcripts_expire_after_the_chat_hours() -> None:
    now = [1000.0]
    transcripts = Transcripts(hours=1, clock=lambda: now[0])
    await transcripts.put("a" * 24, [turn(1)])
    now[0] += 3599
    assert await transcripts.get("a" * 24) == [turn(1)]
    now[0] += 2
    assert await transcripts.get("a" * 24) == [] and len(transcripts) == 0


async def test_transcripts_in_memory_are_bounded_and_lose_the_oldest_first() -> None:
    now = [0.0]
    transcripts = Transcripts(hours=24, max_conversations=3, clock=lambda: now[0])
    for n in range(5):
        now[0] += 1
        await transcripts.put(f"chat-{n:020d}", [turn(n)])
    assert len(transcripts) == 3
    assert await transcripts.get(f"chat-{0:020d}") == []
    assert await transcripts.get(f"chat-{4:020d}") == [turn(4)]
    long = [turn(n, size=900) for n in range(300)]
    await transcripts.put("b" * 24, long)
    kept = await transcripts.get("b" * 24)
    assert 0 < len(kept) < 300 and kept == long[-len(kept) :]
    assert len(json.dumps(kept).encode()) <= chat.MAX_TRANSCRIPT_BYTES
    many = [turn(n) for n in range(500)]
    await transcripts.put("c" * 24, many)
    assert await transcripts.get("c" * 24) == many[-chat.MAX_TURNS :]


@pytest.mark.redis
async def test_transcripts_in_redis_are_bounded_per_conversation() -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(os.environ.get("HAVN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    chat_id = secrets.token_urlsafe(24)
    try:
        transcripts = Transcripts(hours=1, redis=redis)
        long = [turn(n, size=900) for n in range(300)]
        await transcripts.put(chat_id, long)
        raw = await redis.get(f"havn:chat:{chat_id}")
        assert raw is not None and len(raw) <= chat.MAX_TRANSCRIPT_BYTES
        kept = await transcripts.get(chat_id)
        assert 0 < len(kept) < 300 and kept == long[-len(kept) :]
        assert 3590 <= await redis.ttl(f"havn:chat:{chat_id}") <= 3600
        await transcripts.delete(chat_id)
        assert await redis.exists(f"havn:chat:{chat_id}") == 0
    finally:
        await redis.delete(f"havn:chat:{chat_id}")
        await redis.aclose()
