"""At most N of something at once per owner, across every API process (Redis).

Used for exports: typesetting a 500-line invoice takes a CPU for seconds, so one API key
rendering in many threads could take every renderer from the others, all inside its rate
limit. Each owner gets `limit` renders at a time; more answer 429 at once (no queueing).

A holder is a member of the sorted set `{prefix}{owner}` scored by when it expires, so a
process that dies while holding a slot frees it after `ttl` seconds at the latest.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from core.errors import RateLimited
from core.redis_connection import Redis

# KEYS: holders   ARGV: token, limit, ttl (s)   Returns 1 (taken) or 0 (all slots busy)
_ACQUIRE = """
local t = redis.call("TIME")
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[3])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now)
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call("ZADD", KEYS[1], now + ttl, ARGV[1])
redis.call("EXPIRE", KEYS[1], math.ceil(ttl) + 1)
return 1
"""


class ConcurrencyLimit:
    """`limit` concurrent holders per owner of the resource `name`."""

    def __init__(self, client: Redis, prefix: str, limit: int, *, ttl: float = 120):
        self.redis = client
        self.prefix = prefix
        self.limit = limit
        self.ttl = ttl
        self._acquire = client.register_script(_ACQUIRE)

    @contextmanager
    def slot(self, owner: str, *, busy_message: str) -> Iterator[None]:
        """Hold one of the owner's slots for the block. Raises RateLimited, Unavailable."""
        key, token = f"{self.prefix}{owner}", uuid.uuid4().hex
        taken = self._acquire(keys=[key], args=[token, self.limit, self.ttl])
        if not taken:
            raise RateLimited(busy_message, retry_after=1)
        try:
            yield
        finally:
            self.redis.zrem(key, token)
