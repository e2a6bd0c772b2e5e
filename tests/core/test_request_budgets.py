"""Request budgets (core/request_budgets.py): moving windows per caller, on Redis's clock."""

from __future__ import annotations

import pytest

from core.errors import RateLimited
from core.request_budgets import RequestBudgets
from tests.support.stores import fake_redis


@pytest.fixture
def budgets():
    return RequestBudgets(fake_redis(), turns="2/minute", reads="10 per 5 seconds")


def test_the_limit_passes_and_the_next_waits_for_the_window(budgets):
    charge = budgets.charge("turns", "key:a")
    budgets.hit(charge)
    budgets.hit(charge)

    with pytest.raises(RateLimited) as refused:
        budgets.hit(charge)
    assert 58 <= refused.value.retry_after <= 60
    assert refused.value.message == (
        "Too many turns for this API key (at most 2 per minute). "
        f"Retry in {refused.value.retry_after} seconds."
    )


def test_each_caller_and_budget_has_its_own_window(budgets):
    for _ in range(2):
        budgets.hit(budgets.charge("turns", "key:a"))
    budgets.hit(budgets.charge("turns", "key:b"))
    budgets.hit(budgets.charge("reads", "key:a"))
    with pytest.raises(RateLimited):
        budgets.hit(budgets.charge("turns", "key:a"))


def test_a_refused_request_takes_no_place_in_the_window(budgets):
    redis = budgets.redis
    charge = budgets.charge("reads", "ip:10.0.0.1")
    for _ in range(10):
        budgets.hit(charge)
    for _ in range(3):
        with pytest.raises(RateLimited) as refused:
            budgets.hit(charge)
    assert refused.value.message.startswith(
        "Too many requests for this API key (at most 10 per 5 seconds)"
    )
    assert redis.llen(charge.key) == 10
    assert 0 < redis.ttl(charge.key) <= 5
