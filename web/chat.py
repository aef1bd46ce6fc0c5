"""The web chat: a page on our own origin that relays messages to the Rasa bot.

The browser never talks to Rasa: it posts a form here (htmx or plain), this proxy sends Rasa
only an opaque chat id, the text and the page language — no IP address, no cookie, no header
of the person's. The transcript shown on the page is kept for the chat's lifetime
(HAVN_CHAT_HOURS) in Redis when configured, else in this process, then it is gone.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from capacity.errors import InvalidInput
from web.i18n import negotiate
from web.ratelimit import RateLimiter, key_for
from web.templating import Pages
from web.wording import N_

log = logging.getLogger("havn.chat")
COOKIE = "havn_chat"
MAX_MESSAGE = 1000
MAX_TURNS = 200
BOT_DOWN = N_(
    "The chat assistant is not available right now. Call VO-linjen on 116 006, day and night."
)
TOO_FAST = N_("Please wait a moment before you write again.")
ENDED = N_("The conversation is ended and deleted.")
# Words that end a chat (the bot resets itself on them): the page forgets it too.
STOP_WORDS = {"stop", "stopp", "exit", "quit", "avslutt", "slutt", "avslutte", "heilt slutt"}


@dataclass
class Transcripts:
    """Chat transcripts that expire: Redis when configured (shared by workers), else memory."""

    hours: float
    redis: Redis | None = None
    _memory: dict[str, tuple[float, list[dict[str, Any]]]] = field(default_factory=dict)

    @property
    def seconds(self) -> int:
        return int(self.hours * 3600)

    async def get(self, chat_id: str) -> list[dict[str, Any]]:
        if self.redis is not None:
            try:
                raw = await self.redis.get(f"havn:chat:{chat_id}")
                return list(json.loads(raw)) if raw else []
            except (RedisError, OSError, ValueError):
                log.warning("chat transcript falls back to this process")
        expires, turns = self._memory.get(chat_id, (0.0, []))
        return turns if expires > time.monotonic() else []

    async def put(self, chat_id: str, turns: list[dict[str, Any]]) -> None:
        turns = turns[-MAX_TURNS:]
        if self.redis is not None:
            try:
                await self.redis.set(f"havn:chat:{chat_id}", json.dumps(turns), ex=self.seconds)
                return
            except (RedisError, OSError):
                log.warning("chat transcript kept in this process")
        self._sweep()
        self._memory[chat_id] = (time.monotonic() + self.seconds, turns)

    async def delete(self, chat_id: str) -> None:
        self._memory.pop(chat_id, None)
        if self.redis is not None:
            try:
                await self.redis.delete(f"havn:chat:{chat_id}")
            except (RedisError, OSError):
                log.warning("could not delete a chat transcript from Redis")

    def _sweep(self) -> None:
        now = time.monotonic()
        for chat_id in [k for k, (expires, _) in self._memory.items() if expires <= now]:
            del self._memory[chat_id]


@dataclass
class Chat:
    bot_url: str
    transcripts: Transcripts
    client: httpx.AsyncClient
    limiter: RateLimiter

    async def ask(self, chat_id: str, text: str, language: str) -> list[dict[str, Any]] | None:
        """The bot's answers, or None when the bot cannot be reached."""
        try:
            response = await self.client.post(
                f"{self.bot_url}/webhooks/rest/webhook",
                json={"sender": chat_id, "message": text, "metadata": {"language": language}},
            )
            response.raise_for_status()
            answers = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("bot unreachable: %s", type(exc).__name__)
            return None
        if not isinstance(answers, list):
            return None
        return [_answer(item) for item in answers if isinstance(item, dict)]


def _answer(item: dict[str, Any]) -> dict[str, Any]:
    buttons = [
        {"title": str(b.get("title", ""))[:100], "payload": str(b.get("payload", ""))[:200]}
        for b in item.get("buttons") or []
        if isinstance(b, dict)
    ]
    return {"from": "bot", "text": str(item.get("text") or "")[:4000], "buttons": buttons[:8]}


def chat_of(request: Request) -> Chat:
    found: Chat = request.app.state.chat
    return found


def pages(request: Request) -> Pages:
    found: Pages = request.app.state.pages
    return found


def _chat_id(request: Request) -> str | None:
    value = request.cookies.get(COOKIE, "")
    return (
        value
        if 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum()
        else None
    )


async def render(
    request: Request, chat_id: str | None, status: int = 200, notice: str | None = None
) -> Response:
    turns = await chat_of(request).transcripts.get(chat_id) if chat_id else []
    response = pages(request).render(
        request,
        "chat.html",
        {"turns": turns, "notice": notice, "max_message": MAX_MESSAGE},
        block="conversation",
        status_code=status,
    )
    if chat_id:
        # Short-lived and opaque; gone when the browser closes or the chat ends.
        response.set_cookie(COOKIE, chat_id, httponly=True, samesite="strict", path="/chat")
    return response


async def chat_page(request: Request) -> Response:
    return await render(request, _chat_id(request))


async def send(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=5, max_part_size=4 * MAX_MESSAGE)
    text = str(form.get("message", "")).strip()
    if not text or len(text) > MAX_MESSAGE or any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidInput(f"A message has 1 to {MAX_MESSAGE} characters", field="message")
    chat = chat_of(request)
    chat_id = _chat_id(request) or secrets.token_urlsafe(24)
    if not await chat.limiter.hit(key_for("chat", chat_id)):
        return await render(request, chat_id, status=429, notice=TOO_FAST)
    language, _ = negotiate(request)
    answers = await chat.ask(chat_id, text, language.code)
    if text.lower().strip(" .!") in STOP_WORDS:
        await chat.transcripts.delete(chat_id)
        response = await render(request, None, notice=ENDED)
        response.delete_cookie(COOKIE, path="/chat")
        return response
    turns = await chat.transcripts.get(chat_id)
    turns.append({"from": "person", "text": text, "buttons": []})
    if answers is None:
        await chat.transcripts.put(chat_id, turns)
        return await render(request, chat_id, status=503, notice=BOT_DOWN)
    turns.extend(answers)
    await chat.transcripts.put(chat_id, turns)
    if request.headers.get("hx-request") == "true":
        return await render(request, chat_id)
    return RedirectResponse("/chat#latest", status_code=303, headers=_cookie_header(chat_id))


def _cookie_header(chat_id: str) -> dict[str, str]:
    return {"Set-Cookie": f"{COOKIE}={chat_id}; HttpOnly; Path=/chat; SameSite=Strict"}


async def end(request: Request) -> Response:
    """End the chat: forget the transcript here and in the bot, and drop the chat id."""
    chat_id = _chat_id(request)
    chat = chat_of(request)
    if chat_id:
        await chat.transcripts.delete(chat_id)
        language, _ = negotiate(request)
        await chat.ask(chat_id, "/restart", language.code)
    response = RedirectResponse("/chat", status_code=303)
    response.delete_cookie(COOKIE, path="/chat")
    return response


routes = [
    Route("/chat", chat_page, methods=["GET"]),
    Route("/chat", send, methods=["POST"]),
    Route("/chat/end", end, methods=["POST"]),
]
