"""Redis replication is asynchronous: a failover can lose the last writes acknowledged by the
old primary. The write that matters most is a turn's apply. Lost, the job would read "running"
forever; instead it is handed back and run again, and applied once."""

from __future__ import annotations

import time

import pytest

from tests.conftest import wait_until
from tests.faults.support import GENERATE
from tests.integration.helpers import finished_job, post_turn
from tests.support.providers import draft, script

pytestmark = pytest.mark.integration


def test_a_turn_whose_apply_was_lost_runs_again_and_is_applied_once(
    client, redis_client, start_worker, figures
):
    start_worker("survivor")
    accepted = post_turn(
        client, script(sleep=2, reply="written twice?", invoice=draft()), path=GENERATE
    ).get_json()
    sid, job_id = accepted["session_id"], accepted["job_id"]
    keys = [f"session:{sid}", f"session:{sid}:messages", f"job:{job_id}"]
    wait_until(lambda: redis_client.hget(keys[2], "status") == "running")
    # what a replica promoted now would hold: the turn running, its result not yet written
    before = {key: (redis_client.dump(key), redis_client.pttl(key)) for key in keys}
    assert finished_job(client, job_id)["status"] == "succeeded"

    for key, (value, ttl) in before.items():  # the failover: the apply is lost
        if value is None:
            redis_client.delete(key)
        else:
            redis_client.restore(key, max(ttl, 60_000), value, replace=True)
    redis_client.hset("jobs:running", job_id, redis_client.hget(keys[2], "worker"))
    lost = time.monotonic()
    assert redis_client.hget(keys[2], "status") == "running"

    job = wait_until(
        lambda: (j := client.get(f"/api/jobs/{job_id}").get_json())["status"] == "succeeded" and j,
        timeout=90,
        interval=0.5,
        message="the turn to run again",
    )
    session = client.get(f"/api/session/{sid}").get_json()
    assert [m["content"] for m in session["messages"]][1:] == ["written twice?"]
    assert job["result"]["reply"] == "written twice?"
    figures(seconds_to_run_again=round(time.monotonic() - lost, 1),
            attempts=int(redis_client.hget(keys[2], "attempts")))  # fmt: skip
