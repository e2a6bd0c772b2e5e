"""GET /api/jobs/{id}: status, result, error, and the ?wait= long-poll."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest

from tests.support.api import assert_error, cl100k_tokens, run_job, start_turn
from tests.support.providers import draft, script

JOB_KEYS = {
    "job_id",
    "session_id",
    "status",
    "created_at",
    "started_at",
    "finished_at",
    "result",
    "error",
}


def parse_time(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def finish_later(app, job_id: str, delay: float) -> threading.Thread:
    """Run the job in-process from another thread after `delay` seconds."""
    outcome: list[str] = []

    def finish():
        time.sleep(delay)
        outcome.append(run_job(app, job_id))

    thread = threading.Thread(target=finish, daemon=True)
    thread.outcome = outcome
    thread.start()
    return thread


def test_queued_job(client):
    accepted = start_turn(client, "hello")

    response = client.get(f"/api/jobs/{accepted['job_id']}")

    assert response.status_code == 200
    job = response.get_json()
    assert set(job) == JOB_KEYS
    assert job["job_id"] == accepted["job_id"]
    assert job["session_id"] == accepted["session_id"]
    assert job["status"] == "queued"
    parse_time(job["created_at"])
    assert job["started_at"] is None and job["finished_at"] is None
    assert job["result"] is None and job["error"] is None
    assert "hello" not in response.get_data(as_text=True)  # the job shows no stored message


def test_running_job(app, client):
    accepted = start_turn(client, "hello")
    app.extensions["invoice_agent"].stores.jobs.start_job(accepted["job_id"])

    job = client.get(f"/api/jobs/{accepted['job_id']}").get_json()

    assert job["status"] == "running"
    assert parse_time(job["started_at"]) >= parse_time(job["created_at"])
    assert job["finished_at"] is None and job["result"] is None


def test_succeeded_job_carries_reply_and_priced_invoice(app, client):
    accepted = start_turn(client, script(reply="Here is your invoice.", invoice=draft()))
    assert run_job(app, accepted["job_id"]) == "applied"

    job = client.get(f"/api/jobs/{accepted['job_id']}").get_json()

    assert job["status"] == "succeeded"
    assert job["error"] is None
    assert parse_time(job["created_at"]) <= parse_time(job["started_at"])
    assert parse_time(job["started_at"]) <= parse_time(job["finished_at"])
    result = job["result"]
    assert set(result) == {"reply", "invoice", "token_count", "token_zone", "warning"}
    assert result["reply"] == "Here is your invoice."
    assert result["invoice"]["number"] is None and result["invoice"]["status"] == "draft"
    assert result["invoice"]["total"] == "6480.00"  # 40 × 150.00 + 8 % tax
    assert result["token_count"] == accepted["token_count"] + cl100k_tokens("Here is your invoice.")
    assert result["token_zone"] == "green"
    assert result["warning"] is None


def test_failed_job_carries_the_error(app, client):
    accepted = start_turn(client, script(**{"raise": "permanent"}))
    assert run_job(app, accepted["job_id"]) == "failed"

    job = client.get(f"/api/jobs/{accepted['job_id']}").get_json()

    assert job["status"] == "failed"
    assert job["result"] is None
    assert job["error"]["code"] == "provider_error"
    assert job["error"]["message"] == "The scripted provider refused, as scripted."
    assert job["finished_at"] is not None


def test_invalid_invoice_from_the_provider_fails_the_job(app, client):
    bad = draft(items=(("Consulting", "-3", "150.00"),))
    accepted = start_turn(client, script(invoice=bad))
    assert run_job(app, accepted["job_id"]) == "failed"

    job = client.get(f"/api/jobs/{accepted['job_id']}").get_json()

    assert job["status"] == "failed"
    assert job["error"]["code"] == "invalid_invoice"
    invoice = client.get(f"/api/session/{accepted['session_id']}/invoice")
    assert_error(invoice, 404, "no_invoice")


def test_red_zone_result_carries_a_warning(make_app):
    app = make_app(token_limit=50, token_warn=40)
    client = app.test_client()
    accepted = start_turn(client, " ".join(["invoice"] * 38))
    run_job(app, accepted["job_id"])

    result = client.get(f"/api/jobs/{accepted['job_id']}").get_json()["result"]

    assert result["token_count"] >= 40
    assert result["token_zone"] == "red"
    assert "new session" in result["warning"].lower()


def test_unknown_job_is_404(client):
    error = assert_error(
        client.get("/api/jobs/0123456789abcdef0123456789abcdef"), 404, "job_not_found"
    )
    assert "job" in error["message"].lower()


def test_unknown_job_with_wait_answers_at_once(client):
    started = time.monotonic()

    response = client.get("/api/jobs/0123456789abcdef0123456789abcdef?wait=5")

    assert_error(response, 404, "job_not_found")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("wait", ["31", "-1", "soon"])
def test_wait_out_of_range_is_422(client, wait):
    accepted = start_turn(client, "hello")

    response = client.get(f"/api/jobs/{accepted['job_id']}?wait={wait}")

    error = assert_error(response, 422, "validation_error")
    assert set(error["details"]) == {"wait"}
    assert isinstance(error["details"]["wait"], list) and error["details"]["wait"]


def test_wait_on_a_queued_job_returns_after_the_wait_still_queued(client):
    accepted = start_turn(client, "hello")
    started = time.monotonic()

    response = client.get(f"/api/jobs/{accepted['job_id']}?wait=2")

    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.get_json()["status"] == "queued"
    assert 1.5 <= elapsed < 10


def test_wait_returns_promptly_when_the_job_finishes(app, client):
    accepted = start_turn(client, script(reply="Done.", invoice=draft()))
    finisher = finish_later(app, accepted["job_id"], 0.5)
    started = time.monotonic()

    response = client.get(f"/api/jobs/{accepted['job_id']}?wait=20")

    elapsed = time.monotonic() - started
    finisher.join(10)
    assert finisher.outcome == ["applied"]
    assert response.status_code == 200
    job = response.get_json()
    assert job["status"] == "succeeded"
    assert job["result"]["invoice"]["total"] == "6480.00"
    assert 0.4 <= elapsed < 8


def test_every_waiter_wakes_when_the_job_finishes(app):
    accepted = start_turn(app.test_client(), "hello")
    answers: list[tuple[float, str]] = []

    def poll():
        started = time.monotonic()
        body = app.test_client().get(f"/api/jobs/{accepted['job_id']}?wait=20").get_json()
        answers.append((time.monotonic() - started, body["status"]))

    pollers = [threading.Thread(target=poll, daemon=True) for _ in range(3)]
    for poller in pollers:
        poller.start()
    finisher = finish_later(app, accepted["job_id"], 0.7)
    for thread in (*pollers, finisher):
        thread.join(15)

    assert len(answers) == 3
    assert all(status == "succeeded" for _, status in answers), answers
    assert all(elapsed < 8 for elapsed, _ in answers), answers


def test_wait_on_a_finished_job_answers_at_once(app, client):
    accepted = start_turn(client, "hello")
    run_job(app, accepted["job_id"])
    started = time.monotonic()

    response = client.get(f"/api/jobs/{accepted['job_id']}?wait=30")

    assert response.get_json()["status"] == "succeeded"
    assert time.monotonic() - started < 2


def test_rerunning_a_finished_job_changes_nothing(app, client):
    accepted = start_turn(client, "hello")
    assert run_job(app, accepted["job_id"]) == "applied"
    before = client.get(f"/api/session/{accepted['session_id']}").get_json()

    assert run_job(app, accepted["job_id"]) == "skipped"  # a redelivery

    after = client.get(f"/api/session/{accepted['session_id']}").get_json()
    assert after["messages"] == before["messages"]
    assert after["token_count"] == before["token_count"]
