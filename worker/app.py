"""The Celery app of the worker: `celery -A worker.app worker`.

Built once per process from `Settings.from_env()`. Importing it pulls in no Flask.
"""

from __future__ import annotations

from celery import Celery

from core.queue import celery_app
from core.settings import Settings
from worker import runtime
from worker.redelivery import RestoreAbandonedJobs


def create_celery_app(settings: Settings) -> Celery:
    """The worker's Celery app. Its configuration is what Flower shows: nothing secret goes
    in beyond the broker URL, which Celery masks; the settings stay in `worker.runtime`."""
    app = celery_app("invoice_agent", settings)
    app.steps["worker"].add(RestoreAbandonedJobs)
    app.autodiscover_tasks(["worker"], related_name="tasks", force=True)
    return app


app = create_celery_app(runtime.settings())
