"""The queue both sides share: Celery's configuration from our settings."""

from __future__ import annotations

from kombu import Queue

from core.queue import BATCH_QUEUE, INTERACTIVE_QUEUE, celery_app, celery_config
from core.settings import Settings

SENTINELS = "redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2:26380/mymaster/2"


def settings(**values) -> Settings:
    return Settings.from_env({}, dotenv_path=None, **values)


def test_a_sentinel_url_becomes_kombus_sentinel_transport():
    config = celery_config(settings(redis_url=SENTINELS))
    assert config["broker_url"] == (
        "sentinel://:s3cret@10.0.0.1:26379/2;sentinel://:s3cret@10.0.0.2:26380/2"
    )
    assert config["broker_transport_options"]["master_name"] == "mymaster"


def test_the_environment_cannot_override_the_translated_broker(monkeypatch):
    # Celery reads CELERY_BROKER_URL ahead of its configuration; ours is the same variable
    monkeypatch.setenv("CELERY_BROKER_URL", SENTINELS)
    app = celery_app("t", settings(celery_broker_url=SENTINELS), set_as_current=False)
    assert app.conf.broker_url.startswith("sentinel://")


def test_rabbitmq_queues_are_quorum_queues_with_a_delivery_limit():
    config = celery_config(settings(celery_broker_url="amqp://u:p@mq:5672/v"))
    queues: list[Queue] = config["task_queues"]
    assert [q.name for q in queues] == [INTERACTIVE_QUEUE, BATCH_QUEUE]
    for queue in queues:
        assert queue.queue_arguments == {"x-queue-type": "quorum", "x-delivery-limit": 5}
        assert queue.exchange.type == "topic"  # native delayed delivery needs it for retries


def test_a_redis_broker_keeps_kombus_own_queues():
    assert "task_queues" not in celery_config(settings())
