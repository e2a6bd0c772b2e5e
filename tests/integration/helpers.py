"""Helpers for driving turns through the HTTP API."""

from __future__ import annotations

import time


def post_turn(client, message, session_id=None, path="/api/chat", headers=None):
    body = {"message": message}
    if session_id:
        body["session_id"] = session_id
    return client.post(path, json=body, headers=headers or {})


def finished_job(client, job_id, headers=None, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}?wait=5", headers=headers or {}).get_json()
        if job["status"] in ("succeeded", "failed"):
            return job
    raise AssertionError(f"job {job_id} did not finish in {timeout}s")


def run_turn(client, message, session_id=None, path="/api/chat", headers=None):
    accepted = post_turn(client, message, session_id, path, headers)
    assert accepted.status_code == 202, accepted.get_json()
    return accepted.get_json(), finished_job(client, accepted.get_json()["job_id"], headers)
