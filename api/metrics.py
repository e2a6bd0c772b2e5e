"""Prometheus metrics of the API process(es), served at /metrics.

Under gunicorn with several processes, set PROMETHEUS_MULTIPROC_DIR (the Makefile does) so
one scrape sums all of them (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter(
    "invoice_agent_http_requests_total", "HTTP requests", ["method", "endpoint", "status"]
)
HTTP_LATENCY = Histogram(
    "invoice_agent_http_request_seconds", "HTTP request latency", ["method", "endpoint"]
)


def _registry() -> CollectorRegistry | None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # read by prometheus_client itself too
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return None


def register_metrics(app: Flask) -> None:
    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        HTTP_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            HTTP_LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - started)
        return response

    @app.route("/metrics")
    def metrics():
        from prometheus_client import REGISTRY

        payload = generate_latest(_registry() or REGISTRY)
        return Response(payload, mimetype=CONTENT_TYPE_LATEST)
