"""API keys, ownership (404, never 403, for another key's things) and CORS."""

from __future__ import annotations

import pytest

from tests.support.api import (
    CHAT,
    GENERATE,
    assert_error,
    job_ids,
    run_job,
    session_ids,
    start_turn,
)
from tests.support.providers import draft, script

K1 = {"X-API-Key": "k1"}
K2 = {"X-API-Key": "k2"}
ALLOWED_ORIGIN = "http://localhost:3000"
FOREIGN_ORIGIN = "https://evil.example"


@pytest.fixture
def keyed_app(make_app):
    return make_app(api_keys=("k1", "k2"))


@pytest.fixture
def keyed(keyed_app):
    return keyed_app.test_client()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": ""},
        {"X-API-Key": "k3"},
        {"X-API-Key": "k1 k2"},
        {"X-API-Key": "K1"},
        {"Authorization": "Bearer k3"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic azE6"},
        {"Authorization": "k1"},
    ],
)
def test_missing_or_unknown_key_is_401_and_writes_nothing(keyed, redis_client, headers):
    response = keyed.post(GENERATE, json={"message": "hello"}, headers=headers)

    error = assert_error(response, 401, "unauthorized")
    assert "API key" in error["message"]
    assert session_ids(redis_client) == set() and job_ids(redis_client) == set()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", CHAT),
        ("GET", "/api/session/0123456789abcdef0123456789abcdef"),
        ("DELETE", "/api/session/0123456789abcdef0123456789abcdef"),
        ("GET", "/api/session/0123456789abcdef0123456789abcdef/invoice"),
        ("GET", "/api/jobs/0123456789abcdef0123456789abcdef"),
    ],
)
def test_every_api_route_needs_a_key(keyed, method, path):
    response = keyed.open(path, method=method, json={"message": "hi"})

    assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "k1"},
        {"X-API-Key": "k2"},
        {"Authorization": "Bearer k1"},
        {"Authorization": "bearer k2"},
    ],
)
def test_known_key_in_either_header_is_accepted(keyed, headers):
    accepted = start_turn(keyed, "hello", headers=headers)

    assert accepted["status"] == "queued"
    assert keyed.get(accepted["status_url"], headers=headers).status_code == 200


def test_the_same_key_in_either_header_is_the_same_owner(keyed):
    accepted = start_turn(keyed, "hello", headers={"X-API-Key": "k1"})

    response = keyed.get(
        f"/api/session/{accepted['session_id']}", headers={"Authorization": "Bearer k1"}
    )

    assert response.status_code == 200


def test_another_key_gets_404_never_403(keyed_app, keyed, redis_client):
    accepted = start_turn(keyed, script(invoice=draft()), headers=K1)
    run_job(keyed_app, accepted["job_id"])
    sid, job_id = accepted["session_id"], accepted["job_id"]

    assert_error(keyed.get(f"/api/session/{sid}", headers=K2), 404, "session_not_found")
    assert_error(keyed.get(f"/api/session/{sid}/invoice", headers=K2), 404, "session_not_found")
    assert_error(keyed.get(f"/api/jobs/{job_id}", headers=K2), 404, "job_not_found")
    assert_error(keyed.get(f"/api/jobs/{job_id}?wait=1", headers=K2), 404, "job_not_found")
    assert_error(
        keyed.post(CHAT, json={"message": "mine now", "session_id": sid}, headers=K2),
        404,
        "session_not_found",
    )
    assert_error(
        keyed.post(GENERATE, json={"message": "mine", "session_id": sid}, headers=K2),
        404,
        "session_not_found",
    )
    assert_error(keyed.delete(f"/api/session/{sid}", headers=K2), 404, "session_not_found")

    # and nothing k2 did touched k1's session
    assert job_ids(redis_client) == {job_id}
    session = keyed.get(f"/api/session/{sid}", headers=K1).get_json()
    assert len(session["messages"]) == 2
    assert session["pending_job_id"] is None
    assert session["invoice"]["total"] == "6480.00"
    assert keyed.get(f"/api/jobs/{job_id}", headers=K1).get_json()["status"] == "succeeded"
    assert keyed.delete(f"/api/session/{sid}", headers=K1).status_code == 204


def test_another_key_cannot_tell_a_foreign_session_from_a_missing_one(keyed):
    accepted = start_turn(keyed, "hello", headers=K1)

    foreign = keyed.get(f"/api/session/{accepted['session_id']}", headers=K2)
    missing = keyed.get("/api/session/0123456789abcdef0123456789abcdef", headers=K2)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json() == missing.get_json()


@pytest.mark.parametrize("path", ["/api/health", "/openapi.json", "/metrics", "/docs"])
def test_public_endpoints_need_no_key(keyed, path):
    response = keyed.get(path)

    assert response.status_code == 200, response.get_data(as_text=True)[:300]


def test_rate_limit_is_per_key(make_app):
    client = make_app(api_keys=("k1", "k2"), turn_rate_limit="2/minute").test_client()
    for n in range(2):
        start_turn(client, f"turn {n}", headers=K1)

    assert_error(client.post(GENERATE, json={"message": "third"}, headers=K1), 429, "rate_limited")
    assert start_turn(client, "k2 has its own budget", headers=K2)["status"] == "queued"


def test_guessing_keys_is_rate_limited_by_address(make_app):
    client = make_app(api_keys=("k1",), read_rate_limit="3/minute").test_client()
    for guess in ("a", "b", "c"):
        assert_error(
            client.get(f"/api/jobs/{'0' * 32}", headers={"X-API-Key": guess}), 401, "unauthorized"
        )
    assert_error(
        client.get(f"/api/jobs/{'0' * 32}", headers={"X-API-Key": "d"}), 429, "rate_limited"
    )
    # a valid key has its own budget, not the address's
    assert start_turn(client, "legit", headers={"X-API-Key": "k1"})["status"] == "queued"


# -- CORS ---------------------------------------------------------------------------------------


def test_allowed_origin_gets_cors_headers(client):
    response = client.post(GENERATE, json={"message": "hi"}, headers={"Origin": ALLOWED_ORIGIN})

    assert response.status_code == 202
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    assert "x-request-id" in exposed and "retry-after" in exposed


def test_foreign_origin_gets_no_cors_headers(client):
    response = client.get("/api/health", headers={"Origin": FOREIGN_ORIGIN})

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_configured_origins_replace_the_defaults(make_app):
    client = make_app(cors_origins=("https://invoices.example.com",)).test_client()

    ours = client.get("/api/health", headers={"Origin": "https://invoices.example.com"})
    default = client.get("/api/health", headers={"Origin": ALLOWED_ORIGIN})

    assert ours.headers["Access-Control-Allow-Origin"] == "https://invoices.example.com"
    assert "Access-Control-Allow-Origin" not in default.headers


def preflight(client, origin: str, path: str = CHAT):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, X-API-Key",
        },
    )


def test_preflight_works_without_an_api_key(keyed):
    response = preflight(keyed, ALLOWED_ORIGIN)

    assert 200 <= response.status_code < 300
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "x-api-key" in allowed and "content-type" in allowed
    assert response.headers.get("X-Request-ID")


def test_preflight_from_a_foreign_origin_is_not_allowed(keyed):
    response = preflight(keyed, FOREIGN_ORIGIN)

    assert "Access-Control-Allow-Origin" not in response.headers
