"""A 1000-item batch with the offline engine, end to end, vs 1000 bare Celery no-op tasks.

The product arm: one `POST /api/batches` of 1000 JSON items (each a different client and
number of hours) to the API under gunicorn; a real `celery -A worker.app worker -P gevent`
(one process, WORKER_CONCURRENCY 64, LLM_PROVIDER=offline) runs the items; the run ends at
the last job's `finished_at`. The baseline: 1000 `bench.noop` tasks of bench/bare_celery.py
published as one Celery group, run by one `-P gevent -c 64` worker on the same private Redis;
the run ends at the last result's `date_done`. Completion is watched every 20 ms (the batch
hash's counts; the no-op results with MGET) and the end moment is read from the stamps, so
the polling interval does not count. Two ABBA rounds after a warm-up of 50 each; the medians
of the four runs per arm are compared. Every product item must succeed with the right total.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import redis
import requests
from celery import group

from bench import bare_celery
from bench.support import Context, Figure, Outcome, median
from core.batches import batch_key, items_key
from core.redis_model import job_key

NAME = "batch_throughput"
TITLE = "1000-item batch (offline engine) end to end vs 1000 bare Celery no-ops, one worker each"
ITEMS = 1000
WARMUP_ITEMS = 50
ROUNDS = 2  # each round runs product, bare, bare, product
WORKER_CONCURRENCY = "64"  # the product's default, for both workers
TARGET_RATIO = 0.5  # invoices/s at least half the bare no-op tasks/s
DEADLINE_SECONDS = 60  # per run; a healthy product run takes a few seconds
POLL_SECONDS = 0.02
CLIENTS = (
    "Acme Corp",
    "Globex Inc",
    "Initech LLC",
    "Umbrella GmbH",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli Ltd",
    "Vandelay Industries",
)
RATE = Decimal("150")
TAX = Decimal("1.08")


@dataclass
class MinimumFigure(Figure):
    """A figure whose ratio (or value, when absolute) must be at least `minimum`, and at most
    `target` when that is set too: throughput, or a rate that must stay in a band."""

    minimum: float | None = None

    @property
    def verdict(self) -> str:
        if self.target is None and self.minimum is None:
            return "info"
        measured = self.value if self.absolute else self.ratio
        if measured is None or math.isnan(measured):
            return "MISS"
        if self.minimum is not None and measured < self.minimum:
            return "MISS"
        if self.target is not None and measured > self.target:
            return "MISS"
        return "PASS"

    def target_text(self) -> str:
        if self.minimum is None:
            return super().target_text()
        suffix = f" {self.unit}" if self.absolute else "x"
        if self.target is None:
            return f">= {self.minimum:g}{suffix}"
        return f"{self.minimum:g}..{self.target:g}{suffix}"


def message(n: int) -> tuple[str, int]:
    """The n-th item's request and its hours; the offline engine understands it."""
    hours = 1 + n % 80
    client = CLIENTS[n % len(CLIENTS)]
    return (
        f"Invoice {client} for {hours} hours of consulting at $150/h, 8% tax, due in 30 days",
        hours,
    )


def expected_total(hours: int) -> str:
    return str((hours * RATE * TAX).quantize(Decimal("0.01")))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def moment(text: str) -> float:
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


@dataclass
class Run:
    seconds: float  # first publish -> last item finished (from the stamps)
    count: int
    succeeded: int
    cpu: float  # the worker's CPU seconds during the run
    accepted: float = math.nan  # the POST (product) or the group publish (bare)
    detail: dict | None = None
    batch_id: str = ""

    @property
    def per_second(self) -> float:
        if self.succeeded != self.count or not self.seconds > 0:
            return math.nan
        return self.count / self.seconds


class ProductArm:
    def __init__(self, base_url: str, db: redis.Redis, worker_pid: int):
        self.base_url = base_url
        self.db = db
        self.worker_pid = worker_pid
        self.http = requests.Session()
        self.runs = 0

    def __call__(self, count: int) -> Run:
        self.runs += 1
        items = [
            {"message": message(n)[0], "reference": f"R{self.runs}-{n:04d}"} for n in range(count)
        ]
        body = json.dumps({"items": items})
        cpu_before = cpu_seconds(self.worker_pid)
        began_wall = time.time()
        began = time.perf_counter()
        answer = self.http.post(
            f"{self.base_url}/api/batches",
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        accepted = time.perf_counter() - began
        if answer.status_code != 202:
            raise RuntimeError(f"POST /api/batches answered {answer.status_code}: {answer.text}")
        batch_id = answer.json()["batch_id"]
        while time.perf_counter() - began < DEADLINE_SECONDS:
            done = self.db.hmget(batch_key(batch_id), "succeeded", "failed", "cancelled")
            if sum(int(x or 0) for x in done) >= count:
                break
            time.sleep(POLL_SECONDS)
        cpu = cpu_seconds(self.worker_pid) - cpu_before
        entries = [json.loads(raw) for raw in self.db.lrange(items_key(batch_id), 0, -1)]
        with self.db.pipeline(transaction=False) as pipe:
            for entry in entries:
                pipe.hmget(
                    job_key(entry["job_id"]), "status", "created_at", "started_at", "finished_at"
                )
            jobs = pipe.execute()
        statuses = Counter(status for status, *_ in jobs)
        finished = [moment(f) - began_wall for *_, f in jobs if f]
        started = [moment(s) - began_wall for _, _, s, _ in jobs if s]
        waits = [moment(s) - moment(c) for _, c, s, _ in jobs if s]
        runs = [moment(f) - moment(s) for _, _, s, f in jobs if s and f]
        return Run(
            seconds=max(finished) if len(finished) == count else math.inf,
            count=count,
            succeeded=statuses["succeeded"],
            cpu=cpu,
            accepted=accepted,
            batch_id=batch_id,
            detail={
                "statuses": dict(statuses),
                "first_start": min(started, default=math.nan),
                "wait_p50": median(waits),
                "run_p50": median(runs),
            },
        )

    def check_results(self, batch_id: str) -> list[str]:
        """Every item of the batch succeeded with the right total and its own number."""
        answer = self.http.get(f"{self.base_url}/api/batches/{batch_id}/results.csv", timeout=30)
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        problems = Counter()
        for row in rows:
            n = int(row["reference"].split("-")[1])
            client = CLIENTS[n % len(CLIENTS)]
            if row["status"] != "succeeded":
                problems[f"status {row['status']} ({row['error_code']})"] += 1
            elif row["total"] != expected_total(message(n)[1]) or row["buyer"] != client:
                problems["wrong total or buyer"] += 1
        numbers = [row["invoice_number"] for row in rows if row["invoice_number"]]
        if len(set(numbers)) != len(numbers):
            problems["duplicate invoice numbers"] += len(numbers) - len(set(numbers))
        if len(rows) != ITEMS:
            problems[f"results.csv has {len(rows)} rows"] += 1
        return [f"{n} x {what}" for what, n in problems.items()]


class BareArm:
    def __init__(self, redis_url: str, db: redis.Redis, worker_pid: int):
        self.app = bare_celery.create_app(redis_url)
        self.noop = self.app.tasks[bare_celery.NOOP_TASK]
        self.db = db
        self.worker_pid = worker_pid

    def __call__(self, count: int) -> Run:
        key = self.app.backend.get_key_for_task
        cpu_before = cpu_seconds(self.worker_pid)
        began_wall = time.time()
        began = time.perf_counter()
        result = group(self.noop.s() for _ in range(count)).apply_async()
        accepted = time.perf_counter() - began
        keys = [key(r.id).decode() for r in result.results]
        pending = keys
        while pending and time.perf_counter() - began < DEADLINE_SECONDS:
            values = self.db.mget(pending)
            pending = [k for k, v in zip(pending, values, strict=True) if v is None]
            if pending:
                time.sleep(POLL_SECONDS)
        cpu = cpu_seconds(self.worker_pid) - cpu_before
        metas = [json.loads(v) for v in self.db.mget(keys) if v]
        done = [moment(m["date_done"]) - began_wall for m in metas if m.get("date_done")]
        succeeded = sum(1 for m in metas if m.get("status") == "SUCCESS")
        self.db.delete(*keys)
        return Run(
            seconds=max(done) if len(done) == count else math.inf,
            count=count,
            succeeded=succeeded,
            cpu=cpu,
            accepted=accepted,
        )

    def close(self) -> None:
        self.app.close()


def run(ctx: Context) -> Outcome:
    _, port = ctx.gunicorn("api", "api:create_app()", LLM_PROVIDER="offline")
    worker = ctx.celery_worker(
        "worker",
        "worker.app",
        "interactive,batch",
        WORKER_CONCURRENCY=WORKER_CONCURRENCY,
        LLM_PROVIDER="offline",
    )
    bare_worker = ctx.celery_worker(
        "bare-worker", "bench.bare_celery", bare_celery.QUEUE, "-c", WORKER_CONCURRENCY
    )
    db = redis.Redis.from_url(ctx.redis.url(), decode_responses=True)
    ctx.stack.callback(db.close)
    product = ProductArm(f"http://127.0.0.1:{port}", db, worker.process.pid)
    ctx.stack.callback(product.http.close)
    bare = BareArm(ctx.redis.url(), db, bare_worker.process.pid)
    ctx.stack.callback(bare.close)

    ctx.log(f"warm-up: {WARMUP_ITEMS} items per arm")
    for arm in (product, bare):
        warm = arm(WARMUP_ITEMS)
        if warm.succeeded != WARMUP_ITEMS:
            raise RuntimeError(f"warm-up: {warm.succeeded} of {WARMUP_ITEMS} succeeded {warm}")

    product_runs: list[Run] = []
    bare_runs: list[Run] = []
    for n in range(ROUNDS):
        ctx.log(f"round {n + 1} of {ROUNDS}: product, bare, bare, product ({ITEMS} items each)")
        for arm, runs in (
            (product, product_runs),
            (bare, bare_runs),
            (bare, bare_runs),
            (product, product_runs),
        ):
            runs.append(arm(ITEMS))
    problems = product.check_results(product_runs[-1].batch_id)

    rate = median(r.per_second for r in product_runs)
    bare_rate = median(r.per_second for r in bare_runs)
    if any(math.isnan(r.per_second) for r in product_runs) or problems:
        rate = math.nan  # an item failed or did not finish: the run cannot pass
    if any(math.isnan(r.per_second) for r in bare_runs):
        bare_rate = math.nan  # no baseline to compare with
    outcome = Outcome(NAME)
    outcome.figures = [
        MinimumFigure(
            f"{ITEMS}-item batch, median of {len(product_runs)}",
            rate,
            "items/s",
            "bare no-op",
            bare_rate,
            minimum=TARGET_RATIO,
        ),
        Figure(
            f"POST /api/batches, {ITEMS} items",
            median(r.accepted for r in product_runs) * 1000,
            "ms",
            "group publish",
            median(r.accepted for r in bare_runs) * 1000,
        ),
        Figure(
            "worker CPU per item",
            median(r.cpu / r.count for r in product_runs) * 1000,
            "ms",
            "bare",
            median(r.cpu / r.count for r in bare_runs) * 1000,
        ),
    ]

    def runs_text(runs: list[Run]) -> str:
        return ", ".join(f"{r.per_second:.0f}/s ({r.seconds:.2f} s)" for r in runs)

    outcome.notes += [
        f"product runs (order A B B A per round): {runs_text(product_runs)}",
        f"bare runs: {runs_text(bare_runs)}",
        "product phases (medians over runs): POST "
        f"{median(r.accepted for r in product_runs) * 1000:.0f} ms, first item started "
        f"{median(r.detail['first_start'] for r in product_runs) * 1000:.0f} ms after the "
        f"POST began, created->started p50 "
        f"{median(r.detail['wait_p50'] for r in product_runs):.2f} s (queue depth), "
        f"started->finished p50 {median(r.detail['run_p50'] for r in product_runs) * 1000:.0f} ms",
        "worker CPU seconds per run: product "
        + ", ".join(f"{r.cpu:.2f}" for r in product_runs)
        + "; bare "
        + ", ".join(f"{r.cpu:.2f}" for r in bare_runs),
        "results.csv of the last product batch: "
        + (
            "all items succeeded, totals and buyers right, numbers unique"
            if not problems
            else "; ".join(problems)
        ),
    ]
    for r in product_runs:
        if r.succeeded != r.count:
            outcome.notes.append(f"product batch {r.batch_id}: {r.detail['statuses']}")
    return outcome
