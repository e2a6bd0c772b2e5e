"""Accept -> succeeded with InstantProvider, vs a bare Celery round trip on the same broker.

The product arm: POST /api/chat (a new session each time) to the API under gunicorn, then
GET /api/jobs/{id}?wait=10 until the job is final; a real `celery -A worker.app worker -P
gevent` runs the turn. The baseline: `noop.apply_async().get()` of bench/bare_celery.py, its
worker also under -P gevent with the same concurrency, on the same private Redis. Turns are
sequential and the two arms alternate, turn by turn.
"""

from __future__ import annotations

import time
from datetime import datetime

import requests

from bench import bare_celery
from bench.support import Context, Figure, Outcome, median, percentile

NAME = "roundtrip"
TITLE = "accept -> succeeded (InstantProvider) vs bare Celery apply_async().get()"
WARMUP = 15
TURNS = 150
TARGET_P50_RATIO = 2.0
WORKER_CONCURRENCY = "64"  # the product's default, for both workers
MESSAGE = "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days"


def _moment(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


class ProductTurn:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    def __call__(self) -> tuple[float, dict]:
        """One turn, POST to succeeded; returns (seconds, timings of its phases)."""
        began = time.perf_counter()
        answer = self.http.post(f"{self.base_url}/api/chat", json={"message": MESSAGE}, timeout=10)
        accepted = time.perf_counter()
        if answer.status_code != 202:
            raise RuntimeError(f"POST /api/chat answered {answer.status_code}: {answer.text[:300]}")
        status_url = self.base_url + answer.json()["status_url"]
        job = {}
        for _ in range(3):  # each long-poll waits up to 10 s
            job = self.http.get(status_url, params={"wait": 10}, timeout=20).json()
            if job.get("status") in ("succeeded", "failed"):
                break
        finished = time.perf_counter()
        if job.get("status") != "succeeded":
            raise RuntimeError(f"turn did not succeed: {job}")
        phases = {
            "accept": accepted - began,
            "queued": _moment(job["started_at"]) - _moment(job["created_at"]),
            "running": _moment(job["finished_at"]) - _moment(job["started_at"]),
        }
        return finished - began, phases


def run(ctx: Context) -> Outcome:
    _, port = ctx.gunicorn("api", "api:create_app()")
    ctx.celery_worker(
        "worker", "worker.app", "interactive,batch", WORKER_CONCURRENCY=WORKER_CONCURRENCY
    )
    ctx.celery_worker(
        "bare-worker", "bench.bare_celery", bare_celery.QUEUE, "-c", WORKER_CONCURRENCY
    )
    product_turn = ProductTurn(f"http://127.0.0.1:{port}")
    celery_client = bare_celery.create_app(ctx.redis.url())
    noop = celery_client.tasks[bare_celery.NOOP_TASK]

    def bare_round_trip() -> float:
        began = time.perf_counter()
        answer = noop.apply_async().get(timeout=10)
        if answer != "ok":
            raise RuntimeError(f"noop answered {answer!r}")
        return time.perf_counter() - began

    product: list[float] = []
    bare: list[float] = []
    phases: list[dict] = []
    try:
        ctx.log(f"{TURNS} sequential turns per arm (+{WARMUP} warm-up), alternating")
        for n in range(WARMUP + TURNS):
            if n % 2:
                bare_seconds = bare_round_trip()
                product_seconds, turn_phases = product_turn()
            else:
                product_seconds, turn_phases = product_turn()
                bare_seconds = bare_round_trip()
            if n >= WARMUP:
                product.append(product_seconds)
                bare.append(bare_seconds)
                phases.append(turn_phases)
    finally:
        product_turn.http.close()
        celery_client.close()

    p50 = median(product) * 1000
    bare_p50 = median(bare) * 1000
    outcome = Outcome(NAME)
    outcome.figures = [
        Figure("p50 accept->succeeded", p50, "ms", "bare", bare_p50, TARGET_P50_RATIO),
        Figure(
            "p90 accept->succeeded",
            percentile(product, 90) * 1000,
            "ms",
            "bare",
            percentile(bare, 90) * 1000,
        ),
    ]
    split = {key: median(p[key] for p in phases) * 1000 for key in ("accept", "queued", "running")}
    outcome.notes += [
        f"product: p50 {p50:.2f} ms, p90 {percentile(product, 90) * 1000:.2f} ms over {TURNS} "
        f"turns; bare celery: p50 {bare_p50:.2f} ms, p90 {percentile(bare, 90) * 1000:.2f} ms",
        "product phases (medians; queued/running from the job's ms timestamps): "
        f"POST {split['accept']:.2f} ms, created->started {split['queued']:.1f} ms, "
        f"started->finished {split['running']:.1f} ms",
    ]
    return outcome
