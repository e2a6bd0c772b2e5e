"""One API key's backlog or exports must not hold up another key.

`python -m bench.fairness` (also `bench.run --only fairness`). Two parts, each on the real
stack (gunicorn as `make run` starts it, a gevent worker, a private Redis), two API keys:

1. Batches. Key A fills its share (BATCH_MAX_QUEUED_ITEMS, 2,000 items of 0.2 s each on 16
   worker slots: 25 s of work) and is refused a third batch; then key B sends a one-item
   batch. Figure: B's item, from POST to finished, against the same one-item batch on the
   idle stack. Target: a few seconds at most (<= 3 s), however long A's backlog.
2. Exports. Key A asks for 500-line invoice PDFs from six threads at once, non-stop; key B
   downloads a one-line invoice's PDF now and then. Figure: B's median and worst download
   against B's downloads on the idle stack; A's refused requests (429) are counted.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections import Counter

import redis

from bench.support import Context, Figure, Outcome

NAME = "fairness"
TITLE = "one key's batch backlog and heavy exports against another key's first item and PDF"
KEYS = ("bench-key-a", "bench-key-b")
SHARE = 2000
ITEM_SECONDS = 0.2
SLOTS = 16
FIRST_ITEM_TARGET_S = 3.0
HEAVY_LINES = 500
HEAVY_THREADS = 6
LIGHT_SAMPLES = 15


def call(port: int, key: str, method: str, path: str, body=None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"X-API-Key": key}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def call_json(port: int, key: str, method: str, path: str, body=None) -> tuple[int, dict]:
    status, data = call(port, key, method, path, body)
    return status, json.loads(data or b"{}")


def batch_seconds(port: int, key: str, message: str) -> float:
    began = time.perf_counter()
    status, batch = call_json(port, key, "POST", "/api/batches", {"items": [{"message": message}]})
    assert status == 202, batch
    while batch["status"] != "completed":
        time.sleep(0.05)
        _, batch = call_json(port, key, "GET", f"/api/batches/{batch['batch_id']}")
    return time.perf_counter() - began


def session_with(port: int, key: str, message: str) -> str:
    status, accepted = call_json(port, key, "POST", "/api/generate-invoice", {"message": message})
    assert status == 202, accepted
    _, job = call_json(port, key, "GET", f"/api/jobs/{accepted['job_id']}?wait=30")
    assert job["status"] == "succeeded", job
    return accepted["session_id"]


def pdf_seconds(port: int, key: str, session_id: str) -> float:
    began = time.perf_counter()
    status, body = call(port, key, "GET", f"/api/session/{session_id}/invoice.pdf")
    assert status == 200 and body.startswith(b"%PDF"), status
    return time.perf_counter() - began


def run(ctx: Context) -> Outcome:
    env = {
        "API_KEYS": ",".join(KEYS),
        "LLM_PROVIDER": "bench.providers:OnRequestProvider",
        "BATCH_MAX_QUEUED_ITEMS": str(SHARE),
        "WORKER_CONCURRENCY": str(SLOTS),
    }
    ctx.celery_worker("worker", "worker.app", "interactive,batch", **env)
    _, port = ctx.gunicorn("api", "api:create_app()", **env)
    key_a, key_b = KEYS
    outcome = Outcome(NAME)
    sleepy = f"sleep {ITEM_SECONDS}"

    # 1. batches
    idle_first = statistics.median(batch_seconds(port, key_b, sleepy) for _ in range(3))
    used_before = redis.Redis.from_url(ctx.redis.url()).info("memory")["used_memory"]
    for _ in range(SHARE // 1000):
        status, body = call_json(
            port, key_a, "POST", "/api/batches", {"items": [{"message": sleepy}] * 1000}
        )
        assert status == 202, body
    used_after = redis.Redis.from_url(ctx.redis.url()).info("memory")["used_memory"]
    refused, _ = call_json(port, key_a, "POST", "/api/batches", {"items": [{"message": sleepy}]})
    time.sleep(2)  # A's backlog is under way
    loaded_first = batch_seconds(port, key_b, sleepy)
    outcome.figures.append(
        Figure(
            "B's one-item batch behind A's 2,000",
            loaded_first,
            "s",
            "idle",
            idle_first,
            FIRST_ITEM_TARGET_S,
            absolute=True,
        )
    )
    outcome.notes.append(
        f"A's backlog: {SHARE:,} items x {ITEM_SECONDS} s on {SLOTS} slots "
        f"(~{SHARE * ITEM_SECONDS / SLOTS:.0f} s of work); A's next batch answered {refused}; "
        f"Redis grew {(used_after - used_before) / SHARE / 1024:.1f} KB per accepted item"
    )

    # 2. exports
    light = session_with(port, key_b, "Invoice Acme for 2 h at $100")
    heavy = session_with(port, key_a, f"lines {HEAVY_LINES}")
    idle_pdf = [pdf_seconds(port, key_b, light) for _ in range(LIGHT_SAMPLES)]
    stop = threading.Event()
    answers: Counter[int] = Counter()

    def hammer() -> None:
        while not stop.is_set():
            status, _ = call(port, key_a, "GET", f"/api/session/{heavy}/invoice.pdf")
            answers[status] += 1
            if status == 429:
                time.sleep(0.05)

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(HEAVY_THREADS)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    try:
        loaded_pdf = []
        for _ in range(LIGHT_SAMPLES):
            loaded_pdf.append(pdf_seconds(port, key_b, light))
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)
    outcome.figures += [
        Figure(
            "B's 1-line PDF, median, while A exports",
            statistics.median(loaded_pdf) * 1000,
            "ms",
            "idle",
            statistics.median(idle_pdf) * 1000,
        ),
        Figure(
            "B's 1-line PDF, worst, while A exports",
            max(loaded_pdf) * 1000,
            "ms",
            "idle",
            max(idle_pdf) * 1000,
        ),
    ]
    outcome.notes.append(
        f"A's {HEAVY_LINES}-line PDFs from {HEAVY_THREADS} threads, answers by status: "
        f"{dict(sorted(answers.items()))} (429: over its EXPORT_CONCURRENCY)"
    )
    return outcome


def main() -> None:
    from bench.support import run_alone

    run_alone(NAME, run)


if __name__ == "__main__":
    main()
