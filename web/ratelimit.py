"""Rate limits (chat turns, failed sign-ins): Redis when configured, in-process otherwise.

A Redis failure falls back to the in-process counter for that check, so a Redis outage
never opens the door to unlimited guessing and never locks everyone out. In process, memory
is bounded by dropping the least recently used keys one at a time: a flood of new keys can
never wipe the counter of a key that is still being hit.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections import OrderedDict, deque

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("havn.ratelimit")


def key_for(*parts: str) -> str:
    """A fixed-length key; client addresses never appear in Redis or memory in clear."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


class RateLimiter:
    """At most `limit` hits per `window` seconds per key.

    `hit` counts and checks at once (every request counts); `blocked` and `fail` split the
    two, so that only failures count (sign-in: a success must never use up the allowance).
    """

    MAX_KEYS = 100_000

    def __init__(self, limit: int, window: float, redis: Redis | None = None) -> None:
        self.limit = limit
        self.window = window
        self.redis = redis
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    async def hit(self, key: str) -> bool:
        """Count one attempt; False when the key is over its limit."""
        if self.redis is not None:
            try:
                name = f"havn:rl:{key}"
                count = int(await self.redis.incr(name))
                if count == 1:
                    await self.redis.expire(name, int(self.window))
                return count <= self.limit
            except (RedisError, OSError) as exc:
                log.warning("rate limit falls back to this process: %s", type(exc).__name__)
        return self._local(key)

    async def blocked(self, key: str) -> bool:
        """True when `key` has used up its allowance (counts nothing)."""
        if self.redis is not None:
            try:
                count = await self.redis.get(f"havn:rl:{key}")
                return count is not None and int(count) >= self.limit
            except (RedisError, OSError) as exc:
                log.warning("rate limit falls back to this process: %s", type(exc).__name__)
        return key in self._hits and len(self._recent(key)) >= self.limit

    async def fail(self, key: str) -> None:
        """Count one failure against `key`."""
        if self.redis is not None:
            try:
                name = f"havn:rl:{key}"
                if int(await self.redis.incr(name)) == 1:
                    await self.redis.expire(name, int(self.window))
                return
            except (RedisError, OSError) as exc:
                log.warning("rate limit falls back to this process: %s", type(exc).__name__)
        self._recent(key).append(time.monotonic())
        self._bound()

    async def reset(self, key: str) -> None:
        self._hits.pop(key, None)
        if self.redis is not None:
            with contextlib.suppress(RedisError, OSError):
                await self.redis.delete(f"havn:rl:{key}")

    def _recent(self, key: str) -> deque[float]:
        """The hits of `key` inside the window (marking the key as recently used)."""
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        self._hits.move_to_end(key)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def _bound(self) -> None:
        while len(self._hits) > self.MAX_KEYS:
            self._hits.popitem(last=False)

    def _local(self, key: str) -> bool:
        hits = self._recent(key)
        if len(hits) >= self.limit:
            return False
        hits.append(time.monotonic())
        self._bound()
        return True
