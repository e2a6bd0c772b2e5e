"""The one error shape for every failure, request ids, rate limits and outages."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.support.api import (
    CHAT,
    GENERATE,
    HEX32,
    assert_error,
    closed_url,
    job_ids,
    run_job,
    session_ids,
    start_turn,
)

UNKNOWN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def nothing_written(redis_client):
    """Asserts after the test that no session, job or broker message was left in Redis."""
    yield
    assert session_ids(redis_client) == set()
    assert job_ids(redis_client) == set()
    assert redis_client.llen("interactive") == 0


# -- 400 invalid_json --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [GENERATE, CHAT])
@pytest.mark.parametrize("body", ['{"message": "hi"', "{'message': 'hi'}", "message=hi", "\x00"])
def test_malformed_json_is_400(client, nothing_written, path, body):
    response = client.post(path, data=body, content_type="application/json")

    error = assert_error(response, 400, "invalid_json")
    assert "json" in error["message"].lower()


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
    ],
)
def test_non_json_content_type_is_400_even_when_the_text_is_json(
    client, nothing_written, content_type
):
    response = client.post(GENERATE, data=json.dumps({"message": "hi"}), content_type=content_type)

    error = assert_error(response, 400, "invalid_json")
    assert "application/json" in error["message"]


def test_a_multipart_turn_with_no_readable_part_is_400_invalid_upload(client, nothing_written):
    # turns take multipart/form-data too (files: docs/api.md "Attachments")
    response = client.post(
        GENERATE, data=json.dumps({"message": "hi"}), content_type="multipart/form-data; boundary=x"
    )

    assert_error(response, 400, "invalid_upload")


# -- 422 validation_error ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"message"}),
        ({"session_id": UNKNOWN}, {"message"}),
        ({"message": ""}, {"message"}),
        ({"message": "   \n\t "}, {"message"}),
        ({"message": 42}, {"message"}),
        ({"message": ["hi"]}, {"message"}),
        ({"message": None}, {"message"}),
        ({"message": "hi", "session_id": 12345}, {"session_id"}),
        ({"message": "hi", "session_id": "0123456789ABCDEF0123456789ABCDEF"}, {"session_id"}),
        ({"message": "hi", "session_id": "abc"}, {"session_id"}),
        ({"message": "hi", "session_id": "../../etc/passwd"}, {"session_id"}),
        ({"message": "hi", "sessionId": UNKNOWN}, {"sessionId"}),
        ({"message": "hi", "total": "0.00"}, {"total"}),
        ({"message": 1, "session_id": "x", "extra": True}, {"message", "session_id", "extra"}),
    ],
)
@pytest.mark.parametrize("path", [GENERATE, CHAT])
def test_wrong_fields_are_422_with_one_entry_per_field(client, nothing_written, path, body, fields):
    response = client.post(path, json=body)

    error = assert_error(response, 422, "validation_error")
    assert set(error["details"]) == fields
    for messages in error["details"].values():
        assert isinstance(messages, list) and messages
        assert all(isinstance(text, str) and text for text in messages)


def test_validation_messages_say_what_is_wrong(client, nothing_written):
    details = {}
    for body in (
        {},
        {"message": " "},
        {"message": "hi", "session_id": "abc"},
        {"message": "hi", "colour": "red"},
    ):
        error = assert_error(client.post(GENERATE, json=body), 422, "validation_error")
        details.update({json.dumps(body): error["details"]})

    assert details["{}"] == {"message": ["Missing data for required field."]}
    assert details['{"message": " "}'] == {"message": ["The message is empty."]}
    assert details['{"message": "hi", "session_id": "abc"}'] == {
        "session_id": ["Not a valid session id."]
    }
    assert details['{"message": "hi", "colour": "red"}'] == {"colour": ["Unknown field."]}


@pytest.mark.parametrize("suffix", ["\n", "\r\n", " ", "\x00"])
def test_an_id_must_match_whole_not_just_up_to_a_newline(client, suffix):
    started = start_turn(client, "an invoice")
    body = {"message": "hi", "session_id": started["session_id"] + suffix}
    error = assert_error(client.post(CHAT, json=body), 422, "validation_error")
    assert error["details"] == {"session_id": ["Not a valid session id."]}


def test_a_request_id_must_match_whole(client):
    response = client.get("/api/health", headers={"X-Request-ID": "abc.def:1-2"})
    assert response.headers["X-Request-ID"] == "abc.def:1-2"
    for sent in ("abc\n", "a" * 129, "abc def"):
        try:
            response = client.get("/api/health", headers={"X-Request-ID": sent})
        except ValueError:  # the client itself refuses a header with a newline
            continue
        assert response.headers["X-Request-ID"] != sent
        assert HEX32.match(response.headers["X-Request-ID"])


@pytest.mark.parametrize("body", ["null", "[]", '["hi"]', '"hi"', "42"])
def test_json_that_is_not_an_object_is_422(client, nothing_written, body):
    response = client.post(GENERATE, data=body, content_type="application/json")

    assert_error(response, 422, "validation_error")


def test_empty_body_is_422_missing_message(client, nothing_written):
    response = client.post(GENERATE, content_type="application/json")

    error = assert_error(response, 422, "validation_error")
    assert set(error["details"]) == {"message"}


def test_message_longer_than_max_message_chars_is_422(make_app, redis_client):
    client = make_app(max_message_chars=100).test_client()

    response = client.post(CHAT, json={"message": "x" * 101})

    error = assert_error(response, 422, "validation_error")
    assert set(error["details"]) == {"message"}
    assert "100" in error["details"]["message"][0]
    assert session_ids(redis_client) == set() and job_ids(redis_client) == set()


def test_default_max_message_chars_is_8000(client, nothing_written):
    response = client.post(GENERATE, json={"message": "word " * 1600 + "x"})  # 8001 chars

    error = assert_error(response, 422, "validation_error")
    assert "8000" in error["details"]["message"][0]


# -- 413 payload_too_large --------------------------------------------------------------------


def test_body_over_max_request_bytes_is_413(make_app, redis_client):
    client = make_app(max_request_bytes=2000).test_client()
    body = json.dumps({"message": "x" * 2500})  # a valid request apart from its size

    response = client.post(GENERATE, data=body, content_type="application/json")

    error = assert_error(response, 413, "payload_too_large")
    assert "large" in error["message"]
    assert session_ids(redis_client) == set() and job_ids(redis_client) == set()


def test_body_over_the_default_limit_is_413(client, nothing_written):
    body = json.dumps({"message": "x" * 1_100_000})

    response = client.post(GENERATE, data=body, content_type="application/json")

    assert_error(response, 413, "payload_too_large")


# -- 404 / 405 / 500 ----------------------------------------------------------------------------


def test_unknown_api_path_is_404_in_the_error_shape(client):
    assert_error(client.get("/api/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405_in_the_error_shape(client):
    assert_error(client.put(f"/api/session/{UNKNOWN}", json={}), 405, "method_not_allowed")
    assert_error(client.delete(GENERATE), 405, "method_not_allowed")


def test_unexpected_error_is_a_generic_500_without_internals(app, client, monkeypatch):
    accepted = start_turn(client, "hello")

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret: redis://admin:hunter2@10.0.0.7:6379")

    monkeypatch.setattr(app.extensions["invoice_agent"].stores.sessions, "read_session", explode)
    response = client.get(f"/api/session/{accepted['session_id']}")

    error = assert_error(response, 500, "internal_error")
    assert "details" not in error
    text = response.get_data(as_text=True)
    assert "hunter2" not in text and "RuntimeError" not in text and "secret" not in text


# -- X-Request-ID -----------------------------------------------------------------------------


def test_request_id_is_generated_when_absent(client):
    first = client.get("/api/health").headers["X-Request-ID"]
    second = client.get("/api/health").headers["X-Request-ID"]

    assert HEX32.match(first) and HEX32.match(second)
    assert first != second


def test_request_id_is_echoed_when_sent(client):
    for sent in ("req-123", "3f1c9a2e-7b4d-4e8a-9c1d-2b3a4c5d6e7f", "a.b:c_d"):
        response = client.post(GENERATE, json={"message": "hi"}, headers={"X-Request-ID": sent})
        assert response.status_code == 202
        assert response.headers["X-Request-ID"] == sent


def test_request_id_reaches_the_job_record(client, redis_client):
    accepted = client.post(
        GENERATE, json={"message": "hi"}, headers={"X-Request-ID": "trace-42"}
    ).get_json()

    assert redis_client.hget(f"job:{accepted['job_id']}", "request_id") == "trace-42"


@pytest.mark.parametrize(
    "garbage",
    [
        "has spaces",
        "<script>alert(1)</script>",
        "x" * 129,
        "line\tbreak",
        "ünïcødé",
        "a;b",
    ],
)
def test_garbage_request_id_is_replaced(client, garbage):
    response = client.get("/api/health", headers={"X-Request-ID": garbage})

    assert response.headers["X-Request-ID"] != garbage
    assert HEX32.match(response.headers["X-Request-ID"])


def test_error_responses_carry_the_request_id(client):
    for response in (
        client.get(f"/api/session/{UNKNOWN}", headers={"X-Request-ID": "err-1"}),
        client.post(GENERATE, json={}, headers={"X-Request-ID": "err-1"}),
        client.post(
            GENERATE, data="{", content_type="application/json", headers={"X-Request-ID": "err-1"}
        ),
        client.get("/api/no-such-thing", headers={"X-Request-ID": "err-1"}),
    ):
        assert response.status_code >= 400
        assert response.headers["X-Request-ID"] == "err-1"
    assert HEX32.match(client.get(f"/api/jobs/{UNKNOWN}").headers["X-Request-ID"])


# -- 429 rate_limited -------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(make_app, redis_client):
    client = make_app(turn_rate_limit="3/minute").test_client()
    accepted = [start_turn(client, f"invoice number {n}") for n in range(3)]

    response = client.post(GENERATE, json={"message": "one too many"})

    error = assert_error(response, 429, "rate_limited")
    retry_after = response.headers["Retry-After"]
    assert re.fullmatch(r"\d+", retry_after), retry_after
    assert 0 < int(retry_after) <= 60
    assert job_ids(redis_client) == {a["job_id"] for a in accepted}  # the 4th wrote nothing
    assert redis_client.llen("interactive") == 3
    assert "retry" in error["message"].lower()


def test_retry_after_is_only_on_429(make_app):
    client = make_app(turn_rate_limit="3/minute").test_client()
    accepted = client.post(GENERATE, json={"message": "an invoice"})
    assert accepted.status_code == 202 and "Retry-After" not in accepted.headers


def test_one_read_budget_spans_every_read_endpoint(make_app):
    client = make_app(read_rate_limit="3/minute").test_client()
    turn = start_turn(client, "first")  # a turn: not a read
    client.get(f"/api/session/{turn['session_id']}")
    client.get(turn["status_url"])
    client.get(f"/api/session/{turn['session_id']}/invoice")

    assert_error(client.get(turn["status_url"]), 429, "rate_limited")
    assert start_turn(client, "turns have their own budget")["status"] == "queued"


def test_turns_have_a_budget_of_their_own(make_app):
    client = make_app(turn_rate_limit="2/minute").test_client()
    first = start_turn(client, "one")
    start_turn(client, "two")

    error = assert_error(client.post(GENERATE, json={"message": "three"}), 429, "rate_limited")
    assert "turns" in error["message"]
    assert client.get(first["status_url"]).status_code == 200  # reading goes on


def test_a_batch_counts_as_one_turn(make_app):
    client = make_app(turn_rate_limit="2/minute").test_client()
    batch = {"items": [{"message": f"item {n}"} for n in range(5)]}
    assert client.post("/api/batches", json=batch).status_code == 202
    assert start_turn(client, "a chat turn")["status"] == "queued"
    assert_error(client.post("/api/batches", json=batch), 429, "rate_limited")


def test_a_turn_refused_before_it_is_stored_still_counts(make_app, redis_client):
    # a valid turn is charged by the script that stores it; one refused before (its body)
    # is charged on the way out, and over the budget the answer is 429, as at the door
    client = make_app(turn_rate_limit="3/minute").test_client()
    assert_error(client.post(GENERATE, json={"message": ""}), 422, "validation_error")
    assert_error(client.post(CHAT, json={"mesage": "typo"}), 422, "validation_error")
    start_turn(client, "the third turn of the minute")

    assert_error(client.post(GENERATE, json={"message": ""}), 429, "rate_limited")
    assert_error(client.post(GENERATE, json={"message": "valid"}), 429, "rate_limited")
    assert len(job_ids(redis_client)) == 1


def test_turns_guessing_keys_are_charged_at_the_door(make_app, redis_client):
    client = make_app(api_keys=("k1",), turn_rate_limit="2/minute").test_client()
    wrong = {"X-API-Key": "not-a-key"}
    for _ in range(2):
        assert_error(
            client.post(GENERATE, json={"message": "x"}, headers=wrong), 401, "unauthorized"
        )

    assert_error(client.post(GENERATE, json={"message": "x"}, headers=wrong), 429, "rate_limited")
    assert job_ids(redis_client) == set()


def test_the_turn_window_moves_too(make_app, redis_client):
    # the same window, kept by the script that stores the turn
    client = make_app(turn_rate_limit="3/second").test_client()
    statuses = []
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        answer = client.post(GENERATE, json={"message": "an invoice for Acme"})
        statuses.append((time.monotonic(), answer.status_code))
    assert {status for _, status in statuses} == {202, 429}
    accepted = [moment for moment, status in statuses if status == 202]
    assert len(accepted) >= 6  # the window moved on: about 3 a second were let through
    for n, moment in enumerate(accepted):
        assert len([m for m in accepted[n:] if m - moment < 0.95]) <= 3
    assert len(job_ids(redis_client)) == len(accepted)


def test_the_window_moves_no_burst_at_a_window_edge(make_app, redis_client):
    # a fixed window lets 2x the limit through around its edge; a moving window never does
    client = make_app(read_rate_limit="4/second").test_client()
    url = f"/api/jobs/{'0' * 32}"
    statuses = []
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        statuses.append((time.monotonic(), client.get(url).status_code))
    accepted = [moment for moment, status in statuses if status != 429]
    for n, moment in enumerate(accepted):
        within_a_second = [m for m in accepted[n:] if m - moment < 0.95]
        assert len(within_a_second) <= 4


def test_a_get_on_a_post_only_route_is_405(client):
    response = client.get(GENERATE)
    error = assert_error(response, 405, "method_not_allowed")
    assert "not allowed" in error["message"]


def test_health_is_not_rate_limited(make_app):
    client = make_app(read_rate_limit="3/minute").test_client()

    statuses = {client.get("/api/health").status_code for _ in range(6)}

    assert statuses == {200}


# -- 503 unavailable --------------------------------------------------------------------------


def test_redis_down_answers_503_everywhere(make_app):
    client = make_app(redis_url=closed_url()).test_client()

    for response in (
        client.post(GENERATE, json={"message": "hello"}),
        client.post(CHAT, json={"message": "hello", "session_id": UNKNOWN}),
        client.get(f"/api/session/{UNKNOWN}"),
        client.get(f"/api/session/{UNKNOWN}/invoice"),
        client.delete(f"/api/session/{UNKNOWN}"),
        client.get(f"/api/jobs/{UNKNOWN}"),
        client.get(f"/api/jobs/{UNKNOWN}?wait=5"),
    ):
        error = assert_error(response, 503, "unavailable")
        assert "retry" in error["message"].lower()


@pytest.mark.parametrize("path", [GENERATE, CHAT])
def test_broker_down_on_a_new_session_leaves_nothing_behind(
    make_app, redis_client, nothing_written, path
):
    client = make_app(celery_broker_url=closed_url()).test_client()

    response = client.post(path, json={"message": "Invoice Acme for 2 hours"})

    assert_error(response, 503, "unavailable")


@pytest.mark.parametrize("path", [GENERATE, CHAT])
def test_broker_down_on_an_existing_session_leaves_it_as_it_was(make_app, redis_client, path):
    healthy = make_app()
    first = start_turn(healthy.test_client(), "hello")
    run_job(healthy, first["job_id"])
    sid = first["session_id"]
    before = healthy.test_client().get(f"/api/session/{sid}").get_json()
    client = make_app(celery_broker_url=closed_url()).test_client()

    response = client.post(path, json={"message": "add a travel line", "session_id": sid})

    assert_error(response, 503, "unavailable")
    after = healthy.test_client().get(f"/api/session/{sid}").get_json()
    for field in ("messages", "invoice", "token_count", "pending_job_id", "usage"):
        assert after[field] == before[field], field
    assert after["pending_job_id"] is None
    assert job_ids(redis_client) == {first["job_id"]}
    assert redis_client.llen("interactive") == 1  # the first turn's message only
    retry = start_turn(healthy.test_client(), "retry", session_id=sid, path=path)
    assert retry["session_id"] == sid  # the session is not left busy
