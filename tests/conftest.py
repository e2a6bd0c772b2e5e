"""Shared fixtures: a private redis-server, settings, the app, and real worker processes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from flask import Flask

from core.settings import Settings

pytest_plugins = ("tests.support.records",)  # records_url, records: SQLite and PostgreSQL

ROOT = Path(__file__).resolve().parent.parent
# The records database of every app and worker a test starts without choosing one: a SQLite
# file of this test run, migrated once (tests/support/records.py), never the project's own.
TEST_DATABASE_DIR = Path(tempfile.mkdtemp(prefix="invoice-agent-test-records-"))
TEST_DATABASE_URL = f"sqlite:///{TEST_DATABASE_DIR / 'records.db'}"
SCRIPTED_PROVIDER = "tests.support.providers:ScriptedProvider"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.05, message=""):
    """`predicate()` once it is truthy; `message` (or a function giving it, called on time-out
    to say what the state was) names what was awaited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    said = message() if callable(message) else message
    raise AssertionError(f"timed out after {timeout}s waiting for {said or predicate}")


class RedisServer:
    """A private redis-server on a free port: tests never touch a developer's Redis."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    # Settings a subclass may change (tests/faults keeps data across restarts with the AOF).
    persistence: tuple[str, ...] = ("--appendonly", "no")

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.exit("redis-server is not installed: run `make test` (it installs it)", 2)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             *self.persistence, "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_until(lambda: _pings(client), timeout=30, message="redis-server to answer")
        client.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_client(redis_server) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def make_settings(redis_url: str, **overrides) -> Settings:
    base = {
        "redis_url": redis_url,
        "turn_rate_limit": "100000/minute",
        "read_rate_limit": "100000/minute",
        "llm_provider": SCRIPTED_PROVIDER,
        "frontend_dist": "/nonexistent",
        "database_url": TEST_DATABASE_URL,
    }
    base.update(overrides)
    return Settings.from_env({}, dotenv_path=None, **base)


@pytest.fixture
def settings(redis_server, redis_client) -> Settings:
    return make_settings(redis_server.url)


@pytest.fixture
def app(settings):
    from api import create_app

    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


class WorkerProcess:
    """A real `celery worker` process, as `make run` starts it."""

    def __init__(self, env: dict[str, str], log_path: Path, name: str):
        self.env = env
        self.log_path = log_path
        self.name = name
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "worker",  # python -m worker: gevent patches first (worker/__main__.py)
                "-A",
                "worker.app",
                "worker",
                "-P",
                "gevent",
                "--loglevel=INFO",
                "-n",
                f"{self.name}@%h",
                "-Q",
                "interactive,batch",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._ready, timeout=30, message=f"worker {self.name} to be ready")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited early:\n{self.output()}")
        return b" ready." in self.log_path.read_bytes()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group: no chance to hand anything back."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def terminate(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self) -> None:
        self.terminate()
        if self.process:
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def stop_all(workers: list[WorkerProcess]) -> None:
    """Stop workers in parallel: a gevent worker takes a few seconds to shut down."""
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.stop()


def worker_env(redis_url: str, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CELERY_"))}
    env.update(
        REDIS_URL=redis_url,
        LLM_PROVIDER=SCRIPTED_PROVIDER,
        WORKER_CONCURRENCY="16",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=TEST_DATABASE_URL,
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(variables)
    return env


@pytest.fixture
def start_worker(tmp_path, redis_server):
    """start_worker(**env) -> a running WorkerProcess; all are stopped after the test."""
    started: list[WorkerProcess] = []

    def start(name: str = "w1", **variables: str) -> WorkerProcess:
        env = worker_env(redis_server.url, **variables)
        worker = WorkerProcess(env, tmp_path / f"{name}-{len(started)}.log", name)
        started.append(worker)
        return worker.start()

    yield start
    stop_all(started)


@pytest.fixture(scope="module")
def shared_worker(tmp_path_factory, redis_server):
    """One worker with the default test environment, shared by a module's tests."""
    worker = WorkerProcess(
        worker_env(redis_server.url), tmp_path_factory.mktemp("w") / "shared.log", "shared"
    )
    yield worker.start()
    worker.stop()


@pytest.fixture
def make_app(redis_server, redis_client):
    """make_app(**settings_overrides) -> a fresh app on the private Redis (flushed per test)."""

    def build(redis_url: str | None = None, **overrides: Any) -> Flask:
        from api import create_app

        return create_app(make_settings(redis_url or redis_server.url, **overrides))

    return build


class LiveApi:
    def __init__(self, base_url: str, process: subprocess.Popen):
        self.base_url = base_url
        self.process = process

    def url(self, path: str) -> str:
        return self.base_url + path


def answers(url: str, **options) -> bool:
    """True when `url` answers 200 now; False while it is not listening or still booting."""
    try:
        return requests.get(url, timeout=2, **options).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def live_api(tmp_path, redis_server):
    """live_api(**env) -> the API under gunicorn (api/gunicorn.conf.py) on a free port."""
    started: list[subprocess.Popen] = []

    def start(**variables: str) -> LiveApi:
        port = free_port()
        metrics = tmp_path / f"metrics-{port}"
        metrics.mkdir()
        env = worker_env(redis_server.url, PORT=str(port), PROMETHEUS_MULTIPROC_DIR=str(metrics))
        env.setdefault("WEB_CONCURRENCY", "1")
        env.update(variables)  # any variable may be set, WEB_CONCURRENCY too
        log = open(tmp_path / f"gunicorn-{port}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "api/gunicorn.conf.py", "api:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(f"{base}/api/health"), timeout=30, message="gunicorn")
        return LiveApi(base, process)

    yield start
    for process in started:
        process.terminate()
    for process in started:
        process.wait(30)


@pytest.fixture
def rabbitmq_vhost() -> Iterator[str]:
    """An amqp:// URL of a RabbitMQ virtual host of this test's own, deleted afterwards: queues
    declared by earlier runs (or another kind of queue) can never get in the way."""
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        pytest.fail("rabbitmqctl is missing: run `make test` (it installs RabbitMQ)")
    vhost = f"invoice-agent-test-{os.getpid()}-{time.monotonic_ns()}"
    subprocess.run([ctl, "add_vhost", vhost], check=True, capture_output=True, timeout=60)
    subprocess.run(
        [ctl, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    subprocess.run([ctl, "delete_vhost", vhost], capture_output=True, timeout=60)
