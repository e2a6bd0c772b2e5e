"""GET and DELETE /api/session/{id}, and the session's invoice."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from tests.support.api import (
    CHAT,
    GENERATE,
    assert_error,
    cl100k_tokens,
    job_ids,
    run_job,
    session_ids,
    start_turn,
)
from tests.support.providers import ScriptedProvider, draft, script

SESSION_KEYS = {
    "session_id",
    "created_at",
    "last_activity",
    "expires_at",
    "messages",
    "invoice",
    "token_count",
    "token_limit",
    "token_warn",
    "token_zone",
    "pending_job_id",
    "usage",
}
UNKNOWN = "0123456789abcdef0123456789abcdef"


def parse_time(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_new_session_while_its_first_turn_is_queued(client):
    accepted = start_turn(client, "hello")

    response = client.get(f"/api/session/{accepted['session_id']}")

    assert response.status_code == 200
    session = response.get_json()
    assert set(session) == SESSION_KEYS
    assert session["session_id"] == accepted["session_id"]
    assert session["messages"] == []
    assert session["invoice"] is None
    assert session["pending_job_id"] == accepted["job_id"]
    assert session["token_limit"] == 200_000
    assert session["token_warn"] == 160_000
    assert session["token_zone"] == "green"
    assert session["usage"]["input_tokens"] == 0
    assert session["usage"]["output_tokens"] == 0


def test_session_after_a_finished_turn(make_app):
    app = make_app(session_ttl_seconds=900)
    client = app.test_client()
    message = script(
        reply="Here is the invoice for Acme.",
        invoice=draft(),
        usage={"input_tokens": 1200, "output_tokens": 340},
    )
    accepted = start_turn(client, message)
    assert run_job(app, accepted["job_id"]) == "applied"

    session = client.get(f"/api/session/{accepted['session_id']}").get_json()

    assert set(session) == SESSION_KEYS
    user, assistant = session["messages"]
    assert user["role"] == "user" and user["content"] == message
    assert assistant["role"] == "assistant"
    assert assistant["content"] == "Here is the invoice for Acme."
    assert user["tokens"] == cl100k_tokens(message)
    assert assistant["tokens"] == cl100k_tokens("Here is the invoice for Acme.")
    for entry in (user, assistant):
        assert set(entry) == {"role", "content", "created_at", "tokens", "attachments"}
        assert entry["attachments"] == []
        parse_time(entry["created_at"])
    assert session["token_count"] == user["tokens"] + assistant["tokens"]
    assert session["pending_job_id"] is None
    assert session["usage"]["input_tokens"] == 1200
    assert session["usage"]["output_tokens"] == 340

    created, last = parse_time(session["created_at"]), parse_time(session["last_activity"])
    expires = parse_time(session["expires_at"])
    assert created <= last
    assert abs((expires - last) - timedelta(seconds=900)) < timedelta(seconds=5)

    invoice = session["invoice"]
    assert invoice["number"] is None and invoice["status"] == "draft"
    assert invoice["currency"] == "USD"
    assert invoice["buyer"]["name"] == "Acme Corp"
    [item] = invoice["items"]
    assert item["quantity"] == "40"
    assert item["unit_price"] == "150.00"
    assert item["net_amount"] == "6000.00"
    assert invoice["subtotal"] == "6000.00"
    assert invoice["discount_total"] == "0.00"
    assert invoice["tax_total"] == "480.00"
    assert invoice["total"] == "6480.00"
    assert invoice["tax_breakdown"] == [
        {
            "tax_category": "S",
            "rate": "8",
            "base": "6000.00",
            "tax": "480.00",
            "exemption_reason": None,
        }
    ]
    assert invoice["amount_due"] == "6480.00" and invoice["status"] == "draft"


def test_money_carries_the_currency_minor_digits(app, client):
    cases = {
        "JPY": (draft(items=(("Widget", "3", "1000"),), currency="JPY"), "3240"),
        "BHD": (draft(items=(("Widget", "3", "1.5"),), currency="BHD"), "4.860"),
    }
    for currency, (facts, total) in cases.items():
        accepted = start_turn(client, script(invoice=facts))
        run_job(app, accepted["job_id"])

        invoice = client.get(f"/api/session/{accepted['session_id']}/invoice").get_json()

        assert invoice["currency"] == currency
        assert invoice["total"] == total, (currency, invoice)
        for field in ("subtotal", "tax_total", "total"):
            assert isinstance(invoice[field], str)


def test_red_zone_in_the_session(make_app):
    app = make_app(token_limit=50, token_warn=40)
    client = app.test_client()
    accepted = start_turn(client, " ".join(["invoice"] * 38))
    run_job(app, accepted["job_id"])

    session = client.get(f"/api/session/{accepted['session_id']}").get_json()

    assert session["token_count"] >= 40
    assert session["token_zone"] == "red"
    assert (session["token_limit"], session["token_warn"]) == (50, 40)


def test_reading_refreshes_the_ttl_of_all_the_session_keys(make_app, redis_client):
    app = make_app(session_ttl_seconds=30)
    client = app.test_client()
    accepted = start_turn(client, "hello")
    run_job(app, accepted["job_id"])  # the messages list exists from the first finished turn
    session = f"session:{accepted['session_id']}"
    messages = f"session:{accepted['session_id']}:messages"
    time.sleep(1.5)
    before = redis_client.pttl(session), redis_client.pttl(messages)
    assert all(0 < ttl <= 28_700 for ttl in before), before
    last_before = redis_client.hget(session, "last_activity")

    assert client.get(f"/api/session/{accepted['session_id']}").status_code == 200

    with redis_client.pipeline(transaction=True) as pipe:
        pipe.pttl(session)
        pipe.pttl(messages)
        session_ttl, messages_ttl = pipe.execute()
    assert session_ttl > 29_000 and messages_ttl > 29_000
    assert abs(session_ttl - messages_ttl) < 100  # set together, in one step
    assert redis_client.hget(session, "last_activity") > last_before


def test_reading_an_expired_session_is_404(make_app, redis_client):
    client = make_app(session_ttl_seconds=1).test_client()
    accepted = start_turn(client, "hello")
    time.sleep(1.3)

    error = assert_error(
        client.get(f"/api/session/{accepted['session_id']}"), 404, "session_not_found"
    )

    assert "expired" in error["message"]
    assert session_ids(redis_client) == set()


def test_unknown_session_is_404_with_a_hint(client, redis_client):
    for response in (
        client.post(CHAT, json={"message": "add a line", "session_id": UNKNOWN}),
        client.post(GENERATE, json={"message": "new invoice", "session_id": UNKNOWN}),
        client.get(f"/api/session/{UNKNOWN}"),
        client.delete(f"/api/session/{UNKNOWN}"),
        client.get(f"/api/session/{UNKNOWN}/invoice"),
        client.get("/api/session/not-even-an-id"),
    ):
        error = assert_error(response, 404, "session_not_found")
        assert "new session" in error["message"]
    assert session_ids(redis_client) == set() and job_ids(redis_client) == set()
    assert redis_client.llen("interactive") == 0


def test_invoice_before_the_first_one_is_404_no_invoice(client):
    accepted = start_turn(client, "hello")

    error = assert_error(
        client.get(f"/api/session/{accepted['session_id']}/invoice"), 404, "no_invoice"
    )

    assert "invoice" in error["message"].lower()


def test_invoice_after_a_turn_that_changed_nothing_is_still_404(app, client):
    accepted = start_turn(client, "just saying hello")  # the scripted provider only echoes
    run_job(app, accepted["job_id"])

    assert_error(client.get(f"/api/session/{accepted['session_id']}/invoice"), 404, "no_invoice")


def test_invoice_is_the_session_invoice(app, client):
    accepted = start_turn(client, script(invoice=draft()))
    run_job(app, accepted["job_id"])

    response = client.get(f"/api/session/{accepted['session_id']}/invoice")

    assert response.status_code == 200
    session = client.get(f"/api/session/{accepted['session_id']}").get_json()
    assert response.get_json() == session["invoice"]
    assert response.get_json()["total"] == "6480.00"


def test_delete_answers_204_then_404(client, redis_client):
    accepted = start_turn(client, "hello")
    sid = accepted["session_id"]

    response = client.delete(f"/api/session/{sid}")

    assert response.status_code == 204
    assert response.get_data() == b""
    assert session_ids(redis_client) == set()
    assert_error(client.get(f"/api/session/{sid}"), 404, "session_not_found")
    assert_error(client.delete(f"/api/session/{sid}"), 404, "session_not_found")
    assert_error(
        client.post(CHAT, json={"message": "more", "session_id": sid}), 404, "session_not_found"
    )


def test_delete_removes_the_messages_too(app, client, redis_client):
    accepted = start_turn(client, "hello")
    run_job(app, accepted["job_id"])
    assert redis_client.exists(f"session:{accepted['session_id']}:messages")

    assert client.delete(f"/api/session/{accepted['session_id']}").status_code == 204

    assert session_ids(redis_client) == set()


def test_turn_run_after_delete_does_not_recreate_the_session(app, client, redis_client):
    accepted = start_turn(client, script(invoice=draft()))
    sid = accepted["session_id"]
    assert client.delete(f"/api/session/{sid}").status_code == 204

    assert run_job(app, accepted["job_id"]) == "failed"

    job = client.get(f"/api/jobs/{accepted['job_id']}").get_json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "session_not_found"
    assert not redis_client.exists(f"session:{sid}")
    assert session_ids(redis_client) == set()
    assert redis_client.get("invoice:sequence") is None  # no invoice number was burnt
    assert_error(client.get(f"/api/session/{sid}"), 404, "session_not_found")


class DeletingProvider(ScriptedProvider):
    """Deletes the session through the API while the provider is "thinking"."""

    def __init__(self, client, session_id: str):
        super().__init__()
        self.client, self.session_id = client, session_id

    def respond(self, request):
        assert self.client.delete(f"/api/session/{self.session_id}").status_code == 204
        return super().respond(request)


def test_delete_during_a_running_turn_does_not_bring_the_session_back(app, client, redis_client):
    accepted = start_turn(client, script(reply="Done.", invoice=draft()))
    sid = accepted["session_id"]

    outcome = run_job(app, accepted["job_id"], provider=DeletingProvider(client, sid))

    assert outcome == "session_gone"
    assert session_ids(redis_client) == set()
    job = client.get(f"/api/jobs/{accepted['job_id']}").get_json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "session_not_found"
    assert job_ids(redis_client) == {accepted["job_id"]}
