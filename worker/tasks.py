"""Celery tasks: thin wrappers that call into `core`."""

from __future__ import annotations

import logging
import random
import socket
import threading

from celery import Task, shared_task, signals
from celery.exceptions import SoftTimeLimitExceeded
from gevent import Timeout as GreenletTimeout  # the worker runs the gevent pool (Procfile)

from core.errors import ProviderTransient, TurnTimedOut, Unavailable
from core.llm_rate import SlotNotAvailable
from core.logs import configure_logging
from core.queue import BATCH_QUEUE, INTERACTIVE_QUEUE, RUN_TURN_TASK
from worker import probe
from worker.runtime import dispatch_batch_items, runner, settings, store

log = logging.getLogger(__name__)

MAX_PROVIDER_RETRIES = 5
HEARTBEAT_SECONDS = 10
REDIS_OUTAGE_RETRIES = 120  # 10 minutes of retries every 5 s


@shared_task(name=RUN_TURN_TASK, bind=True, max_retries=MAX_PROVIDER_RETRIES)
def run_turn(self: Task, job_id: str, deferrals: int = 0) -> str:
    """Run one chat turn; retried with backoff while the provider is throttled."""
    final_attempt = self.request.retries >= MAX_PROVIDER_RETRIES
    try:
        outcome = runner().run(job_id, final_attempt=final_attempt)
    except ProviderTransient as exc:
        backoff = min(2**self.request.retries, 30) + random.uniform(0, 1)  # noqa: S311
        raise self.retry(exc=exc, countdown=backoff) from None
    except Unavailable as exc:
        # Redis is away: nothing could be recorded, so the job is still queued/running.
        # Retry later; if even that cannot be published, the unacknowledged message comes
        # back after the visibility timeout. Either way the job is not lost.
        raise self.retry(exc=exc, countdown=5, max_retries=REDIS_OUTAGE_RETRIES) from None
    except SlotNotAvailable as wait:
        # Back to the queue it came from, without using up a retry: the LLM is busy, not
        # failing. A person waits on a chat turn, so it asks again as soon as a slot may be
        # free; batch items back off (with jitter) so hundreds of them do not spin.
        queue = (self.request.delivery_info or {}).get("routing_key") or INTERACTIVE_QUEUE
        store().still_queued(job_id)  # waiting for the LLM, not lost
        delay = wait.retry_after
        if queue == BATCH_QUEUE:
            delay *= 2 ** min(deferrals, 5) * random.uniform(0.5, 1.5)  # noqa: S311
        self.apply_async(
            args=[job_id],
            kwargs={"deferrals": deferrals + 1},
            queue=queue,
            countdown=min(delay, 30),
        )
        return "deferred"
    except (SoftTimeLimitExceeded, GreenletTimeout):
        # The gevent pool enforces JOB_TIME_LIMIT by raising gevent.Timeout (a BaseException)
        # inside the turn; record it, or the job would stay "running" and its session busy.
        runner().fail(job_id, TurnTimedOut())
        raise
    if _from_batch_queue(self):
        _next_batch_items(self.app)
    return outcome


def _from_batch_queue(task: Task) -> bool:
    return (task.request.delivery_info or {}).get("routing_key") == BATCH_QUEUE


def _next_batch_items(app) -> None:
    """A batch item is done: its slot goes to the next owner's item in the rotation."""
    try:
        dispatch_batch_items(app)
    except Exception:  # Redis or the broker away: the sweep dispatches later
        log.warning("could not dispatch the next batch items", exc_info=True)


def _heartbeat_loop(name: str, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            with probe.beat():  # leaves the pod's probes a note: alive, and did Redis answer
                store().record_heartbeat(name, slots=settings().worker_concurrency)
        except Exception:  # Redis away: health will say so; keep beating
            log.warning("worker heartbeat failed", exc_info=True)
        stop.wait(HEARTBEAT_SECONDS)


_stop_heartbeat = threading.Event()


@signals.setup_logging.connect
def _json_logs(**_):
    """Celery leaves logging to us when this signal has a receiver: JSON lines, like the API."""
    configure_logging()


@signals.worker_init.connect
def _fail_fast_on_bad_settings(**_):
    """Build the provider at start-up: a misconfigured worker stops now, not on every job."""
    runner()


@signals.worker_ready.connect
def _start_heartbeat(sender=None, **_):
    name = getattr(sender, "hostname", None) or socket.gethostname()
    threading.Thread(
        target=_heartbeat_loop, args=(name, _stop_heartbeat), daemon=True, name="heartbeat"
    ).start()


@signals.worker_shutdown.connect
def _stop_heartbeat_on_shutdown(**_):
    _stop_heartbeat.set()
