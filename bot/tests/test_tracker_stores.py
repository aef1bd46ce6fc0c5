"""The bot forgets: conversations expire HAVN_CHAT_HOURS after their last message and are
deleted at once when they end, in memory and in Redis, through Rasa's own pipeline too."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from typing import Any

import pytest
import redis
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Restarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

import tracker_stores
from tracker_stores import MemoryTrackerStore, RedisTrackerStore

BOT = Path(__file__).resolve().parent.parent
MODEL = BOT / "models" / "havn.tar.gz"
REDIS_URL = os.environ.get("HAVN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
HOUR = 3600.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def talking(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender,
        [ActionExecuted("action_listen"), UserUttered("hei"), BotUttered("Hei! Hvor er du?")],
    )


def ending(tracker: DialogueStateTracker, text: str = "/restart") -> DialogueStateTracker:
    for event in (
        ActionExecuted("action_listen"),
        UserUttered(text),
        ActionExecuted("action_restart"),
        Restarted(),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)
    return tracker


def test_a_conversation_in_memory_is_gone_the_configured_hours_after_its_last_message() -> None:
    clock = Clock()
    store = MemoryTrackerStore(Domain.empty(), hours="2", clock=clock)

    async def scenario() -> None:
        await store.save(talking("a"))
        clock.now += 1.5 * HOUR
        await store.save(talking("a"))  # a new message: two more hours from now
        clock.now += 2 * HOUR - 1
        assert await store.retrieve("a") is not None
        clock.now += 2
        assert await store.retrieve("a") is None
        assert list(await store.keys()) == [] and len(store.store) == 0

    asyncio.run(scenario())


def test_an_idle_store_still_drops_expired_conversations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracker_stores, "SWEEP_SECONDS", 0.01)
    clock = Clock()
    store = MemoryTrackerStore(Domain.empty(), hours=1, clock=clock)

    async def scenario() -> None:
        await store.save(talking("a"))
        clock.now += HOUR + 1
        for _ in range(100):  # nobody writes or reads: only the sweep can drop it
            if not store.store:
                break
            await asyncio.sleep(0.01)
        assert len(store.store) == 0

    asyncio.run(scenario())


def test_an_ended_conversation_is_deleted_from_memory_at_once() -> None:
    store = MemoryTrackerStore(Domain.empty(), hours=24)

    async def scenario() -> None:
        await store.save(talking("a"))
        await store.save(talking("b"))
        tracker = await store.retrieve("a")
        assert tracker is not None
        await store.save(ending(tracker))
        assert await store.retrieve("a") is None
        assert list(await store.keys()) == ["b"]

    asyncio.run(scenario())


def test_memory_keeps_at_most_the_configured_number_of_conversations() -> None:
    clock = Clock()
    store = MemoryTrackerStore(Domain.empty(), hours=24, max_conversations=2, clock=clock)

    async def scenario() -> None:
        for sender in "abc":
            clock.now += 1
            await store.save(talking(sender))
        assert sorted(await store.keys()) == ["b", "c"]

    asyncio.run(scenario())


@pytest.mark.parametrize("hours", ["0", "-1", "many", "721"])
def test_bad_hours_stop_the_bot(hours: str) -> None:
    with pytest.raises(ValueError):
        MemoryTrackerStore(Domain.empty(), hours=hours)


def test_the_endpoints_use_these_stores_with_the_chat_hours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HAVN_CHAT_HOURS", "6")
    monkeypatch.setenv("HAVN_BOT_REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("HAVN_BOT_REDIS_PORT", "6379")
    monkeypatch.setenv("HAVN_BOT_REDIS_DB", "0")
    monkeypatch.setenv("HAVN_BOT_REDIS_PASSWORD", "")
    memory = create_tracker_store(
        read_endpoint_config(str(BOT / "endpoints.yml"), "tracker_store"), Domain.empty()
    )
    assert type(memory) is MemoryTrackerStore and memory.seconds == 6 * HOUR
    shared = create_tracker_store(
        read_endpoint_config(str(BOT / "endpoints.redis.yml"), "tracker_store"), Domain.empty()
    )
    assert type(shared) is RedisTrackerStore and shared.record_exp == 6 * HOUR


@pytest.fixture
def redis_store() -> Any:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    parts = client.connection_pool.connection_kwargs
    prefix = "havntest" + secrets.token_hex(6)
    store = RedisTrackerStore(
        Domain.empty(),
        hours=2,
        host=parts.get("host", "127.0.0.1"),
        port=parts.get("port", 6379),
        db=parts.get("db", 0),
        password=parts.get("password"),
        key_prefix=prefix,
    )
    yield store
    for key in client.keys(prefix + ":*"):
        client.delete(key)
    client.close()


def test_a_conversation_in_redis_expires_the_configured_hours_after_its_last_message(
    redis_store: RedisTrackerStore,
) -> None:
    asyncio.run(redis_store.save(talking("a")))
    ttl = redis_store.red.ttl(redis_store.key_prefix + "a")
    assert 2 * HOUR - 10 <= ttl <= 2 * HOUR


def test_an_ended_conversation_is_deleted_from_redis_at_once(
    redis_store: RedisTrackerStore,
) -> None:
    async def scenario() -> None:
        await redis_store.save(talking("a"))
        await redis_store.save(talking("b"))
        tracker = await redis_store.retrieve("a")
        assert tracker is not None
        await redis_store.save(ending(tracker))
        assert await redis_store.retrieve("a") is None
        assert redis_store.red.exists(redis_store.key_prefix + "a") == 0
        assert await redis_store.retrieve("b") is not None

    asyncio.run(scenario())


@pytest.fixture(scope="module")
def trained() -> Any:
    """The trained bot (Rasa's own message processing) with our in-memory store."""
    if not MODEL.exists():
        pytest.skip("no trained model (make bot)")
    from rasa.core.agent import Agent

    store = MemoryTrackerStore(Domain.empty(), hours=24)
    return Agent.load(str(MODEL), tracker_store=store), store


@pytest.mark.parametrize("ending_text", ["/restart", "avslutt"])
def test_the_trained_bot_deletes_a_conversation_that_ends(trained: Any, ending_text: str) -> None:
    """The web chat's "end" and quick exit (/restart) and a stop word leave nothing behind."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    agent, store = trained
    sender = secrets.token_urlsafe(24)

    async def say(text: str) -> None:
        await agent.handle_message(
            UserMessage(text, CollectingOutputChannel(), sender_id=sender, metadata={})
        )

    async def scenario() -> None:
        await say("Hva er et krisesenter?")
        assert await store.retrieve(sender) is not None
        await say(ending_text)
        assert await store.retrieve(sender) is None
        assert sender not in list(await store.keys())

    asyncio.run(scenario())
