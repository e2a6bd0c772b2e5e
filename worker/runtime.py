"""What a worker process builds once: its settings, the Redis stores and the turn runner.

Kept apart from the Celery app so that nothing secret sits in Celery's configuration (Flower
shows that configuration on its worker page) and so that the app, the tasks and the sweeps
import this module instead of each other.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from celery import Celery

from core.providers import make_provider
from core.queue import CeleryPublisher
from core.records import RecordsService
from core.records.database import make_engine
from core.settings import Settings
from core.stores import RedisStores
from core.turns import TurnRunner, dispatch_batch_items


@cache
def settings() -> Settings:
    return Settings.from_env()


@cache
def stores() -> RedisStores:
    # every turn in flight may hold a connection, plus the heartbeat and the sweeps
    return RedisStores.from_settings(settings(), max_connections=settings().worker_concurrency + 16)


@cache
def worker_id() -> str:
    """This worker process, as its heartbeat and the jobs it runs name it."""
    return f"{socket.gethostname()}:{os.getpid()}"


@cache
def records() -> RecordsService:
    """The records database (DATABASE_URL); connects on first use. A turn holds a connection
    only while it reads the profile and clients, or saves the profile."""
    pool_size = max(5, min(settings().worker_concurrency, 20))
    return RecordsService(make_engine(settings().database_url, pool_size=pool_size))


@cache
def runner() -> TurnRunner:
    """One runner (and one provider client) per worker process, reused by every turn."""
    return TurnRunner.from_settings(
        settings(), stores(), make_provider(settings()), worker=worker_id()
    )


def dispatch_next_batch_items(app: Celery) -> int:
    """Publish the batch items whose turn it is (core/batch_queue.py); how many."""
    return dispatch_batch_items(
        stores().batches,
        stores().workers,
        CeleryPublisher(app),
        default_slots=settings().worker_concurrency,
    )


# The jobs this process is running now: its heartbeat lists them, so that a job the store still
# calls running here, but which is not (a finishing write lost in a Redis failover), is handed
# back (core/jobs.py). A job joins before its turn starts and leaves when its task ends.
RUNNING: set[str] = set()


@contextmanager
def running(job_id: str) -> Iterator[None]:
    RUNNING.add(job_id)
    try:
        yield
    finally:
        RUNNING.discard(job_id)
