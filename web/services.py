"""What the web process holds while it runs: engine, sessions, gazetteer, search snapshot,
change feed and rate limiters. Built in the app's lifespan, never at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity import audit, holds, referrals, registry, stats, watches
from capacity.geocoder import Gazetteer
from capacity.models import utcnow
from capacity.party import Party
from capacity.search import Group, Outcome, SearchIndex
from web.config import Settings
from web.feed import Change, ChangeFeed
from web.ratelimit import RateLimiter
from web.rendercache import RenderCache

LOGIN_WINDOW = 15 * 60
SWEEP_SECONDS = 20.0  # no hold outlives its expiry by more than this (well under a minute)
FLUSH_SECONDS = 10.0
log = logging.getLogger("havn.services")


@dataclass(frozen=True, slots=True)
class CachedSearch:
    body: bytes
    region: str
    party: Party
    found: bool


class SearchCache:
    """Answers to identical searches, per worker, for one registry revision and 30 seconds.

    People in one town search alike; a new revision (any change) or the next 30-second window
    (numbers going stale, holds expiring) makes a new answer. Only valid searches are kept.
    """

    WINDOW = 30
    SIZE = 2048

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, CachedSearch] = OrderedDict()

    def key(self, params: list[tuple[str, str]], revision: int) -> Hashable:
        return (tuple(sorted(params)), revision, int(time.time() // self.WINDOW))

    def get(self, key: Hashable) -> CachedSearch | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(
        self, key: Hashable, body: bytes, region: str, party: Party, found: bool
    ) -> CachedSearch:
        entry = CachedSearch(body, region, party, found)
        self._entries[key] = entry
        if len(self._entries) > self.SIZE:
            self._entries.popitem(last=False)
        return entry


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    gazetteer: Gazetteer
    redis: Redis | None = None
    feed: ChangeFeed = field(init=False)
    password_limiter: RateLimiter = field(init=False)
    client_limiter: RateLimiter = field(init=False)
    _index: SearchIndex | None = None
    _checked: float = 0.0
    _announced: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _counts: Counter[stats.Key] = field(default_factory=Counter)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    search_cache: SearchCache = field(default_factory=SearchCache)
    page_cache: RenderCache = field(default_factory=RenderCache)

    def __post_init__(self) -> None:
        self.feed = ChangeFeed(
            self.sessions,
            self.redis,
            self.settings.feed_poll_seconds,
            max_subscribers=self.settings.max_streams,
        )
        self.password_limiter = RateLimiter(5, LOGIN_WINDOW, self.redis)
        self.client_limiter = RateLimiter(30, LOGIN_WINDOW, self.redis)

    async def start(self) -> None:
        async with self.sessions() as session:
            self._announced = await audit.revision(session)
        await self.feed.start()
        self._tasks = [
            asyncio.create_task(self._every(SWEEP_SECONDS, self.expire_holds), name="holds"),
            asyncio.create_task(self._every(FLUSH_SECONDS, self.flush_counts), name="counts"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush_counts()
        await self.feed.stop()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def index(self) -> SearchIndex:
        """The search snapshot, reloaded when the registry's revision has moved.

        The revision is checked at most every `index_refresh_seconds`; changes made through
        this worker call `announce()` and show at once.
        """
        if self._fresh():
            assert self._index is not None
            return self._index
        async with self._lock:
            if self._fresh():
                assert self._index is not None
                return self._index
            async with self.sessions() as session:
                revision = await audit.revision(session)
                if self._index is None or revision != self._index.revision:
                    self._index = await registry.load_index(session, areas=self.gazetteer.areas())
            self._checked = time.monotonic()
            return self._index

    def _fresh(self) -> bool:
        age = time.monotonic() - self._checked
        return self._index is not None and age < self.settings.index_refresh_seconds

    async def _every(self, seconds: float, job: Callable[[], Awaitable[object]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception:  # a failed round must not stop the next one
                log.exception("background job %s failed", getattr(job, "__name__", job))

    async def expire_holds(self) -> int:
        """Expire the holds that are due, then the referrals nobody answered in time, and
        forget ended watches (every worker does it; each ends once)."""
        async with self.sessions() as session:
            expired = await holds.expire_due(session)
            expired += await referrals.expire_due(session)
            await watches.purge(session)
            await session.commit()
        if expired:
            await self.announce()
        return expired

    def count_search(self, region: str, party: Party, found: Outcome | bool) -> None:
        """Count a search for the unmet-need statistics (flushed in the background)."""
        if not isinstance(found, bool):
            found = any(result.group is Group.NOW for result in found.results)
        self._counts.update(stats.search_counts(utcnow().date(), region, party, found))

    async def flush_counts(self) -> None:
        counts, self._counts = self._counts, Counter()
        if not counts:
            return
        try:
            async with self.sessions() as session:
                await stats.add(session, counts)
                await session.commit()
        except Exception:
            self._counts.update(counts)  # keep them for the next round
            raise

    async def commit_and_announce(self, session: AsyncSession) -> None:
        """Commit `session`'s change, then announce it: the one way a change is made public."""
        await session.commit()
        await self.announce()

    async def announce(self) -> None:
        """After a commit: refresh the snapshot and push the new events to every worker."""
        self._checked = 0.0
        changes = await self._changes()
        if not changes:
            return
        await self.feed.publish(changes)
        opened = {c.centre_id for c in changes if c.centre_id and public_registry(c.action)}
        if opened and await self.tell_watchers(opened):
            await self.feed.publish(await self._changes())

    async def _changes(self) -> list[Change]:
        async with self.sessions() as session:
            events = await audit.events_after(session, self._announced)
            changes = [Change.of(e.id, e.action, e.centre_id, e.actor) for e in events]
        if changes:
            self._announced = max(self._announced, changes[-1].revision)
        return changes

    async def tell_watchers(self, changed: set[str]) -> bool:
        """Record `watch.matched` (for its adviser's live stream only) for each watch that a
        centre in `changed` now matches for the first time; whether any did."""
        index = await self.index()
        async with self.sessions() as session:
            found = await watches.newly_matching(
                session, index, changed, stale_after=self.settings.stale_after
            )
            for watch, centres in found:
                audit.record(
                    session,
                    actor=watch.adviser,
                    action="watch.matched",
                    entity="watch",
                    entity_id=watch.id,
                    centre_id=None,
                    before=None,
                    after={"centres": centres},
                )
            await session.commit()
        return bool(found)


def public_registry(action: str) -> bool:
    """Whether an action can change what a centre can take (a watch may now match it)."""
    registry_change = action.startswith(("availability.", "centre.", "unit.", "hold."))
    return registry_change and action != "hold.placed"
