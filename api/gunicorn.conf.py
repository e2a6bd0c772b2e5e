"""gunicorn settings for the API: `gunicorn -c api/gunicorn.conf.py 'api:create_app()'`.

Event-loop workers (gevent), not threads, carry concurrency. Most of what the API does is
wait: on Redis, on a long-poll (`GET /api/jobs/{id}?wait=30`), on a slow client. With one
thread per connection, a hundred idle long-polls or a few hundred clients that send half a
header took every thread and the health check timed out. Under gevent a waiting connection
is a greenlet (a few KB), and Redis calls yield to the others (the worker monkey-patches
sockets before the app is loaded). Long-polls share one Redis subscriber per process
(core/job_events.py), so they hold no connection either. CPU-bound work (rendering a PDF)
runs on its request's greenlet, bounded per API key (api/routes/exports.py says why).

With the gevent worker, `keepalive` also bounds how long a client may take to send a
request line and headers (gunicorn reads them under a gevent.Timeout of that length): a
connection that trickles a header in is closed after KEEPALIVE_SECONDS.
"""

from gevent import monkey

# Patch before anything imports ssl, socket or threading (the settings module pulls in redis).
monkey.patch_all()

import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

from core.settings import Settings  # noqa: E402

KEEPALIVE_SECONDS = 5

_settings = Settings.from_env()

bind = f"{_settings.host}:{_settings.port}"
worker_class = "gevent"
workers = _settings.web_concurrency
worker_connections = _settings.web_connections
keepalive = KEEPALIVE_SECONDS
timeout = 60  # a worker silent for this long is restarted; long-polls end after 30 s
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
# no `gunicornc` control socket: several servers on one machine (tests, benchmarks) would
# share its one default path, and containers run with a read-only home
control_socket_disable = True
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

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
