"""Redis killed and restarted (append-only file on) under a live API and a busy worker."""

from __future__ import annotations

import time

import pytest

from api import create_app
from tests.conftest import make_settings, wait_until
from tests.faults.support import FINAL, GENERATE, HttpClient, check_session
from tests.integration.helpers import finished_job, post_turn, run_turn
from tests.support.providers import draft, script

pytestmark = pytest.mark.integration

# Longer than the turn in flight, and than the worker's first reconnect waits (2 s, then 4 s).
# A worker that froze while it reconnected (fixed: worker/__main__.py) would spend the turn's
# whole 8 s limit frozen, and the turn would fail with turn_timeout.
OUTAGE_SECONDS = 9
SHORT_OUTAGE_SECONDS = 5
TIGHT_LIMITS = {"JOB_VISIBILITY_TIMEOUT": "10", "JOB_TIME_LIMIT": "8"}
KEPT = ("session_id", "created_at", "messages", "invoice", "token_count", "usage")


def test_redis_restart_loses_no_session_and_leaves_no_job_running(
    durable_redis, live_api, start_worker, figures
):
    env = {
        "REDIS_URL": durable_redis.url,
        "TURN_RATE_LIMIT": "100000/minute",
        "READ_RATE_LIMIT": "100000/minute",
    }
    api = HttpClient(live_api(**env).base_url, timeout=30)
    start_worker("steady", **TIGHT_LIMITS, **env)

    expected: dict[str, list[tuple[str, str]]] = {}
    for n in range(3):
        sid = None
        for t in range(2):
            message = script(reply=f"session {n}, turn {t}", invoice=draft(buyer=f"Client {n}"))
            created, job = run_turn(api, message, sid, path=GENERATE if t == 0 else "/api/chat")
            assert job["status"] == "succeeded"
            sid = created["session_id"]
            expected.setdefault(sid, []).append((message, f"session {n}, turn {t}"))
    before = {sid: _kept(api.get(f"/api/session/{sid}").get_json()) for sid in expected}

    busy_sid = next(iter(expected))
    slow = script(sleep=2.5, reply="written after the outage", invoice=draft(buyer="Late Ltd"))
    in_flight = post_turn(api, slow, busy_sid).get_json()
    wait_until(lambda: api.get(in_flight["status_url"]).get_json()["status"] == "running")

    durable_redis.kill()
    answers: list[tuple[str, int, str | None]] = []
    down_until = time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < down_until:
        for what, response in (
            ("new turn", post_turn(api, script(reply="never"), path=GENERATE)),
            ("chat", post_turn(api, script(reply="never"), busy_sid)),
            ("session", api.get(f"/api/session/{busy_sid}")),
            ("job", api.get(in_flight["status_url"])),
            ("health", api.get("/api/health")),
        ):
            body = response.get_json()
            code = body.get("redis") if what == "health" else (body.get("error") or {}).get("code")
            answers.append((what, response.status_code, code))
        time.sleep(0.2)
    durable_redis.start()  # same port, same directory: it replays its append-only file

    assert {(status, code) for what, status, code in answers if what != "health"} == {
        (503, "unavailable")
    }
    assert {(status, code) for what, status, code in answers if what == "health"} == {
        (503, "disconnected")
    }

    # The API recovers by itself, and every session written before the outage is intact.
    wait_until(lambda: api.get("/api/health").status_code == 200, timeout=30)
    for sid, kept in before.items():
        if sid != busy_sid:
            session = api.get(f"/api/session/{sid}").get_json()
            assert _kept(session) == kept
            check_session(session, expected[sid])

    # The turn whose worker could not write while Redis was away ends, exactly once.
    job = finished_job(api, in_flight["job_id"], timeout=90)
    assert job["status"] == "succeeded", job
    expected[busy_sid].append((slow, "written after the outage"))
    session = api.get(f"/api/session/{busy_sid}").get_json()
    check_session(session, expected[busy_sid])
    assert session["messages"][:-2] == before[busy_sid]["messages"]  # the earlier turns intact
    assert session["invoice"]["buyer"]["name"] == "Late Ltd"

    # Nothing is left queued or running, and new turns work.
    _, after = run_turn(api, script(reply="after", invoice=draft()), path=GENERATE)
    assert after["status"] == "succeeded"
    jobs = [api.get(f"/api/jobs/{job_id}").get_json() for job_id in _job_ids(durable_redis)]
    assert {j["status"] for j in jobs} <= set(FINAL)
    figures(
        outage_seconds=OUTAGE_SECONDS,
        requests_during_outage=len(answers),
        answered_503=sum(status == 503 for _, status, _ in answers),
        sessions_before=len(before),
        sessions_intact=len(before),
        in_flight_turn=job["status"],
        in_flight_attempts=_attempts(durable_redis, in_flight["job_id"]),
        jobs_left_unfinished=0,
    )


@pytest.mark.rabbitmq
def test_with_rabbitmq_as_broker_a_turn_waits_out_the_redis_outage(
    durable_redis, start_worker, figures, rabbitmq_vhost
):
    # The broker stays up, so the worker's own retry (worker/tasks.py) carries the turn.
    settings = make_settings(durable_redis.url, celery_broker_url=rabbitmq_vhost)
    client = create_app(settings).test_client()
    start_worker(
        "amqp", **TIGHT_LIMITS, REDIS_URL=durable_redis.url, CELERY_BROKER_URL=rabbitmq_vhost
    )
    slow = script(sleep=2.5, reply="written after the outage", invoice=draft())
    accepted = post_turn(client, slow, path=GENERATE).get_json()
    wait_until(lambda: client.get(accepted["status_url"]).get_json()["status"] == "running")

    durable_redis.kill()
    time.sleep(SHORT_OUTAGE_SECONDS)
    durable_redis.start()

    job = finished_job(client, accepted["job_id"], timeout=60)
    assert job["status"] == "succeeded", job["error"]
    session = client.get(f"/api/session/{accepted['session_id']}").get_json()
    check_session(session, [(slow, "written after the outage")])
    attempts = _attempts(durable_redis, accepted["job_id"])
    assert attempts >= 2  # the write failed, and a later attempt made it
    figures(outage_seconds=SHORT_OUTAGE_SECONDS, in_flight_turn=job["status"], attempts=attempts)


def _kept(session: dict) -> dict:
    return {key: session[key] for key in KEPT}


def _job_ids(server) -> list[str]:
    import redis

    client = redis.Redis.from_url(server.url, decode_responses=True)
    try:
        return [key.split(":")[1] for key in client.scan_iter("job:*") if key.count(":") == 1]
    finally:
        client.close()


def _attempts(server, job_id: str) -> int:
    import redis

    client = redis.Redis.from_url(server.url, decode_responses=True)
    try:
        return int(client.hget(f"job:{job_id}", "attempts"))
    finally:
        client.close()
