"""Enqueueing turns by task name: the API never imports the worker's code."""

from __future__ import annotations

import logging

from celery import Celery

from core.errors import Unavailable
from core.queue import BATCH_QUEUE, INTERACTIVE_QUEUE, RUN_TURN_TASK, celery_config
from core.settings import Settings

log = logging.getLogger(__name__)


class TurnQueue:
    """The producer side of the job queue."""

    def __init__(self, settings: Settings):
        self.celery = Celery("invoice_agent_api", set_as_current=False)
        self.celery.conf.update(celery_config(settings))

    def enqueue_turn(self, job_id: str, *, request_id: str = "") -> None:
        """Publish the turn. Raises Unavailable when the broker cannot be reached."""
        try:
            self.celery.send_task(
                RUN_TURN_TASK,
                args=[job_id],
                queue=INTERACTIVE_QUEUE,
                headers={"request_id": request_id},
            )
        except Exception as exc:  # any failure to publish: the queue is not usable now
            raise _unavailable(exc) from exc

    def enqueue_batch(self, job_ids: list[str], *, request_id: str = "") -> None:
        """Publish many turns on the batch queue. Raises Unavailable.

        kombu's publish batch groups the messages into pipelined writes (on a Redis broker,
        one round trip per thousand messages); brokers without batches publish one by one.
        """
        try:
            with self.celery.producer_or_acquire() as producer, producer.batch():
                for job_id in job_ids:
                    self.celery.send_task(
                        RUN_TURN_TASK,
                        args=[job_id],
                        queue=BATCH_QUEUE,
                        producer=producer,
                        headers={"request_id": request_id},
                    )
        except Exception as exc:  # e.g. amqp's NotAllowed (unknown vhost), AccessRefused
            raise _unavailable(exc) from exc

    def ping(self) -> bool:
        """True when the broker accepts a connection within a couple of seconds."""
        try:
            with self.celery.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            return True
        except Exception:
            return False


def _unavailable(exc: Exception) -> Unavailable:
    log.warning("could not publish to the broker: %s", exc.__class__.__name__, exc_info=True)
    return Unavailable("The job queue cannot be reached. Please retry in a moment.")
