"""What a worker process builds once: its settings, the session store and the turn runner.

Kept apart from the Celery app so that nothing secret sits in Celery's configuration (Flower
shows that configuration on its worker page) and so that the app, the tasks and the sweeps
import this module instead of each other.
"""

from __future__ import annotations

import logging
import time
from functools import cache

from celery import Celery

from core.batch_queue import FairBatchQueue, dispatch_window
from core.llm_rate import LlmRateLimiter, parse_rate
from core.providers import make_provider
from core.queue import BATCH_QUEUE, RUN_TURN_TASK
from core.settings import Settings
from core.store import SessionStore
from core.turns import TurnRunner


@cache
def settings() -> Settings:
    return Settings.from_env()


@cache
def store() -> SessionStore:
    current = settings()
    return SessionStore.from_url(
        current.redis_url,
        # every turn in flight may hold a connection, plus the heartbeat and the sweeps
        max_connections=current.worker_concurrency + 16,
        session_ttl=current.session_ttl_seconds,
        job_ttl=current.job_ttl_seconds,
        token_limit=current.token_limit,
    )


@cache
def runner() -> TurnRunner:
    """One runner (and one provider client) per worker process, reused by every turn."""
    current = settings()
    spacing = parse_rate(current.llm_rate_limit)
    return TurnRunner(
        store=store(),
        provider=make_provider(current),
        history_turns=current.llm_history_turns,
        token_warn=current.token_warn,
        token_limit=current.token_limit,
        max_lines=current.max_invoice_lines,
        llm_limiter=LlmRateLimiter(store().redis, spacing) if spacing else None,
    )


log = logging.getLogger(__name__)
WINDOW_REFRESH_SECONDS = 10.0
_window = {"value": 0, "at": float("-inf")}


@cache
def batch_queue() -> FairBatchQueue:
    current = settings()
    return FairBatchQueue(
        store().redis, current.batch_max_queued_items, forget_after=current.job_ttl_seconds
    )


def batch_window() -> int:
    """Batch items in flight at once for the workers alive now (re-read every 10 s)."""
    now = time.monotonic()
    if now - _window["at"] > WINDOW_REFRESH_SECONDS:
        _window.update(
            value=dispatch_window(
                store().live_worker_slots(), default_slots=settings().worker_concurrency
            ),
            at=now,
        )
    return _window["value"]


def dispatch_batch_items(app: Celery) -> int:
    """Publish the batch items whose turn it is (core/batch_queue.py); how many.

    Called when a batch item finishes and by the worker's sweep. Raises Unavailable; a job
    taken off the owner's queue but not published is re-sent by the sweep (jobs:queued).
    """
    job_ids = batch_queue().dispatch(batch_window())
    if job_ids:
        with app.producer_or_acquire() as producer:
            for job_id in job_ids:
                app.send_task(RUN_TURN_TASK, args=[job_id], queue=BATCH_QUEUE, producer=producer)
    return len(job_ids)
