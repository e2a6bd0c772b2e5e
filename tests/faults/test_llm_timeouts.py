"""Bedrock answers slower than the turn's time limit: the limit stops the call mid-flight."""

from __future__ import annotations

import json

import pytest

from tests.faults.support import ScriptedBedrock
from tests.faults.test_llm_faults import check_outcomes, good, run_rounds
from tests.support import fake_bedrock as fb
from tests.support.fake_bedrock import BEDROCK_ENV
from tests.support.providers import draft

pytestmark = pytest.mark.integration

TIME_LIMIT = 4
HANG = 20  # seconds the fake takes to answer a slow turn: far past the limit


def test_an_answer_slower_than_the_time_limit_fails_its_turn_only(
    client, redis_client, start_worker, figures
):
    def respond(turn, seen, call):
        if turn["case"] == "slow":
            invoice = draft(buyer="Never Seen Ltd")
            return fb.tool_use("too late", invoice, delay=HANG)
        return good(turn)

    with ScriptedBedrock(respond) as fake:
        # The real provider shortens botocore's read timeout to end before the time limit (so
        # a slow Bedrock is retried, not killed); this one waits, so the limit fires mid-call.
        start_worker(
            "patient",
            **{**BEDROCK_ENV, "LLM_PROVIDER": "tests.faults.support:UnhurriedBedrock"},
            BEDROCK_ENDPOINT_URL=fake.url,
            JOB_TIME_LIMIT=str(TIME_LIMIT),
            JOB_VISIBILITY_TIMEOUT="30",
        )
        plans = [["good", "slow", "good"], ["good", "slow", "slow", "good"], ["good", "good"]]
        results = run_rounds(client, plans)

        slow_messages = []
        for _, turns in results:
            for message, job in turns:
                if json.loads(message)["case"] == "slow":
                    assert job["status"] == "failed", job
                    assert job["error"]["code"] == "turn_timeout"
                    slow_messages.append(message)
                else:
                    assert job["status"] == "succeeded", job["error"]
        check_outcomes(client, redis_client, results)
        # botocore does not call again when the limit stops it, and the turn is final
        assert [fake.seen(m) for m in slow_messages] == [1] * len(slow_messages)
    figures(
        time_limit_seconds=TIME_LIMIT,
        bedrock_delay_seconds=HANG,
        slow_turns=len(slow_messages),
        failed_turn_timeout=len(slow_messages),
        good_turns_succeeded=sum(
            job["status"] == "succeeded" for _, turns in results for _, job in turns
        ),
    )
