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


def test_a_worker_sends_bedrock_the_named_clients_records(
    make_app, start_worker, bedrock, records_url, redis_client
):
    from core.records import RecordsService

    records = RecordsService.from_url(records_url)
    try:
        records.save_client("", {"name": "Acme Corp", "address": "1 Main St, Springfield"})
        records.update_profile("", {"seller": {"name": "Jane Doe"}})
    finally:
        records.close()
    start_worker(
        "bedrock", BEDROCK_ENDPOINT_URL=bedrock.url, DATABASE_URL=records_url, **BEDROCK_ENV
    )
    client = make_app(database_url=records_url).test_client()
    bedrock.add(fake_bedrock.tool_use("Created.", draft(buyer="Acme Corp")))

    _, job = run_turn(client, "invoice acme for 3 h at 90")

    assert job["status"] == "succeeded"
    sent = bedrock.requests[-1].body["messages"][-1]["content"][0]["text"]
    assert '"name":"Acme Corp","address":"1 Main St, Springfield"' in sent
    assert '"profile":{"seller":{"name":"Jane Doe"}}' in sent
    assert sent.index("</records>") < sent.index("The person's new message")
    assert job["result"]["invoice"]["seller"]["name"] == "Jane Doe"  # the profile's, by the runner
