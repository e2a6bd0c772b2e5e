"""Long-poll waiters: woken by the finishing script, one connection for any number of them."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from core.errors import Unavailable
from core.job_events import JobWaiters
from core.redis_model import FINISHED_CHANNEL
from core.settings import Settings
from core.stores import RedisStores
from tests.conftest import RedisServer


def waiters_on(client: redis.Redis, finished: set[str]) -> JobWaiters:
    return JobWaiters(client, lambda job_id: job_id in finished)


def test_a_waiter_returns_when_its_job_is_published(redis_client):
    finished: set[str] = set()
    waiters = waiters_on(redis_client, finished)

    def finish():
        finished.add("j1")
        redis_client.publish(FINISHED_CHANNEL, "j1")

    threading.Timer(0.5, finish).start()
    started = time.monotonic()
    waiters.wait("j1", timeout=20)
    assert "j1" in finished
    assert time.monotonic() - started < 10


def test_a_waiter_gives_up_after_its_timeout(redis_client):
    waiters = waiters_on(redis_client, set())
    started = time.monotonic()
    waiters.wait("never", timeout=0.5)
    assert 0.4 < time.monotonic() - started < 5


def test_another_jobs_notification_does_not_end_the_wait(redis_client):
    finished: set[str] = set()
    waiters = waiters_on(redis_client, finished)
    threading.Timer(0.3, lambda: redis_client.publish(FINISHED_CHANNEL, "other")).start()
    started = time.monotonic()
    waiters.wait("mine", timeout=1.5)
    assert time.monotonic() - started >= 1.4


def test_hundreds_of_waiters_share_one_subscriber_connection(redis_client):
    finished: set[str] = set()
    waiters = waiters_on(redis_client, finished)
    before = len(redis_client.client_list())
    done = []
    threads = [
        threading.Thread(target=lambda n=n: (waiters.wait(f"j{n}", 30), done.append(n)))
        for n in range(300)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    during = len(redis_client.client_list())
    assert during - before <= 2  # the subscriber (and no connection per waiter)
    for n in range(300):
        finished.add(f"j{n}")
        redis_client.publish(FINISHED_CHANNEL, f"j{n}")
    for thread in threads:
        thread.join(20)
    assert sorted(done) == list(range(300))


def test_a_job_finished_while_the_subscriber_was_away_is_noticed(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        client = redis.Redis.from_url(server.url, decode_responses=True, socket_timeout=2)
        finished: set[str] = set()
        waiters = waiters_on(client, finished)
        result: list[float] = []
        started = time.monotonic()
        waiter = threading.Thread(
            target=lambda: (waiters.wait("lost", 30), result.append(time.monotonic()))
        )
        waiter.start()
        time.sleep(0.5)
        client.client_kill_filter(_type="pubsub")  # the subscriber's connection drops
        finished.add("lost")  # ... and the job finishes with nobody listening
        waiter.join(20)
        assert result and result[0] - started < 10
    finally:
        server.stop()


def test_redis_down_while_waiting_is_unavailable(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    stores = RedisStores.from_settings(
        Settings.from_env({}, dotenv_path=None, redis_url=server.url)
    )
    stores.redis.hset("job:j", "status", "running")
    errors: list[Exception] = []

    def wait():
        try:
            stores.jobs.wait_for_job("j", 30)
        except Unavailable as exc:
            errors.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    server.stop()
    waiter.join(20)
    assert not waiter.is_alive()
    assert len(errors) == 1


def test_with_redis_gone_and_nobody_waiting_the_listener_ends_and_a_new_wait_starts_one(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    client = redis.Redis.from_url(server.url, decode_responses=True, socket_timeout=2)
    finished: set[str] = set()
    waiters = waiters_on(client, finished)
    waiters.wait("early", timeout=0.2)  # starts the listener
    first = waiters._listener
    assert first is not None and first.is_alive()

    server.stop()
    first.join(10)
    assert not first.is_alive()  # no endless reconnecting for a process nobody asks

    server.start()
    try:
        threading.Timer(
            1.0, lambda: (finished.add("late"), client.publish(FINISHED_CHANNEL, "late"))
        ).start()
        started = time.monotonic()
        waiters.wait("late", timeout=20)
        assert "late" in finished and time.monotonic() - started < 10
        assert waiters._listener is not None and waiters._listener is not first
    finally:
        server.stop()


@pytest.fixture
def redis_client(redis_server):
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    client.close()
