"""Give abandoned jobs back to the queue on a Redis broker, under the gevent pool.

With a Redis broker, kombu emulates acknowledgements: a delivered job waits in `unacked`
until it is acked, and kombu's event loop puts it back in the queue once it is older than
the visibility timeout. gevent workers run without that event loop, so nothing ever puts it
back (celery/celery#4976, kombu#1025): a worker killed mid-turn would lose its job. This
bootstep runs the same kombu sweep on the worker's timer. It is safe with many workers
(kombu takes a Redis mutex for the sweep) and only moves jobs older than the visibility
timeout, which is longer than any turn may run (JOB_TIME_LIMIT < JOB_VISIBILITY_TIMEOUT).
RabbitMQ redelivers by itself when a consumer's connection drops; the step is then idle.
"""

from __future__ import annotations

import logging

from celery import bootsteps

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0


class RestoreAbandonedJobs(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker):
        if worker.app.connection_for_read().transport_cls not in ("redis", "rediss"):
            return
        self.timer_ref = worker.timer.call_repeatedly(SWEEP_SECONDS, self.sweep, (worker,))

    def stop(self, worker):
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None

    def sweep(self, worker) -> None:
        try:
            with worker.app.connection_for_read() as connection:
                connection.default_channel.qos.restore_visible(num=100, interval=1)
        except Exception:  # Redis away: the next sweep tries again
            log.warning("could not sweep abandoned jobs", exc_info=True)
