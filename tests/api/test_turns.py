"""POST /api/generate-invoice and /api/chat: acceptance, sessions, the broker, one turn at once."""

from __future__ import annotations

import pytest

from tests.support.api import (
    CHAT,
    GENERATE,
    HEX32,
    assert_error,
    broker_messages,
    cl100k_tokens,
    job_ids,
    run_job,
    session_ids,
    start_turn,
)
from tests.support.providers import draft, script

ACCEPTED_KEYS = {
    "job_id",
    "session_id",
    "status",
    "status_url",
    "attachments",
    "token_count",
    "token_limit",
    "token_zone",
}


@pytest.mark.parametrize("path", [GENERATE, CHAT])
def test_turn_without_session_creates_one_and_answers_202(client, redis_client, path):
    message = "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days"

    response = client.post(path, json={"message": message})

    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == ACCEPTED_KEYS
    assert HEX32.match(body["job_id"]) and HEX32.match(body["session_id"])
    assert body["job_id"] != body["session_id"]
    assert body["status"] == "queued"
    assert body["token_count"] == cl100k_tokens(message) == 25
    assert body["token_limit"] == 200_000
    assert body["token_zone"] == "green"
    assert session_ids(redis_client) == {body["session_id"]}
    assert job_ids(redis_client) == {body["job_id"]}
    assert redis_client.hget(f"session:{body['session_id']}", "pending_job_id") == body["job_id"]


@pytest.mark.parametrize("path", [GENERATE, CHAT])
def test_status_url_resolves_to_the_job(client, path):
    accepted = start_turn(client, "hello world", path=path)

    assert accepted["status_url"] == f"/api/jobs/{accepted['job_id']}"
    job = client.get(accepted["status_url"])
    assert job.status_code == 200
    assert job.get_json()["job_id"] == accepted["job_id"]
    assert job.get_json()["session_id"] == accepted["session_id"]
    assert job.get_json()["status"] == "queued"


def test_turn_is_recorded_with_its_kind(client, redis_client):
    generated = start_turn(client, "first", path=GENERATE)
    chatted = start_turn(client, "second", path=CHAT)

    assert redis_client.hget(f"job:{generated['job_id']}", "kind") == "generate"
    assert redis_client.hget(f"job:{chatted['job_id']}", "kind") == "chat"


def test_one_post_puts_one_message_carrying_only_the_job_id_on_the_broker(client, redis_client):
    message = "Invoice Zanzibar Widgets for 3 crates of marmalade"

    accepted = start_turn(client, message)

    assert redis_client.llen("interactive") == 1
    [queued] = broker_messages(redis_client)
    assert queued["headers"]["task"] == "invoice_agent.run_turn"
    args, kwargs, _embed = queued["body"]
    assert args == [accepted["job_id"]]
    assert kwargs == {}
    assert "Zanzibar" not in queued["raw"]  # the text waits in Redis, not in the broker


def test_turn_keys_get_their_ttls(make_app, redis_client):
    client = make_app(session_ttl_seconds=600, job_ttl_seconds=7200).test_client()

    accepted = start_turn(client, "hello")

    assert 590 <= redis_client.ttl(f"session:{accepted['session_id']}") <= 600
    assert 7190 <= redis_client.ttl(f"job:{accepted['job_id']}") <= 7200  # outlives the session


@pytest.mark.parametrize("path", [GENERATE, CHAT])
def test_an_existing_session_is_used(app, client, redis_client, path):
    first = start_turn(client, "hello world")
    assert run_job(app, first["job_id"]) == "applied"
    session_count = client.get(f"/api/session/{first['session_id']}").get_json()["token_count"]

    second = start_turn(client, "and another thing", session_id=first["session_id"], path=path)

    assert second["session_id"] == first["session_id"]
    assert second["job_id"] != first["job_id"]
    assert second["token_count"] == session_count + cl100k_tokens("and another thing")
    assert session_ids(redis_client) == {first["session_id"]}
    assert redis_client.llen("interactive") == 2


def test_chat_edits_the_invoice_and_generate_starts_a_new_one(app, client):
    first = start_turn(client, script(reply="Drafted.", invoice=draft()))
    run_job(app, first["job_id"])
    sid = first["session_id"]
    drafted = client.get(f"/api/session/{sid}/invoice").get_json()
    assert (drafted["number"], drafted["status"]) == (None, "draft")  # numbers come from issuing

    edit = start_turn(client, script(invoice=draft(buyer="Acme Ltd")), session_id=sid, path=CHAT)
    run_job(app, edit["job_id"])
    edited = client.get(f"/api/session/{sid}/invoice").get_json()
    assert edited["number"] is None and edited["status"] == "draft"
    assert edited["buyer"]["name"] == "Acme Ltd"

    new = start_turn(client, script(invoice=draft(buyer="Globex")), session_id=sid, path=GENERATE)
    run_job(app, new["job_id"])
    fresh = client.get(f"/api/session/{sid}/invoice").get_json()
    assert fresh["number"] is None  # a new invoice is a new draft: no number is drawn
    assert fresh["buyer"]["name"] == "Globex"
    assert len(client.get(f"/api/session/{sid}").get_json()["messages"]) == 6


@pytest.mark.parametrize("path", [GENERATE, CHAT])
def test_second_turn_while_one_is_queued_is_409_then_accepted_once_it_finished(
    app, client, redis_client, path
):
    first = start_turn(client, "hello")
    sid = first["session_id"]

    error = assert_error(
        client.post(path, json={"message": "again", "session_id": sid}), 409, "turn_in_progress"
    )
    assert error["details"]["job_id"] == first["job_id"]
    assert job_ids(redis_client) == {first["job_id"]}
    assert redis_client.llen("interactive") == 1

    assert run_job(app, first["job_id"]) == "applied"
    second = start_turn(client, "again", session_id=sid, path=path)
    assert second["session_id"] == sid
    assert redis_client.hget(f"session:{sid}", "pending_job_id") == second["job_id"]


def test_second_turn_while_one_is_running_is_409(app, client):
    first = start_turn(client, "hello")
    app.extensions["invoice_agent"].stores.jobs.start_job(first["job_id"])  # a worker picked it up

    response = client.post(CHAT, json={"message": "again", "session_id": first["session_id"]})

    error = assert_error(response, 409, "turn_in_progress")
    assert error["details"] == {"job_id": first["job_id"]}


def test_failed_turn_frees_the_session(app, client):
    first = start_turn(client, script(**{"raise": "permanent"}))
    assert run_job(app, first["job_id"]) == "failed"

    second = start_turn(client, "retry", session_id=first["session_id"], path=CHAT)

    assert second["session_id"] == first["session_id"]


def test_token_zone_turns_red_from_token_warn(make_app):
    app = make_app(token_limit=50, token_warn=40)
    client = app.test_client()
    message = " ".join(["invoice"] * 42)
    assert 40 <= cl100k_tokens(message) <= 50

    accepted = start_turn(client, message)

    assert accepted["token_count"] == cl100k_tokens(message)
    assert accepted["token_limit"] == 50
    assert accepted["token_zone"] == "red"


def test_message_of_exactly_max_chars_is_accepted(make_app):
    client = make_app(max_message_chars=100).test_client()

    accepted = start_turn(client, "x" * 100)

    assert accepted["status"] == "queued"


def test_token_limit_refuses_a_new_session_and_writes_nothing(make_app, redis_client):
    client = make_app(token_limit=50, token_warn=40).test_client()
    message = " ".join(["invoice"] * 60)
    tokens = cl100k_tokens(message)
    assert tokens > 50

    error = assert_error(
        client.post(GENERATE, json={"message": message}), 413, "token_limit_exceeded"
    )

    assert error["details"]["token_count"] == 0
    assert error["details"]["token_limit"] == 50
    assert "new session" in error["message"].lower()
    assert session_ids(redis_client) == set()
    assert job_ids(redis_client) == set()
    assert redis_client.llen("interactive") == 0


@pytest.mark.parametrize("path", [GENERATE, CHAT])
def test_token_limit_refuses_a_turn_and_leaves_the_session_as_it_was(make_app, redis_client, path):
    app = make_app(token_limit=50, token_warn=40)
    client = app.test_client()
    first = start_turn(client, "hello world")
    run_job(app, first["job_id"])
    sid = first["session_id"]
    before = client.get(f"/api/session/{sid}").get_json()
    assert before["token_count"] > 0
    message = " ".join(["invoice"] * 45)
    assert before["token_count"] + cl100k_tokens(message) > 50

    response = client.post(path, json={"message": message, "session_id": sid})

    error = assert_error(response, 413, "token_limit_exceeded")
    assert error["details"]["token_count"] == before["token_count"]
    assert error["details"]["token_limit"] == 50
    assert "new session" in error["message"].lower()
    after = client.get(f"/api/session/{sid}").get_json()
    for field in ("messages", "invoice", "token_count", "pending_job_id", "usage"):
        assert after[field] == before[field], field
    assert after["pending_job_id"] is None
    assert job_ids(redis_client) == {first["job_id"]}
    assert redis_client.llen("interactive") == 1


def test_message_that_fits_exactly_is_accepted(make_app):
    client = make_app(token_limit=50, token_warn=40).test_client()
    message = " ".join(["invoice"] * 60)
    while cl100k_tokens(message) > 50:
        message = message.rsplit(" ", 1)[0]
    assert cl100k_tokens(message) == 50

    accepted = start_turn(client, message)

    assert accepted["token_count"] == 50
