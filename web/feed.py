"""Registry changes, pushed to every worker and on to open pages (Server-Sent Events).

A change committed in any worker reaches the others through Redis publish/subscribe within
milliseconds. The database stays the source of truth: each worker also polls the audit
revision, so with Redis down (or not configured) changes still arrive, a little later, and
when Redis returns the subscriber reconnects by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity import audit
from capacity.models import Event

log = logging.getLogger("havn.feed")
CHANNEL = "havn:changes"
QUEUE_SIZE = 256
REMEMBERED = 10_000


@dataclass(frozen=True, slots=True)
class Change:
    revision: int
    action: str
    centre_id: str | None
    user: str | None = None  # a change for one person's stream only (their watches)

    def as_json(self) -> str:
        return json.dumps(
            {
                "revision": self.revision,
                "action": self.action,
                "centre": self.centre_id,
                "user": self.user,
            }
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Change:
        data: dict[str, Any] = json.loads(raw)
        return cls(int(data["revision"]), str(data["action"]), data.get("centre"), data.get("user"))

    @classmethod
    def of(cls, revision: int, action: str, centre_id: str | None, actor: str) -> Change:
        """The change an audit event announces; a watch's events are its adviser's only."""
        return cls(revision, action, centre_id, actor if action.startswith("watch.") else None)


class FeedFull(Exception):
    """This worker already serves as many live streams as it may, or it is shutting down."""


Subscription = asyncio.Queue[Change | None]  # None: the feed is closing, end the stream


class ChangeFeed:
    """Fans registry changes out to this worker's subscribers, each change once."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis | None,
        poll_seconds: float,
        max_subscribers: int = 1000,
    ) -> None:
        self.sessions = sessions
        self.redis = redis
        self.poll_seconds = poll_seconds
        self.max_subscribers = max_subscribers
        self.redis_up = False
        self.closed = False
        self._subscribers: set[Subscription] = set()
        self._seen: deque[int] = deque(maxlen=REMEMBERED)
        self._seen_set: set[int] = set()
        self._cursor = 0
        self._tasks: list[asyncio.Task[None]] = []
        self.on_change: Callable[[], None] | None = None  # e.g. a metrics counter

    async def start(self) -> None:
        async with self.sessions() as session:
            self._cursor = await audit.revision(session)
        self._tasks.append(asyncio.create_task(self._poll(), name="feed-poll"))
        if self.redis is not None:
            self._tasks.append(asyncio.create_task(self._listen(), name="feed-redis"))

    def close(self) -> None:
        """End every open stream now and refuse new ones (the worker is shutting down)."""
        self.closed = True
        for queue in list(self._subscribers):
            while queue.full():
                queue.get_nowait()
            queue.put_nowait(None)

    async def stop(self) -> None:
        self.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def publish(self, changes: list[Change]) -> None:
        """Announce committed changes: to this worker now, to the others through Redis."""
        for change in changes:
            self._deliver(change)
        if self.redis is None:
            return
        try:
            for change in changes:
                await self.redis.publish(CHANNEL, change.as_json())
        except (RedisError, OSError) as exc:
            # Other workers will still see the change by polling the database.
            log.warning("redis publish failed: %s", type(exc).__name__)

    def open(self) -> Subscription:
        """A new subscriber's queue; `unsubscribe` it when done. Raises FeedFull."""
        if self.closed or len(self._subscribers) >= self.max_subscribers:
            raise FeedFull
        queue: Subscription = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: Subscription) -> None:
        self._subscribers.discard(queue)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        queue = self.open()
        try:
            yield queue
        finally:
            self.unsubscribe(queue)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def _deliver(self, change: Change) -> None:
        if change.revision in self._seen_set:
            return
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(change.revision)
        self._seen_set.add(change.revision)
        if self.on_change is not None:
            self.on_change()
        for queue in list(self._subscribers):
            if queue.full():  # a slow reader misses old changes, never blocks the feed
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(change)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                async with self.sessions() as session:
                    rows = await session.execute(
                        select(Event.id, Event.action, Event.centre_id, Event.actor)
                        .where(Event.id > self._cursor)
                        .order_by(Event.id)
                        .limit(500)
                    )
                    for revision, action, centre_id, actor in rows:
                        self._cursor = max(self._cursor, revision)
                        self._deliver(Change.of(revision, action, centre_id, actor))
            except Exception:  # the feed must outlive a database hiccup
                log.exception("polling the audit revision failed")

    async def _listen(self) -> None:
        assert self.redis is not None
        delay = 0.5
        while True:
            try:
                pubsub = self.redis.pubsub()
                await pubsub.subscribe(CHANNEL)
                self.redis_up, delay = True, 0.5
                log.info("subscribed to %s", CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._deliver(Change.from_json(message["data"]))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, ValueError, KeyError) as exc:
                self.redis_up = False
                log.warning("redis subscription lost (%s); retrying", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
