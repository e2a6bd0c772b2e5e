"""kill -9 of the worker in the middle of turns, again and again: nothing is lost or doubled."""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import time

import pytest
import redis

from api import create_app
from tests.conftest import make_settings, wait_until
from tests.faults.support import CHAT, GENERATE, check_session
from tests.integration.helpers import finished_job, post_turn, run_turn
from tests.support.providers import draft, script

pytestmark = pytest.mark.integration

SESSIONS = 8
ROUNDS = 3
# A short visibility timeout brings a killed worker's jobs back within seconds.
QUICK_REDELIVERY = {"JOB_VISIBILITY_TIMEOUT": "4", "JOB_TIME_LIMIT": "3"}


def test_workers_killed_mid_turn_lose_and_double_nothing(
    client, start_worker, redis_client, figures
):
    rng = random.Random(20)
    worker = start_worker("w0", **QUICK_REDELIVERY)
    sessions: list[str | None] = [None] * SESSIONS
    expected: list[list[tuple[str, str]]] = [[] for _ in range(SESSIONS)]
    job_ids: list[str] = []
    kills = running_at_kill = 0

    for round_no in range(ROUNDS):
        accepted = []
        for s in range(SESSIONS):
            reply = f"session {s}, turn {round_no}: done"
            message = script(
                sleep=round(rng.uniform(0.3, 1.4), 2),
                reply=reply,
                invoice=draft(buyer=f"Client {s}", items=((f"Turn {round_no}", "1", "10.00"),)),
            )
            path = GENERATE if round_no == 0 else CHAT
            response = post_turn(client, message, sessions[s], path)
            assert response.status_code == 202, response.get_json()
            sessions[s] = response.get_json()["session_id"]
            accepted.append(response.get_json()["job_id"])
            expected[s].append((message, reply))
        job_ids += accepted

        # Kill at a different point of each round, once every turn has reached the worker
        # (a job killed on its way in is the next test): some turns may have
        # finished, most are mid-sleep.
        wait_until(lambda ids=accepted: _all_started(redis_client, ids, attempt=1))
        time.sleep(rng.uniform(0.2, 0.9) if round_no < ROUNDS - 1 else 0)
        running_at_kill += _statuses(redis_client, accepted).count("running")
        worker.kill()
        kills += 1
        worker = start_worker(f"w{round_no + 1}", **QUICK_REDELIVERY)

        if round_no == ROUNDS - 1:
            # and once more while the rescuer is running the redelivered turns
            wait_until(lambda ids=accepted: _all_started(redis_client, ids, attempt=2), timeout=60)
            running_at_kill += _statuses(redis_client, accepted).count("running")
            worker.kill()
            kills += 1
            worker = start_worker("last", **QUICK_REDELIVERY)

        for job_id in accepted:
            job = finished_job(client, job_id, timeout=90)
            assert job["status"] == "succeeded", job

    for s, sid in enumerate(sessions):
        session = client.get(f"/api/session/{sid}").get_json()
        check_session(session, expected[s])
        assert session["invoice"]["buyer"]["name"] == f"Client {s}"
        assert session["invoice"]["items"][0]["description"] == f"Turn {ROUNDS - 1}"
    attempts = [int(redis_client.hget(f"job:{j}", "attempts")) for j in job_ids]
    assert all(a >= 1 for a in attempts)
    figures(
        sessions=SESSIONS,
        turns=len(job_ids),
        kills=kills,
        turns_running_at_a_kill=running_at_kill,
        turns_run_more_than_once=sum(a > 1 for a in attempts),
        max_attempts=max(attempts),
        turns_lost=0,
        replies_stored_twice=0,
    )


def _statuses(redis_client, job_ids: list[str]) -> list[str]:
    return [redis_client.hget(f"job:{j}", "status") for j in job_ids]


def _all_started(redis_client, job_ids: list[str], *, attempt: int) -> bool:
    """Every job is final, or running in its `attempt`-th (or a later) delivery."""
    for job_id in job_ids:
        status, attempts = redis_client.hmget(f"job:{job_id}", "status", "attempts")
        if status not in ("succeeded", "failed") and (
            status != "running" or int(attempts) < attempt
        ):
            return False
    return True


def test_a_job_taken_by_a_worker_killed_before_it_recorded_it_is_sent_again(
    client, start_worker, redis_client, figures
):
    # kombu's Redis transport takes a message with BRPOP (Redis removes it from the queue as
    # it answers) and only then writes it to `unacked`, the list redelivery restores from. A
    # worker killed between the two loses the message, and only the janitor's re-send of jobs
    # still queued (worker/redelivery.py) brings the turn back. Freezing the worker (SIGSTOP)
    # while it blocks in BRPOP makes that window as wide as we like.
    sleeper = start_worker("frozen", **QUICK_REDELIVERY)
    _, first = run_turn(client, script(reply="first", invoice=draft()), path=GENERATE)
    sid = first["session_id"]
    for _attempt in range(20):
        os.killpg(sleeper.process.pid, signal.SIGSTOP)
        if not _blocked_in_brpop(redis_client):
            os.killpg(sleeper.process.pid, signal.SIGCONT)
            time.sleep(0.05)
            continue
        accepted = post_turn(client, script(reply="second"), sid).get_json()
        if redis_client.llen("interactive") == 0:  # taken by the frozen worker's BRPOP
            break
        os.killpg(sleeper.process.pid, signal.SIGCONT)  # too late: it stays in the queue
        finished_job(client, accepted["job_id"])
    else:
        pytest.fail("the worker was never caught blocked in BRPOP")
    sleeper.kill()  # SIGKILL: the frozen worker never reads its BRPOP answer

    job_id = accepted["job_id"]
    figures(
        message_in_queue_after_kill=job_id in _jobs_in_broker(redis_client)[0],
        message_in_unacked_after_kill=job_id in _jobs_in_broker(redis_client)[1],
        job_status_after_kill=redis_client.hget(f"job:{job_id}", "status"),
    )
    assert job_id not in set().union(*_jobs_in_broker(redis_client))  # the message is gone
    start_worker("rescuer", **QUICK_REDELIVERY)
    job = finished_job(client, job_id, timeout=60)
    assert job["status"] == "succeeded"
    _, third = run_turn(client, script(reply="third"), sid)
    assert third["status"] == "succeeded"
    session = client.get(f"/api/session/{sid}").get_json()
    assert [m["content"] for m in session["messages"][1::2]] == ["first", "second", "third"]


def _blocked_in_brpop(redis_client) -> bool:
    return any(c["cmd"] == "brpop" and "b" in c["flags"] for c in redis_client.client_list())


def _jobs_in_broker(redis_client) -> tuple[set[str], set[str]]:
    """The job ids of the messages waiting in the queue, and of those in kombu's `unacked`."""

    def job_id(message: dict) -> str:
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        return args[0]

    queued = {job_id(json.loads(raw)) for raw in redis_client.lrange("interactive", 0, -1)}
    unacked = {job_id(json.loads(raw)[0]) for raw in redis_client.hvals("unacked")}
    return queued, unacked


@pytest.mark.parametrize(
    "broker",
    ["redis", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)],
)
def test_a_killed_workers_turn_runs_again_within_seconds_with_default_settings(
    broker, request, redis_server, redis_client, start_worker, figures
):
    # Default JOB_VISIBILITY_TIMEOUT (900 s): the broker alone would bring the turn back only
    # after a quarter of an hour (Redis). The dead worker's heartbeat going stale does it.
    broker_url = request.getfixturevalue("rabbitmq_vhost") if broker == "rabbitmq" else ""
    settings = make_settings(redis_server.url, celery_broker_url=broker_url)
    client = create_app(settings).test_client()
    env = {"CELERY_BROKER_URL": broker_url}
    doomed = start_worker("doomed", **env)
    accepted = post_turn(
        client, script(sleep=6, reply="finished elsewhere", invoice=draft()), path=GENERATE
    ).get_json()
    job_key = f"job:{accepted['job_id']}"
    store = redis.Redis.from_url(redis_server.url, decode_responses=True)
    holder = wait_until(lambda: store.hget(job_key, "worker"), message="the turn to start")
    assert holder.endswith(f":{doomed.process.pid}")
    start_worker("rescuer", **env)  # ready before the kill: only the hand-back is timed

    doomed.kill()
    killed = time.monotonic()
    wait_until(lambda: int(store.hget(job_key, "attempts")) >= 2, timeout=120)
    running_again = time.monotonic() - killed
    job = finished_job(client, accepted["job_id"], timeout=60)

    assert job["status"] == "succeeded" and job["result"]["reply"] == "finished elsewhere"
    session = client.get(f"/api/session/{accepted['session_id']}").get_json()
    assert len(session["messages"]) == 2  # applied once
    figures(broker=broker, seconds_from_kill_to_running_again=round(running_again, 1))
