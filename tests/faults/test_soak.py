"""The soak: the product on several processes while Redis fails over, a worker is killed
with -9 and an API process restarts (tests/support/soak.py). Nothing accepted may be lost or
applied twice, and no answer may be other than 2xx, 409, 429 or 503.

`make test` runs two minutes on RabbitMQ with one failover; `make soak` runs ten minutes on
each broker with two failovers (SOAK_MINUTES, SOAK_BROKERS)."""

from __future__ import annotations

import os

import pytest

from tests.support.soak import Soak

pytestmark = [pytest.mark.integration, pytest.mark.soak]

MINUTES = float(os.environ.get("SOAK_MINUTES", "2"))
BROKERS = os.environ.get("SOAK_BROKERS", "rabbitmq").split(",")


@pytest.mark.timeout(int(MINUTES * 60) + 900)
@pytest.mark.parametrize(
    "broker",
    [pytest.param(b, marks=[pytest.mark.rabbitmq] if b == "rabbitmq" else []) for b in BROKERS],
)
def test_nothing_accepted_is_lost_or_applied_twice(broker, request, tmp_path, figures):
    broker_url = request.getfixturevalue("rabbitmq_vhost") if broker == "rabbitmq" else ""
    soak = Soak(tmp_path, broker_url, MINUTES, failovers=1 if MINUTES < 5 else 2)
    try:
        verdict = soak.run()
    finally:
        figures(**soak.figures)

    assert verdict.accepted_turns > 100 and verdict.batch_items > 0, soak.figures
    assert verdict.lost == [], verdict.lost[:20]
    assert verdict.doubled == [], verdict.doubled[:20]
    assert not verdict.failed, verdict.failed
    assert soak.figures["unexpected_statuses"] == 0, soak.figures
