"""Rate limits (login attempts): Redis when configured, in-process otherwise.

A Redis failure falls back to the in-process counter for that check, so a Redis outage
never opens the door to unlimited guessing and never locks everyone out.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections import deque

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("havn.ratelimit")


def key_for(*parts: str) -> str:
    """A fixed-length key; client addresses never appear in Redis or memory in clear."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


class RateLimiter:
    """At most `limit` hits per `window` seconds per key."""

    def __init__(self, limit: int, window: float, redis: Redis | None = None) -> None:
        self.limit = limit
        self.window = window
        self.redis = redis
        self._hits: dict[str, deque[float]] = {}

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

    async def reset(self, key: str) -> None:
        self._hits.pop(key, None)
        if self.redis is not None:
            with contextlib.suppress(RedisError, OSError):
                await self.redis.delete(f"havn:rl:{key}")

    def _local(self, key: str) -> bool:
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        if len(self._hits) > 100_000:  # bounded memory under a flood of distinct keys
            self._hits.clear()
        return True
