"""The Flask app factory: `gunicorn 'api:create_app()'`."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from pathlib import Path

import swagger_ui_bundle
from flask import Flask, abort, current_app, g, request, send_from_directory
from flask_cors import CORS
from flask_smorest import Api
from gevent import monkey
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import PathConverter

from api import openapi
from api.auth import owner_for_request
from api.errors import register_error_handlers
from api.metrics import register_metrics
from api.rate_limits import charge_at_the_door
from api.routes import batches, clients, exports, health, invoices, jobs, profile, sessions, turns
from api.schemas import ErrorSchema
from api.security import register_security_headers
from api.services import Services
from core.errors import ConfigurationError
from core.exports import typesetter
from core.logs import start_context
from core.providers import check_settings, provider_name
from core.queue import QUEUES, CeleryPublisher, Publisher
from core.records import RecordsService
from core.request_budgets import RequestBudgets
from core.settings import Settings
from core.stores import RedisStores
from core.tokens import count_tokens

access_log = logging.getLogger("api.access")
log = logging.getLogger(__name__)

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # whole value: REQUEST_ID.fullmatch
PUBLIC_PATHS = ("/api/health", "/metrics", "/openapi.json", "/docs")


class InvoiceApi(Api):
    ERROR_SCHEMA = ErrorSchema  # document our one error shape, not flask-smorest's

    def _openapi_json(self):
        settings = current_app.config["INVOICE_SETTINGS"]
        return current_app.response_class(
            json.dumps(openapi.finish(self.spec.to_dict(), settings), indent=2),
            mimetype="application/json",
        )


def create_app(
    settings: Settings | None = None,
    *,
    stores: RedisStores | None = None,
    publisher: Publisher | None = None,
    records: RecordsService | None = None,
) -> Flask:
    """Build the API. Tests pass their own settings (and may pass stores, a publisher or
    the records service)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder=None)
    if settings.trusted_proxies:  # the client's address for rate limits, from the proxy
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)
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
    )
    stores = stores or RedisStores.from_settings(settings)
    budgets = RequestBudgets(
        stores.redis, turns=settings.turn_rate_limit, reads=settings.read_rate_limit
    )
    app.extensions["invoice_agent"] = Services(
        settings=settings,
        stores=stores,
        budgets=budgets,
        publisher=publisher or CeleryPublisher.from_settings(settings),
        provider_name=provider_name(settings),
        records=records or RecordsService.from_url(settings.database_url),
        configuration_problem=_configuration_problem(settings),
    )

    _register_request_id(app)
    _register_rate_limits(app, settings, budgets)  # before authentication: guesses count too
    _register_authentication(app, settings)
    CORS(
        app,
        origins=list(settings.cors_origins),
        expose_headers=["X-Request-ID", "Retry-After", "Content-Disposition"],
    )

    api = InvoiceApi(app, spec_kwargs={"extra_plugins": [openapi.ErrorResponses()]})
    openapi.configure(api)
    for blueprint in (
        turns.blp, jobs.blp, sessions.blp, exports.blp, batches.blp, health.blp,
        profile.blp, clients.blp, invoices.blp,
    ):  # fmt: skip
        api.register_blueprint(blueprint)
    register_error_handlers(app)  # after Api(): replaces flask-smorest's own error shape
    if monkey.is_module_patched("threading"):  # gunicorn's gevent workers
        # one document more than a key may render at once: another key always finds a compiler
        typesetter.compile_on_native_threads(parallel=settings.export_concurrency + 1)
    same_redis = settings.broker_url == settings.redis_url
    register_metrics(app, stores.figures, QUEUES if same_redis else ())
    count_tokens("warm")  # load the encoding now, not on a client's first request
    register_security_headers(app)
    _register_swagger_assets(app)
    _register_ui(app, Path(settings.frontend_dist))
    return app


def _configuration_problem(settings: Settings) -> str:
    """What the LLM provider cannot work with in these settings, or "" (checked now, at start:
    the workers refuse to start with it, and /api/health reports it)."""
    try:
        check_settings(settings)
    except ConfigurationError as problem:
        log.error("configuration: %s", problem)
        return problem.message
    return ""


def _is_public(path: str | None = None) -> bool:
    path = request.path if path is None else path
    return not path.startswith("/api/") or path.startswith(PUBLIC_PATHS)


def _register_request_id(app: Flask) -> None:
    @app.before_request
    def _identify_request():
        sent = request.headers.get("X-Request-ID", "")
        g.request_id = sent if REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        start_context(request_id=g.request_id)

    # registered before the limiter, so it runs after the limiter has added its headers
    @app.after_request
    def _finish_headers(response):
        response.headers["X-Request-ID"] = g.get("request_id") or uuid.uuid4().hex
        started = g.get("request_started", time.perf_counter())
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "route": request.url_rule.rule if request.url_rule else None,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response


def _register_authentication(app: Flask, settings: Settings) -> None:
    @app.before_request
    def _authenticate():
        g.owner = None
        if not _is_public() and request.method != "OPTIONS":  # preflights carry no key
            g.owner = owner_for_request(request, settings.api_keys)


def _register_rate_limits(app: Flask, settings: Settings, budgets: RequestBudgets) -> None:
    @app.before_request
    def _rate_limit():
        if not _is_public() and request.method != "OPTIONS":
            charge_at_the_door(budgets, settings.api_keys)


def _register_swagger_assets(app: Flask) -> None:
    assets = swagger_ui_bundle.swagger_ui_path

    @app.route("/docs/static/<path:filename>")
    def swagger_assets(filename: str):
        return send_from_directory(assets, filename, max_age=86400)


class UiPathConverter(PathConverter):
    """Any path outside /api/: a GET on a POST-only API route stays a 405, not the UI."""

    regex = r"(?!api/)[^/].*?"


def _register_ui(app: Flask, dist: Path) -> None:
    """Serve the built web UI (frontend/dist) at /, with index.html for client-side routes."""

    app.url_map.converters["ui_path"] = UiPathConverter

    @app.route("/", defaults={"path": ""})
    @app.route("/<ui_path:path>")
    def ui(path: str):
        if not (dist / "index.html").is_file():
            abort(404)
        if path and (dist / path).is_file():
            return send_from_directory(dist, path)
        return send_from_directory(dist, "index.html", max_age=0)
