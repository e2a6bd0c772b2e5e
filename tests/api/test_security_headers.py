"""What browsers are told: a strict CSP for the UI and the docs, no framing, no sniffing."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from tests.conftest import make_settings


@pytest.fixture
def ui_client(tmp_path, redis_server, redis_client):
    from api import create_app

    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text('<!doctype html><script type="module" src="/assets/a.js">')
    (dist / "assets" / "a.js").write_text("console.log(1)")
    return create_app(make_settings(redis_server.url, frontend_dist=str(dist))).test_client()


def directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/batches", "/assets/a.js"])
def test_the_ui_is_served_under_a_strict_policy(ui_client, path):
    response = ui_client.get(path)
    assert response.status_code == 200
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == "script-src 'self'"  # no inline script, no eval
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["object-src"] == "object-src 'none'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_docs_allow_their_own_inline_script_and_nothing_else(ui_client):
    response = ui_client.get("/docs")
    page = response.get_data()
    policy = directives(response.headers["Content-Security-Policy"])
    scripts = re.findall(rb"<script>(.*?)</script>", page, re.S)
    assert scripts
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"


def test_api_answers_are_never_sniffed(ui_client):
    response = ui_client.get("/api/health")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers  # JSON: nothing to run
