"""The job queue both sides share: task name, queues, which queue a job goes to, and the
publisher that puts turn jobs on it.

The API publishes by task name and never imports the worker; the worker builds its Celery
app from the same `celery_config`, so producer and consumer cannot drift apart. This is the
one module of `core` that touches Celery, as the design's contract places the shared queue
definition here; the use cases (core/turns.py) only see the `Publisher` protocol.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import quote

from celery import Celery
from kombu import Exchange, Queue
from kombu.transport import redis as kombu_redis

from core.errors import Unavailable
from core.redis_connection import is_sentinel_url, parse_sentinel_url
from core.settings import Settings

log = logging.getLogger(__name__)

RUN_TURN_TASK = "invoice_agent.run_turn"
EXPORT_ZIP_TASK = "invoice_agent.export_batch_zip"  # a batch's invoices as a ZIP of PDFs
ISSUE_BATCH_TASK = "invoice_agent.issue_batch"  # a batch's invoices issued in item order
INTERACTIVE_QUEUE = "interactive"  # chat turns: a person is waiting
BATCH_QUEUE = "batch"  # batch items go behind interactive turns
QUEUES = (INTERACTIVE_QUEUE, BATCH_QUEUE)  # workers take from them in this order
# RabbitMQ gives up a message delivered this often without an ack (a poison message that
# kills every worker taking it). A lost worker's turn is normally handed back by our own
# heartbeat sweep as a new message (core/turns.py gives a turn up after 5 hand-backs), so a
# single message rarely sees a second delivery; this is the broker's backstop.
DELIVERY_LIMIT = 5


def queue_for(batch_id: str) -> str:
    """The queue of a turn job: batch items behind chat turns."""
    return BATCH_QUEUE if batch_id else INTERACTIVE_QUEUE


class Publisher(Protocol):
    """Puts turn jobs on a queue. Raises Unavailable when the queue cannot be reached."""

    def publish(self, job_ids: Sequence[str], queue: str, *, request_id: str = "") -> None: ...

    def publish_zip(self, batch_id: str) -> None:
        """Ask a worker to build the batch's ZIP of PDFs (core/batch_exports.py)."""
        ...

    def publish_issue(self, batch_id: str) -> None:
        """Ask a worker to issue the batch's invoices (core/batch_records.py)."""
        ...

    def answers(self) -> bool:
        """True when the queue accepts a connection now (health checks)."""
        ...


class CeleryPublisher:
    """Publishes `run_turn(job_id)` by name with a Celery app (the API's or the worker's)."""

    def __init__(self, celery: Celery, *, declares: bool = True):
        self.celery = celery
        # kombu declares the queue again (from its cache: ~0.3 ms) on every publish. A Redis
        # queue is a list that needs no declaring (the anonymous exchange puts the message
        # on the list named by the routing key, and workers declare what they consume);
        # RabbitMQ's quorum queues must exist before a message is routed to them.
        self._declare: list | None = None if declares else []

    @classmethod
    def from_settings(cls, settings: Settings) -> CeleryPublisher:
        """A producer-only Celery app on the configured broker (the API's)."""
        app = celery_app("invoice_agent_api", settings, set_as_current=False)
        return cls(app, declares=one_client_transport(app.conf.broker_url) is None)

    def publish(self, job_ids: Sequence[str], queue: str, *, request_id: str = "") -> None:
        """Publish the jobs in one producer batch (on a Redis broker, one pipelined write per
        thousand). Raises Unavailable when the broker cannot be reached or refuses."""
        if not job_ids:
            return
        try:
            with self.celery.producer_or_acquire() as producer:  # pooled: no new connection
                if len(job_ids) == 1:  # a chat turn: a batch session would only cost time
                    self._send(producer, job_ids[0], queue, request_id)
                    return
                with producer.batch():
                    for job_id in job_ids:
                        self._send(producer, job_id, queue, request_id)
        except Exception as exc:  # any failure to publish: e.g. amqp's AccessRefused, NotAllowed
            log.warning("could not publish to the broker: %s", type(exc).__name__, exc_info=True)
            raise Unavailable("The job queue cannot be reached. Please retry in a moment.") from exc

    def publish_zip(self, batch_id: str) -> None:
        """Publish the build of a batch's ZIP on the batch queue (behind chat turns)."""
        self._send_batch_task(EXPORT_ZIP_TASK, batch_id)

    def publish_issue(self, batch_id: str) -> None:
        """Publish the issuing of a batch's invoices on the batch queue."""
        self._send_batch_task(ISSUE_BATCH_TASK, batch_id)

    def _send_batch_task(self, task: str, batch_id: str) -> None:
        try:
            self.celery.send_task(task, args=[batch_id], queue=BATCH_QUEUE)
        except Exception as exc:
            log.warning("could not publish to the broker: %s", type(exc).__name__, exc_info=True)
            raise Unavailable("The job queue cannot be reached. Please retry in a moment.") from exc

    def _send(self, producer: Any, job_id: str, queue: str, request_id: str) -> None:
        self.celery.send_task(
            RUN_TURN_TASK,
            args=[job_id],
            queue=queue,
            producer=producer,
            headers={"request_id": request_id},
            declare=self._declare,
        )

    def answers(self) -> bool:
        """True when the broker accepts a connection within a couple of seconds."""
        try:
            with self.celery.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            return True
        except Exception:
            return False


def one_client_transport(broker_url: str) -> str | None:
    """The kombu transport of the API and the workers: for a Redis broker (plain or
    Sentinel), kombu's own with `_ReusedClient`; None (kombu's choice) for any other."""
    scheme = broker_url.split("://", 1)[0].lower()
    if scheme in ("redis", "rediss"):
        return "core.queue:OneClientRedisTransport"
    if scheme == "sentinel":
        return "core.queue:OneClientSentinelTransport"
    return None


class _ReusedClient:
    """A kombu Redis channel that sends every command through one `redis.Redis` client.

    kombu's channel builds a new client object for each message it publishes, and for each
    a worker takes and acknowledges (`conn_or_acquire`: the publish, and the unacked-message
    bookkeeping of `QoS.append` and `QoS.ack`). redis-py's client is costly to build (it
    fills a table of about 170 response callbacks): about 0.4 ms each time, as much as the
    rest of a publish. The client is thread-safe (each command takes a connection from the
    channel's pool), so one serves the channel; it is built again when the channel's pool
    is (after a fork, a close). The consumer's BRPOP keeps the channel's own client.
    """

    _reused_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client is not None:
            yield client
            return
        reused = self._reused_client
        if reused is None or reused.connection_pool is not self.pool:  # type: ignore[attr-defined]
            reused = self._reused_client = self._create_client()  # type: ignore[attr-defined]
        yield reused


class OneClientRedisChannel(_ReusedClient, kombu_redis.Channel):
    pass


class OneClientSentinelChannel(_ReusedClient, kombu_redis.SentinelChannel):
    pass


class OneClientRedisTransport(kombu_redis.Transport):
    Channel = OneClientRedisChannel


class OneClientSentinelTransport(kombu_redis.SentinelTransport):
    Channel = OneClientSentinelChannel


def broker_settings(url: str) -> tuple[str, dict[str, Any]]:
    """kombu's broker URL and transport options for CELERY_BROKER_URL (or REDIS_URL).

    A redis+sentinel:// URL (core/redis_connection.py) becomes kombu's Sentinel transport
    on the same Sentinels: `sentinel://h1:26379;sentinel://h2:26379` with the master's name.
    """
    if not is_sentinel_url(url):
        return url, {}
    address = parse_sentinel_url(url)
    auth = f":{quote(address.password, safe='')}@" if address.password else ""
    kombu_url = ";".join(
        f"sentinel://{auth}{host}:{port}/{address.db}" for host, port in address.sentinels
    )
    options: dict[str, Any] = {"master_name": address.master}
    if address.sentinel_password:
        options["sentinel_kwargs"] = {"password": address.sentinel_password}
    return kombu_url, options


def is_amqp_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() in ("amqp", "amqps", "pyamqp")


def quorum_queues() -> list[Queue]:
    """The two queues as RabbitMQ quorum queues: replicated, durable, and with a delivery
    limit. Their exchanges are topic exchanges, because Celery's native delayed delivery (the
    only way a quorum queue can hold a retry's countdown) cannot route through direct ones."""
    return [
        Queue(
            name,
            Exchange(name, type="topic"),
            routing_key=name,
            queue_arguments={"x-queue-type": "quorum", "x-delivery-limit": DELIVERY_LIMIT},
        )
        for name in QUEUES
    ]


def celery_app(name: str, settings: Settings, **options: Any) -> Celery:
    """A Celery app on `celery_config(settings)`, and on nothing else.

    Celery reads CELERY_BROKER_URL from the environment ahead of its own configuration. The
    variable is ours too, already read into `settings` and translated there (a Sentinel URL
    becomes kombu's form), so it is taken out of this process's environment: left in, it
    would override the translation and a redis+sentinel:// broker could not connect.
    """
    os.environ.pop("CELERY_BROKER_URL", None)
    app = Celery(name, **options)
    app.conf.update(celery_config(settings))
    transport = one_client_transport(app.conf.broker_url)
    if transport:  # our transport class, not a setting: kept out of celery_config
        app.conf.broker_transport = transport
    return app


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings shared by producer and worker (nothing secret: Flower shows them, and
    masks the broker's password)."""
    broker_url, sentinel_options = broker_settings(settings.broker_url)
    amqp = {"task_queues": quorum_queues()} if is_amqp_url(broker_url) else {}
    return {
        **amqp,
        "broker_url": broker_url,
        # the redis transport redelivers an unacknowledged job after this many seconds
        "broker_transport_options": {
            "visibility_timeout": settings.job_visibility_timeout,
            # Redis: take from the queues in the order the worker lists them (-Q interactive,
            # batch), so a person's chat turn goes ahead of waiting batch items
            "queue_order_strategy": "priority",
            **sentinel_options,
        },
        "broker_connection_timeout": 3,
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,  # results live in job:{id}, written by the task itself
        "task_default_queue": INTERACTIVE_QUEUE,
        "task_routes": {
            RUN_TURN_TASK: {"queue": INTERACTIVE_QUEUE},
            EXPORT_ZIP_TASK: {"queue": BATCH_QUEUE},
            ISSUE_BATCH_TASK: {"queue": BATCH_QUEUE},
        },
        # a down broker must answer 503 quickly, not hang the request
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        # late ack + reject on worker loss: a worker killed mid-turn loses no job
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": settings.job_time_limit,
        "task_soft_time_limit": max(1, settings.job_time_limit - 10),
        "worker_concurrency": settings.worker_concurrency,  # run with -P gevent
        # task events cost a worker three extra publishes per turn; they are sent only while
        # a monitor asks for them (Flower does by itself, every few seconds: `make run`,
        # compose and Kubernetes all run Flower), not to a broker nobody reads
        "worker_send_task_events": False,
        # no "task-sent" events: they double the cost of publishing (a 1000-item batch)
        "task_send_sent_event": False,
    }
