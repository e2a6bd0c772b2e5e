"""The Bedrock provider: through boto3 against a fake Converse server, and with Stubber.

The fake server (tests/support/fake_bedrock.py) is reached through BEDROCK_ENDPOINT_URL, so
botocore's real signing, serialisation, error parsing and retries run. Stubber checks the
exact request shape without any HTTP. Nothing here reaches AWS or the instance metadata
service: credentials are dummies and every AWS_* variable of the developer is removed.
"""

from __future__ import annotations

import json
import os
import time
from datetime import date

import pytest
from botocore.retries.standard import ExponentialBackoff
from botocore.stub import ANY, Stubber

from core.errors import ConfigurationError, ProviderError, ProviderTransient
from core.prompts import SYSTEM_PROMPT, turn_context_note
from core.providers import bedrock, make_provider
from core.providers.base import ChatMessage, ProviderRequest, Usage
from core.providers.bedrock import (
    MAX_ATTEMPTS,
    BedrockProvider,
    check_bedrock,
    tool_input_schema,
)
from core.schemas import InvoiceDraftSchema
from core.settings import Settings
from core.turns import start_turn
from tests.conftest import free_port
from tests.support.fake_bedrock import (
    FakeBedrock,
    access_denied,
    aws_error,
    internal_error,
    not_found,
    service_unavailable,
    text,
    throttling,
    tool_use,
    validation,
)
from tests.support.providers import draft
from tests.support.stores import KeptPublisher, runner_on

TODAY = date(2026, 11, 24)
MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
ACCESS_KEY = "AKIDFAKEBEDROCKTEST"
CACHE_POINT = {"cachePoint": {"type": "default"}}


@pytest.fixture(scope="module", autouse=True)
def aws_env(tmp_path_factory):
    """Dummy credentials only: no profile, no bearer token, no metadata service."""
    empty = tmp_path_factory.mktemp("aws")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                patch.delenv(name)
        patch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        patch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-key")
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        patch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
        # botocore's jittered backoff (1 s base when throttled) shrunk so the suite stays
        # fast. Only the sleeps change: botocore still decides what to retry and how often.
        backoff = ExponentialBackoff._DEFAULT_BACKOFF_CONFIG
        patch.setitem(backoff, "throttling_base_scale", 0.01)
        patch.setitem(backoff, "non_throttling_base_scale", 0.001)
        yield


@pytest.fixture(scope="module")
def fake_server():
    with FakeBedrock() as server:
        yield server


@pytest.fixture
def fake(fake_server):
    fake_server.reset()
    return fake_server


def make(endpoint_url: str = "", **overrides) -> Settings:
    return Settings.from_env(
        {},
        dotenv_path=None,
        llm_provider="bedrock",
        bedrock_endpoint_url=endpoint_url,
        **overrides,
    )


@pytest.fixture(scope="module")
def provider(fake_server):
    """The default provider, shared: making a boto3 client takes a noticeable 0.2 s."""
    return BedrockProvider(make(fake_server.url), read_timeout=5)


def ask(provider, message="Invoice Acme Corp for 40 hours of consulting at $150/h", **fields):
    request = {
        "system_prompt": SYSTEM_PROMPT,
        "history": (),
        "message": message,
        "invoice": None,
        "today": TODAY,
        **fields,
    }
    return provider.respond(ProviderRequest(**request))


# --- answers -------------------------------------------------------------------------------


def test_a_tool_answer_gives_the_reply_the_draft_and_usage(fake, provider):
    usage = {"inputTokens": 900, "outputTokens": 210}
    usage |= {"cacheReadInputTokens": 1400, "cacheWriteInputTokens": 7}
    fake.add(tool_use("Created the invoice.", draft(), usage=usage))

    answer = ask(provider)

    assert answer.reply == "Created the invoice."
    assert answer.invoice == draft()
    assert answer.usage == Usage(900, 210, 1400, 7)
    [request] = fake.requests
    assert request.path.endswith("/converse") and request.model_id == MODEL
    assert request.body["toolConfig"]["toolChoice"] == {"tool": {"name": "update_invoice"}}


def test_the_request_is_signed_with_sigv4_for_bedrock_in_the_region(fake):
    fake.add(tool_use())
    ask(BedrockProvider(make(fake.url, aws_region="eu-central-1"), read_timeout=5))

    headers = fake.requests[0].headers
    assert headers["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/")
    assert "/eu-central-1/bedrock/aws4_request" in headers["authorization"]
    assert "Signature=" in headers["authorization"] and headers["x-amz-date"]


@pytest.mark.parametrize(
    "answer",
    [
        'Here it is:\n```json\n{"reply": "Created.", "invoice": INVOICE}\n```\nAnything else?',
        'Sure. {"reply": "Created.", "invoice": INVOICE} Let me know.',
        '```\n{"reply": "Created.", "invoice": INVOICE}\n```',
        'From {"rate": 150}:\n```json\n{"reply": "Created.", "invoice": INVOICE}\n```',
    ],
    ids=["json-fence", "bare", "plain-fence", "fence-wins-over-stray-object"],
)
def test_a_json_object_in_a_text_answer_is_accepted(fake, provider, answer):
    fake.add(text(answer.replace("INVOICE", json.dumps(draft()))))
    reply = ask(provider)
    assert (reply.reply, reply.invoice) == ("Created.", draft())


def test_an_invoice_passed_as_json_text_is_decoded(fake, provider):
    fake.add(tool_use(tool_input={"reply": "Created.", "invoice": json.dumps(draft())}))
    assert ask(provider).invoice == draft()


def test_a_reply_without_change_has_no_invoice(fake, provider):
    fake.add(tool_use("Which client is this for?", None))
    answer = ask(provider, "Invoice 3 hours of work")
    assert (answer.reply, answer.invoice) == ("Which client is this for?", None)


@pytest.mark.parametrize(
    "tool_input",
    [
        {"invoice": draft()},
        {"reply": 5, "invoice": None},
        {"reply": "Done.", "invoice": [1, 2]},
        {"reply": "Done.", "invoice": "not json"},
        {"reply": "Done."},
        {"reply": "", "invoice": None},
        ["reply", "invoice"],
    ],
    ids=["no-reply", "reply-not-text", "invoice-list", "invoice-bad-text", "no-invoice",
         "empty", "not-an-object"],
)  # fmt: skip
def test_a_malformed_tool_input_fails_the_turn(fake, provider, tool_input):
    fake.add(tool_use(tool_input=tool_input))
    with pytest.raises(ProviderError) as caught:
        ask(provider)
    assert type(caught.value) is ProviderError
    assert (
        "could not be used" in caught.value.message
        and "nothing was changed" in caught.value.message
    )


@pytest.mark.parametrize(
    "response",
    [
        text("Sure, I can help with that invoice. Who is the client?"),
        text('Almost JSON: {"reply": "x", "invoice": {'),
        tool_use(name="some_other_tool", tool_input={"reply": "x", "invoice": None}),
    ],
    ids=["prose", "broken-json", "other-tool"],
)
def test_no_tool_use_and_no_json_in_the_text_fails_the_turn(fake, provider, response):
    fake.add(response)
    with pytest.raises(ProviderError, match="neither called update_invoice"):
        ask(provider)


def test_an_answer_cut_off_at_max_tokens_fails_even_with_a_tool_input(fake):
    provider = BedrockProvider(make(fake.url, llm_max_tokens=256), read_timeout=5)
    fake.add(tool_use("Created.", {"items": []}, stop_reason="max_tokens"))
    with pytest.raises(ProviderError, match="LLM_MAX_TOKENS=256") as caught:
        ask(provider)
    assert not isinstance(caught.value, ProviderTransient)


# --- errors and retries --------------------------------------------------------------------


def test_throttling_is_retried_by_botocore_until_it_succeeds(fake, provider):
    fake.add(throttling(), service_unavailable(), tool_use("Created.", draft()))
    assert ask(provider).reply == "Created."
    assert len(fake.requests) == 3


@pytest.mark.parametrize(
    "error",
    [
        throttling(),
        service_unavailable(),
        internal_error(),
        aws_error(429, "ModelNotReadyException", "Model is not ready."),
        aws_error(502, "BadGateway", "Bad gateway."),
    ],
    ids=lambda e: e.headers["x-amzn-ErrorType"].split(":")[0],
)
def test_transient_errors_beyond_botocores_retries_are_provider_transient(fake, provider, error):
    fake.add(*[error] * (MAX_ATTEMPTS + 2))
    with pytest.raises(ProviderTransient):
        ask(provider)
    assert len(fake.requests) == MAX_ATTEMPTS  # bounded, then the worker takes over


def test_a_model_timeout_is_transient(fake, provider):
    fake.add(aws_error(408, "ModelTimeoutException", "Model has timed out."))
    with pytest.raises(ProviderTransient):
        ask(provider)


def test_access_denied_fails_at_once_naming_model_and_region(fake):
    provider = BedrockProvider(make(fake.url, aws_region="eu-west-3"), read_timeout=5)
    fake.add(access_denied(), tool_use())
    with pytest.raises(ProviderError) as caught:
        ask(provider)
    error = caught.value
    assert not isinstance(error, ProviderTransient) and len(fake.requests) == 1
    assert f"model {MODEL} in region eu-west-3" in error.message
    assert "Bedrock console" in error.message and "bedrock:InvokeModel" in error.message
    assert "arn:aws:iam" not in error.message  # AWS's message names the account: logged only


@pytest.mark.parametrize(
    "error, words",
    [
        (validation("The provided model identifier is invalid."), "model identifier is invalid"),
        (not_found("Model not found."), "check BEDROCK_MODEL_ID"),
    ],
    ids=["validation", "unknown-model"],
)
def test_validation_and_unknown_model_fail_at_once_with_the_model_id(fake, error, words):
    provider = BedrockProvider(make(fake.url, bedrock_model_id="anthropic.nope-v9"), read_timeout=5)
    fake.add(error, tool_use())
    with pytest.raises(ProviderError) as caught:
        ask(provider)
    assert not isinstance(caught.value, ProviderTransient) and len(fake.requests) == 1
    assert "anthropic.nope-v9" in caught.value.message and words in caught.value.message


def test_a_read_timeout_is_transient(fake):
    provider = BedrockProvider(make(fake.url), read_timeout=0.2, max_attempts=2)
    fake.add(tool_use(delay=1), tool_use(delay=1))
    started = time.monotonic()
    with pytest.raises(ProviderTransient, match="did not answer in time"):
        ask(provider)
    assert time.monotonic() - started < 2 and len(fake.requests) == 2


def test_an_unreachable_endpoint_is_transient():
    provider = BedrockProvider(
        make(f"http://127.0.0.1:{free_port()}"), connect_timeout=0.5, read_timeout=1
    )
    with pytest.raises(ProviderTransient, match="could not be reached"):
        ask(provider)


def test_missing_credentials_fail_with_how_to_configure_them(fake, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    provider = BedrockProvider(make(fake.url), read_timeout=5)
    with pytest.raises(ProviderError) as caught:
        ask(provider)
    assert not isinstance(caught.value, ProviderTransient) and fake.requests == []
    assert "AWS_ACCESS_KEY_ID" in caught.value.message
    assert "LLM_PROVIDER=offline" in caught.value.message


def test_rejected_credentials_are_a_permanent_error(fake, provider):
    fake.add(aws_error(403, "UnrecognizedClientException", "The security token is invalid."))
    with pytest.raises(ProviderError, match="rejected the credentials") as caught:
        ask(provider)
    assert not isinstance(caught.value, ProviderTransient)


# --- the wire request ----------------------------------------------------------------------


def test_history_that_breaks_alternation_is_merged_for_converse(fake, provider):
    # A failed turn leaves a user message without a reply; Converse would refuse two in a row
    # (the fake refuses it as the service does).
    history = (
        ChatMessage("assistant", "orphan reply"),
        ChatMessage("user", "first"),
        ChatMessage("user", "second, after a failed turn"),
        ChatMessage("assistant", "  "),
        ChatMessage("assistant", "answer"),
        ChatMessage("user", "a third, also failed"),
    )
    fake.add(tool_use())
    ask(provider, "now this", history=history)

    messages = fake.requests[0].body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert [b["text"] for b in messages[0]["content"]] == ["first", "second, after a failed turn"]
    assert messages[2]["content"][0]["text"] == "a third, also failed"
    assert messages[2]["content"][1]["text"].endswith("now this")


def test_one_client_is_made_per_provider_and_reused(fake, monkeypatch):
    import boto3.session

    made = []
    real_client = boto3.session.Session.client

    def counting_client(self, *args, **kwargs):
        made.append(args)
        return real_client(self, *args, **kwargs)

    monkeypatch.setattr(boto3.session.Session, "client", counting_client)
    provider = BedrockProvider(make(fake.url), read_timeout=5)
    fake.add(tool_use(), tool_use())
    ask(provider)
    ask(provider)
    assert len(made) == 1 and len(fake.requests) == 2


def test_the_client_has_explicit_timeouts_bounded_retries_and_the_region():
    provider = make_provider(make(aws_region="ap-northeast-1"))
    config = provider.client.meta.config

    assert isinstance(provider, BedrockProvider)
    assert (config.connect_timeout, config.read_timeout) == (5, 180)
    assert config.retries == {"mode": "standard", "total_max_attempts": MAX_ATTEMPTS}
    assert provider.client.meta.region_name == "ap-northeast-1"
    assert (
        provider.client.meta.endpoint_url == "https://bedrock-runtime.ap-northeast-1.amazonaws.com"
    )


def test_a_short_job_time_limit_shortens_the_read_timeout_or_is_refused():
    short = make(job_time_limit=250, job_visibility_timeout=300)
    # (250 s - 25 s margin) / 3 attempts - 5 s connect = 70 s per answer
    assert BedrockProvider(short).client.meta.config.read_timeout == 70
    with pytest.raises(ConfigurationError, match="JOB_TIME_LIMIT=40"):
        BedrockProvider(make(job_time_limit=40))


@pytest.mark.parametrize("value", ["warm", "-0.1", "NaN", "Infinity", ""])
def test_an_unusable_temperature_is_a_configuration_error(value):
    with pytest.raises(ConfigurationError, match="LLM_TEMPERATURE"):
        BedrockProvider(make(llm_temperature=value))


# --- the exact request shape (Stubber) -----------------------------------------------------


def stubbed(settings: Settings, request: ProviderRequest, expected: dict) -> dict:
    """Run one turn through Stubber; returns the params the provider sent."""
    provider = BedrockProvider(settings)
    sent = {}
    provider.client.meta.events.register(
        "provide-client-params.bedrock-runtime.Converse", lambda params, **_: sent.update(params)
    )
    answer = {
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {
                        "toolUse": {
                            "toolUseId": "tooluse_1",
                            "name": "update_invoice",
                            "input": {"reply": "ok", "invoice": None},
                        }
                    }
                ],
            }
        },
        "stopReason": "tool_use",
        "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
        "metrics": {"latencyMs": 1},
    }
    with Stubber(provider.client) as stubber:
        stubber.add_response("converse", answer, expected)
        assert provider.respond(request).reply == "ok"
        stubber.assert_no_pending_responses()
    return sent


CURRENT = {"number": "INV-0007", "currency": "EUR", "items": [], "total": "0.00"}


def request_with(
    history=(), invoice=CURRENT, message="add a travel line of 200"
) -> ProviderRequest:
    return ProviderRequest(SYSTEM_PROMPT, tuple(history), message, invoice, TODAY)


def test_the_request_forces_the_tool_and_caches_the_static_prefix():
    settings = make(llm_max_tokens=2048, llm_temperature="0.20")
    last_user_text = (
        'The current invoice:\n```json\n{"number":"INV-0007","currency":"EUR","items":[],'
        '"total":"0.00"}\n```\n\nThe person\'s new message:\nadd a travel line of 200'
    )
    expected = {
        "modelId": MODEL,
        "system": [
            {"text": SYSTEM_PROMPT},
            CACHE_POINT,
            {"text": "Today is 2026-11-24. The current invoice is in EUR."},
        ],
        "messages": [{"role": "user", "content": [{"text": last_user_text}]}],
        "inferenceConfig": {"maxTokens": 2048, "temperature": 0.2},
        "toolConfig": {
            "tools": [
                {
                    "toolSpec": {
                        "name": "update_invoice",
                        "description": ANY,
                        "inputSchema": {"json": tool_input_schema()},
                    }
                },
                CACHE_POINT,
            ],
            "toolChoice": {"tool": {"name": "update_invoice"}},
        },
    }
    sent = stubbed(settings, request_with(), expected)
    assert sent["system"][2]["text"] == turn_context_note(TODAY, "EUR")
    assert isinstance(sent["inferenceConfig"]["temperature"], float)


def test_no_cache_point_is_sent_when_prompt_caching_is_off():
    sent = stubbed(make(llm_prompt_cache=False), request_with(invoice=None), expected=None)
    assert "cachePoint" not in json.dumps(sent)
    assert sent["system"] == [{"text": SYSTEM_PROMPT}, {"text": "Today is 2026-11-24."}]
    assert len(sent["toolConfig"]["tools"]) == 1
    assert sent["messages"][-1]["content"][0]["text"].startswith("There is no invoice yet.")


def test_only_the_last_llm_history_turns_are_sent_as_plain_text():
    history = []
    for n in range(1, 31):
        history += [ChatMessage("user", f"u{n}"), ChatMessage("assistant", f"a{n}")]
    sent = stubbed(make(llm_history_turns=3), request_with(history), expected=None)

    texts = [(m["role"], m["content"][0]["text"]) for m in sent["messages"]]
    assert texts[:-1] == [
        ("user", "u28"), ("assistant", "a28"),
        ("user", "u29"), ("assistant", "a29"),
        ("user", "u30"), ("assistant", "a30"),
    ]  # fmt: skip
    assert texts[-1][0] == "user" and '"number":"INV-0007"' in texts[-1][1]
    assert all(set(block) == {"text"} for m in sent["messages"] for block in m["content"])


def test_the_tool_schema_is_the_draft_schema_in_plain_json_schema():
    schema = tool_input_schema()
    invoice = schema["properties"]["invoice"]

    assert schema["required"] == ["reply", "invoice"]
    assert schema["properties"]["reply"]["type"] == "string"
    assert set(invoice["type"]) == {"object", "null"}
    assert set(invoice["properties"]) == set(InvoiceDraftSchema().fields)
    line = invoice["properties"]["items"]["items"]["properties"]
    assert line["unit_price"]["type"] == "string" and "pattern" in line["unit_price"]
    assert "total" not in invoice["properties"] and "net_amount" not in line

    def keywords(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                if key == "properties":
                    for sub in value.values():
                        yield from keywords(sub)
                else:
                    yield from keywords(value)
        elif isinstance(node, list):
            for item in node:
                yield from keywords(item)

    used = set(keywords(schema))
    assert not {k for k in used if k.startswith("x-")}
    assert not used & {"nullable", "example", "$ref", "components"}


# --- the server does the arithmetic --------------------------------------------------------


@pytest.fixture
def runner(stores, provider):
    return runner_on(stores, provider, history_turns=20, token_warn=8_000, today=lambda: TODAY)


def run_turn(stores, runner, message, kind="chat"):
    accepted = start_turn(
        stores.jobs, KeptPublisher(), owner="", session_id=None, message=message, kind=kind
    )
    return accepted, runner.run(accepted.job_id), stores.jobs.get_job(accepted.job_id)


def test_amounts_the_model_states_are_ignored_for_the_servers(fake, stores, runner):
    lying = draft(total="1.00", subtotal="1.00", tax_total="0.00")
    lying["items"][0]["net_amount"] = "1.00"
    fake.add(tool_use("Created; the total is $1.00.", lying, usage={"inputTokens": 1500}))

    accepted, outcome, job = run_turn(
        stores, runner, "Invoice Acme, 40h at 150, 8% tax", "generate"
    )

    assert outcome == "applied"
    invoice = job.result["invoice"]
    assert (invoice["subtotal"], invoice["tax_total"], invoice["total"]) == (
        "6000.00",
        "480.00",
        "6480.00",
    )
    assert invoice["items"][0]["net_amount"] == "6000.00"
    assert stores.sessions.read_session(accepted.session_id, "").usage["input_tokens"] == 1500


def test_a_permanent_bedrock_error_fails_the_job_and_keeps_the_session(fake, stores, runner):
    fake.add(access_denied())
    accepted, outcome, job = run_turn(stores, runner, "hi")

    assert outcome == "failed"
    assert job.error["code"] == "provider_error" and MODEL in job.error["message"]
    assert stores.sessions.read_session(accepted.session_id, "").invoice is None


# --- check_bedrock -------------------------------------------------------------------------


def test_check_bedrock_reports_a_working_configuration(fake):
    fake.add(tool_use(name="check", tool_input={"ok": True}))
    ok, message = check_bedrock(make(fake.url))
    assert ok and MODEL in message and "us-east-1" in message
    body = fake.requests[0].body
    assert body["inferenceConfig"]["maxTokens"] <= 100
    assert body["toolConfig"]["toolChoice"] == {"tool": {"name": "check"}}
    assert CACHE_POINT in body["system"]


def test_check_bedrock_reports_what_to_fix(fake):
    fake.add(access_denied())
    ok, message = check_bedrock(make(fake.url))
    assert not ok and "Bedrock console" in message
    with pytest.raises(ConfigurationError, match="LLM_TEMPERATURE"):  # refused when read
        make(fake.url, llm_temperature="hot")


def test_the_module_can_be_run_as_a_check(fake, monkeypatch, capsys):
    settings = make(fake.url)
    monkeypatch.setattr(Settings, "from_env", classmethod(lambda cls: settings))
    fake.add(tool_use(name="check", tool_input={"ok": True}))
    assert bedrock.main() == 0
    assert "Bedrock works" in capsys.readouterr().out
