"""The worker's exec probes (`python -m worker.probe live|ready`) and the note they read."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest

from tests.conftest import ROOT, RedisServer, wait_until
from worker import probe


@pytest.fixture
def note(tmp_path):
    return tmp_path / "probe.json"


def run_probe(kind: str, note) -> subprocess.CompletedProcess:
    """The probe as the kubelet runs it: a fresh process, the path from the environment."""
    return subprocess.run(
        [sys.executable, "-m", "worker.probe", kind],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), probe.PROBE_FILE_ENV: str(note)},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_fresh_beat_with_redis_is_live_and_ready(note):
    probe.record(True, note, now=1000.0)
    assert probe.check("live", note, now=1005.0)[0]
    assert probe.check("ready", note, now=1005.0) == (True, "heartbeat 5s ago, Redis answered")


def test_a_worker_that_lost_redis_is_live_but_not_ready(note):
    probe.record(False, note, now=1000.0)
    assert probe.check("live", note, now=1001.0)[0]
    assert probe.check("ready", note, now=1001.0) == (
        False,
        "Redis did not answer the last heartbeat",
    )


@pytest.mark.parametrize(
    ("age", "live", "ready"),
    [
        (probe.READY_WITHIN_SECONDS, True, True),
        (probe.READY_WITHIN_SECONDS + 1, True, False),  # late beats: take no new work
        (probe.LIVE_WITHIN_SECONDS, True, False),
        (probe.LIVE_WITHIN_SECONDS + 1, False, False),  # frozen: restart it
    ],
)
def test_an_old_beat_is_not_ready_then_not_live(note, age, live, ready):
    probe.record(True, note, now=500.0)
    assert probe.check("live", note, now=500.0 + age)[0] is live
    assert probe.check("ready", note, now=500.0 + age)[0] is ready


def test_the_thresholds_leave_room_for_missed_heartbeats():
    from worker.tasks import HEARTBEAT_SECONDS

    assert probe.READY_WITHIN_SECONDS >= 2 * HEARTBEAT_SECONDS
    assert probe.LIVE_WITHIN_SECONDS >= 2 * probe.READY_WITHIN_SECONDS


@pytest.mark.parametrize("content", [None, "", "{not json", '{"redis": true}', "[1, 2]"])
def test_no_note_or_a_broken_one_is_neither_live_nor_ready(note, content):
    if content is not None:
        note.write_text(content)
    for kind in ("live", "ready"):
        ok, reason = probe.check(kind, note, now=1.0)
        assert not ok
        assert reason == f"no heartbeat recorded in {note}"


def test_only_a_literal_true_counts_as_redis_answering(note):
    note.write_text(json.dumps({"beat_at": 10.0, "redis": "false"}))
    assert probe.check("ready", note, now=11.0)[0] is False


def test_an_unknown_probe_is_refused(note):
    with pytest.raises(ValueError, match="live or ready"):
        probe.check("started", note)


def test_beat_records_whether_the_block_succeeded(note):
    with probe.beat(note):
        pass
    assert probe.read(note).redis is True

    with pytest.raises(ConnectionError), probe.beat(note):
        raise ConnectionError("Redis went away")
    last = probe.read(note)
    assert last.redis is False
    assert time.monotonic() - last.at < probe.READY_WITHIN_SECONDS


def test_a_note_that_cannot_be_written_does_not_stop_the_heartbeat(tmp_path, caplog):
    unwritable = tmp_path / "missing-dir" / "probe.json"
    with probe.beat(unwritable):
        pass  # no exception: the Redis heartbeat matters more than the note
    assert "cannot write the worker probe file" in caplog.text
    assert probe.read(unwritable) is None


def test_the_note_is_replaced_whole(note):
    probe.record(True, note, now=1.0)
    probe.record(False, note, now=2.0)
    assert probe.read(note) == probe.Beat(at=2.0, redis=False)
    assert [p.name for p in note.parent.iterdir()] == [note.name]  # no scratch file left


def test_the_path_comes_from_the_environment_with_a_default_under_tmp():
    assert str(probe.probe_file({})) == probe.DEFAULT_PROBE_FILE
    assert probe.DEFAULT_PROBE_FILE.startswith("/tmp/")
    assert str(probe.probe_file({probe.PROBE_FILE_ENV: "/run/w.json"})) == "/run/w.json"


def test_the_heartbeat_loop_leaves_the_note(note, monkeypatch):
    from worker import tasks

    class Store:
        answers = True

        def record_heartbeat(self, name, slots=0, running=()):
            if not self.answers:
                raise ConnectionError("Redis away")

    fake = Store()
    monkeypatch.setattr(tasks, "stores", lambda: SimpleNamespace(workers=fake))
    monkeypatch.setenv(probe.PROBE_FILE_ENV, str(note))
    monkeypatch.setattr(tasks, "HEARTBEAT_SECONDS", 0.01)
    stop = threading.Event()
    beating = threading.Thread(target=tasks._heartbeat_loop, args=("w", stop), daemon=True)
    beating.start()
    try:
        wait_until(lambda: probe.check("ready", note)[0], timeout=5)
        fake.answers = False
        wait_until(lambda: probe.check("ready", note)[1].startswith("Redis did not"), timeout=5)
        assert probe.check("live", note)[0]
    finally:
        stop.set()
        beating.join(5)


def test_the_command_line_exit_codes(note):
    missing = run_probe("live", note)
    assert (missing.returncode, missing.stdout.strip()) == (
        1,
        f"live: no: no heartbeat recorded in {note}",
    )

    probe.record(False, note)
    assert run_probe("live", note).returncode == 0
    not_ready = run_probe("ready", note)
    assert not_ready.returncode == 1
    assert "Redis did not answer" in not_ready.stdout

    probe.record(True, note)
    assert run_probe("ready", note).returncode == 0

    wrong = run_probe("healthy", note)
    assert wrong.returncode == 2
    assert "usage: python -m worker.probe live|ready" in wrong.stderr


@pytest.mark.integration
def test_a_real_worker_is_ready_loses_readiness_with_redis_and_regains_it(
    tmp_path, start_worker, note
):
    own_redis = RedisServer(tmp_path)  # this test stops it; the session's Redis stays up
    own_redis.start()
    try:
        start_worker("probed", REDIS_URL=own_redis.url, WORKER_PROBE_FILE=str(note))
        wait_until(lambda: run_probe("ready", note).returncode == 0, timeout=30)

        own_redis.stop()
        wait_until(lambda: run_probe("ready", note).returncode == 1, timeout=40)
        assert run_probe("live", note).returncode == 0  # alive: no reason to restart it

        own_redis.start()  # the same port
        wait_until(lambda: run_probe("ready", note).returncode == 0, timeout=40)
    finally:
        own_redis.stop()
