"""Prometheus metrics, served at /metrics.

API-side figures (requests, latency) are ordinary prometheus_client metrics; under gunicorn
with several processes PROMETHEUS_MULTIPROC_DIR (set by api/gunicorn.conf.py) makes one
scrape sum all of them. Worker-side figures (jobs by outcome, LLM tokens) are counted in
Redis by the same Lua scripts that finish jobs, so they are exact across any number of
workers and read at scrape time by `WorkerFigures` — no worker needs an HTTP port.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from core.errors import InvoiceAgentError
from core.metrics import Figures

HTTP_REQUESTS = Counter(
    "invoice_agent_http_requests_total", "HTTP requests", ["method", "endpoint", "status"]
)
HTTP_LATENCY = Histogram(
    "invoice_agent_http_request_seconds", "HTTP request latency", ["method", "endpoint"]
)


def _multiprocess_registry() -> CollectorRegistry | None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # read by prometheus_client itself too
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return None


class WorkerFigures:
    """A collector reading the workers' figures from Redis at scrape time."""

    def __init__(self, figures: Figures, queues: tuple[str, ...]):
        self.figures = figures
        self.queues = queues  # empty when the broker is not this Redis

    def collect(self):
        try:
            counters = self.figures.counters()
            histograms = {name: self.figures.histogram(name) for name in HISTOGRAMS}
            active = self.figures.active_sessions()
            depths = self.figures.queue_depths(self.queues) if self.queues else {}
        except InvoiceAgentError:  # Redis away: health says so; the scrape still answers
            return
        for name, (buckets, total) in histograms.items():
            family = HistogramMetricFamily(f"invoice_agent_job_{name}", HISTOGRAMS[name])
            family.add_metric([], buckets, total)
            yield family
        yield GaugeMetricFamily(
            "invoice_agent_active_sessions", "Sessions used within their TTL", value=active
        )
        if depths:
            depth = GaugeMetricFamily(
                "invoice_agent_queue_depth", "Jobs waiting to start", labels=["queue"]
            )
            for queue, count in depths.items():
                depth.add_metric([queue], count)
            yield depth
        jobs = CounterMetricFamily(
            "invoice_agent_jobs", "Finished turn jobs by outcome", labels=["outcome", "code"]
        )
        tokens = CounterMetricFamily(
            "invoice_agent_llm_tokens", "Tokens the LLM provider reported", labels=["kind"]
        )
        for field, value in sorted(counters.items()):
            if field == "jobs_succeeded":
                jobs.add_metric(["succeeded", ""], value)
            elif field == "jobs_cancelled":
                jobs.add_metric(["cancelled", ""], value)
            elif field.startswith("jobs_failed:"):
                jobs.add_metric(["failed", field.partition(":")[2]], value)
            elif field.startswith("tokens_"):
                tokens.add_metric([field.removeprefix("tokens_")], value)
        yield jobs
        yield tokens


HISTOGRAMS = {
    "queue_wait_seconds": "Seconds from acceptance to the start of a turn",
    "run_seconds": "Seconds a turn ran (provider call, pricing, writing)",
}


def register_metrics(app: Flask, figures: Figures, queues: tuple[str, ...] = ()) -> None:
    @app.after_request
    def _observe(response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        HTTP_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            HTTP_LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - started)
        return response

    worker_registry = CollectorRegistry(auto_describe=False)
    worker_registry.register(WorkerFigures(figures, queues))

    @app.route("/metrics")
    def metrics():
        api_figures = generate_latest(_multiprocess_registry() or REGISTRY)
        return Response(
            api_figures + generate_latest(worker_registry), mimetype=CONTENT_TYPE_LATEST
        )
