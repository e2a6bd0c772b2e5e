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


def test_redis_brokers_send_through_one_client_per_channel(redis_server, redis_client):
    # kombu builds a new redis-py client per publish and per acknowledgement otherwise
    app = celery_app("t", settings(redis_url=redis_server.url), set_as_current=False)
    assert app.conf.broker_transport == "core.queue:OneClientRedisTransport"
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        built = []
        build = channel._create_client
        channel._create_client = lambda *a, **kw: built.append(1) or build(*a, **kw)
        with connection.SimpleQueue("one-client-test", channel=channel) as queue:
            for n in range(20):
                queue.put({"n": n})
            got = [queue.get(timeout=2) for _ in range(20)]
            for message in got:
                message.ack()
    assert [m.payload["n"] for m in got] == list(range(20))
    assert len(built) == 1
    redis_client.delete("one-client-test")


def test_other_brokers_keep_kombus_transport():
    app = celery_app("t", settings(celery_broker_url="amqp://u:p@mq:5672/v"), set_as_current=False)
    assert app.conf.broker_transport is None
