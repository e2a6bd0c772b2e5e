"""What operators rely on: Flower, traceable logs, truthful health, graceful shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import requests

from api import create_app
from tests.conftest import (
    ROOT,
    RedisServer,
    answers,
    free_port,
    make_settings,
    wait_until,
    worker_env,
)
from tests.integration.helpers import finished_job, post_turn, run_turn
from tests.support.providers import draft, script

pytestmark = pytest.mark.integration


def json_lines(path) -> list[dict]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def test_flower_shows_the_worker_and_finished_turns(tmp_path, client, redis_server, start_worker):
    start_worker("watched")
    port = free_port()
    env = worker_env(redis_server.url, FLOWER_BASIC_AUTH="ops:s3cret")
    with open(tmp_path / "flower.log", "wb") as log:
        flower = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker.app",
                "flower",
                f"--port={port}",
                "--address=127.0.0.1",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base, auth = f"http://127.0.0.1:{port}", ("ops", "s3cret")
        wait_until(lambda: answers(f"{base}/healthcheck"), timeout=30, message="flower")
        # Flower listens to task events from when it connects: wait until it hears some
        wait_until(
            lambda: run_turn(client, "warm-up") and _finished_tasks(base, auth),
            timeout=30,
            message="flower to receive task events",
        )
        created, job = run_turn(client, script(invoice=draft()))
        assert job["status"] == "succeeded"

        assert requests.get(f"{base}/api/workers", timeout=10).status_code == 401
        ours = wait_until(
            lambda: [
                t
                for t in _finished_tasks(base, auth)
                if t["name"] == "invoice_agent.run_turn" and created["job_id"] in t["args"]
            ],
            timeout=30,
            message="the turn in flower",
        )
        assert ours[0]["args"] == repr([created["job_id"]])  # ids only, no message text
        workers = requests.get(f"{base}/api/workers?refresh=1", auth=auth, timeout=20).json()
        assert any(name.startswith("watched@") for name in workers)
    finally:
        flower.terminate()
        flower.wait(20)


def _finished_tasks(base: str, auth) -> list[dict]:
    tasks = requests.get(f"{base}/api/tasks", auth=auth, timeout=10).json().values()
    return [t for t in tasks if t.get("state") == "SUCCESS"]


def test_a_turns_logs_carry_one_request_id_through_api_and_worker(tmp_path, live_api, start_worker):
    worker = start_worker("traced")
    api = live_api()
    accepted = requests.post(
        api.url("/api/chat"),
        headers={"X-Request-ID": "trace-4711"},
        json={"message": script(invoice=draft())},
        timeout=10,
    ).json()
    job = requests.get(api.url(accepted["status_url"]) + "?wait=30", timeout=40).json()
    assert job["status"] == "succeeded"

    api_lines = [line for path in tmp_path.glob("gunicorn-*.log") for line in json_lines(path)]
    accepted_line = next(line for line in api_lines if line.get("route") == "/api/chat")
    assert accepted_line["request_id"] == "trace-4711"
    assert accepted_line["job_id"] == accepted["job_id"] and accepted_line["status"] == 202
    finished = wait_until(  # the worker writes its line just after the result
        lambda: next(
            (line for line in json_lines(worker.log_path) if line.get("event") == "turn finished"),
            None,
        ),
        timeout=10,
        message="the worker's log line",
    )
    worker_lines = json_lines(worker.log_path)
    assert finished["request_id"] == "trace-4711" and finished["job_id"] == accepted["job_id"]
    assert finished["session_id"] == accepted["session_id"] and finished["outcome"] == "applied"
    everything = api.process and "\n".join(json.dumps(line) for line in api_lines + worker_lines)
    assert "Acme Corp" not in everything  # message text is never logged


def test_health_follows_redis_down_and_back_without_a_restart(tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        client = create_app(make_settings(redis.url)).test_client()
        assert client.get("/api/health").status_code == 200

        redis.stop()
        down = client.get("/api/health")
        assert down.status_code == 503
        assert down.get_json()["status"] == "unhealthy"
        assert down.get_json()["redis"] == "disconnected"
        refused = client.post("/api/chat", json={"message": "hello"})
        assert refused.status_code == 503 and refused.get_json()["error"]["code"] == "unavailable"

        redis.start()  # same port
        back = client.get("/api/health")
        assert back.status_code == 200 and back.get_json()["redis"] == "connected"
        assert client.post("/api/chat", json={"message": "hello"}).status_code == 202
    finally:
        redis.stop()


def test_sigterm_lets_a_running_turn_finish(client, start_worker):
    worker = start_worker("deploying")
    accepted = post_turn(client, script(sleep=3, reply="finished anyway")).get_json()
    wait_until(lambda: client.get(accepted["status_url"]).get_json()["status"] == "running")

    os.killpg(worker.process.pid, signal.SIGTERM)  # a deploy stops the worker
    worker.process.wait(60)

    job = finished_job(client, accepted["job_id"], timeout=5)
    assert job["status"] == "succeeded" and job["result"]["reply"] == "finished anyway"
    session = client.get(f"/api/session/{accepted['session_id']}").get_json()
    assert len(session["messages"]) == 2


class PasswordRedis(RedisServer):
    """A private redis-server that wants a password, as production ones do."""

    password = "redis-pass-7c1d9e"
    persistence = ("--appendonly", "no", "--requirepass", password)

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis as redis_py

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             *self.persistence, "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis_py.Redis.from_url(self.url, socket_connect_timeout=0.2)
        wait_until(lambda: _pings(client), timeout=30, message="redis-server to answer")


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


SECRETS = {
    "API_KEYS": "key-alpha-5be1f0,key-beta-a9d33c",
    "FLOWER_BASIC_AUTH": "ops:flower-pass-2f6b81",
}
SECRET_TEXTS = ("key-alpha-5be1f0", "key-beta-a9d33c", "flower-pass-2f6b81", PasswordRedis.password)


def test_no_secret_reaches_flower_or_the_logs(tmp_path):
    redis_server = PasswordRedis(tmp_path)
    redis_server.start()
    env = worker_env(redis_server.url, **SECRETS)
    worker_log = tmp_path / "worker.log"
    from tests.conftest import WorkerProcess

    worker = WorkerProcess(env, worker_log, "guarded").start()
    port = free_port()
    flower_log = tmp_path / "flower.log"
    with open(flower_log, "wb") as log:
        flower = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker.app", "flower",
             f"--port={port}", "--address=127.0.0.1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        base, auth = f"http://127.0.0.1:{port}", ("ops", "flower-pass-2f6b81")
        wait_until(lambda: answers(f"{base}/healthcheck"), timeout=30, message="flower")
        workers = wait_until(
            lambda: requests.get(f"{base}/api/workers?refresh=1", auth=auth, timeout=20).json(),
            timeout=30,
            message="flower to see the worker",
        )
        name = next(name for name in workers if name.startswith("guarded@"))
        assert workers[name].get("conf"), "the worker's configuration was not inspected"
        pages = [
            json.dumps(workers),
            requests.get(f"{base}/worker/{name}", auth=auth, timeout=20).text,
            requests.get(f"{base}/api/workers", auth=auth, timeout=20).text,
        ]
        assert "broker_url" in pages[0]  # the configuration is shown, masked
        for text in (*pages, worker.output(), flower_log.read_text(errors="replace")):
            for secret in SECRET_TEXTS:
                assert secret not in text
    finally:
        flower.terminate()
        flower.wait(20)
        worker.stop()
        redis_server.stop()
