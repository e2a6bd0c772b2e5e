"""The whole stack with LLM_PROVIDER=bedrock, boto3 talking to the fake Converse server."""

from __future__ import annotations

import pytest

from tests.integration.helpers import run_turn
from tests.support import fake_bedrock
from tests.support.fake_bedrock import BEDROCK_ENV
from tests.support.providers import draft

pytestmark = pytest.mark.integration


@pytest.fixture
def bedrock():
    with fake_bedrock.FakeBedrock() as fake:
        yield fake


def test_turns_through_bedrock_use_the_servers_arithmetic(client, start_worker, bedrock):
    start_worker("bedrock", BEDROCK_ENDPOINT_URL=bedrock.url, **BEDROCK_ENV)
    stated_wrong = {**draft(), "total": "1.00", "subtotal": "1.00"}
    bedrock.add(
        fake_bedrock.throttling(),  # botocore retries it
        fake_bedrock.tool_use(
            "Here is the invoice.",
            stated_wrong,
            usage={"inputTokens": 900, "outputTokens": 80, "cacheReadInputTokens": 700},
        ),
        fake_bedrock.access_denied(),
    )

    created, job = run_turn(client, "Invoice Acme Corp for 40 hours of consulting at $150/h")

    assert job["status"] == "succeeded" and job["result"]["reply"] == "Here is the invoice."
    assert job["result"]["invoice"]["total"] == "6480.00"
    session = client.get(f"/api/session/{created['session_id']}").get_json()
    assert session["usage"]["input_tokens"] == 900
    assert session["usage"]["cache_read_tokens"] == 700
    sent = bedrock.requests[-1]
    assert sent.headers["authorization"].startswith("AWS4-HMAC-SHA256")
    assert sent.body["toolConfig"]["toolChoice"] == {"tool": {"name": "update_invoice"}}

    _, denied = run_turn(client, "add a travel line", created["session_id"])

    assert denied["status"] == "failed" and denied["error"]["code"] == "provider_error"
    assert "denied access" in denied["error"]["message"]
    after = client.get(f"/api/session/{created['session_id']}").get_json()
    assert after["invoice"] == job["result"]["invoice"] and len(after["messages"]) == 2
