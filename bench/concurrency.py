"""200 turns on 200 sessions with a 3 s provider and ONE worker process (gevent, 200).

All 200 are submitted through the API under gunicorn (32 client threads, a new session
each); the wall time runs from the first POST until every job is final, read from Redis
every 20 ms. The synchronous design would need 200 x 3 s, one turn after the other.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import redis
import requests

from bench.providers import SLEEP_SECONDS
from bench.support import Context, Figure, Outcome
from core.redis_model import job_key

NAME = "concurrency"
TITLE = "200 turns, 200 sessions, SleepyProvider 3 s, one worker (-P gevent, concurrency 200)"
TURNS = 200
SUBMITTERS = 32
TARGET_SECONDS = 8.0
DEADLINE_SECONDS = 30  # a healthy run takes about 4 s
POLL_SECONDS = 0.02


def run(ctx: Context) -> Outcome:
    _, port = ctx.gunicorn("api", "api:create_app()")
    worker = ctx.celery_worker(
        "worker",
        "worker.app",
        "interactive,batch",
        WORKER_CONCURRENCY=str(TURNS),
        LLM_PROVIDER="bench.providers:SleepyProvider",
    )
    base_url = f"http://127.0.0.1:{port}"
    local = threading.local()

    def http() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session

    def warm(_: int) -> int:
        return http().get(f"{base_url}/api/health", timeout=10).status_code

    def submit(n: int) -> str:
        answer = http().post(
            f"{base_url}/api/chat",
            timeout=30,
            json={"message": f"Invoice customer {n} for 40 hours of consulting at $150/h, 8% tax"},
        )
        if answer.status_code != 202:
            raise RuntimeError(f"POST /api/chat answered {answer.status_code}: {answer.text[:300]}")
        return answer.json()["job_id"]

    db = redis.Redis.from_url(ctx.redis.url(), decode_responses=True)
    with ThreadPoolExecutor(SUBMITTERS) as pool:
        list(pool.map(warm, range(SUBMITTERS * 2)))  # connections open, both gunicorn workers up
        ctx.log(f"submitting {TURNS} turns")
        began_wall = time.time()
        began = time.perf_counter()
        job_ids = list(pool.map(submit, range(TURNS)))
        submitted = time.perf_counter() - began

    statuses: list[str | None] = []
    while time.perf_counter() - began < DEADLINE_SECONDS:
        with db.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.hget(job_key(job_id), "status")
            statuses = pipe.execute()
        if all(s in ("succeeded", "failed") for s in statuses):
            break
        time.sleep(POLL_SECONDS)
    wall = time.perf_counter() - began

    with db.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hmget(job_key(job_id), "started_at", "finished_at")
        stamps = pipe.execute()
    db.close()
    counts = Counter(statuses)
    started = sorted(datetime.fromisoformat(s).timestamp() - began_wall for s, _ in stamps if s)
    finished = sorted(datetime.fromisoformat(f).timestamp() - began_wall for _, f in stamps if f)

    synchronous = TURNS * SLEEP_SECONDS
    outcome = Outcome(NAME)
    if counts["succeeded"] != TURNS:  # a failed or unfinished turn: the run cannot pass
        wall = math.inf
    outcome.figures = [
        Figure(
            f"wall time, {TURNS} turns",
            wall,
            "s",
            f"sync {TURNS}x{SLEEP_SECONDS:g}s",
            synchronous,
            TARGET_SECONDS,
            absolute=True,
        ),
    ]
    outcome.notes += [
        f"jobs: {dict(counts)}; all {TURNS} POSTs answered within {submitted:.2f} s",
        (
            f"turns started from {started[0]:.2f} s to {started[-1]:.2f} s, finished from "
            f"{finished[0]:.2f} s to {finished[-1]:.2f} s after the first POST"
        )
        if finished
        else "no turn finished",
        f"the synchronous design would need {TURNS} x {SLEEP_SECONDS:g} s = {synchronous:.0f} s"
        + (f", {synchronous / wall:.0f}x longer" if math.isfinite(wall) else ""),
    ]
    if counts["succeeded"] != TURNS:
        outcome.notes += _worker_errors(worker.log_text())
    return outcome


def _worker_errors(log: str) -> list[str]:
    """What the worker log (plain or JSON lines) says about turns that did not succeed."""
    crashed = re.findall(r"raised unexpected: ([^\n\"]{1,160})", log)
    notes = [f"worker log: {len(crashed)} tasks raised unexpected errors"]
    notes += [f"{n:>4} x raised {error}" for error, n in Counter(crashed).most_common(3)]
    causes = Counter(re.findall(r"((?:redis|kombu)\.exceptions\.\w+: [^\n\"\\]{1,120})", log))
    notes += [f"{n:>4} x {cause}" for cause, n in causes.most_common(3)]
    return notes
