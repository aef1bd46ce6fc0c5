"""Tracker stores that forget: a conversation is gone HAVN_CHAT_HOURS after its last message,
and at once when it restarts (the web chat's "end", its quick exit, or a stop word).

Rasa 3.6 keeps in-memory conversations for ever and has no way to delete one; its Redis store
expires them but keeps an ended one. endpoints.yml (memory) and endpoints.redis.yml (Redis)
name these classes (`tracker_store: type: tracker_stores.MemoryTrackerStore`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore as RasaRedisTrackerStore
from rasa.core.tracker_store import SerializedTrackerAsText, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Restarted, UserUttered
from rasa.shared.core.trackers import (
    DialogueStateTracker,
    get_trackers_for_conversation_sessions,
)

log = logging.getLogger(__name__)
SWEEP_SECONDS = 60.0  # how often an idle in-memory store drops expired conversations


def hours_from(value: Any) -> float:
    """HAVN_CHAT_HOURS as endpoints.yml passes it (a string); raises ValueError when bad."""
    hours = float(value)
    if not 0 < hours <= 24 * 30:
        raise ValueError(f"HAVN_CHAT_HOURS must be more than 0 and at most 720, not {value!r}")
    return hours


def has_ended(tracker: DialogueStateTracker) -> bool:
    """Whether the newest turn (since the person's last message) restarted the conversation."""
    for event in reversed(tracker.events):
        if isinstance(event, Restarted):
            return True
        if isinstance(event, UserUttered):
            return False
    return False


class MemoryTrackerStore(TrackerStore, SerializedTrackerAsText):
    """Conversations in this process, each gone `hours` after its last save or at a restart.

    At most `max_conversations` are kept; beyond that the least recently active goes first.
    `clock` (seconds, monotonic) can be replaced in tests.
    """

    def __init__(
        self,
        domain: Domain,
        event_broker: Any = None,
        hours: Any = 24,
        max_conversations: Any = 50_000,
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        self.seconds = hours_from(hours) * 3600
        self.max_conversations = int(max_conversations)
        self.clock = clock
        # sender id → (time of the last save, serialised tracker), least recent first
        self.store: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._sweeping: asyncio.TimerHandle | None = None
        super().__init__(domain, event_broker, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        self.store.pop(tracker.sender_id, None)
        if has_ended(tracker):
            log.debug("conversation ended and deleted")
        else:
            self.store[tracker.sender_id] = (self.clock(), self.serialise_tracker(tracker))
        self.sweep()
        self._keep_sweeping()

    async def delete(self, sender_id: str) -> None:
        self.store.pop(sender_id, None)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        return self._retrieve(sender_id, all_sessions=False)

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        return self._retrieve(sender_id, all_sessions=True)

    async def keys(self) -> Iterable[str]:
        self.sweep()
        return list(self.store)

    def sweep(self) -> None:
        """Drop every expired conversation, and the least recent beyond the limit."""
        deadline = self.clock() - self.seconds
        while self.store:
            sender_id, (saved, _) = next(iter(self.store.items()))
            if saved > deadline and len(self.store) <= self.max_conversations:
                break
            del self.store[sender_id]

    def _retrieve(self, sender_id: str, all_sessions: bool) -> DialogueStateTracker | None:
        self.sweep()
        found = self.store.get(sender_id)
        if found is None:
            return None
        tracker = self.deserialise_tracker(sender_id, found[1])
        if tracker is None or all_sessions:
            return tracker
        sessions = get_trackers_for_conversation_sessions(tracker)
        return sessions[-1] if len(sessions) > 1 else tracker

    def _keep_sweeping(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Sweep every minute while conversations are kept, even when nobody writes."""
        if self._sweeping is not None or not self.store:
            return
        loop = loop or asyncio.get_running_loop()
        self._sweeping = loop.call_later(SWEEP_SECONDS, self._tick, loop)

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        self._sweeping = None
        self.sweep()
        self._keep_sweeping(loop)


class RedisTrackerStore(RasaRedisTrackerStore):
    """Rasa's Redis store (shared by several Rasa servers), expiring `hours` after the last
    save, and deleting a conversation at once when it restarts."""

    def __init__(self, domain: Domain, hours: Any = 24, **kwargs: Any) -> None:
        kwargs.setdefault("record_exp", max(1, round(hours_from(hours) * 3600)))
        super().__init__(domain, **kwargs)

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        if has_ended(tracker):
            await self.stream_events(tracker)
            await self.delete(tracker.sender_id)
            return
        await super().save(tracker, timeout)

    async def delete(self, sender_id: str) -> None:
        self.red.delete(self.key_prefix + sender_id)
