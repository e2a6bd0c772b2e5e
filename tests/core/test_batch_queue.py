"""The batch queue: owners served in turns, a newcomer first, a cap per owner, a window."""

from __future__ import annotations

import pytest

from core.batch_queue import FairBatchQueue, dispatch_window
from core.batches import BatchItemRequest, BatchStore
from core.errors import RateLimited
from core.redis_model import BATCH_INFLIGHT as INFLIGHT_KEY
from core.turns import TurnRunner
from tests.support.providers import ScriptedProvider, draft, script
from tests.support.stores import on_each_backend


@pytest.fixture(params=["fakeredis", "redis"])
def stores(request):
    return on_each_backend(request, token_limit=10_000)


@pytest.fixture
def batches(stores):
    return BatchStore(stores.jobs, FairBatchQueue(stores.redis, max_waiting=50))


def submit(batches, owner: str, count: int):
    items = [BatchItemRequest(script(invoice=draft()), f"{owner}-{n}") for n in range(count)]
    return batches.create(owner, items)


def owners_of(batches, job_ids) -> list[str]:
    return [batches.jobs.get_job(job_id).owner for job_id in job_ids]


def test_owners_take_turns_and_each_keeps_its_order(batches):
    alice = submit(batches, "alice", 6)
    bob = submit(batches, "bob", 2)

    dispatched = batches.queue.dispatch(window=6)

    # bob arrived last but had nothing in flight: he goes first, then turns
    assert owners_of(batches, dispatched) == ["bob", "alice", "bob", "alice", "alice", "alice"]
    alice_ids = [job_id for job_id in dispatched if job_id in {t.job_id for t in alice.turns}]
    assert alice_ids == [t.job_id for t in alice.turns][:4]
    assert {t.job_id for t in bob.turns} <= set(dispatched)


def test_a_newcomer_goes_before_a_long_backlog(batches):
    submit(batches, "alice", 40)
    first = batches.queue.dispatch(window=4)
    assert owners_of(batches, first) == ["alice"] * 4
    assert batches.queue.dispatch(window=4) == []  # the window is full

    latecomer = submit(batches, "carol", 1)
    batches.jobs.fail_job(first[0], batches.jobs.get_job(first[0]).session_id, RateLimited())
    assert batches.queue.dispatch(window=4) == [latecomer.turns[0].job_id]


def test_the_window_counts_items_until_they_are_final(batches, stores):
    submit(batches, "alice", 10)
    runner = TurnRunner(
        jobs=stores.jobs,
        figures=stores.figures, provider=ScriptedProvider(), history_turns=5, token_warn=9000,
        token_limit=10_000,
    )  # fmt: skip
    in_flight = batches.queue.dispatch(window=3)
    assert len(in_flight) == 3 and batches.queue.dispatch(window=3) == []

    runner.run(in_flight[0])  # succeeded: its slot is free
    assert len(batches.queue.dispatch(window=3)) == 1
    assert stores.redis.zcard(INFLIGHT_KEY) == 3


def test_an_owner_past_the_cap_is_refused_whole(batches, stores):
    submit(batches, "alice", 30)
    with pytest.raises(RateLimited) as refused:
        submit(batches, "alice", 21)
    assert refused.value.details == {"waiting_items": 30, "limit": 50}
    assert refused.value.retry_after > 0 and "50" in refused.value.message
    assert batches.queue.waiting("alice") == 30  # nothing of the refused batch was queued
    assert stores.redis.zcard("batchq:pending:alice") == 30
    submit(batches, "alice", 20)  # up to the cap is fine
    submit(batches, "bob", 50)  # and every owner has a cap of its own


def test_the_cap_counts_items_until_they_finish_not_until_dispatched(batches, stores):
    runner = TurnRunner(
        jobs=stores.jobs,
        figures=stores.figures, provider=ScriptedProvider(), history_turns=5, token_warn=9000,
        token_limit=10_000,
    )  # fmt: skip
    submit(batches, "alice", 50)
    dispatched = batches.queue.dispatch(window=100)
    assert len(dispatched) == 50
    with pytest.raises(RateLimited):
        submit(batches, "alice", 1)  # in the broker, not finished: still counted
    runner.run(dispatched[0])
    submit(batches, "alice", 1)


def test_cancelled_items_leave_the_queue_and_free_their_place(batches, stores):
    created = submit(batches, "alice", 10)
    batches.queue.dispatch(window=2)
    batches.cancel(created.batch_id, "alice")

    assert batches.queue.waiting("alice") == 0
    assert stores.redis.zcard("batchq:pending:alice") == 0
    assert stores.redis.zcard(INFLIGHT_KEY) == 0
    assert batches.queue.dispatch(window=5) == []
    submit(batches, "alice", 50)  # the cap counts what waits, not what was cancelled


def test_items_whose_job_disappeared_are_skipped(batches, stores):
    created = submit(batches, "alice", 3)
    stores.redis.delete(f"job:{created.turns[0].job_id}")  # expired, say
    assert batches.queue.dispatch(window=5) == [t.job_id for t in created.turns[1:]]


def test_the_window_fits_the_workers_alive():
    assert dispatch_window(20, default_slots=64) == 18  # two slots kept for chat turns
    assert dispatch_window(0, default_slots=64) == 56  # no worker yet: as if one default one
    assert dispatch_window(2, default_slots=64) == 1
    assert dispatch_window(1, default_slots=64) == 1  # nothing to keep: still one at a time
