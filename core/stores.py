"""Everything the service keeps in Redis, built once from the settings on one connection pool.

    RedisStores.from_settings(settings, max_connections=…)

is what the API (api/app.py), the worker (worker/runtime.py), `make check`, the benchmarks
and the tests use; nothing else constructs a store.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from core.attachment_store import AttachmentStore
from core.batch_exports import BatchZips
from core.batch_queue import FairBatchQueue
from core.batches import BatchStore
from core.clock import Clock, utc_now
from core.concurrency import ConcurrencyLimit
from core.jobs import JobStore
from core.metrics import Figures
from core.redis_connection import Redis, ReplicaWait, check_sentinels, connect
from core.redis_model import RENDERING_PREFIX
from core.sessions import SessionStore
from core.settings import Settings
from core.workers import WorkerRegistry


@dataclass(frozen=True)
class RedisStores:
    redis: Redis
    sessions: SessionStore
    jobs: JobStore
    batches: BatchStore
    workers: WorkerRegistry
    figures: Figures
    renders: ConcurrencyLimit  # exports being made at once, per API key
    zips: BatchZips  # batches' invoices as ZIPs of PDFs
    attachments: AttachmentStore  # files attached to turns (binary)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, max_connections: int = 64, clock: Clock = utc_now
    ) -> RedisStores:
        """The stores on REDIS_URL, for up to `max_connections` concurrent callers.

        Raises ConfigurationError when REDIS_URL names Sentinels that do not answer or do not
        know its master: settings that can never work stop the process at start.
        """
        check_sentinels(settings.redis_url)
        return cls.on(
            connect(settings.redis_url, max_connections=max_connections),
            settings,
            clock,
            binary=connect(settings.redis_url, max_connections=8, binary=True),
        )

    @classmethod
    def on(
        cls,
        client: Redis,
        settings: Settings,
        clock: Clock = utc_now,
        *,
        binary: Redis | None = None,
    ) -> RedisStores:
        """The stores on a client of your own (tests: a fakeredis server); `binary` is the same
        Redis without decoding (a text client's pool is reused without it)."""
        if binary is None:
            pool = client.connection_pool
            binary = Redis(
                connection_pool=redis.ConnectionPool(
                    connection_class=pool.connection_class,
                    **{**pool.connection_kwargs, "decode_responses": False},
                )
            )
        jobs = JobStore(
            client,
            session_ttl=settings.session_ttl_seconds,
            job_ttl=settings.job_ttl_seconds,
            token_limit=settings.token_limit,
            max_session_attachment_bytes=settings.max_session_attachment_bytes,
            clock=clock,
            replica_wait=ReplicaWait.for_url(settings.redis_url, settings.redis_replica_wait_ms),
        )
        queue = FairBatchQueue(
            client, settings.batch_max_queued_items, forget_after=settings.job_ttl_seconds
        )
        return cls(
            redis=client,
            sessions=SessionStore(client, session_ttl=settings.session_ttl_seconds, clock=clock),
            jobs=jobs,
            batches=BatchStore(jobs, queue),
            workers=WorkerRegistry(client),
            figures=Figures(client, session_ttl=settings.session_ttl_seconds),
            renders=ConcurrencyLimit(client, RENDERING_PREFIX, settings.export_concurrency),
            zips=BatchZips(client, binary),
            attachments=AttachmentStore(binary),
        )
