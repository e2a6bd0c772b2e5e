"""LLM faults through the fake Bedrock, with a worker running LLM_PROVIDER=bedrock (boto3's
real serialisation, retries and parsing): a throttling storm, and garbage of every kind.

Every turn ends `succeeded` or `failed` with a clear code; a session holds the messages of its
succeeded turns only, and its invoice is the last good one.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from core.errors import ProviderError
from core.providers.base import ProviderRequest
from core.providers.bedrock import BedrockProvider
from core.settings import Settings
from tests.conftest import WorkerProcess, worker_env
from tests.faults.support import CHAT, GENERATE, RawResponse, ScriptedBedrock, check_session
from tests.integration.helpers import finished_job, post_turn
from tests.support import fake_bedrock as fb
from tests.support.fake_bedrock import BEDROCK_ENV
from tests.support.providers import draft

pytestmark = pytest.mark.integration

# JOB_TIME_LIMIT=70 is the least Bedrock accepts; it gives botocore a read timeout of 10 s.
BEDROCK_LIMITS = {"JOB_TIME_LIMIT": "70", "JOB_VISIBILITY_TIMEOUT": "100"}
READ_TIMEOUT = 10
INPUT_TOKENS = 1200  # what the fake reports per answer


@pytest.fixture(scope="module")
def bedrock(redis_server, tmp_path_factory):
    """The fake Bedrock and one worker talking to it, for the module's tests."""
    fake = ScriptedBedrock().start()
    env = worker_env(
        redis_server.url, BEDROCK_ENDPOINT_URL=fake.url, **BEDROCK_ENV, **BEDROCK_LIMITS
    )
    worker = WorkerProcess(env, tmp_path_factory.mktemp("bedrock") / "worker.log", "bedrock")
    worker.start()
    yield fake
    worker.kill()  # quicker than a graceful stop; nothing is left to finish
    worker.stop()  # closes its log
    fake.stop()


def good(turn: dict) -> fb.ScriptedResponse:
    """What a well-behaved model answers to `turn`."""
    invoice = draft(buyer=turn["buyer"], items=((turn["item"], "1", "100.00"),))
    return fb.tool_use(turn["reply"], invoice)


def garbage(turn: dict, seen: int):
    """The answer the turn's `case` names; `seen` counts this turn's calls (1 on the first)."""
    invoice = draft(buyer=turn["buyer"], items=((turn["item"], "1", "100.00"),))
    match turn["case"]:
        case "good":
            return good(turn)
        case "json_in_text":
            answer = json.dumps({"reply": turn["reply"], "invoice": invoice})
            return fb.text(f"Here is the update:\n```json\n{answer}\n```")
        case "prose":
            return fb.text("Sure! I will prepare that invoice right away.")
        case "reply_not_text":
            return fb.tool_use(tool_input={"reply": 42, "invoice": None})
        case "invoice_not_object":
            return fb.tool_use(tool_input={"reply": "Done.", "invoice": [1, 2, 3]})
        case "invoice_invalid_fields":
            items = [{"description": "x", "quantity": "lots", "unit_price": "-1,00"}]
            return fb.tool_use("Done.", {"buyer": {"name": 7}, "items": items})
        case "unknown_currency":
            return fb.tool_use("Done.", {**invoice, "currency": "ZZZ"})
        case "cut_off":
            return fb.tool_use("Done.", invoice, stop_reason="max_tokens")
        case "no_content":
            return fb.converse_response([])
        case "wrong_tool":
            return fb.tool_use("Done.", invoice, name="delete_everything")
        case "html_200":
            return RawResponse(200, b"<html><body>Welcome to the proxy</body></html>")
        case "truncated_json":
            return RawResponse(200, b'{"output": {"message": {"role": "assi', "application/json")
        case "empty_body":
            return RawResponse(200, b"", "application/json")
        case "bad_gateway_once":
            return RawResponse(502, b"<html>Bad gateway</html>") if seen == 1 else good(turn)
        case "server_error_once":
            return fb.internal_error() if seen == 1 else good(turn)
        case "slow_once":  # past botocore's read timeout once; its next attempt is answered
            return good(turn) if seen > 1 else fb.tool_use("too late", invoice, delay=12)
        case "json_string_body":
            return RawResponse(200, b'"oops"', "application/json")
        case "output_not_object":
            return fb.ScriptedResponse(200, {"output": "nope", "stopReason": "end_turn"})
    raise AssertionError(turn["case"])


# case -> (status, error code of a failed turn)
EXPECTED = {
    "good": ("succeeded", None),
    "json_in_text": ("succeeded", None),
    "prose": ("failed", "provider_error"),
    "reply_not_text": ("failed", "provider_error"),
    "invoice_not_object": ("failed", "provider_error"),
    "invoice_invalid_fields": ("failed", "invalid_invoice"),
    "unknown_currency": ("failed", "invalid_invoice"),
    "cut_off": ("failed", "provider_error"),
    "no_content": ("failed", "provider_error"),
    "wrong_tool": ("failed", "provider_error"),
    "html_200": ("failed", "provider_error"),
    "truncated_json": ("failed", "provider_error"),
    "empty_body": ("failed", "provider_error"),
    "bad_gateway_once": ("succeeded", None),
    "server_error_once": ("succeeded", None),
    "slow_once": ("succeeded", None),
    "json_string_body": ("failed", "provider_error"),
    "output_not_object": ("failed", "provider_error"),
}


def run_rounds(client, plans: list[list[str]]) -> list[tuple[str, list[tuple[str, dict]]]]:
    """Run each session's turns in order, the sessions side by side (one turn each per
    round). plans[s] lists session s's cases. Returns (session id, [(message, job)]) each."""
    sessions: list[str | None] = [None] * len(plans)
    turns: list[list[tuple[str, dict]]] = [[] for _ in plans]
    for round_no in range(max(map(len, plans))):
        accepted = []
        for s, plan in enumerate(plans):
            if round_no >= len(plan):
                continue
            message = json.dumps(
                {
                    "case": plan[round_no],
                    "reply": f"Session {s}, turn {round_no}: updated.",
                    "buyer": f"Client {s}",
                    "item": f"Turn {round_no}",
                }
            )
            path = GENERATE if round_no == 0 else CHAT
            response = post_turn(client, message, sessions[s], path)
            assert response.status_code == 202, response.get_json()
            sessions[s] = response.get_json()["session_id"]
            accepted.append((s, message, response.get_json()["job_id"]))
        for s, message, job_id in accepted:
            turns[s].append((message, finished_job(client, job_id, timeout=120)))
    return list(zip(sessions, turns, strict=True))


def check_outcomes(client, redis_client, results) -> None:
    """Each session holds its succeeded turns only, its invoice is the last good one (a
    draft: no turn draws a number, so none can be burnt)."""
    for sid, turns in results:
        succeeded = [(m, job) for m, job in turns if job["status"] == "succeeded"]
        session = client.get(f"/api/session/{sid}").get_json()
        check_session(session, [(m, job["result"]["reply"]) for m, job in succeeded])
        last_good = succeeded[-1][1]["result"]["invoice"]
        assert session["invoice"] == last_good
        assert session["usage"]["input_tokens"] == INPUT_TOKENS * len(succeeded)
        numbers = {job["result"]["invoice"]["number"] for _, job in succeeded}
        assert numbers == {session["invoice"]["number"]} == {None}
    assert redis_client.get("invoice:sequence") is None


def test_a_throttling_storm_loses_no_turn(client, redis_client, bedrock, figures):
    bedrock.forget()
    # every other call Bedrock makes is throttled, whichever turn it belongs to
    bedrock.respond = lambda turn, seen, call: fb.throttling() if call % 2 else good(turn)

    results = run_rounds(client, [["good"] * 4 for _ in range(5)])

    jobs = [job for _, turns in results for _, job in turns]
    assert {job["status"] for job in jobs} == {"succeeded"}
    check_outcomes(client, redis_client, results)
    attempts = [int(redis_client.hget(f"job:{job['job_id']}", "attempts")) for job in jobs]
    figures(
        sessions=len(results),
        turns=len(jobs),
        bedrock_calls=sum(bedrock.answers.values()),
        throttled=bedrock.answers["ThrottlingException"],
        turns_retried_by_the_worker=sum(a > 1 for a in attempts),
        turns_succeeded=len(jobs),
        turns_lost=0,
    )


def test_garbage_from_bedrock_fails_its_turn_cleanly(client, redis_client, bedrock, figures):
    bedrock.forget()
    bedrock.respond = lambda turn, seen, call: garbage(turn, seen)
    faults = [case for case in EXPECTED if case != "good"]
    plans = []
    for s in range(4):
        mine = faults[s::4]
        plans.append(["good", mine[0], "good", *mine[1:3], "good", *mine[3:]])

    results = run_rounds(client, plans)

    codes = {}
    for _, turns in results:
        for message, job in turns:
            case = json.loads(message)["case"]
            status, code = EXPECTED[case]
            assert job["status"] == status, (case, job["error"])
            if status == "failed":
                assert job["result"] is None and job["error"]["message"]
                assert job["error"]["code"] == code, (case, job["error"])
                codes[case] = code
    check_outcomes(client, redis_client, results)
    slow = [m for _, turns in results for m, _ in turns if json.loads(m)["case"] == "slow_once"]
    assert bedrock.seen(slow[0]) == 2  # timed out once, answered on botocore's next attempt
    jobs = [job for _, turns in results for _, job in turns]
    figures(
        sessions=len(results),
        turns=len(jobs),
        fault_kinds=len(faults),
        succeeded=sum(job["status"] == "succeeded" for job in jobs),
        failed=sum(job["status"] == "failed" for job in jobs),
        failed_codes=codes,
        sessions_inconsistent=0,
    )


@pytest.mark.parametrize("case", ["json_string_body", "output_not_object"])
def test_a_malformed_bedrock_answer_fails_as_a_provider_error(case, monkeypatch):
    for name, value in BEDROCK_ENV.items():
        monkeypatch.setenv(name, value)  # boto3 finds its credentials in the environment
    with ScriptedBedrock(lambda turn, seen, call: garbage(turn, seen)) as fake:
        settings = Settings.from_env(
            {**BEDROCK_ENV, **BEDROCK_LIMITS, "BEDROCK_ENDPOINT_URL": fake.url}, dotenv_path=None
        )
        provider = BedrockProvider(settings)
        request = ProviderRequest(
            system_prompt="Make invoices.",
            history=(),
            message=json.dumps({"case": case, "reply": "-", "buyer": "-", "item": "-"}),
            invoice=None,
            today=date(2026, 11, 24),
        )
        with pytest.raises(ProviderError) as raised:
            provider.respond(request)
    assert raised.value.code == "provider_error"
