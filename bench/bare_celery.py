"""The Celery baselines: a no-op task, with its result or without.

    celery -A bench.bare_celery worker -P gevent -Q bench_bare        (results kept)
    celery -A bench.bare_celery:floor worker -P gevent -Q bench_bare  (no result backend)

Same broker as the product (REDIS_URL), JSON, the gevent pool; nothing else configured, so
`noop.apply_async().get()` on `app` (a Redis result backend) is the cost of Celery itself
(the round-trip and batch baselines). `floor` keeps no results, as the product keeps none in
Celery (a turn's result is its job record): the accept benchmark's floor publishes to it.
With a result backend, a gevent worker builds a new backend client for every task (the
backend is per thread, and each task is a new greenlet) and the publisher subscribes to
each result: 3-4 ms of CPU per task that the product does not spend.
"""

from __future__ import annotations

import os

from celery import Celery

QUEUE = "bench_bare"
NOOP_TASK = "bench.noop"


def create_app(redis_url: str, *, results: bool = True) -> Celery:
    """A Celery app with one task, `bench.noop`, on `redis_url` (broker, and results unless
    `results` is False)."""
    app = Celery("bench_bare", set_as_current=False)
    app.conf.update(
        broker_url=redis_url,
        result_backend=redis_url if results else None,
        task_ignore_result=not results,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_default_queue=QUEUE,
        result_expires=600,
        broker_connection_retry_on_startup=True,
    )

    @app.task(name=NOOP_TASK, shared=False)  # one registration per app, no warnings
    def noop() -> str:
        return "ok"

    return app


app = create_app(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
floor = create_app(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), results=False)
