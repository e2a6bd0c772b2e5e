"""Connections to Redis, and the one place where Redis's errors become ours.

Every command, pipeline and script of the stores goes through `Redis` below, which turns a
connection failure or a timeout (including "no free connection in the pool") into
`Unavailable`: callers never import redis to catch its errors, and no call site can forget.
"""

from __future__ import annotations

from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.client import Pipeline as RedisPipeline
from redis.retry import Retry

from core.errors import Unavailable

NOT_REACHABLE = (redis.ConnectionError, redis.TimeoutError)


class Pipeline(RedisPipeline):
    """A pipeline whose execution raises Unavailable when Redis cannot be reached."""

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        try:
            return super().execute(raise_on_error)
        except NOT_REACHABLE as exc:
            raise Unavailable() from exc


class Redis(redis.Redis):
    """A client whose commands (scripts included) raise Unavailable when Redis is away."""

    def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute_command(*args, **options)
        except NOT_REACHABLE as exc:
            raise Unavailable() from exc

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        return Pipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)

    def answers(self) -> bool:
        """True when Redis answers a PING now (health checks)."""
        try:
            return bool(self.ping())
        except Unavailable:
            return False


def connect(
    url: str, *, max_connections: int = 64, socket_timeout: float = 5, binary: bool = False
) -> Redis:
    """A client for `url` sized for `max_connections` concurrent callers.

    When every connection is busy a caller waits (up to 5 s) for one instead of failing: a
    worker with hundreds of turns in flight must not see spurious errors. A dropped
    connection is retried once, quickly; an unreachable Redis fails in well under a second.
    """
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=5,
        decode_responses=not binary,  # binary: bytes in and out (a ZIP's chunks)
        socket_timeout=socket_timeout,
        socket_connect_timeout=2,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
    )
    return Redis(connection_pool=pool)
