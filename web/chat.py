"""The chat relay: transcripts and the client that carries a person's messages to the bot.

The browser never talks to Rasa: it posts a form here (htmx or plain), this proxy sends Rasa
only an opaque chat id, the text and the page language — no IP address, no cookie, no header
of the person's. The transcript shown on the page is kept for the chat's lifetime
(HAVN_CHAT_HOURS) in Redis when configured, else in this process, then it is gone; both are
bounded in size. Every failure (bot down or slow, too fast, an expired form, a bad message) is
answered inside the conversation with the helpline 116 006.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.requests import Request

from web.ratelimit import RateLimiter
from web.wording import N_

log = logging.getLogger("havn.chat")
COOKIE = "havn_chat"
NEUTRAL_SITE = "https://www.yr.no/"  # where "Leave quickly" goes (as in base.html)
MAX_MESSAGE = 1000
MAX_FORM_BYTES = 8 * MAX_MESSAGE
MAX_TURNS = 200
MAX_TRANSCRIPT_BYTES = 32_000  # per conversation; the oldest turns go first
MAX_CONVERSATIONS = 5_000  # kept in this process without Redis; the oldest go first
PER_CHAT_PER_MINUTE = 20
# Per client address (people behind one mobile-network or shelter address share it). The
# address is only ever a keyed hash in a counter that expires after a minute: never logged.
PER_CLIENT_PER_MINUTE = 60
NEW_CONVERSATIONS_PER_MINUTE = 120  # for everyone together: protects the bot from a flood
BOT_DOWN = N_(
    "The chat assistant is not available right now. Call VO-linjen on 116 006, day and night."
)
BOT_SLOW = N_(
    "The chat assistant did not answer in time. Try again, or call VO-linjen on 116 006, day "
    "and night."
)
TOO_FAST = N_("Please wait a moment before you write again.")
EXPIRED = N_("The chat page had expired. Send your message again.")
BAD_MESSAGE = N_("Write a message of 1 to 1000 characters.")
ENDED = N_("The conversation is ended and deleted.")
# Words that end a chat (the bot resets itself on them): the page forgets it too.
STOP_WORDS = {"stop", "stopp", "exit", "quit", "avslutt", "slutt", "avslutte", "heilt slutt"}
RESTART = "/restart"  # the bot's tracker store deletes a conversation that restarts


def bounded(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest turns that fit MAX_TURNS and MAX_TRANSCRIPT_BYTES."""
    turns = turns[-MAX_TURNS:]
    sizes = [len(json.dumps(turn).encode()) + 2 for turn in turns]
    total = sum(sizes)
    start = 0
    while total > MAX_TRANSCRIPT_BYTES and start < len(turns):
        total -= sizes[start]
        start += 1
    return turns[start:]


@dataclass
class Transcripts:
    """Chat transcripts that expire: Redis when configured (shared by workers), else memory."""

    hours: float
    redis: Redis | None = None
    max_conversations: int = MAX_CONVERSATIONS
    clock: Callable[[], float] = time.monotonic
    # chat id → (expiry, turns), oldest write first
    _memory: OrderedDict[str, tuple[float, list[dict[str, Any]]]] = field(
        default_factory=OrderedDict
    )

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
        self._sweep()
        _, turns = self._memory.get(chat_id, (0.0, []))
        return list(turns)

    async def put(self, chat_id: str, turns: list[dict[str, Any]]) -> None:
        turns = bounded(turns)
        if self.redis is not None:
            try:
                await self.redis.set(f"havn:chat:{chat_id}", json.dumps(turns), ex=self.seconds)
                return
            except (RedisError, OSError):
                log.warning("chat transcript kept in this process")
        self._memory.pop(chat_id, None)
        self._memory[chat_id] = (self.clock() + self.seconds, turns)
        self._sweep()

    async def delete(self, chat_id: str) -> None:
        self._memory.pop(chat_id, None)
        if self.redis is not None:
            try:
                await self.redis.delete(f"havn:chat:{chat_id}")
            except (RedisError, OSError):
                log.warning("could not delete a chat transcript from Redis")

    def __len__(self) -> int:
        """Conversations kept in this process."""
        self._sweep()
        return len(self._memory)

    def _sweep(self) -> None:
        """Drop expired conversations and the oldest beyond the limit (oldest write first)."""
        now = self.clock()
        while self._memory:
            chat_id, (expires, _) = next(iter(self._memory.items()))
            if expires > now and len(self._memory) <= self.max_conversations:
                break
            del self._memory[chat_id]


class BotError(Exception):
    """The bot could not answer: `status` and `notice` say how to tell the person."""

    def __init__(self, status: int, notice: str) -> None:
        super().__init__(notice)
        self.status = status
        self.notice = notice


@dataclass
class Chat:
    bot_url: str
    transcripts: Transcripts
    client: httpx.AsyncClient
    limiter: RateLimiter
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    clients: RateLimiter | None = None
    starts: RateLimiter | None = None

    def __post_init__(self) -> None:
        redis = self.limiter.redis
        if self.clients is None:
            self.clients = RateLimiter(PER_CLIENT_PER_MINUTE, 60, redis)
        if self.starts is None:
            self.starts = RateLimiter(NEW_CONVERSATIONS_PER_MINUTE, 60, redis)

    async def ask(self, chat_id: str, text: str, language: str) -> list[dict[str, Any]]:
        """The bot's answers; raises BotError when it is down, slow or answers nonsense."""
        try:
            response = await self.client.post(
                f"{self.bot_url}/webhooks/rest/webhook",
                json={"sender": chat_id, "message": text, "metadata": {"language": language}},
            )
            response.raise_for_status()
            answers = response.json()
        except httpx.TimeoutException as exc:
            log.warning("bot too slow: %s", type(exc).__name__)
            raise BotError(504, BOT_SLOW) from exc
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("bot unreachable: %s", type(exc).__name__)
            raise BotError(503, BOT_DOWN) from exc
        if not isinstance(answers, list):
            raise BotError(503, BOT_DOWN)
        return [_answer(item) for item in answers if isinstance(item, dict)]

    async def forget(self, chat_id: str, language: str) -> None:
        """End a conversation here and in the bot (whose tracker store deletes it)."""
        await self.transcripts.delete(chat_id)
        # A bot that cannot be reached forgets the conversation after HAVN chat hours anyway.
        with contextlib.suppress(BotError):
            await self.ask(chat_id, RESTART, language)

    def token(self, chat_id: str) -> str:
        """The CSRF token of the chat forms: bound to the chat id in the HttpOnly cookie."""
        return hmac.new(self.secret, f"chat-form\x1f{chat_id}".encode(), hashlib.sha256).hexdigest()

    def client_key(self, request: Request) -> str:
        """A keyed hash of the client address, for the rate limit only (never stored longer)."""
        address = request.client.host if request.client else "-"
        digest = hmac.new(self.secret, f"chat-client\x1f{address}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]


def _answer(item: dict[str, Any]) -> dict[str, Any]:
    buttons = [
        {"title": str(b.get("title", ""))[:100], "payload": str(b.get("payload", ""))[:200]}
        for b in item.get("buttons") or []
        if isinstance(b, dict)
    ]
    return {"from": "bot", "text": str(item.get("text") or "")[:4000], "buttons": buttons[:8]}
