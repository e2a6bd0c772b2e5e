"""Operators' endpoints: /api/health, /metrics, /openapi.json and the Swagger UI at /docs."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import free_port
from tests.support.api import closed_url

HEALTH_KEYS = {
    "status", "redis", "broker", "database", "workers", "turns", "llm_provider", "timestamp"
}  # fmt: skip
API_PATHS = {
    "/api/generate-invoice": {"post"},
    "/api/chat": {"post"},
    "/api/jobs/{job_id}": {"get"},
    "/api/session/{session_id}": {"get", "delete"},
    "/api/session/{session_id}/invoice": {"get"},
    "/api/health": {"get"},
}


# -- health -------------------------------------------------------------------------------------


def test_health_when_everything_answers(client):
    response = client.get("/api/health")

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == HEALTH_KEYS
    assert body["status"] == "healthy"
    assert body["redis"] == "connected"
    assert body["broker"] == "connected"
    assert body["database"] == "connected"
    assert body["workers"] == 0  # no worker process in these tests
    assert body["llm_provider"] == "tests.support.providers:ScriptedProvider"
    stamp = datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - stamp) < timedelta(seconds=30)


def test_health_counts_live_workers(app, client):
    stores = app.extensions["invoice_agent"].stores
    stores.workers.record_heartbeat("w1@host")
    stores.workers.record_heartbeat("w2@host")
    stores.workers.record_heartbeat("dead@host", now=time.time() - 3600)

    assert client.get("/api/health").get_json()["workers"] == 2


def test_health_counts_the_turns_on_hand_for_autoscaling(client):
    for message in ("one", "two", "three"):  # no worker: they stay queued
        assert client.post("/api/chat", json={"message": message}).status_code == 202
    submitted = client.post("/api/batches", json={"items": [{"message": "x"}] * 4})
    assert submitted.status_code == 202

    turns = client.get("/api/health").get_json()["turns"]

    assert turns == {"queued": 7, "running": 0, "on_hand": 7}


def test_health_when_redis_is_down(make_app):
    client = make_app(redis_url=closed_url()).test_client()

    response = client.get("/api/health")

    assert response.status_code == 503
    body = response.get_json()
    assert set(body) == HEALTH_KEYS
    assert body["status"] == "unhealthy"
    assert body["redis"] == "disconnected"
    assert body["workers"] == 0
    assert response.headers.get("X-Request-ID")


def test_health_when_only_the_broker_is_down(make_app):
    client = make_app(celery_broker_url=closed_url()).test_client()

    response = client.get("/api/health")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unhealthy"
    assert body["redis"] == "connected"
    assert body["broker"] == "disconnected"


def test_health_when_only_the_database_is_down(make_app):
    """A PostgreSQL that does not answer (a port nothing listens on) is unhealthy."""
    down = f"postgresql+psycopg://invoice:agent@127.0.0.1:{free_port()}/records"
    client = make_app(database_url=down).test_client()

    response = client.get("/api/health")

    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["database"]) == ("unhealthy", "disconnected")
    assert (body["redis"], body["broker"]) == ("connected", "connected")


def test_health_when_the_database_has_no_schema(make_app, tmp_path):
    """Reachable but never migrated: the records cannot work, so health says so."""
    client = make_app(database_url=f"sqlite:///{tmp_path / 'empty.db'}").test_client()

    body = client.get("/api/health").get_json()

    assert (body["status"], body["database"]) == ("unhealthy", "disconnected")


def test_health_with_a_separate_broker_that_answers(make_app, redis_server):
    client = make_app(celery_broker_url=redis_server.url.replace("/0", "/1")).test_client()

    body = client.get("/api/health").get_json()

    assert (body["status"], body["broker"]) == ("healthy", "connected")


# -- metrics ------------------------------------------------------------------------------------


def requests_total(client, **labels: str) -> float:
    response = client.get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            if sample.name == "invoice_agent_http_requests_total" and all(
                sample.labels.get(k) == v for k, v in labels.items()
            ):
                return sample.value
    return 0.0


def test_metrics_is_prometheus_text(client):
    client.get("/api/health")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "version=" in response.headers["Content-Type"]
    text = response.get_data(as_text=True)
    assert "# TYPE invoice_agent_http_requests_total counter" in text
    assert "# TYPE invoice_agent_http_request_seconds histogram" in text


def test_request_counter_increases_after_a_request(client):
    labels = {"method": "GET", "endpoint": "/api/health", "status": "200"}
    before = requests_total(client, **labels)

    client.get("/api/health")
    client.get("/api/health")

    assert requests_total(client, **labels) == before + 2


def test_request_counter_labels_errors_by_route_not_by_url(client):
    labels = {"method": "GET", "endpoint": "/api/session/<session_id>", "status": "404"}
    before = requests_total(client, **labels)

    client.get("/api/session/0123456789abcdef0123456789abcdef")
    client.get("/api/session/fedcba9876543210fedcba9876543210")

    assert requests_total(client, **labels) == before + 2
    assert "fedcba9876543210" not in client.get("/metrics").get_data(as_text=True)


# -- OpenAPI ------------------------------------------------------------------------------------


def _resolve(document: dict, node: dict) -> dict:
    while "$ref" in node:
        _, _, path = node["$ref"].partition("#/")
        node = document
        for part in path.split("/"):
            node = node[part]
    return node


def test_openapi_lists_every_api_route(app, client):
    document = client.get("/openapi.json").get_json()
    paths = {path: {m for m in ops if m != "parameters"} for path, ops in document["paths"].items()}

    for path, methods in API_PATHS.items():
        assert methods <= paths.get(path, set()), path
    for rule in app.url_map.iter_rules():  # and whatever routes are added later
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            methods = {m.lower() for m in rule.methods} - {"head", "options"}
            assert methods <= paths.get(path, set()), (path, methods)
    assert document["info"]["title"] == "Invoice Agent"
    assert document["openapi"].startswith("3.")


def test_openapi_documents_the_one_error_shape(client):
    document = client.get("/openapi.json").get_json()

    error = _resolve(document, document["components"]["schemas"]["Error"])
    body = _resolve(document, error["properties"]["error"])
    assert {"code", "message", "details"} <= set(body["properties"])
    error_schemas = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if status.startswith(("2", "3")) or (path, status) == ("/api/health", "503"):
                    continue  # health answers 503 with its own body, as the design says
                resolved = _resolve(document, response)
                schema = resolved["content"]["application/json"]["schema"]
                error_schemas.add(schema.get("$ref"))
                assert _resolve(document, schema) == error, (path, method, status)
    assert error_schemas == {"#/components/schemas/Error"}
    health_503 = document["paths"]["/api/health"]["get"]["responses"]["503"]
    assert _resolve(document, health_503["content"]["application/json"]["schema"])["properties"][
        "status"
    ]["enum"] == ["healthy", "unhealthy"]


def test_openapi_documents_the_turn_errors_and_bodies(client):
    document = client.get("/openapi.json").get_json()

    for path in ("/api/generate-invoice", "/api/chat"):
        operation = document["paths"][path]["post"]
        assert {"202", "401", "404", "409", "413", "422", "429", "503"} <= set(
            operation["responses"]
        )
        request = _resolve(
            document, operation["requestBody"]["content"]["application/json"]["schema"]
        )
        assert request["required"] == ["message"]
        assert {"message", "session_id"} == set(request["properties"])
        accepted = _resolve(
            document, operation["responses"]["202"]["content"]["application/json"]["schema"]
        )
        multipart = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert set(multipart["properties"]) == {"message", "session_id", "files"}
        assert multipart["properties"]["files"]["items"]["format"] == "binary"
        assert "415" in operation["responses"]
        assert set(accepted["properties"]) == {
            "job_id",
            "session_id",
            "status",
            "status_url",
            "attachments",
            "token_count",
            "token_limit",
            "token_zone",
        }


# -- Swagger UI ---------------------------------------------------------------------------------


def test_docs_serves_swagger_ui_from_local_assets(client):
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "swagger" in html.lower()
    assert "/openapi.json" in html
    assert not re.search(
        r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|unpkg|jsdelivr|cdnjs", html, re.IGNORECASE
    ), html
    scripts = re.findall(r"<script[^>]+src=[\"']([^\"']+)", html)
    styles = re.findall(r"<link[^>]+href=[\"']([^\"']+\.css)", html)
    assert any("swagger-ui-bundle" in s for s in scripts), scripts
    assert styles, html

    for url in scripts:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert "javascript" in asset.mimetype, (url, asset.mimetype)
        assert len(asset.get_data()) > 10_000
    for url in styles:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.mimetype == "text/css", (url, asset.mimetype)
        assert len(asset.get_data()) > 1_000


def test_docs_assets_do_not_serve_files_outside_the_bundle(client):
    response = client.get("/docs/static/../../../../etc/passwd")

    assert response.status_code == 404
    assert "root:" not in response.get_data(as_text=True)


# -- the built web UI ---------------------------------------------------------------------------


def test_the_built_ui_is_served_at_the_root(make_app, tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>Invoice Agent UI</title>")
    (tmp_path / "assets" / "app.js").write_text("console.log('ui')")
    client = make_app(frontend_dist=str(tmp_path)).test_client()

    assert b"Invoice Agent UI" in client.get("/").data
    asset = client.get("/assets/app.js")
    assert asset.status_code == 200 and asset.data == b"console.log('ui')"
    assert "javascript" in asset.headers["Content-Type"]
    assert b"Invoice Agent UI" in client.get("/sessions/some-client-route").data  # SPA fallback
    api_miss = client.get("/api/nothing-here")
    assert api_miss.status_code == 404 and api_miss.get_json()["error"]["code"] == "not_found"
    escape = client.get("/..%2fpyproject.toml")  # nothing outside the build is ever sent
    assert b"[project]" not in escape.data


def test_without_a_build_the_root_is_a_json_404(client):
    response = client.get("/")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_metrics_report_worker_side_jobs_and_llm_tokens(app, client):
    from tests.support.api import run_job, start_turn
    from tests.support.providers import draft, script

    ok = start_turn(client, script(invoice=draft(), usage={"input_tokens": 40, "output_tokens": 7}))
    run_job(app, ok["job_id"])
    bad = start_turn(client, script(**{"raise": "permanent"}))
    run_job(app, bad["job_id"])

    text = client.get("/metrics").get_data(as_text=True)
    assert 'invoice_agent_jobs_total{code="",outcome="succeeded"} 1.0' in text
    assert 'invoice_agent_jobs_total{code="provider_error",outcome="failed"} 1.0' in text
    assert 'invoice_agent_llm_tokens_total{kind="input"} 40.0' in text
    assert 'invoice_agent_llm_tokens_total{kind="output"} 7.0' in text


def test_metrics_report_queue_depth_active_sessions_and_turn_durations(app, client):
    from tests.support.api import run_job, start_turn

    first = start_turn(client, "one")
    start_turn(client, "two")
    before = client.get("/metrics").get_data(as_text=True)
    assert 'invoice_agent_queue_depth{queue="interactive"} 2.0' in before
    assert "invoice_agent_active_sessions 2.0" in before
    assert "invoice_agent_job_run_seconds_count 0.0" in before

    run_job(app, first["job_id"])
    client.delete(f"/api/session/{first['session_id']}")

    after = client.get("/metrics").get_data(as_text=True)
    assert "invoice_agent_job_run_seconds_count 1.0" in after
    assert "invoice_agent_job_queue_wait_seconds_count 1.0" in after
    assert 'invoice_agent_job_run_seconds_bucket{le="+Inf"} 1.0' in after
    assert "invoice_agent_active_sessions 1.0" in after


def test_the_openapi_document_states_the_rate_limits(make_app):
    client = make_app(turn_rate_limit="7/minute", read_rate_limit="70/minute").test_client()
    description = client.get("/openapi.json").get_json()["info"]["description"]
    assert "turns: 7/minute" in description and "reads: 70/minute" in description
    assert "Retry-After" in description


def test_settings_the_llm_provider_cannot_use_make_health_say_so(make_app):
    client = make_app(llm_provider="bedrock", job_time_limit=8).test_client()

    response = client.get("/api/health")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unhealthy" and "JOB_TIME_LIMIT=8" in body["configuration"]
