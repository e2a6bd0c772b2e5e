"""Workers that die, and other brokers: each test runs its own worker processes only."""

from __future__ import annotations

import json
import subprocess
import sys
from unittest import mock

import pytest

from api import create_app
from core.errors import ConfigurationError
from tests.conftest import ROOT, make_settings, wait_until, worker_env
from tests.integration.helpers import finished_job, post_turn, run_turn
from tests.support.providers import draft, script

pytestmark = pytest.mark.integration


def test_a_worker_killed_mid_turn_loses_nothing(client, start_worker, redis_client):
    # a short visibility timeout so the abandoned job comes back within the test
    slow = {"JOB_VISIBILITY_TIMEOUT": "4", "JOB_TIME_LIMIT": "3"}
    first = start_worker("doomed", **slow)
    accepted = post_turn(client, script(sleep=2, reply="survived", invoice=draft())).get_json()
    wait_until(lambda: client.get(accepted["status_url"]).get_json()["status"] == "running")

    first.kill()
    start_worker("rescuer", **slow)
    job = finished_job(client, accepted["job_id"], timeout=60)

    assert job["status"] == "succeeded" and job["result"]["reply"] == "survived"
    session = client.get(f"/api/session/{accepted['session_id']}").get_json()
    assert [m["content"] for m in session["messages"]].count("survived") == 1
    assert len(session["messages"]) == 2
    assert json.loads(redis_client.hget(f"job:{accepted['job_id']}", "attempts")) == 2


def test_rabbitmq_as_broker(redis_server, start_worker, rabbitmq_vhost):
    settings = make_settings(redis_server.url, celery_broker_url=rabbitmq_vhost)
    client = create_app(settings).test_client()
    start_worker("amqp", CELERY_BROKER_URL=rabbitmq_vhost)

    created, job = run_turn(client, script(reply="via amqp", invoice=draft()))

    assert job["status"] == "succeeded" and job["result"]["reply"] == "via amqp"
    health = client.get("/api/health").get_json()
    assert health["broker"] == "connected" and health["workers"] >= 1
    queues = rabbitmq_queues(rabbitmq_vhost)
    for name in ("interactive", "batch"):
        assert queues[name]["type"] == "quorum", queues
        assert ["x-delivery-limit", 5] in [[k, v] for k, _, v in queues[name]["arguments"]]


def rabbitmq_queues(url: str) -> dict[str, dict]:
    """The vhost's queues as rabbitmqctl lists them: name -> {type, arguments}."""
    listed = subprocess.run(
        ["rabbitmqctl", "list_queues", "-q", "--formatter", "json", "-p", url.rsplit("/", 1)[1],
         "name", "type", "arguments"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return {q["name"]: q for q in json.loads(listed.stdout)}


def test_a_turn_past_its_time_limit_fails_and_frees_the_session(client, start_worker):
    start_worker("strict", JOB_TIME_LIMIT="1", JOB_VISIBILITY_TIMEOUT="60")
    created, good = run_turn(client, script(reply="ok", invoice=draft()))
    sid = created["session_id"]

    _, job = run_turn(client, script(sleep=5, invoice=draft(buyer="Too Slow Inc")), sid)

    assert job["status"] == "failed" and job["error"]["code"] == "turn_timeout"
    session = client.get(f"/api/session/{sid}").get_json()
    assert session["pending_job_id"] is None and len(session["messages"]) == 2
    assert session["invoice"] == good["result"]["invoice"]


def test_a_worker_whose_settings_cannot_work_stops_at_start_saying_why(tmp_path, redis_server):
    env = worker_env(
        redis_server.url, LLM_PROVIDER="bedrock", JOB_TIME_LIMIT="8", AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="y",
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "worker", "-A", "worker.app", "worker", "-P", "gevent",
         "-Q", "interactive", "-n", "misconfigured@%h"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "JOB_TIME_LIMIT=8" in done.stdout + done.stderr


def test_a_turn_a_worker_cannot_run_fails_at_once_not_forever(app, client):
    from worker import tasks

    accepted = post_turn(client, "hello", path="/api/generate-invoice").get_json()
    broken = ConfigurationError("LLM_PROVIDER cannot be used here")
    stores = app.extensions["invoice_agent"].stores
    with (
        mock.patch.object(tasks, "runner", side_effect=broken),
        mock.patch.object(tasks, "stores", return_value=stores),
    ):
        assert tasks.run_turn.run(accepted["job_id"]) == "failed"
    job = client.get(f"/api/jobs/{accepted['job_id']}").get_json()
    assert job["status"] == "failed" and job["error"]["code"] == "configuration_error"
