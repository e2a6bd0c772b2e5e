"""Auth abuse: other keys, no key, guessed ids, rate limits across processes, foreign origins.

With API_KEYS=k1,k2, everything k1 creates (a session with an invoice, its job, a queued job,
a batch and its items' sessions and jobs) is tried with every endpoint that takes an id —
listed from the app's own routes, so a new endpoint is covered the day it is added — with k2,
a wrong key and none: 404 (exactly the body of an unknown id) or 401, and Redis unchanged,
TTLs included. Then k1 itself gets 2xx on each, which proves the ids were right.
"""

from __future__ import annotations

import io
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest
import redis
import requests

from tests.abuse.conftest import FixedAnswer, complete_draft, error_of, run_job, turn
from tests.support.api import CHAT, GENERATE, HEX32

K1 = {"X-API-Key": "k1"}
K2 = {"X-API-Key": "k2"}
STRANGERS = {
    "k2": K2,
    "k2 as bearer": {"Authorization": "Bearer k2"},
    "a wrong key": {"X-API-Key": "k3"},
    "no key": {},
}
UNKNOWN = "0123456789abcdef0123456789abcdef"
VOLATILE = ("rate:", "metrics:")  # rate-limit counters and request metrics change by design


@pytest.fixture
def keyed_app(make_app):
    return make_app(api_keys=("k1", "k2"))


@pytest.fixture
def keyed(keyed_app):
    return keyed_app.test_client()


@pytest.fixture
def k1_things(keyed_app, keyed):
    """What k1 owns: ids by the route parameter that names them."""
    done = turn(keyed_app, FixedAnswer(complete_draft()), headers=K1)
    queued = keyed.post(GENERATE, json={"message": "still queued"}, headers=K1).get_json()
    response = keyed.post(
        "/api/batches", json={"items": [{"message": "a"}, {"message": "b"}]}, headers=K1
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    batch = response.get_json()
    item = batch["items"][0]
    assert run_job(keyed_app, item["job_id"], FixedAnswer(complete_draft())) == "applied"
    attached = keyed.post(  # a turn with a file, still queued: the file is stored
        GENERATE,
        data={"message": "this", "files": [(io.BytesIO(b"Task,Hours\nDesign,2\n"), "t.csv")]},
        content_type="multipart/form-data",
        headers=K1,
    ).get_json()
    kept = turn(keyed_app, FixedAnswer(complete_draft()), headers=K1)  # issued: a record
    issued = keyed.post(f"/api/session/{kept['session_id']}/issue", headers=K1).get_json()
    return {
        "session_id": [done["session_id"], item["session_id"]],
        "job_id": [done["job_id"], queued["job_id"], item["job_id"]],
        "batch_id": [batch["batch_id"]],
        "number": [issued["number"]],
        "client_id": [issued["client_id"]],
        "attachment_id": [  # a route with two ids: both k1's
            {
                "session_id": attached["session_id"],
                "attachment_id": attached["attachments"][0]["attachment_id"],
            }
        ],
    }


# what a route with an id calls its resource in its 404 code, where the name differs
RESOURCE = {"number": "invoice"}
# a body each PATCH route accepts, so that only ownership can refuse it
BODIES = {
    "/api/invoices/{number}": {"status": "paid"},
    "/api/clients/{client_id}": {"phone": "+1 555 0100"},
}


def routes_with_ids(app) -> list[tuple[str, str, str]]:
    """(METHOD, path template, id parameter) for every /api route that takes an id (the last
    one: /api/session/{session_id}/attachments/{attachment_id} is an attachment's route)."""
    found = []
    for rule in app.url_map.iter_rules():
        names = re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule.rule)
        if rule.rule.startswith("/api/") and names:
            template = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, template, names[-1]))
    return sorted(found)


def ids(name: str, owned: str | dict[str, str]) -> dict[str, str]:
    """The route parameters of one owned thing (a dict when the route takes several ids)."""
    return owned if isinstance(owned, dict) else {name: owned}


class Unknown(dict):
    """Every route parameter an id that exists nowhere."""

    def __missing__(self, key: str) -> str:
        return UNKNOWN


def snapshot(client: redis.Redis) -> dict[str, tuple[bytes, int]]:
    """Every key's serialized value and remaining TTL (ms), rate limits and metrics aside."""
    keys = [k for k in client.scan_iter() if not k.decode().startswith(VOLATILE)]
    return {k.decode(): (client.dump(k), client.pttl(k)) for k in keys}


def assert_unchanged(before: dict, after: dict) -> None:
    assert sorted(after) == sorted(before)
    for key, (value, ttl) in before.items():
        assert after[key][0] == value, f"{key} was changed"
        assert after[key][1] <= ttl, f"{key}'s TTL was refreshed"  # no "activity" either


def test_no_one_else_can_read_edit_delete_export_or_poll(
    keyed_app, keyed, k1_things, redis_server, figures
):
    raw = redis.Redis.from_url(redis_server.url)
    routes = routes_with_ids(keyed_app)
    before = snapshot(raw)
    tried = 0

    for method, template, name in routes:
        for owned in k1_things[name]:
            url = template.format(**ids(name, owned))
            unknown_url = template.format_map(Unknown())
            body = {"json": BODIES[template]} if template in BODIES else {}
            for suffix in ("", "?wait=2") if name == "job_id" else ("",):
                for who, headers in STRANGERS.items():
                    response = keyed.open(url + suffix, method=method, headers=headers, **body)
                    tried += 1
                    if who in ("k2", "k2 as bearer"):
                        assert response.status_code == 404, (method, url, who)
                        unknown = keyed.open(
                            unknown_url + suffix, method=method, headers=headers, **body
                        )
                        assert response.get_json() == unknown.get_json(), (method, url, who)
                        resource = RESOURCE.get(name, name.removesuffix("_id"))
                        assert error_of(response)["code"] == f"{resource}_not_found"
                    else:
                        assert response.status_code == 401, (method, url, who)
                        assert error_of(response)["code"] == "unauthorized"
    for session_id in k1_things["session_id"]:
        for path in (CHAT, GENERATE):
            for who, headers in STRANGERS.items():
                body = {"message": "this is mine now", "session_id": session_id}
                response = keyed.post(path, json=body, headers=headers)
                tried += 1
                refused = (
                    (404, "session_not_found") if who.startswith("k2") else (401, "unauthorized")
                )
                assert (response.status_code, error_of(response)["code"]) == refused, who

    assert_unchanged(before, snapshot(raw))
    raw.close()
    figures["auth: requests by other keys or none, routes with ids"] = (tried, len(routes))

    # k1 itself gets through on every route: the ids were right, ownership did the refusing
    # (its sessions issued first: a draft's e-invoices lack BT-1 and answer 422)
    first_issue_last_delete = sorted(routes, key=lambda r: (r[0] == "DELETE", "/issue" not in r[1]))
    for method, template, name in first_issue_last_delete:
        for owned in k1_things[name]:
            body = {"json": BODIES[template]} if template in BODIES else {}
            url = template.format(**ids(name, owned))
            response = keyed.open(url, method=method, headers=K1, **body)
            assert response.status_code < 300, (method, template, response.get_data(as_text=True))


def test_every_route_with_an_id_was_covered(keyed_app):
    covered = {template for _, template, _ in routes_with_ids(keyed_app)}

    assert {
        "/api/jobs/{job_id}",
        "/api/session/{session_id}",
        "/api/session/{session_id}/invoice",
        "/api/session/{session_id}/invoice.pdf",
        "/api/session/{session_id}/invoice.html",
        "/api/session/{session_id}/invoice.ubl.xml",
        "/api/session/{session_id}/invoice.cii.xml",
        "/api/session/{session_id}/invoice.facturx.pdf",
        "/api/batches/{batch_id}",
        "/api/batches/{batch_id}/results.csv",
        "/api/session/{session_id}/issue",
        "/api/invoices/{number}",
        "/api/invoices/{number}.pdf",
        "/api/invoices/{number}.ubl.xml",
        "/api/invoices/{number}/credit-note",
        "/api/invoices/{number}/copy",
        "/api/clients/{client_id}",
        "/api/session/{session_id}/attachments/{attachment_id}",
    } <= covered


# -- ids -----------------------------------------------------------------------------------------


def test_ids_are_random_uuid4_not_sequential(make_app, figures):
    client = make_app().test_client()
    ids: list[str] = []
    for n in range(450):
        accepted = client.post(GENERATE, json={"message": f"turn {n}"}).get_json()
        ids += [accepted["session_id"], accepted["job_id"]]
    batch = client.post(
        "/api/batches", json={"items": [{"message": f"item {n}"} for n in range(200)]}
    ).get_json()
    ids.append(batch["batch_id"])
    ids += [value for item in batch["items"] for value in (item["session_id"], item["job_id"])]

    assert len(ids) >= 1000 and len(set(ids)) == len(ids)
    assert all(HEX32.match(i) for i in ids)
    parsed = [uuid.UUID(hex=i) for i in ids]
    assert {(u.version, u.variant) for u in parsed} == {(4, uuid.RFC_4122)}  # 122 random bits
    numbers = [u.int for u in parsed]
    gaps = [abs(a - b) for a, b in pairwise(numbers)]
    distances = [bin(a ^ b).count("1") for a, b in pairwise(numbers)]
    assert min(gaps) > 2**64, "consecutive ids are close: sequential?"
    assert min(distances) >= 20, "consecutive ids share most bits"
    random_bits = [b for b in range(128) if b not in range(76, 80) and b not in (62, 63)]
    shares = [sum(n >> b & 1 for n in numbers) / len(numbers) for b in random_bits]
    assert min(shares) > 0.35 and max(shares) < 0.65, (min(shares), max(shares))
    figures["ids: sampled, distinct, min bits differing between consecutive ids"] = (
        len(ids),
        len(set(ids)),
        min(distances),
    )


# -- rate limits across processes ----------------------------------------------------------------


def test_the_rate_limit_holds_across_api_processes(live_api, redis_client, figures):
    # two gunicorn masters with two workers each: four API processes, one Redis
    env = {
        "WEB_CONCURRENCY": "2",
        "READ_RATE_LIMIT": "10/minute",
        "TURN_RATE_LIMIT": "4/minute",
        "API_KEYS": "k1,k2",
    }
    servers = [live_api(**env), live_api(**env)]

    def send(connection: int) -> list[requests.Response]:
        """Five requests over one keep-alive connection, alternating between the servers."""
        answers = []
        with requests.Session() as session:
            for n in range(connection * 5, connection * 5 + 5):
                server = servers[n % 2]
                if n % 3:
                    url = server.url(f"/api/jobs/{UNKNOWN}")
                    answers.append(session.get(url, headers=K1, timeout=30))
                else:
                    body = {"message": f"n{n}"}
                    answers.append(
                        session.post(server.url(GENERATE), json=body, headers=K1, timeout=30)
                    )
        return answers

    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = [answer for batch in pool.map(send, range(5)) for answer in batch]
    k2 = [
        requests.get(servers[n % 2].url(f"/api/jobs/{UNKNOWN}"), headers=K2, timeout=30)
        for n in range(5)
    ]

    statuses = [a.status_code for a in answers]
    limited = [a for a in answers if a.status_code == 429]
    reads = [a for a in answers if a.request.method == "GET"]
    turns = [a for a in answers if a.request.method == "POST"]
    assert sum(a.status_code != 429 for a in reads) == 10, statuses
    assert sum(a.status_code != 429 for a in turns) == 4, statuses
    assert set(statuses) <= {202, 404, 429}, statuses
    for answer in limited:
        assert answer.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert [a.status_code for a in k2] == [404] * 5  # k2 has a budget of its own
    figures["rate limits (reads 10/min, turns 4/min) over 4 API processes: sent, accepted, 429"] = (
        len(answers),
        len(answers) - len(limited),
        len(limited),
    )


# -- CORS ------------------------------------------------------------------------------------------

FOREIGN_ORIGINS = [
    "https://evil.example",
    "http://localhost:3000.evil.example",
    "http://evil.localhost:3000",
    "http://localhost:30000",
    "http://localhost:300",
    "https://localhost:3000",
    "http://localhost",
    "http://127.0.0.1:3000",
    "http://localhost:8000@evil.example",
    "null",
    "*",
    "file://",
]
CUSTOM = "https://invoices.example.com"
FOREIGN_TO_CUSTOM = [
    "https://invoices.example.com.evil.net",
    "https://evil-invoices.example.com",
    "https://xinvoices.example.com",
    "http://invoices.example.com",
    "https://invoices.example.com:8443",
    "http://localhost:3000",  # a default, replaced by the configured list
]


def cors_headers(response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def cross_origin_requests(client, origin: str):
    yield client.get("/api/health", headers={"Origin": origin})
    yield client.get(f"/api/session/{UNKNOWN}", headers={"Origin": origin, **K1})
    yield client.post(CHAT, json={"message": "hi"}, headers={"Origin": origin, **K1})
    for path, method in (
        (CHAT, "POST"),
        (f"/api/session/{UNKNOWN}", "DELETE"),
        ("/api/batches", "POST"),
    ):
        yield client.options(
            path,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "Content-Type, X-API-Key, Authorization",
            },
        )


@pytest.mark.parametrize(
    "configured, origin",
    [(None, o) for o in FOREIGN_ORIGINS] + [((CUSTOM,), o) for o in FOREIGN_TO_CUSTOM],
)
def test_cors_refuses_origins_not_configured(make_app, configured, origin):
    settings = {"api_keys": ("k1",)} | ({"cors_origins": configured} if configured else {})
    client = make_app(**settings).test_client()

    for response in cross_origin_requests(client, origin):
        assert cors_headers(response) == {}, (origin, response.status_code, cors_headers(response))


@pytest.mark.parametrize(
    "configured, origin", [(None, "http://localhost:3000"), ((CUSTOM,), CUSTOM)]
)
def test_cors_answers_configured_origins_with_themselves_never_a_wildcard(
    make_app, configured, origin
):
    settings = {"api_keys": ("k1",)} | ({"cors_origins": configured} if configured else {})
    client = make_app(**settings).test_client()

    for response in cross_origin_requests(client, origin):
        assert response.headers.get("Access-Control-Allow-Origin") == origin
        assert response.headers.get("Access-Control-Allow-Credentials") != "true"
        if len(configured or (1, 2)) > 1:  # flask-cors sends Vary only when it can differ
            assert "Origin" in response.headers.get("Vary", "")
