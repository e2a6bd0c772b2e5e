"""Jobs that would otherwise be lost or wait long on their way to a worker, given back.

Three sweeps run on each worker's timer every few seconds (several workers running them at
once is harmless: each claims in one Redis script, and a second delivery of a job is skipped):

1. **Running jobs of dead workers.** A worker records itself as a running job's holder and
   beats every 5 s (worker/tasks.py); a job whose holder has been silent for 15 s goes back
   to queued and is published again (core/jobs.py, _RECLAIM_ORPHANS). A killed worker's turn
   thus runs again within about 15-20 s, on either broker, instead of after the visibility
   timeout (900 s on Redis). If the dead worker's message comes back later anyway, START_JOB
   finds the job final, or running on a live worker, and skips it.

2. **Unacknowledged messages on a Redis broker.** kombu emulates acknowledgements: a
   delivered job waits in `unacked` until it is acked, and kombu's event loop puts it back
   once it is older than the visibility timeout. gevent workers run without that event loop
   (celery/celery#4976, kombu#1025), so we run kombu's own `restore_visible` sweep (it takes
   a Redis mutex). RabbitMQ redelivers by itself.

3. **Jobs queued with no message at all.** kombu takes a message with BRPOP and only then
   records it in `unacked`: a worker killed in between loses it. And if Redis is lost
   between storing a turn and publishing it, the publish fails and so may its undo. Either
   way a job stays `queued`. Every queued job is tracked in `jobs:queued`; a chat turn still
   queued a minute after it was queued (a batch item: dispatched) is published again.
   When Redis was lost while a turn was being accepted, the client was told 503, yet the
   turn was stored: it runs once Redis is back, and until then the session answers 409.

The sweeps also dispatch the next batch items (core/batch_queue.py) in case a dispatch was
missed. START_JOB and APPLY_TURN act once per job, so none of this applies a turn twice.
"""

from __future__ import annotations

import logging

from celery import bootsteps

from core.queue import CeleryPublisher, queue_for
from worker import runtime

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0
# A chat turn still queued after a minute has most likely been lost (its queue goes first).
# So has a batch item: its clock starts when it is dispatched (or deferred, for at most 30 s),
# and no more are dispatched than the workers have slots (core/batch_queue.py). The usual loss
# is a worker killed between kombu's BRPOP and the turn's start, while its batch waits for the
# item (a message lost with a Redis broker's old primary is another). Re-sending one that was
# merely slow, behind a minute of chat turns, costs a second message, skipped when it arrives.
RESEND_SECONDS = 60


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
            self.hand_back_orphans(worker)
            runtime.dispatch_next_batch_items(worker.app)  # workers joined, or one was lost
        except Exception:  # Redis or the broker away: the next sweep tries again
            log.warning("could not sweep abandoned jobs", exc_info=True)

    def hand_back_orphans(self, worker) -> None:
        """Running jobs of workers that stopped beating go to the queue again at once."""
        publisher = CeleryPublisher(worker.app)
        for job_id, batch_id in runtime.stores().jobs.reclaim_orphans():
            log.warning("handing back the job of a dead worker", extra={"job_id": job_id})
            publisher.publish([job_id], queue_for(batch_id))

    def resend_lost_jobs(self, worker) -> None:
        visibility = runtime.settings().job_visibility_timeout
        lost = runtime.stores().jobs.reclaim_queued(
            chat_after=min(RESEND_SECONDS, visibility),
            batch_after=min(RESEND_SECONDS, visibility),
        )
        publisher = CeleryPublisher(worker.app)
        for job_id, batch_id in lost:
            log.warning("re-sending a job lost on its way to a worker", extra={"job_id": job_id})
            publisher.publish([job_id], queue_for(batch_id))
