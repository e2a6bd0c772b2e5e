"""The shared LLM rate limit under a batch: LLM_RATE_LIMIT=600 with a provider that takes 2 s.

One `POST /api/batches` of ITEMS items to the API under gunicorn; TWO worker processes
(`celery -A worker.app worker -P gevent`, the default WORKER_CONCURRENCY 64 each) share the
limit through Redis. A turn's `started_at` is stamped right after its rate-limit slot (the
slot wait comes before `start_job`), so the sorted `started_at` stamps of every turn are the
LLM calls' schedule. From them:

- the call rate from the first call to the last (target: within 5% of the limit; a few ms
  of jitter at either end move it by a few hundredths of a percent, so "never above the
  limit" is judged by the windows, not by this average);
- the most calls in any sliding 60 s window (target: at most the limit) and in any sliding
  10 s window (the limit scaled to 10 s: at most 100): "never above it";
- the gaps between consecutive calls (the spacing is 60/600 = 100 ms), and how late each call
  starts against an exact 100 ms grid from the first call (the schedule is saturated).

While the batch runs, CHAT_TURNS chat turns (`POST /api/chat`, the interactive queue) are
sent 5 s apart; their wait from created to started is printed (for information: interactive
turns should go ahead of batch items). Their calls count toward the rate like any other.
ITEMS is sized so that the calls span more than a minute: the 60 s window is a real one.
TwoSecondProvider also records the moment of each call it gets; the same windows over those
moments are printed beside the started_at ones.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter

import redis
import requests

from bench.batch_throughput import MinimumFigure, cpu_seconds, message, moment
from bench.providers import TwoSecondProvider
from bench.support import Context, Figure, Outcome, median, percentile
from core.batches import batch_key, items_key
from core.redis_model import job_key

NAME = "llm_rate"
TITLE = "LLM_RATE_LIMIT=600/min, 2 s provider, a 720-item batch + 10 chat turns, two workers"
LIMIT_PER_MINUTE = 600
ITEMS = 720  # 72 s of calls at 600/min
CHAT_TURNS = 10
CHAT_FIRST, CHAT_EVERY = 10.0, 5.0  # seconds after the batch POST
WORKERS = 2
WORKER_CONCURRENCY = "64"  # the product's default
PROVIDER = f"bench.providers:{TwoSecondProvider.__name__}"
TOLERANCE = 0.05
SCALED_WINDOW = 10.0  # seconds; the limit scaled to it is 100 calls
DEADLINE_SECONDS = (ITEMS + CHAT_TURNS) * 60 / LIMIT_PER_MINUTE + 60
POLL_SECONDS = 0.2


def most_in_window(starts: list[float], window: float) -> int:
    """The most stamps in any half-open interval [t, t + window) (starts sorted)."""
    best, j = 0, 0
    for i, start in enumerate(starts):
        while j < len(starts) and starts[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best


def run(ctx: Context) -> Outcome:
    _, port = ctx.gunicorn("api", "api:create_app()", LLM_RATE_LIMIT=str(LIMIT_PER_MINUTE))
    workers = [
        ctx.celery_worker(
            f"worker-{n}",
            "worker.app",
            "interactive,batch",
            WORKER_CONCURRENCY=WORKER_CONCURRENCY,
            LLM_PROVIDER=PROVIDER,
            LLM_RATE_LIMIT=str(LIMIT_PER_MINUTE),
        )
        for n in range(1, WORKERS + 1)
    ]
    base_url = f"http://127.0.0.1:{port}"
    db = redis.Redis.from_url(ctx.redis.url(), decode_responses=True)
    ctx.stack.callback(db.close)
    http = requests.Session()
    ctx.stack.callback(http.close)

    items = [{"message": message(n)[0], "reference": f"R-{n:04d}"} for n in range(ITEMS)]
    cpu_before = [cpu_seconds(w.process.pid) for w in workers]
    ctx.log(f"submitting {ITEMS} items; about {ITEMS * 60 / LIMIT_PER_MINUTE:.0f} s of calls")
    began_wall = time.time()
    began = time.perf_counter()
    answer = http.post(f"{base_url}/api/batches", json={"items": items}, timeout=60)
    accepted = time.perf_counter() - began
    if answer.status_code != 202:
        raise RuntimeError(f"POST /api/batches answered {answer.status_code}: {answer.text}")
    batch_id = answer.json()["batch_id"]

    chat_jobs: list[str] = []
    chat_errors: list[str] = []
    stop = threading.Event()

    def chat() -> None:
        with requests.Session() as client:
            for n in range(CHAT_TURNS):
                due = began + CHAT_FIRST + n * CHAT_EVERY
                if stop.wait(max(0.0, due - time.perf_counter())):
                    return
                reply = client.post(
                    f"{base_url}/api/chat", json={"message": message(n)[0]}, timeout=30
                )
                if reply.status_code == 202:
                    chat_jobs.append(reply.json()["job_id"])
                else:
                    chat_errors.append(f"{reply.status_code} {reply.text[:120]}")

    chatter = threading.Thread(target=chat, name="chat-turns", daemon=True)
    chatter.start()
    ctx.stack.callback(stop.set)

    def final(job_ids: list[str]) -> int:
        with db.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.hget(job_key(job_id), "status")
            return sum(s in ("succeeded", "failed") for s in pipe.execute())

    while time.perf_counter() - began < DEADLINE_SECONDS:
        done = sum(int(x or 0) for x in db.hmget(batch_key(batch_id), "succeeded", "failed"))
        if done >= ITEMS and not chatter.is_alive() and final(chat_jobs) == len(chat_jobs):
            break
        time.sleep(POLL_SECONDS)
    wall = time.perf_counter() - began
    stop.set()
    cpu = sum(cpu_seconds(w.process.pid) - b for w, b in zip(workers, cpu_before, strict=True))

    entries = [json.loads(raw) for raw in db.lrange(items_key(batch_id), 0, -1)]
    with db.pipeline(transaction=False) as pipe:
        for job_id in [e["job_id"] for e in entries] + chat_jobs:
            pipe.hmget(job_key(job_id), "status", "created_at", "started_at", "attempts")
        jobs = pipe.execute()
    batch_jobs, chats = jobs[: len(entries)], jobs[len(entries) :]
    statuses = Counter(status for status, *_ in batch_jobs)
    chat_statuses = Counter(status for status, *_ in chats)
    attempts = Counter(a for *_, a in jobs)
    starts = sorted(moment(s) - began_wall for _, _, s, _ in jobs if s)
    calls = sorted(float(c) - began_wall for c in db.lrange(TwoSecondProvider.CALLS_KEY, 0, -1))
    chat_waits = [moment(s) - moment(c) for _, c, s, _ in chats if s]

    outcome = Outcome(NAME)
    if len(starts) < 2:
        outcome.error = f"only {len(starts)} of {ITEMS} items started: {dict(statuses)}"
        return outcome
    spacing = 60 / LIMIT_PER_MINUTE
    span = starts[-1] - starts[0]
    rate = (len(starts) - 1) / span * 60
    in_minute = most_in_window(starts, 60.0)
    in_scaled = most_in_window(starts, SCALED_WINDOW)
    gaps = [(b - a) * 1000 for a, b in zip(starts, starts[1:], strict=False)]
    call_gaps = [(b - a) * 1000 for a, b in zip(calls, calls[1:], strict=False)]
    late = [(s - starts[0] - k * spacing) * 1000 for k, s in enumerate(starts)]
    bins = Counter(int((s - starts[0]) // SCALED_WINDOW) for s in starts)
    per_bin = [bins[b] for b in range(int(span // SCALED_WINDOW))]  # whole bins only
    logs = "".join(w.log_text() for w in workers)
    deferred = sum(1 for line in logs.splitlines() if "'deferred'" in line)
    if statuses["succeeded"] != ITEMS:
        rate = math.nan  # an item failed or did not finish: the run cannot pass

    outcome.figures = [
        MinimumFigure(
            f"LLM call rate, {len(starts)} calls",
            rate,
            "/min",
            "LLM_RATE_LIMIT",
            LIMIT_PER_MINUTE,
            target=1 + TOLERANCE,
            minimum=1 - TOLERANCE,
        ),
        Figure(
            "most calls in any 60 s", in_minute, "calls", target=LIMIT_PER_MINUTE, absolute=True
        ),
        Figure(
            f"most calls in any {SCALED_WINDOW:g} s",
            in_scaled,
            "calls",
            target=LIMIT_PER_MINUTE * SCALED_WINDOW / 60,
            absolute=True,
        ),
        Figure("smallest gap between calls", min(gaps), "ms", "spacing", spacing * 1000),
        Figure(
            f"chat turn created->started, p50 of {len(chat_waits)}",
            median(chat_waits),
            "s",
        ),
    ]
    outcome.notes += [
        f"batch jobs: {dict(statuses)}; chat jobs: {dict(chat_statuses)}"
        + (f"; chat POST errors: {chat_errors}" if chat_errors else "")
        + f"; POST of {ITEMS} items answered in {accepted * 1000:.0f} ms; "
        f"all final {wall:.1f} s after it",
        f"calls from {starts[0]:.2f} s to {starts[-1]:.2f} s after the POST began "
        f"({span:.1f} s for {len(starts) - 1} gaps); calls per whole {SCALED_WINDOW:g} s: "
        + ", ".join(map(str, per_bin)),
        f"gaps between calls: min {min(gaps):.0f} ms, p1 {percentile(gaps, 1):.0f} ms, "
        f"p50 {percentile(gaps, 50):.0f} ms, p99 {percentile(gaps, 99):.0f} ms, "
        f"max {max(gaps):.0f} ms; call k started at first + k x {spacing * 1000:.0f} ms "
        f"+ ({min(late):.0f} .. {max(late):.0f} ms, p50 {median(late):.0f})",
        f"the provider's own call moments ({len(calls)} calls): "
        f"{(len(calls) - 1) / (calls[-1] - calls[0]) * 60:.1f}/min first to last, gaps min "
        f"{min(call_gaps):.0f} ms, p1 {percentile(call_gaps, 1):.0f} ms, p99 "
        f"{percentile(call_gaps, 99):.0f} ms; most in any 60 s {most_in_window(calls, 60.0)}, "
        f"in any {SCALED_WINDOW:g} s {most_in_window(calls, SCALED_WINDOW)}; sorted call k is "
        f"{median(c - s for c, s in zip(calls, starts, strict=False)) * 1000:.1f} ms (p50) "
        "after sorted started_at k",
        "chat turns created->started (s): " + ", ".join(f"{w:.1f}" for w in chat_waits),
        f"turns deferred back to the queue (no slot within 2 s): {deferred} "
        f"({deferred / (ITEMS + CHAT_TURNS):.1f} per turn); attempts per job "
        f"{dict(attempts)}; CPU of the {WORKERS} workers {cpu:.1f} s in {wall:.0f} s; "
        f"worker logs {len(logs) / 1e6:.1f} MB",
    ]
    return outcome
