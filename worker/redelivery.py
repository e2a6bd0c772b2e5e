"""Jobs that would otherwise be lost on their way to a worker, given back to the queue.

Two sweeps run on the worker's timer every few seconds:

1. **Unacknowledged messages on a Redis broker.** kombu emulates acknowledgements: a
   delivered job waits in `unacked` until it is acked, and kombu's event loop puts it back
   once it is older than the visibility timeout. gevent workers run without that event loop,
   so nothing would ever put it back (celery/celery#4976, kombu#1025): a worker killed
   mid-turn would lose its job. We run kombu's own `restore_visible` sweep (it takes a Redis
   mutex, so many workers are fine). RabbitMQ redelivers by itself.

2. **Jobs queued with no message at all.** kombu takes a message with BRPOP and only then
   records it in `unacked`: a worker killed in between loses it. And if Redis is lost
   between storing a turn and publishing it, the publish fails and so may its undo. Either
   way a job stays `queued` and its session refuses new messages. Every queued job is
   tracked in `jobs:queued`; a chat turn still queued after a minute (a batch item: after
   the visibility timeout) is published again. A second delivery is harmless: START_JOB and
   APPLY_TURN act once per job. When Redis was lost while a turn was being accepted, the
   client was told 503, yet the turn was stored: it runs once Redis is back, and until then
   the session answers 409 with the job to wait for.

The first sweep only touches messages older than the visibility timeout, which is longer
than any turn may run (JOB_TIME_LIMIT < JOB_VISIBILITY_TIMEOUT).
"""

from __future__ import annotations

import logging

from celery import bootsteps

from core.queue import BATCH_QUEUE, INTERACTIVE_QUEUE, RUN_TURN_TASK
from worker import runtime

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0
# A chat turn still queued after a minute has most likely been lost (its queue goes first);
# a batch item may wait behind hundreds, so it gets the whole visibility timeout.
CHAT_RESEND_SECONDS = 60


class RestoreAbandonedJobs(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker):
        self.redis_broker = worker.app.connection_for_read().transport_cls in ("redis", "rediss")
        self.timer_ref = worker.timer.call_repeatedly(SWEEP_SECONDS, self.sweep, (worker,))

    def stop(self, worker):
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None

    def sweep(self, worker) -> None:
        try:
            if self.redis_broker:
                with worker.app.connection_for_read() as connection:
                    connection.default_channel.qos.restore_visible(num=100, interval=1)
            self.resend_lost_jobs(worker)
            runtime.dispatch_batch_items(worker.app)  # workers joined, or a dispatch was lost
        except Exception:  # Redis or the broker away: the next sweep tries again
            log.warning("could not sweep abandoned jobs", exc_info=True)

    def resend_lost_jobs(self, worker) -> None:
        visibility = runtime.settings().job_visibility_timeout
        lost = runtime.store().reclaim_queued(
            chat_after=min(CHAT_RESEND_SECONDS, visibility), batch_after=visibility
        )
        for job_id, batch_id in lost:
            log.warning("re-sending a job lost on its way to a worker", extra={"job_id": job_id})
            worker.app.send_task(
                RUN_TURN_TASK, args=[job_id], queue=BATCH_QUEUE if batch_id else INTERACTIVE_QUEUE
            )
