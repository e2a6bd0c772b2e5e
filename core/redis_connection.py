"""Connections to Redis (one server, or a Sentinel-managed primary), and the one place where
Redis's errors become ours.

Every command, pipeline and script of the stores goes through `Redis` below, which turns a
connection failure or a timeout (including "no free connection in the pool") into
`Unavailable`: callers never import redis to catch its errors, and no call site can forget.

`REDIS_URL` may name Sentinels instead of a server:

    redis+sentinel://[:password@]host1:26379,host2:26379[,…]/<master name>[/<db>]

The client then asks the Sentinels where the primary is, and asks again after a failover
(the connection that finds the old primary gone or read-only reconnects to the new one). A
password in the URL is the primary's; `?sentinel_password=` gives the Sentinels' own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.client import Pipeline as RedisPipeline
from redis.retry import Retry
from redis.sentinel import MasterNotFoundError, Sentinel, SentinelConnectionPool

from core.errors import ConfigurationError, Unavailable

log = logging.getLogger(__name__)

NOT_REACHABLE = (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError)
SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")


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


@dataclass(frozen=True)
class ReplicaWait:
    """Writes that must outlive a failover wait for replicas to hold them (Redis's WAIT).

    Replication is asynchronous: a primary acknowledges a write before any replica has it,
    and a failover in that moment loses it. WAIT, sent on the same connection right after
    the write (in its pipeline), returns once `replicas` replicas hold everything written
    before it, or after `timeout_ms` with how many do. Sentinel promotes the replica that is
    furthest along, so one replica is enough. With no replica in time the write still stands
    (the primary may well live on) and a warning is logged.
    """

    replicas: int = 0
    timeout_ms: int = 0

    @classmethod
    def for_url(cls, url: str, timeout_ms: int) -> ReplicaWait:
        """One replica behind Sentinels (which exist to fail over to one), none otherwise."""
        return cls(1 if is_sentinel_url(url) and timeout_ms else 0, timeout_ms)

    def queue(self, pipe: RedisPipeline) -> int:
        """Queue the WAIT last on `pipe`; how many answers it adds (0 or 1)."""
        if not self.replicas:
            return 0
        pipe.execute_command("WAIT", self.replicas, self.timeout_ms)
        return 1

    def check(self, answers: list[Any], what: str) -> list[Any]:
        """The pipeline's answers without the WAIT's, warning when too few replicas had it."""
        if not self.replicas:
            return answers
        if int(answers[-1]) < self.replicas:
            log.warning(
                "%s is on the primary only: no replica confirmed it within %d ms",
                what, self.timeout_ms,
            )  # fmt: skip
        return answers[:-1]


class BlockingSentinelConnectionPool(SentinelConnectionPool, redis.BlockingConnectionPool):
    """Connections to the primary the Sentinels name, where a caller waits for a free one
    (as with one server) instead of failing when all are busy."""


@dataclass(frozen=True)
class SentinelAddress:
    """What a redis+sentinel:// URL names."""

    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int
    password: str | None
    sentinel_password: str | None
    ssl: bool


def is_sentinel_url(url: str) -> bool:
    return urlsplit(url).scheme in SENTINEL_SCHEMES


def parse_sentinel_url(url: str) -> SentinelAddress:
    """Raises ConfigurationError naming what is wrong with the URL."""
    parts = urlsplit(url)
    if parts.scheme not in SENTINEL_SCHEMES:
        raise ConfigurationError(f"not a Sentinel URL: {parts.scheme}://…")
    hosts = parts.netloc.rpartition("@")[2]
    sentinels = []
    for host in filter(None, hosts.split(",")):
        name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
        try:
            sentinels.append((name or host, int(port or 26379)))
        except ValueError:
            raise ConfigurationError(f"REDIS_URL: {host!r} is not host:port") from None
    path = [unquote(piece) for piece in parts.path.split("/") if piece]
    if not sentinels or not path:
        raise ConfigurationError(
            "REDIS_URL: a Sentinel URL names the Sentinels and the master: "
            "redis+sentinel://host1:26379,host2:26379/mymaster/0"
        )
    try:
        db = int(path[1]) if len(path) > 1 else 0
    except ValueError:
        raise ConfigurationError(f"REDIS_URL: database {path[1]!r} is not a number") from None
    query = parse_qs(parts.query)
    return SentinelAddress(
        sentinels=tuple(sentinels),
        master=path[0],
        db=db,
        password=unquote(parts.password) if parts.password else None,
        sentinel_password=(query.get("sentinel_password") or [None])[0],
        ssl=parts.scheme.startswith("rediss"),
    )


def connect(
    url: str, *, max_connections: int = 64, socket_timeout: float = 5, binary: bool = False
) -> Redis:
    """A client for `url` sized for `max_connections` concurrent callers.

    When every connection is busy a caller waits (up to 5 s) for one instead of failing: a
    worker with hundreds of turns in flight must not see spurious errors. A dropped
    connection is retried once, quickly; an unreachable Redis fails in well under a second.
    """
    options: dict[str, Any] = {
        "decode_responses": not binary,  # binary: bytes in and out (a ZIP's chunks)
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": 2,
        "health_check_interval": 30,
        "retry": Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
    }
    if is_sentinel_url(url):
        address = parse_sentinel_url(url)
        sentinel = sentinels_of(address)
        pool = BlockingSentinelConnectionPool(
            address.master,
            sentinel,
            max_connections=max_connections,
            timeout=5,
            db=address.db,
            password=address.password,
            ssl=address.ssl,
            **options,
        )
        return Redis(connection_pool=pool)
    pool = redis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=5, **options
    )
    return Redis(connection_pool=pool)


def sentinels_of(address: SentinelAddress) -> Sentinel:
    return Sentinel(
        list(address.sentinels),
        sentinel_kwargs={
            "password": address.sentinel_password,
            "socket_timeout": 1,
            "socket_connect_timeout": 1,
        },
    )


def check_sentinels(url: str) -> None:
    """For a Sentinel URL: that a Sentinel answers and knows the master. Settings that can
    never work fail at start, not at the first request. Raises ConfigurationError."""
    if not is_sentinel_url(url):
        return
    address = parse_sentinel_url(url)
    named = ", ".join(f"{host}:{port}" for host, port in address.sentinels)
    sentinel = sentinels_of(address)
    answered = False
    for client in sentinel.sentinels:
        try:
            client.ping()
            answered = True
        except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
            continue
    if not answered:
        raise ConfigurationError(f"REDIS_URL: no Sentinel answers at {named}")
    try:
        sentinel.discover_master(address.master)
    except MasterNotFoundError:
        raise ConfigurationError(
            f"REDIS_URL: the Sentinels at {named} know no master named {address.master!r}"
        ) from None
