"""What one core carries: CPU time per chat turn in the API, the worker and Redis.

The whole product runs as deployed: the API under gunicorn (one gevent process), one worker
(`-P gevent`, WORKER_CONCURRENCY 64) calling Bedrock through boto3 — botocore's signing and
parsing included — against the fake Converse server (tests/support/fake_bedrock.py, in this
process, so its CPU is not counted), and the private Redis. CLIENTS people chat at once:
each starts a session, sends follow-ups in it, long-polls each turn to the end and reloads
the session as the preview does. Each process's CPU time (user + system, from /proc) over
the measured turns, divided by the turns, is its cost per turn; one core then carries
1 / cost turns per second. This is a capacity, not a comparison: no baseline, no target.

The input tokens of a first turn and of a fourth are counted too (core/tokens.py, on the
Converse request as sent): they are what Bedrock's tokens-per-minute quota is spent on.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import redis
import requests

from bench.support import Context, Figure, Outcome, Service
from core.tokens import count_tokens
from tests.support.fake_bedrock import BEDROCK_ENV, FakeBedrock, tool_use

NAME = "capacity"
TITLE = "CPU per chat turn in the API, the worker and Redis (turns/s one core carries)"
CLIENTS = 16
TURNS_PER_SESSION = 4
WARMUP_TURNS = 100
MEASURED_TURNS = 1200
DRAFT = {
    "currency": "USD",
    "buyer": {"name": "Acme Corp", "email": "ap@acme.example"},
    "items": [
        {"description": "Consulting", "quantity": "40", "unit": "h", "unit_price": "150.00",
         "tax_rate": "8"},
        {"description": "Travel", "quantity": "1", "unit_price": "200.00", "tax_rate": "0"},
    ],
    "payment_terms": "Net 30",
}  # fmt: skip
MESSAGES = (
    "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, net 30",
    "Add travel, one trip at $200, no tax",
    "Make the payment terms net 15",
    "Add the buyer's email ap@acme.example",
)
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pgid: int) -> float:
    """User + system CPU of the live processes of a process group (and their reaped children)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == pgid:  # field 5 of stat, after the name: the process group
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / TICKS


def process_group(service: Service) -> int:
    return service.process.pid  # started with start_new_session: its pid is the group's


class Chats:
    """CLIENTS people chatting at once until `turns` turns have finished."""

    def __init__(self, base_url: str, turns: int):
        self.base_url = base_url
        self.left = turns
        self.lock = threading.Lock()
        self.failures: list[str] = []

    def run(self) -> float:
        began = time.perf_counter()
        threads = [threading.Thread(target=self._person) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - began

    def _take(self) -> bool:
        with self.lock:
            self.left -= 1
            return self.left >= 0

    def _person(self) -> None:
        http = requests.Session()
        session_id = None
        n = 0
        while self._take():
            body = {"message": MESSAGES[n % TURNS_PER_SESSION]}
            if session_id:
                body["session_id"] = session_id
            answer = http.post(f"{self.base_url}/api/chat", json=body, timeout=30)
            if answer.status_code != 202:
                self.failures.append(f"POST {answer.status_code}: {answer.text[:200]}")
                session_id, n = None, 0
                continue
            accepted = answer.json()
            job = {}
            while job.get("status") not in ("succeeded", "failed"):
                job = http.get(
                    self.base_url + accepted["status_url"], params={"wait": 10}, timeout=30
                ).json()
            if job["status"] != "succeeded":
                self.failures.append(f"turn failed: {job.get('error')}")
            http.get(f"{self.base_url}/api/session/{accepted['session_id']}", timeout=30)
            n += 1
            session_id = accepted["session_id"] if n % TURNS_PER_SESSION else None
        http.close()


def run(ctx: Context) -> Outcome:
    fake = FakeBedrock().start()
    ctx.stack.callback(fake.stop)
    fake.add(*(tool_use("Done.", DRAFT) for _ in range(WARMUP_TURNS + MEASURED_TURNS + 50)))
    bedrock = {**BEDROCK_ENV, "LLM_PROVIDER": "bedrock", "BEDROCK_ENDPOINT_URL": fake.url}
    api, port = ctx.gunicorn("api", "api:create_app()", WEB_CONCURRENCY="1", **bedrock)
    worker = ctx.celery_worker(
        "worker", "worker.app", "interactive,batch", WORKER_CONCURRENCY="64", **bedrock
    )
    base_url = f"http://127.0.0.1:{port}"

    ctx.log(f"warm-up: {WARMUP_TURNS} turns")
    warm = Chats(base_url, WARMUP_TURNS)
    warm.run()
    groups = {
        "API": process_group(api),
        "worker": process_group(worker),
        "Redis": process_group(ctx.redis),
    }
    redis_client = redis.Redis.from_url(ctx.redis.url())
    memory_before = redis_client.info("memory")["used_memory"]
    before = {name: cpu_seconds(pgid) for name, pgid in groups.items()}
    ctx.log(f"{MEASURED_TURNS} turns by {CLIENTS} people at once")
    chats = Chats(base_url, MEASURED_TURNS)
    wall = chats.run()
    used = {name: cpu_seconds(pgid) - before[name] for name, pgid in groups.items()}
    memory_per_turn = (redis_client.info("memory")["used_memory"] - memory_before) / MEASURED_TURNS
    redis_client.close()

    outcome = Outcome(NAME)
    if warm.failures or chats.failures:
        outcome.error = f"{len(chats.failures)} failures, first: {chats.failures[:3]}"
        return outcome
    for name, seconds in used.items():
        per_turn_ms = seconds / MEASURED_TURNS * 1000
        outcome.figures.append(Figure(f"{name} CPU per turn", per_turn_ms, "ms"))
    for name, seconds in used.items():
        outcome.figures.append(
            Figure(f"turns/s one {name} core carries", MEASURED_TURNS / seconds, "turns/s")
        )
    first, fourth = _input_tokens(fake)
    outcome.notes += [
        f"{MEASURED_TURNS} turns in {wall:.1f} s ({MEASURED_TURNS / wall:.0f} turns/s on this "
        f"machine, all processes sharing its {os.cpu_count()} cores); each turn is a POST, "
        "one or more long-polls and a session read",
        "CPU seconds used: " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in used.items()),
        f"Redis memory per turn kept: {memory_per_turn / 1024:.1f} KiB (its job record for "
        "JOB_TTL_SECONDS, its messages for SESSION_TTL_SECONDS)",
        f"input tokens sent to Bedrock (core/tokens.py estimate): first turn {first:,}, "
        f"fourth turn of a session {fourth:,}",
    ]
    return outcome


def _input_tokens(fake: FakeBedrock) -> tuple[int, int]:
    """Tokens of the system prompt, tools and messages of a first and a fourth turn."""

    def tokens(body: dict) -> int:
        sent = {k: body.get(k) for k in ("system", "messages", "toolConfig")}
        return count_tokens(json.dumps(sent, ensure_ascii=False))

    by_length: dict[int, int] = {}
    for request in fake.requests:
        by_length.setdefault(len(request.body.get("messages", [])), tokens(request.body))
    ordered = sorted(by_length)
    return by_length[ordered[0]], by_length[ordered[-1]]
