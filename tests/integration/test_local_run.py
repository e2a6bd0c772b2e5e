"""`make run` (scripts/run.py): private by default, Flower behind a password, crashes healed."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, answers, free_port, wait_until, worker_env

pytestmark = pytest.mark.integration

KEY = "key-local-run-7f3e"


def listening_addresses(port: int) -> set[str]:
    """The local addresses something listens on at `port` (IPv4, from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, _, hex_port = local.partition(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
            found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


@pytest.fixture
def local_run(tmp_path, redis_server):
    port, flower_port = free_port(), free_port()
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    env = worker_env(
        redis_server.url,
        PORT=str(port),
        FLOWER_PORT=str(flower_port),
        RUN_DIR=str(tmp_path / "run"),
        LLM_PROVIDER="offline",
        API_KEYS=KEY,
        WEB_CONCURRENCY="1",
        WORKER_CONCURRENCY="4",
        PROMETHEUS_MULTIPROC_DIR=str(metrics),
    )
    env.pop("FLOWER_BASIC_AUTH", None)
    env.pop("HOST", None)
    log_path = tmp_path / "run.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "scripts/run.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(f"{base}/api/health"), timeout=60, message="the API")
        wait_until(lambda: " ready." in log_path.read_text(errors="replace"), timeout=60)
        yield {
            "base": base,
            "flower": f"http://127.0.0.1:{flower_port}",
            "ports": (port, flower_port),
            "log": log_path,
            "run_dir": tmp_path / "run",
        }
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def spawned_pids(log_path, name: str) -> list[int]:
    return [
        int(pid)
        for pid in re.findall(rf"spawned: '{name}' with pid (\d+)", log_path.read_text("utf-8"))
    ]


def test_everything_listens_on_loopback_and_flower_wants_a_password(local_run):
    for port in local_run["ports"]:
        assert listening_addresses(port) == {"127.0.0.1"}

    password_file = local_run["run_dir"] / "flower-password"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert str(password_file) in local_run["log"].read_text()  # says where the password is
    password = password_file.read_text().strip()
    assert len(password) >= 20

    flower = local_run["flower"]
    wait_until(lambda: answers(f"{flower}/healthcheck"), timeout=30, message="flower")
    assert requests.get(f"{flower}/", timeout=10).status_code == 401
    assert requests.get(f"{flower}/", auth=("admin", "wrong"), timeout=10).status_code == 401
    assert requests.get(f"{flower}/", auth=("admin", password), timeout=10).status_code == 200


def test_a_killed_worker_is_restarted_and_the_api_keeps_serving(local_run):
    log = local_run["log"]
    pids = spawned_pids(log, "worker")
    assert len(pids) == 1, log.read_text()
    worker_pid = pids[0]
    os.kill(worker_pid, signal.SIGKILL)

    wait_until(lambda: len(spawned_pids(log, "worker")) == 2, timeout=30, message="a restart")
    text = log.read_text()
    assert "exited: worker (terminated by SIGKILL; not expected)" in text
    assert len(spawned_pids(log, "api")) == 1  # the API was never stopped
    assert requests.get(local_run["base"] + "/api/health", timeout=5).status_code == 200

    headers = {"X-API-Key": KEY}
    accepted = requests.post(
        local_run["base"] + "/api/generate-invoice",
        json={"message": "Invoice Acme Corp for 2 hours of consulting at $100/h"},
        headers=headers,
        timeout=10,
    ).json()
    job = requests.get(
        local_run["base"] + accepted["status_url"] + "?wait=30", headers=headers, timeout=40
    ).json()
    assert job["status"] == "succeeded", job
    assert job["result"]["invoice"]["total"] == "200.00"
