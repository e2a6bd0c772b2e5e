"""Fixtures for the fault and concurrency tests: real worker processes, a real Redis (one of
their own when a test kills it), the API under gunicorn, and a fake Bedrock.

Each test records what it tried and what it lost with `figures(...)`; the figures are printed
at the end of the run (the "fault figures" section) and are the ones in docs/reliability.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.faults.support import DurableRedis

_FIGURES = pytest.StashKey[list]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_FIGURES] = []


@pytest.fixture
def figures(request) -> Iterator:
    """figures(**numbers): what this test tried and lost, printed at the end of the run."""
    recorded: dict = {}

    def record(**numbers) -> None:
        recorded.update(numbers)

    yield record
    if recorded:
        request.config.stash[_FIGURES].append((request.node.name, recorded))


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    recorded = config.stash.get(_FIGURES, [])
    if not recorded:
        return
    terminalreporter.section("fault figures")
    for name, numbers in recorded:
        terminalreporter.write_line(f"{name}: {json.dumps(numbers)}")


@pytest.fixture
def start_worker(start_worker) -> Iterator:
    """The shared start_worker, but its workers are killed (SIGKILL) when the test ends.

    Every test here has checked what it needed by then, and a graceful gevent shutdown costs
    seconds per worker; the test's Redis database is flushed (or its Redis discarded) anyway.
    """
    started = []

    def start(name: str = "w1", **variables: str):
        worker = start_worker(name, **variables)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


@pytest.fixture
def durable_redis(tmp_path) -> Iterator[DurableRedis]:
    """A Redis of the test's own, with the append-only file on; the test may kill it."""
    (tmp_path / "aof").mkdir()
    server = DurableRedis(tmp_path / "aof")
    server.start()
    yield server
    server.stop()
