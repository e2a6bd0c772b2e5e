"""Full turns through HTTP and a real `celery worker` process (gevent pool), real Redis."""

from __future__ import annotations

import json
import time

import pytest
import requests

from api import create_app
from core.redis_model import messages_key, session_key
from tests.conftest import make_settings, wait_until
from tests.integration.helpers import finished_job, post_turn, run_turn
from tests.support.providers import draft, script

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(shared_worker):
    return shared_worker


def test_create_then_edit(client, worker):
    created, job = run_turn(
        client, script(reply="Created.", invoice=draft()), path="/api/generate-invoice"
    )
    assert job["status"] == "succeeded" and job["result"]["reply"] == "Created."
    assert job["result"]["invoice"]["total"] == "6480.00"
    sid = created["session_id"]

    edit = draft(items=[("Consulting", "40", "150.00"), ("Travel", "1", "200")])
    _, job = run_turn(client, script(reply="Added travel.", invoice=edit), sid)
    assert job["result"]["invoice"]["total"] == "6696.00"  # (6000 + 200) × 1.08
    assert job["result"]["invoice"]["number"] is None  # a draft: numbers come from issuing

    session = client.get(f"/api/session/{sid}").get_json()
    assert [m["role"] for m in session["messages"]] == ["user", "assistant"] * 2
    assert session["messages"][3]["content"] == "Added travel."
    assert session["invoice"] == job["result"]["invoice"] and session["pending_job_id"] is None
    assert session["token_count"] == sum(m["tokens"] for m in session["messages"])


def test_409_while_a_turn_runs_then_accepted(client, worker):
    first = post_turn(client, script(sleep=1.5, reply="slow")).get_json()
    wait_until(lambda: client.get(first["status_url"]).get_json()["status"] == "running")

    busy = post_turn(client, "next", first["session_id"])
    assert busy.status_code == 409
    assert busy.get_json()["error"]["code"] == "turn_in_progress"
    assert busy.get_json()["error"]["details"]["job_id"] == first["job_id"]

    assert finished_job(client, first["job_id"])["status"] == "succeeded"
    _, job = run_turn(client, "next", first["session_id"])
    assert job["result"]["reply"] == "echo: next"


def test_413_at_the_token_limit(redis_server, worker):
    client = create_app(
        make_settings(redis_server.url, token_limit=40, token_warn=20)
    ).test_client()
    created, job = run_turn(client, "one two three four five")  # 5 tokens + the echo's 9
    sid = created["session_id"]
    session = client.get(f"/api/session/{sid}").get_json()
    used = session["token_count"]

    refused = post_turn(client, "word " * (40 - used + 1), sid)
    assert refused.status_code == 413
    error = refused.get_json()["error"]
    assert error["code"] == "token_limit_exceeded" and "new session" in error["message"]
    assert error["details"]["token_count"] == used and error["details"]["token_limit"] == 40
    assert client.get(f"/api/session/{sid}").get_json()["messages"] == session["messages"]
    assert job["result"]["token_zone"] == "green"


def test_sessions_expire_when_idle_and_reading_keeps_them_alive(redis_server, worker):
    client = create_app(make_settings(redis_server.url, session_ttl_seconds=3)).test_client()
    created, _ = run_turn(client, "hello")
    sid = created["session_id"]

    for _ in range(3):  # 4.5 s in all, longer than the TTL: only the reads keep it alive
        time.sleep(1.5)
        assert client.get(f"/api/session/{sid}").status_code == 200
    time.sleep(3.5)
    gone = client.get(f"/api/session/{sid}")
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "session_not_found"
    refused = post_turn(client, "still there?", sid)
    assert refused.status_code == 404


def test_delete_while_a_job_runs_does_not_bring_the_session_back(client, worker, redis_client):
    accepted = post_turn(client, script(sleep=1.5, invoice=draft())).get_json()
    sid = accepted["session_id"]
    wait_until(lambda: client.get(accepted["status_url"]).get_json()["status"] == "running")

    assert client.delete(f"/api/session/{sid}").status_code == 204
    job = finished_job(client, accepted["job_id"])

    assert job["status"] == "failed" and job["error"]["code"] == "session_not_found"
    assert client.get(f"/api/session/{sid}").status_code == 404
    assert not redis_client.exists(session_key(sid), messages_key(sid))


def test_api_keys_isolate_owners(redis_server, worker):
    client = create_app(make_settings(redis_server.url, api_keys=("k1", "k2"))).test_client()
    alice, bob = {"X-API-Key": "k1"}, {"Authorization": "Bearer k2"}
    created, job = run_turn(client, script(invoice=draft()), headers=alice)
    sid, job_id = created["session_id"], created["job_id"]
    assert job["status"] == "succeeded"

    assert client.get(f"/api/jobs/{job_id}", headers=bob).status_code == 404
    assert client.get(f"/api/session/{sid}", headers=bob).get_json()["error"]["code"] == (
        "session_not_found"
    )
    assert post_turn(client, "mine now", sid, headers=bob).status_code == 404
    assert client.delete(f"/api/session/{sid}", headers=bob).status_code == 404
    assert client.get(f"/api/session/{sid}/invoice", headers=alice).get_json()["total"] == "6480.00"
    assert client.get(f"/api/session/{sid}").status_code == 401


def test_many_turns_in_flight_in_one_worker_process(client, worker):
    """Sixteen 3-second turns overlap in one process: the gevent pool runs them together.
    (Each lasts longer than posting all sixteen takes on a loaded machine: with 1-second
    turns, the first could finish before the last was posted.)"""
    accepted = [post_turn(client, script(sleep=3, reply=str(n))).get_json() for n in range(16)]
    jobs = [finished_job(client, a["job_id"]) for a in accepted]

    assert [j["result"]["reply"] for j in jobs] == [str(n) for n in range(16)]
    # every turn started before any finished: all sixteen were in flight at once
    assert max(j["started_at"] for j in jobs) < min(j["finished_at"] for j in jobs)


def test_the_procfile_commands_serve_a_turn_over_http(live_api, worker):
    """gunicorn with api/gunicorn.conf.py, as `make run` starts it, over a real socket."""
    api = live_api()
    accepted = requests.post(
        api.url("/api/generate-invoice"), timeout=10, json={"message": script(invoice=draft())}
    )
    assert accepted.status_code == 202
    job = requests.get(api.url(accepted.json()["status_url"]) + "?wait=20", timeout=30).json()
    assert job["status"] == "succeeded" and job["result"]["invoice"]["total"] == "6480.00"
    assert accepted.headers["X-Request-ID"]
    metrics = requests.get(api.url("/metrics"), timeout=10).text
    assert 'invoice_agent_http_requests_total{endpoint="/api/generate-invoice"' in metrics


def test_a_turn_logs_one_line_at_info(client, worker):
    _, job = run_turn(client, script(reply="Logged once."))
    job_id = job["job_id"]
    wait_until(lambda: job_id in worker.output(), message="the turn's log line")
    lines = [
        json.loads(line)
        for line in worker.output().splitlines()
        if line.startswith("{") and job_id in line
    ]
    assert [(line["logger"], line["event"]) for line in lines] == [("core.turns", "turn finished")]
    assert not [line for line in worker.output().splitlines() if "succeeded in" in line]
