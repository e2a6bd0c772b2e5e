"""Accepting a chat turn: POST /api/chat -> 202 at 32 concurrent clients, vs a floor that
does the same work: a bare Flask route that parses the body, writes one Redis pipeline and
publishes one Celery task (bench/bare_app.py).

Both servers run under gunicorn with api/gunicorn.conf.py (the same gevent workers) at the
same time, on the same private Redis, each with a worker draining its queue (the product's
with InstantProvider; bench/bare_celery.py's no-op), and are loaded by the same client in
ABBA order (api, bare, bare, api) so that drift on a noisy machine hits both arms alike.
After each round the benchmark waits until both queues are empty, so that no arm's worker
is still draining its jobs while the other arm is measured.
Every request starts a new session (no session_id), so none can be refused with 409.
Targets: p50 <= 1.5x the floor, throughput >= 0.67x the floor's.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import redis
import requests

from bench import bare_celery
from bench.load import load_client
from bench.support import Context, Figure, Outcome, histogram_percentile, wait_until
from core.queue import INTERACTIVE_QUEUE

NAME = "accept"
TITLE = "POST /api/chat -> 202 at 32 clients, vs bare Flask + 1 Redis pipeline + 1 publish"
CONNECTIONS = 32
WARMUP_SECONDS = 3
ROUND_SECONDS = 6
ORDER = ("api", "bare", "bare", "api")
TARGET_P50_RATIO = 1.5
TARGET_THROUGHPUT_RATIO = 0.67
BODY = json.dumps(
    {"message": "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days"}
)


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    client = load_client(ctx.workdir, ctx.log)
    ctx.celery_worker("worker", "worker.app", "interactive,batch")
    ctx.celery_worker("bare-worker", "bench.bare_celery:floor", bare_celery.QUEUE)
    _, api_port = ctx.gunicorn("api", "api:create_app()")
    _, bare_port = ctx.gunicorn("bare", "bench.bare_app:create_app()")
    urls = {
        "api": f"http://127.0.0.1:{api_port}/api/chat",
        "bare": f"http://127.0.0.1:{bare_port}/api/chat",
    }
    for arm, url in urls.items():  # fail early and clearly if an arm does not answer 202
        answer = requests.post(
            url, data=BODY, headers={"Content-Type": "application/json"}, timeout=10
        )
        if answer.status_code != 202:
            raise RuntimeError(f"{arm}: POST answered {answer.status_code}: {answer.text[:300]}")

    for arm in ("api", "bare"):
        ctx.log(f"warm-up {arm} ({WARMUP_SECONDS}s)")
        client.run(
            urls[arm], BODY, connections=CONNECTIONS, seconds=WARMUP_SECONDS, expected_status=202
        )

    broker = redis.Redis.from_url(ctx.redis.url())
    ctx.stack.callback(broker.close)

    def drained() -> float:
        began = time.perf_counter()
        wait_until(
            lambda: not any(broker.llen(q) for q in (INTERACTIVE_QUEUE, bare_celery.QUEUE)),
            120,
            "the workers to drain the queues",
        )
        return time.perf_counter() - began

    histograms = {arm: Counter() for arm in urls}
    totals = {arm: Counter() for arm in urls}
    drained()
    for arm in ORDER:
        ctx.log(f"measure {arm} ({ROUND_SECONDS}s)")
        result = client.run(
            urls[arm], BODY, connections=CONNECTIONS, seconds=ROUND_SECONDS, expected_status=202
        )
        ctx.log(f"{arm}: queue drained {drained():.1f}s after the round")
        histograms[arm].update(result.histogram)
        totals[arm].update(
            requests=result.requests, unexpected=result.unexpected, errors=result.errors
        )
        totals[arm]["ms"] += int(result.seconds * 1000)

    p = {
        arm: {q: histogram_percentile(histograms[arm], q) / 1000 for q in (50, 90, 99)}
        for arm in urls
    }
    rates = {arm: totals[arm]["requests"] / (totals[arm]["ms"] / 1000) for arm in urls}
    outcome.figures = [
        Figure("p50 latency", p["api"][50], "ms", "bare", p["bare"][50], TARGET_P50_RATIO),
        Figure("p99 latency", p["api"][99], "ms", "bare", p["bare"][99]),
        # inverted so that, like the others, a ratio at most the target passes
        Figure(
            "floor req/s per API req/s",
            rates["bare"],
            "req/s",
            "api",
            rates["api"],
            1 / TARGET_THROUGHPUT_RATIO,
        ),
    ]
    for arm in urls:
        t = totals[arm]
        rate = t["requests"] / (t["ms"] / 1000) if t["ms"] else 0
        outcome.notes.append(
            f"{arm}: {t['requests']} requests in {len(ORDER) // 2} rounds, {rate:.0f} req/s, "
            f"p50 {p[arm][50]:.2f} ms, p90 {p[arm][90]:.2f} ms, p99 {p[arm][99]:.2f} ms, "
            f"non-202 {t['unexpected']}, socket errors {t['errors']}"
        )
    outcome.notes.append(f"client: {client.name}, {CONNECTIONS} keep-alive connections")
    if any(totals[arm]["unexpected"] or totals[arm]["errors"] for arm in urls):
        outcome.notes.append("WARNING: some responses were not 202; see the logs in the work dir")
    return outcome
