"""Fixtures for integration tests: the API served by gunicorn, as `make run` serves it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from tests.conftest import ROOT, free_port, wait_until, worker_env


class LiveApi:
    def __init__(self, base_url: str, process: subprocess.Popen):
        self.base_url = base_url
        self.process = process

    def url(self, path: str) -> str:
        return self.base_url + path


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except (requests.ConnectionError, requests.Timeout):  # not listening, or still booting
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
        wait_until(lambda: _answers(f"{base}/api/health"), timeout=30, message="gunicorn")
        return LiveApi(base, process)

    yield start
    for process in started:
        process.terminate()
    for process in started:
        process.wait(30)
