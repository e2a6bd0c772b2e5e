"""gunicorn settings for the API: `gunicorn -c api/gunicorn.conf.py 'api:create_app()'`.

Threads, not processes, carry concurrency: views mostly wait on Redis, and a long-poll
(`GET /api/jobs/{id}?wait=30`) holds a thread while it blocks on the server.
"""

import os
import shutil
import tempfile

from core.settings import Settings

_settings = Settings.from_env()

bind = f"0.0.0.0:{_settings.port}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "32"))
timeout = 60  # above the longest long-poll (30 s)
graceful_timeout = 35
accesslog = None  # the app logs each request as JSON, with its request id (core/logs.py)
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.logs.JsonFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False}},
}
limit_request_line = 8190

# One /metrics scrape must sum every API process: prometheus_client's multiprocess mode.
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"invoice-agent-{os.getpid()}")
)


def on_starting(server):
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
