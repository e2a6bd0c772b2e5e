"""What the API (which enqueues by task name) and the worker (which runs tasks) agree on.

Plain data only: neither Celery nor Flask is imported here. Both sides build their Celery
app from `celery_config(settings)`, so producer and consumer cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from core.settings import Settings

RUN_TURN_TASK = "invoice_agent.run_turn"
INTERACTIVE_QUEUE = "interactive"  # chat turns: a person is waiting
BATCH_QUEUE = "batch"  # batch items go behind interactive turns


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings shared by producer and worker."""
    return {
        "broker_url": settings.broker_url,
        # the redis transport redelivers an unacknowledged job after this many seconds
        "broker_transport_options": {
            "visibility_timeout": settings.job_visibility_timeout,
            # Redis: take from the queues in the order the worker lists them (-Q interactive,
            # batch), so a person's chat turn goes ahead of waiting batch items
            "queue_order_strategy": "priority",
        },
        "broker_connection_timeout": 3,
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,  # results live in job:{id}, written by the task itself
        "task_default_queue": INTERACTIVE_QUEUE,
        "task_routes": {RUN_TURN_TASK: {"queue": INTERACTIVE_QUEUE}},
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
        "worker_concurrency": settings.worker_concurrency,  # run with -P gevent (see Procfile)
        "worker_send_task_events": True,
        # no "task-sent" events: they double the cost of publishing (a 1000-item batch)
        "task_send_sent_event": False,
    }
