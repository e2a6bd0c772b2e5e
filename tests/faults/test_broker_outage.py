"""The broker cannot be reached when a message arrives: 503, and nothing half-written."""

from __future__ import annotations

import pytest
import redis

from api import create_app
from core.queue import CeleryPublisher
from tests.conftest import free_port, make_settings, wait_until
from tests.faults.support import GENERATE, check_session
from tests.integration.helpers import finished_job, post_turn, run_turn
from tests.support.providers import draft, script

pytestmark = pytest.mark.integration

BOOKKEEPING = ("rate:", "_kombu", "unacked", "interactive", "batch", "workers:", "metrics:")
ATTEMPTS = 5  # of each kind of request, per broker
# a queued chat turn counts as lost after JOB_VISIBILITY_TIMEOUT when that is under a minute
QUICK_RESEND = {"JOB_VISIBILITY_TIMEOUT": "10", "JOB_TIME_LIMIT": "3"}


def _brokers() -> list:
    return [
        pytest.param(f"redis://127.0.0.1:{free_port()}/0", id="redis-closed-port"),
        pytest.param(
            "amqp://guest:guest@127.0.0.1:5672/no-such-vhost",
            id="rabbitmq-unknown-vhost",
            marks=pytest.mark.rabbitmq,
        ),
        pytest.param(
            "amqp://guest:wrong-password@127.0.0.1:5672/invoice-agent-test",
            id="rabbitmq-refused-login",
            marks=pytest.mark.rabbitmq,
        ),
        pytest.param("amqp://guest:guest@127.0.0.1:1/", id="rabbitmq-closed-port"),
    ]


@pytest.mark.parametrize("broker_url", _brokers())
def test_a_message_the_broker_cannot_take_leaves_nothing_behind(
    broker_url, redis_server, redis_client, shared_worker, figures
):
    healthy = create_app(make_settings(redis_server.url)).test_client()
    broken = create_app(make_settings(redis_server.url, celery_broker_url=broker_url)).test_client()
    # a session with one finished turn, made through the healthy path
    message = script(reply="first", invoice=draft())
    created, job = run_turn(healthy, message, path=GENERATE)
    sid = created["session_id"]
    before = _snapshot(redis_client)

    answers = []
    for n in range(ATTEMPTS):
        answers.append(post_turn(broken, f"new invoice {n}", path=GENERATE))
        answers.append(post_turn(broken, f"edit {n}", sid))
        answers.append(broken.post("/api/batches", json={"items": [{"message": f"batch {n}"}] * 3}))

    assert {(a.status_code, a.get_json()["error"]["code"]) for a in answers} == {
        (503, "unavailable")
    }
    assert _snapshot(redis_client) == before  # no session, job, batch or message was left
    assert broken.get("/api/health").status_code == 503
    # the session is not left busy: the next message through a working broker is taken
    _, after = run_turn(healthy, script(reply="second"), sid)
    assert after["status"] == "succeeded"
    session = healthy.get(f"/api/session/{sid}").get_json()
    check_session(session, [(message, "first"), (script(reply="second"), "second")])
    figures(requests=len(answers), answered_503=len(answers), keys_left_behind=0)


def test_redis_lost_between_accepting_and_enqueueing_strands_no_session(
    durable_redis, start_worker, figures
):
    # BEGIN_TURN has stored the job and marked the session busy; then Redis (the broker too)
    # goes away, so the publish fails and so does its undo. The client is told 503. The job is
    # still stored, queued, with no message anywhere: the worker's janitor sends it again once
    # Redis is back (worker/redelivery.py), and the session is free again after it has run.
    class RedisDiesFirst(CeleryPublisher):
        """Redis goes away just as the turn is published."""

        job_id = ""

        def publish(self, job_ids, queue: str, *, request_id: str = "") -> None:
            (self.job_id,) = job_ids
            durable_redis.kill()
            super().publish(job_ids, queue, request_id=request_id)

    settings = make_settings(durable_redis.url)
    client = create_app(settings).test_client()
    start_worker("janitor", REDIS_URL=durable_redis.url, **QUICK_RESEND)
    first = script(reply="first", invoice=draft())
    created, _ = run_turn(client, first, path=GENERATE)
    sid = created["session_id"]
    queue = RedisDiesFirst.from_settings(settings)
    dying = create_app(settings, publisher=queue).test_client()

    stranded = script(reply="stored before the outage")
    refused = post_turn(dying, stranded, sid)
    durable_redis.start()

    assert (refused.status_code, refused.get_json()["error"]["code"]) == (503, "unavailable")
    wait_until(lambda: client.get("/api/health").status_code == 200, timeout=30)
    busy = post_turn(client, script(reply="too early"), sid)
    assert busy.status_code == 409  # the stored turn goes first, and says which job it is
    assert busy.get_json()["error"]["details"]["job_id"] == queue.job_id
    job = finished_job(client, queue.job_id, timeout=60)
    assert job["status"] == "succeeded"
    last = script(reply="after")
    _, after = run_turn(client, last, sid)
    assert after["status"] == "succeeded"
    session = client.get(f"/api/session/{sid}").get_json()
    check_session(
        session, [(first, "first"), (stranded, "stored before the outage"), (last, "after")]
    )
    figures(answered=503, stranded_turn=job["status"], session_free_again=True)


def _snapshot(client: redis.Redis) -> dict:
    """Every key with its value, but the rate limiter's, the healthy broker's and the worker's
    metrics: sessions without last_activity (a refused attempt refreshes it), and the members
    of sessions:active without their scores."""
    snapshot = {}
    for key in client.scan_iter("*"):
        if key.startswith(BOOKKEEPING):
            continue
        kind = client.type(key)
        if kind == "hash":
            value = client.hgetall(key)
            value.pop("last_activity", None)
        elif kind == "list":
            value = client.lrange(key, 0, -1)
        elif kind == "zset":
            value = sorted(client.zrange(key, 0, -1))
        elif kind == "string":
            value = client.get(key)
        else:
            value = kind
        snapshot[key] = value
    return snapshot
