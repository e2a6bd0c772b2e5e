"""Waiting for a job to finish without a Redis connection (or a thread) per waiter.

The scripts that finish a job (`APPLY_TURN`, `FAIL_JOB`, `CANCEL_BATCH`) publish its id on
the channel `jobs:finished`. A process that long-polls runs one subscriber, started on the
first wait (so after gunicorn has forked), which wakes the waiters of that job. A thousand
open long-polls therefore cost a thousand `Event`s and one connection, and under the API's
gevent workers each waiter is a greenlet, not a thread.

Pub/sub delivers at most once: a message published while the subscriber is reconnecting is
lost. So every (re)subscription wakes all waiters, and a woken waiter always re-reads the
job's status before it returns; it never trusts the notification alone.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

import redis

from core.redis_model import FINISHED_CHANNEL

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 1.0


class JobWaiters:
    """Waiters for jobs of one process, woken by the `jobs:finished` channel."""

    def __init__(self, client: redis.Redis, is_final: Callable[[str], bool]):
        self._client = client
        self._is_final = is_final
        self._waiting: dict[str, set[threading.Event]] = {}
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None

    def wait(self, job_id: str, timeout: float) -> None:
        """Return when the job is final or after `timeout` seconds, whichever comes first.

        Raises Unavailable (through `is_final`) when Redis cannot be reached.
        """
        event = threading.Event()
        with self._lock:
            self._waiting.setdefault(job_id, set()).add(event)
        self._listen_in_background()  # after registering: see _stop_if_nobody_waits
        try:
            # registered first, checked second: a job finishing in between still wakes us
            if self._is_final(job_id):
                return
            deadline = time.monotonic() + timeout
            while (remaining := deadline - time.monotonic()) > 0:
                if not event.wait(remaining):
                    return
                event.clear()
                if self._is_final(job_id):
                    return
        finally:
            with self._lock:
                waiters = self._waiting.get(job_id)
                if waiters is not None:
                    waiters.discard(event)
                    if not waiters:
                        del self._waiting[job_id]

    def _wake(self, job_id: str | None = None) -> None:
        with self._lock:
            if job_id is None:
                events = [event for waiters in self._waiting.values() for event in waiters]
            else:
                events = list(self._waiting.get(job_id, ()))
        for event in events:
            event.set()

    def _listen_in_background(self) -> None:
        if self._listener is not None and self._listener.is_alive():
            return
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(
                    target=self._listen, name="job-events", daemon=True
                )
                self._listener.start()

    def _stop_if_nobody_waits(self) -> bool:
        """With Redis gone and no waiter, the listener ends rather than retry forever; the next
        wait starts a new one. Waiters register before they look for a listener, so one that
        registers after this check finds none and starts its own."""
        with self._lock:
            if self._waiting:
                return False
            self._listener = None
            return True

    def _listen(self) -> None:
        failures = 0
        while True:
            pubsub = self._client.pubsub()
            try:
                pubsub.subscribe(FINISHED_CHANNEL)
                failures = 0
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        self._wake()  # anything finished while we were away is re-read
                    elif message["type"] == "message":
                        self._wake(message["data"])
            except (redis.ConnectionError, redis.TimeoutError):
                if self._stop_if_nobody_waits():
                    return
                failures += 1  # said once per outage, not every second of it
                (log.warning if failures == 1 else log.debug)(
                    "job events: Redis connection lost; reconnecting"
                )
            except Exception:  # never let the listener die: waiters would sleep their full wait
                log.exception("job events: listener failed; restarting")
            finally:
                with contextlib.suppress(Exception):  # the connection is gone already
                    pubsub.close()
            self._wake()  # waiters re-check while we reconnect, then wait again
            time.sleep(RECONNECT_SECONDS)
