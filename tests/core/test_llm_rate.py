"""The shared LLM rate: slots at least 60/limit seconds apart, reserved atomically in Redis."""

from __future__ import annotations

from decimal import Decimal

import fakeredis
import pytest

from core.llm_rate import LlmRateLimiter, SlotNotAvailable, parse_rate
from core.redis_model import LLM_SCHEDULE as KEY
from core.turns import start_turn
from tests.support.stores import KeptPublisher, runner_on, stores_on


@pytest.mark.parametrize(
    "text, spacing",
    [
        ("", None),
        ("600", Decimal("0.1")),
        ("600/minute", Decimal("0.1")),
        ("10 per second", Decimal("0.1")),
        ("3600/hour", Decimal("1")),
        ("120/minutes", Decimal("0.5")),
    ],
)
def test_parse_rate(text, spacing):
    assert parse_rate(text) == spacing


@pytest.mark.parametrize("text", ["fast", "0", "-5/minute", "10/fortnight"])
def test_parse_rate_refuses_nonsense(text):
    with pytest.raises(ValueError):
        parse_rate(text)


def test_consecutive_slots_are_spaced_and_far_ones_are_not_reserved(redis_client):
    limiter = LlmRateLimiter(redis_client, Decimal("0.5"))
    waits = [limiter.reserve(max_wait=10) for _ in range(4)]
    assert all(w.reserved for w in waits)
    gaps = [b.seconds - a.seconds for a, b in zip(waits, waits[1:], strict=False)]
    assert all(gap == pytest.approx(0.5, abs=0.05) for gap in gaps)

    refused = limiter.reserve(max_wait=1.0)  # the next slot is ~2 s away
    assert not refused.reserved and refused.seconds == pytest.approx(1.0, abs=0.1)
    booked_until = float(redis_client.get(KEY))
    assert limiter.reserve(max_wait=1.0).reserved is False
    assert float(redis_client.get(KEY)) == booked_until  # refusals reserve nothing


def test_two_limiters_share_one_schedule(redis_client):
    first = LlmRateLimiter(redis_client, Decimal("1"))
    second = LlmRateLimiter(redis_client, Decimal("1"))
    assert first.reserve(max_wait=5).seconds == pytest.approx(0, abs=0.05)
    assert second.reserve(max_wait=5).seconds == pytest.approx(1, abs=0.05)


def test_runner_waits_for_its_slot_then_runs():
    client = fakeredis.FakeRedis(decode_responses=True)
    stores = stores_on(client, session_ttl=600, job_ttl=3600, token_limit=1000)
    slept = []
    runner = runner_on(
        stores,
        history_turns=2,
        token_warn=900,
        llm_limiter=LlmRateLimiter(client, Decimal("1")),
        sleep=slept.append,
        max_slot_wait=1.5,
    )
    jobs = [
        start_turn(
            stores.jobs, KeptPublisher(), owner="", session_id=None, message=f"m{n}", kind="chat"
        ).job_id
        for n in range(3)
    ]

    assert runner.run(jobs[0]) == "applied"
    assert runner.run(jobs[1]) == "applied"
    with pytest.raises(SlotNotAvailable) as caught:
        runner.run(jobs[2])  # its slot would be ~2 s away: more than max_slot_wait

    assert slept and slept[0] == pytest.approx(1, abs=0.1)
    assert caught.value.retry_after == pytest.approx(0.5, abs=0.1)
    assert stores.jobs.get_job(jobs[2]).status == "queued"  # deferred before it started
