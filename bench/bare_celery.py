"""The baseline of the round-trip benchmark: a no-op Celery task and its result.

    celery -A bench.bare_celery worker -P gevent -Q bench_bare

Same broker as the product (REDIS_URL), a Redis result backend on it, JSON, the gevent pool;
nothing else configured, so `noop.apply_async().get()` is the cost of Celery itself.
"""

from __future__ import annotations

import os

from celery import Celery

QUEUE = "bench_bare"
NOOP_TASK = "bench.noop"


def create_app(redis_url: str) -> Celery:
    """A Celery app with one task, `bench.noop`, on `redis_url` (broker and results)."""
    app = Celery("bench_bare", set_as_current=False)
    app.conf.update(
        broker_url=redis_url,
        result_backend=redis_url,
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
