"""Celery tasks: thin wrappers that call into `core`."""

from __future__ import annotations

import logging
import random
import threading
import time

from celery import Task, shared_task, signals
from celery.exceptions import SoftTimeLimitExceeded
from gevent import Timeout as GreenletTimeout  # the worker runs the gevent pool

from core.batch_records import issue_batch, zip_documents
from core.errors import ConfigurationError, ProviderTransient, TurnTimedOut, Unavailable
from core.exports import pdf, typesetter
from core.llm_rate import SlotNotAvailable
from core.logs import configure_logging
from core.queue import (
    BATCH_QUEUE,
    EXPORT_ZIP_TASK,
    ISSUE_BATCH_TASK,
    RUN_TURN_TASK,
    CeleryPublisher,
)
from core.redis_model import TurnOutcome
from core.workers import HEARTBEAT_SECONDS
from worker import probe, runtime
from worker.runtime import (
    dispatch_next_batch_items,
    records,
    runner,
    settings,
    stores,
    worker_id,
)

log = logging.getLogger(__name__)

MAX_PROVIDER_RETRIES = 5
REDIS_OUTAGE_RETRIES = 120  # 10 minutes of retries every 5 s


@shared_task(name=RUN_TURN_TASK, bind=True, max_retries=MAX_PROVIDER_RETRIES)
def run_turn(self: Task, job_id: str, deferrals: int = 0) -> TurnOutcome:
    """Run one chat turn; retried with backoff while the provider is throttled."""
    with runtime.running(job_id):  # the heartbeat says this process runs it
        return _run_turn(self, job_id, deferrals)


def _run_turn(self: Task, job_id: str, deferrals: int) -> TurnOutcome:
    final_attempt = self.request.retries >= MAX_PROVIDER_RETRIES
    try:
        the_runner = runner()
    except ConfigurationError as error:  # no retry can fix it: the turn ends now, and says why
        stores().jobs.fail(job_id, error)
        return TurnOutcome.FAILED
    try:
        outcome = the_runner.run(job_id, final_attempt=final_attempt)
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
        stores().jobs.still_queued(job_id)  # waiting for the LLM, not lost
        delay = wait.retry_after
        if wait.queue == BATCH_QUEUE:
            delay *= 2 ** min(deferrals, 5) * random.uniform(0.5, 1.5)  # noqa: S311
        self.apply_async(
            args=[job_id],
            kwargs={"deferrals": deferrals + 1},
            queue=wait.queue,
            countdown=min(delay, 30),
        )
        return TurnOutcome.DEFERRED
    except (SoftTimeLimitExceeded, GreenletTimeout):
        # The gevent pool enforces JOB_TIME_LIMIT by raising gevent.Timeout (a BaseException)
        # inside the turn; record it, or the job would stay "running" and its session busy.
        stores().jobs.fail(job_id, TurnTimedOut())
        raise
    if (self.request.delivery_info or {}).get("routing_key") == BATCH_QUEUE:
        _next_batch_items(self.app)  # a batch item's place in flight goes to the next item
        _issue_when_due(self.app, job_id)
    return outcome


ZIP_PACE = 0.5  # after each PDF, rest half as long as it took: the API keeps its CPU


@shared_task(name=EXPORT_ZIP_TASK)
def export_batch_zip(batch_id: str) -> None:
    """Render a batch's invoices into its ZIP (core/batch_exports.py), one PDF at a time."""
    current = stores()
    documents = zip_documents(current.batches, records(), batch_id)
    current.zips.build(batch_id, documents, _paced(pdf.render_pdf))


@shared_task(name=ISSUE_BATCH_TASK, bind=True, max_retries=REDIS_OUTAGE_RETRIES)
def issue_batch_invoices(self: Task, batch_id: str) -> int:
    """Issue a finished batch's invoices in item order (core/batch_records.py); retried while
    the database or Redis is away (what was issued stays issued: nothing is issued twice)."""
    current = stores()
    try:
        return issue_batch(current.batches, current.sessions, records(), batch_id).issued
    except Unavailable as exc:
        raise self.retry(exc=exc, countdown=5) from None


def _issue_when_due(app, job_id: str) -> None:
    """When a batch's last item finished and the batch issues its invoices, ask for that."""
    try:
        job = stores().jobs.get_job(job_id)
        if job is not None and job.batch_id and stores().batches.issue_due(job.batch_id):
            CeleryPublisher(app).publish_issue(job.batch_id)
    except Exception:  # Redis or the broker away: the next read of the batch asks again
        log.warning("could not ask for the batch's invoices to be issued", exc_info=True)


def _paced(render):
    def paced(invoice):
        began = time.monotonic()
        document = render(invoice)
        time.sleep((time.monotonic() - began) * ZIP_PACE)  # cooperative: a greenlet sleeps
        return document

    return paced


def _next_batch_items(app) -> None:
    try:
        dispatch_next_batch_items(app)
    except Exception:  # Redis or the broker away: the sweep dispatches later
        log.warning("could not dispatch the next batch items", exc_info=True)


def _heartbeat_loop(name: str, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            with probe.beat():  # leaves the pod's probes a note: alive, and did Redis answer
                stores().workers.record_heartbeat(
                    name, slots=settings().worker_concurrency, running=tuple(runtime.RUNNING)
                )
        except Exception:  # Redis away: health will say so; keep beating
            log.warning("worker heartbeat failed", exc_info=True)
        stop.wait(HEARTBEAT_SECONDS)


_stop_heartbeat = threading.Event()


@signals.setup_logging.connect
def _json_logs(**_):
    """Celery leaves logging to us when this signal has a receiver: JSON lines, like the API.
    A turn logs one line at INFO, ours ("turn finished": job, session, outcome, attempt,
    timings); Celery's "received" and "succeeded" lines said it twice more, with Celery's
    own task id, for a tenth of the worker's CPU per turn. Its warnings and errors stay."""
    configure_logging()
    for name in ("celery.worker.strategy", "celery.app.trace"):
        logging.getLogger(name).setLevel(logging.WARNING)


@signals.worker_init.connect
def _fail_fast_on_bad_settings(**_):
    """Build the runner (provider, stores) at start: a worker whose settings cannot work stops
    now, saying why, instead of failing every turn (Celery swallows a receiver's Exception,
    not SystemExit)."""
    try:
        runner()
    except ConfigurationError as error:
        log.critical("the worker cannot start: %s", error)
        raise SystemExit(f"invoice-agent worker: {error}") from None
    # a ZIP's PDFs are typeset on a native thread, at a low priority: the turns in flight go
    # on meanwhile, and an API on the same machine keeps its CPU (bench/batch_zip.py)
    typesetter.compile_on_native_threads(parallel=1, niceness=10)


@signals.worker_ready.connect
def _start_heartbeat(**_):
    threading.Thread(
        target=_heartbeat_loop, args=(worker_id(), _stop_heartbeat), daemon=True, name="heartbeat"
    ).start()


@signals.worker_shutdown.connect
def _stop_heartbeat_on_shutdown(**_):
    _stop_heartbeat.set()
