"""Worker heartbeats (core/workers.py), on fakeredis and on the private redis-server."""

from __future__ import annotations

import pytest

from tests.support.stores import fake_redis, stores_on


@pytest.fixture(params=["fakeredis", "redis"])
def workers(request):
    client = (
        fake_redis() if request.param == "fakeredis" else request.getfixturevalue("redis_client")
    )
    return stores_on(client).workers


def test_live_workers_counts_recent_heartbeats_only(workers):
    workers.record_heartbeat("w1", now=1000.0)
    workers.record_heartbeat("w2", now=1025.0)
    assert workers.live_workers(within_seconds=30, now=1040.0) == 1


def test_live_slots_add_up_the_live_workers_and_forget_the_dead(workers):
    workers.record_heartbeat("w1@a", slots=4, now=1000.0)
    workers.record_heartbeat("w2@b", slots=16, now=1020.0)
    workers.record_heartbeat("dead@c", slots=64, now=900.0)
    assert workers.live_slots(within_seconds=30, now=1025.0) == 20
    assert workers.redis.hkeys("workers:slots") == ["w1@a", "w2@b"]
