"""The Redis stores and a turn runner on a client of the test's choosing (fakeredis or real)."""

from __future__ import annotations

from typing import Any

import fakeredis

from core.clock import Clock, utc_now
from core.redis_connection import Redis
from core.settings import Settings
from core.stores import RedisStores
from core.turns import TurnRunner
from tests.support.providers import ScriptedProvider


def fake_redis() -> Redis:
    """A fakeredis server behind our client class (so errors translate as in production)."""
    return Redis(connection_pool=fakeredis.FakeRedis(decode_responses=True).connection_pool)


def stores_on(
    client: Any,
    *,
    session_ttl: int = 600,
    job_ttl: int = 3600,
    token_limit: int = 100,
    clock: Clock = utc_now,
    **settings: Any,
) -> RedisStores:
    """RedisStores on `client` with the given TTLs and token budget."""
    if not isinstance(client, Redis):
        client = Redis(connection_pool=client.connection_pool)
    chosen = Settings.from_env(
        {},
        dotenv_path=None,
        session_ttl_seconds=session_ttl,
        job_ttl_seconds=max(job_ttl, session_ttl),
        token_limit=token_limit,
        token_warn=min(token_limit, 160_000),
        **settings,
    )
    return RedisStores.on(client, chosen, clock)


def on_each_backend(request, **options: Any) -> RedisStores:
    """For a fixture parametrised ["fakeredis", "redis"]: the stores on that backend."""
    if request.param == "fakeredis":
        return stores_on(fake_redis(), **options)
    return stores_on(request.getfixturevalue("redis_client"), **options)


def runner_on(stores: RedisStores, provider: Any = None, **options: Any) -> TurnRunner:
    """A TurnRunner on `stores` (the scripted provider unless another is given)."""
    defaults = {
        "history_turns": 5,
        "token_warn": stores.jobs.token_limit,
        "token_limit": stores.jobs.token_limit,
    }
    return TurnRunner(
        jobs=stores.jobs,
        figures=stores.figures,
        provider=provider or ScriptedProvider(),
        **(defaults | options),
    )


class KeptPublisher:
    """A publisher that only keeps what it is given: the tests run the jobs themselves."""

    def __init__(self) -> None:
        self.published: list[tuple[list[str], str]] = []

    def publish(self, job_ids, queue: str, *, request_id: str = "") -> None:
        self.published.append((list(job_ids), queue))

    def answers(self) -> bool:
        return True
