"""The Flask app factory: `gunicorn 'api:create_app()'`."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import swagger_ui_bundle
from flask import Flask, abort, g, request, send_from_directory
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api

from api.auth import owner_for_request
from api.errors import register_error_handlers
from api.metrics import register_metrics
from api.queue import TurnQueue
from api.routes import health, jobs, sessions, turns
from api.schemas import ErrorSchema
from api.services import Services
from core.providers import provider_name
from core.settings import Settings
from core.store import SessionStore

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PUBLIC_PATHS = ("/api/health", "/metrics", "/openapi.json", "/docs")


class InvoiceApi(Api):
    ERROR_SCHEMA = ErrorSchema  # document our one error shape, not flask-smorest's


def create_app(
    settings: Settings | None = None,
    *,
    store: SessionStore | None = None,
    queue: TurnQueue | None = None,
) -> Flask:
    """Build the API. Tests pass their own settings (and may pass store or queue)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder=None)
    app.config.update(
        INVOICE_SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        API_TITLE="Invoice Agent",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/docs/static/",  # served below, from swagger-ui-bundle
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,  # a Redis outage answers 503 from the views, not 500
    )
    app.extensions["invoice_agent"] = Services(
        settings=settings,
        store=store
        or SessionStore.from_url(
            settings.redis_url,
            session_ttl=settings.session_ttl_seconds,
            job_ttl=settings.job_ttl_seconds,
            token_limit=settings.token_limit,
        ),
        queue=queue or TurnQueue(settings),
        provider_name=provider_name(settings),
    )

    _register_request_context(app, settings)  # before the limiter: it keys on the owner
    Limiter(
        key_func=_rate_limit_key,
        app=app,
        default_limits=[settings.rate_limit],
        storage_uri=settings.redis_url,
        strategy="moving-window",
    ).request_filter(
        lambda: request.path.startswith(PUBLIC_PATHS) or not request.path.startswith("/api/")
    )
    CORS(app, origins=list(settings.cors_origins), expose_headers=["X-Request-ID", "Retry-After"])

    api = InvoiceApi(app)
    for blueprint in (turns.blp, jobs.blp, sessions.blp, health.blp):
        api.register_blueprint(blueprint)
    register_error_handlers(app)  # after Api(): replaces flask-smorest's own error shape
    register_metrics(app)
    _register_swagger_assets(app)
    _register_ui(app, Path(settings.frontend_dist))
    return app


def _register_request_context(app: Flask, settings: Settings) -> None:
    @app.before_request
    def _identify():
        sent = request.headers.get("X-Request-ID", "")
        g.request_id = sent if REQUEST_ID.match(sent) else uuid.uuid4().hex
        g.owner = None
        needs_owner = request.path.startswith("/api/") and not request.path.startswith(PUBLIC_PATHS)
        if needs_owner and request.method != "OPTIONS":  # CORS preflights carry no credentials
            g.owner = owner_for_request(request, settings.api_keys)

    @app.after_request
    def _echo_request_id(response):
        response.headers["X-Request-ID"] = g.get("request_id") or uuid.uuid4().hex
        return response


def _rate_limit_key() -> str:
    owner = g.get("owner")
    return f"key:{owner}" if owner else f"ip:{get_remote_address()}"


def _register_swagger_assets(app: Flask) -> None:
    assets = swagger_ui_bundle.swagger_ui_path

    @app.route("/docs/static/<path:filename>")
    def swagger_assets(filename: str):
        return send_from_directory(assets, filename, max_age=86400)


def _register_ui(app: Flask, dist: Path) -> None:
    """Serve the built web UI (frontend/dist) at /, with index.html for client-side routes."""

    @app.route("/", defaults={"path": ""})
    @app.route("/<path:path>")
    def ui(path: str):
        if path.startswith("api/") or not (dist / "index.html").is_file():
            abort(404)
        if path and (dist / path).is_file():
            return send_from_directory(dist, path)
        return send_from_directory(dist, "index.html", max_age=0)
