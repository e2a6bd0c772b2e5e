"""A multi-process soak on loopback: the product on a Sentinel-managed Redis, two API
processes, three workers, mixed chat and batch traffic, and the faults a cluster sees —
the Redis primary killed (failover), a worker killed with -9, an API process restarted.

The ledger records every turn the API accepted (202). When the traffic stops and the queue
drains, each must have succeeded with its reply in its session exactly once: a turn missing
is lost, a reply there twice was applied twice. Every HTTP answer is counted; only 2xx,
409 (busy session), 429 and 503 are expected. A refused connection (the API process being
restarted) is retried on the other process, as a load balancer does.

Used by tests/faults/test_soak.py (two minutes in `make test`; ten by `make soak`).
"""

from __future__ import annotations

import itertools
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.conftest import ROOT, WorkerProcess, answers, free_port, wait_until, worker_env
from tests.support.providers import draft, script
from tests.support.sentinel import SentinelCluster

EXPECTED_STATUSES = {409, 429, 503}  # and every 2xx
FINAL = ("succeeded", "failed")


class ApiProcess:
    """The API under gunicorn, as deployed: stopped with SIGTERM (graceful) and started again
    on the same port."""

    def __init__(self, workdir: Path, env: dict[str, str], name: str):
        self.port = free_port()
        self.name = name
        self.workdir = workdir
        self.env = env | {"PORT": str(self.port), "WEB_CONCURRENCY": "1"}
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ApiProcess:
        self.starts += 1
        metrics = self.workdir / f"{self.name}-metrics-{self.starts}"
        metrics.mkdir()
        log = open(self.workdir / f"{self.name}-{self.starts}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "api/gunicorn.conf.py", "api:create_app()"],
            cwd=ROOT,
            env=self.env | {"PROMETHEUS_MULTIPROC_DIR": str(metrics)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: answers(f"{self.base_url}/api/health"), timeout=60, message=self.name)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)

    def restart(self) -> float:
        """Seconds from SIGTERM until it answers again."""
        began = time.monotonic()
        self.stop()
        self.start()
        return time.monotonic() - began


class Balancer:
    """Spreads requests over the API processes; a refused connection goes to the next one
    (nothing was sent), as nginx's `proxy_next_upstream error` does. Counts every status."""

    def __init__(self, apis: list[ApiProcess]):
        self.apis = apis
        self.turn = itertools.count()
        self.statuses: Counter[int] = Counter()
        self.unexpected: list[str] = []
        self.refused = 0
        self.lock = threading.Lock()
        self.local = threading.local()

    def request(self, method: str, path: str, **options) -> requests.Response | None:
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        start = next(self.turn)
        for attempt in range(20):
            api = self.apis[(start + attempt) % len(self.apis)]
            try:
                response = session.request(method, api.base_url + path, timeout=60, **options)
            except requests.ConnectionError:
                with self.lock:
                    self.refused += 1
                time.sleep(0.1)
                continue
            with self.lock:
                self.statuses[response.status_code] += 1
                if response.status_code >= 300 and response.status_code not in EXPECTED_STATUSES:
                    self.unexpected.append(
                        f"{method} {path} {response.status_code} {response.text[:300]}"
                    )
            return response
        return None


@dataclass
class Accepted:
    job_id: str
    session_id: str
    reply: str
    accepted_at: float


@dataclass
class Ledger:
    """What the API accepted, and when things happened."""

    turns: dict[str, Accepted] = field(default_factory=dict)
    batches: list[str] = field(default_factory=list)
    events: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, job_id: str, session_id: str, reply: str) -> None:
        with self.lock:
            self.turns[job_id] = Accepted(job_id, session_id, reply, time.monotonic())


class Traffic:
    """Chat clients (a new session, then follow-ups) and a batch client, until stopped."""

    def __init__(self, balancer: Balancer, ledger: Ledger, *, chat_clients: int, seed: int):
        self.balancer = balancer
        self.ledger = ledger
        self.stop = threading.Event()
        self.random = random.Random(seed)
        self.threads = [
            threading.Thread(target=self._chat, args=(n,), daemon=True) for n in range(chat_clients)
        ] + [threading.Thread(target=self._batches, daemon=True)]
        self.replies = itertools.count()

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(120)

    def _reply(self, who: str) -> str:
        return f"{who}-reply-{next(self.replies)}"

    def _chat(self, n: int) -> None:
        rng = random.Random(self.random.random())
        while not self.stop.is_set():
            session_id = None
            for _ in range(rng.randint(1, 4)):  # a session and its follow-ups
                if self.stop.is_set():
                    return
                reply = self._reply(f"chat{n}")
                message = script(
                    sleep=round(rng.uniform(0.05, 0.8), 2),
                    reply=reply,
                    invoice=draft(
                        buyer=f"Client {n}", items=(("Work", str(rng.randint(1, 40)), "95.00"),)
                    ),
                )
                body = {"message": message} | ({"session_id": session_id} if session_id else {})
                path = "/api/chat" if session_id else "/api/generate-invoice"
                response = self.balancer.request("POST", path, json=body)
                if response is None or response.status_code != 202:
                    time.sleep(0.5)  # 409/429/503: try again later, on a new session
                    break
                accepted = response.json()
                session_id = accepted["session_id"]
                self.ledger.accept(accepted["job_id"], session_id, reply)
                if self._wait(accepted["job_id"]) != "succeeded":
                    break
                time.sleep(rng.uniform(0.1, 0.5))  # the person reads the preview

    def _wait(self, job_id: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stop.is_set():
            response = self.balancer.request("GET", f"/api/jobs/{job_id}?wait=5")
            if response is not None and response.status_code == 200:
                status = response.json()["status"]
                if status in FINAL:
                    return status
            else:
                time.sleep(0.5)
        return "unknown"

    def _batches(self) -> None:
        batch_number = 0
        while not self.stop.wait(15):
            batch_number += 1
            items = [
                {
                    "message": script(
                        sleep=0.3,
                        reply=self._reply(f"batch{batch_number}"),
                        invoice=draft(buyer=f"Batch client {n}"),
                    ),
                    "reference": f"b{batch_number}-{n}",
                }
                for n in range(12)
            ]
            response = self.balancer.request("POST", "/api/batches", json={"items": items})
            if response is not None and response.status_code == 202:
                with self.ledger.lock:
                    self.ledger.batches.append(response.json()["batch_id"])


@dataclass
class Verdict:
    accepted_turns: int = 0
    succeeded: int = 0
    failed: Counter = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)  # accepted, never finished or reply missing
    doubled: list[str] = field(default_factory=list)  # reply in the session more than once
    batch_items: int = 0
    batch_items_succeeded: int = 0


def drain_and_check(balancer: Balancer, ledger: Ledger, *, timeout: float) -> Verdict:
    """Wait for every accepted turn and batch item to finish; check each session holds its
    reply exactly once."""
    verdict = Verdict()
    deadline = time.monotonic() + timeout
    for batch_id in ledger.batches:  # batch items are turns the API accepted too
        summary = wait_until(
            lambda b=batch_id: _finished_batch(balancer, b), timeout=timeout, interval=1,
            message=f"batch {batch_id}",
        )  # fmt: skip
        for item in summary["items"]:
            verdict.batch_items += 1
            job = _final_job(balancer, item["job_id"], deadline)
            ok = job is not None and job["status"] == "succeeded"
            verdict.batch_items_succeeded += ok
            reply = job["result"]["reply"] if ok else ""
            ledger.turns.setdefault(
                item["job_id"], Accepted(item["job_id"], item["session_id"], reply, 0)
            )
    for turn in ledger.turns.values():
        verdict.accepted_turns += 1
        job = _final_job(balancer, turn.job_id, deadline)
        if job is None or job["status"] not in FINAL:
            verdict.lost.append(f"{turn.job_id}: {job and job['status']}")
            continue
        if job["status"] == "failed":
            verdict.failed[job["error"]["code"]] += 1
            continue
        verdict.succeeded += 1
        session = _get(balancer, f"/api/session/{turn.session_id}") or {"messages": []}
        replies = [m["content"] for m in session["messages"] if m["role"] == "assistant"]
        if not turn.reply or replies.count(turn.reply) == 0:
            verdict.lost.append(f"{turn.job_id}: succeeded, but its reply is not in the session")
        elif replies.count(turn.reply) > 1:
            verdict.doubled.append(turn.job_id)
    return verdict


def _final_job(balancer: Balancer, job_id: str, deadline: float) -> dict | None:
    job = None
    while time.monotonic() < deadline:
        job = _get(balancer, f"/api/jobs/{job_id}?wait=5") or job
        if job and job["status"] in FINAL:
            break
    return job


def _finished_batch(balancer: Balancer, batch_id: str) -> dict | None:
    summary = _get(balancer, f"/api/batches/{batch_id}?per_page=1000")
    counts = summary["counts"] if summary else {}
    if summary and counts["queued"] == 0 and counts["running"] == 0:
        return summary
    return None


def _get(balancer: Balancer, path: str) -> dict | None:
    response = balancer.request("GET", path)
    return response.json() if response is not None and response.status_code == 200 else None


@dataclass
class Soak:
    """The whole cluster on loopback, its traffic, and the faults on a schedule."""

    workdir: Path
    broker_url: str  # "" = Redis (through the same Sentinels)
    minutes: float
    failovers: int = 1
    chat_clients: int = 6
    figures: dict = field(default_factory=dict)

    def run(self) -> Verdict:
        cluster = SentinelCluster(self.workdir).start()
        apis: list[ApiProcess] = []
        workers: list[WorkerProcess] = []
        try:
            env = worker_env(
                cluster.url,
                CELERY_BROKER_URL=self.broker_url or cluster.url,
                WORKER_CONCURRENCY="8",
                TURN_RATE_LIMIT="100000/minute",
                READ_RATE_LIMIT="100000/minute",
            )
            apis = [ApiProcess(self.workdir, env, f"api{n}").start() for n in range(2)]
            workers = [
                WorkerProcess(env, self.workdir / f"worker{n}.log", f"soak{n}").start()
                for n in range(3)
            ]
            balancer, ledger = Balancer(apis), Ledger()
            traffic = Traffic(balancer, ledger, chat_clients=self.chat_clients, seed=20)
            began = time.monotonic()
            traffic.start()
            for at, fault in self._schedule(cluster, apis, workers, ledger):
                time.sleep(max(0.0, began + at - time.monotonic()))
                fault()
            time.sleep(max(0.0, began + self.minutes * 60 - time.monotonic()))
            traffic.finish()
            verdict = drain_and_check(balancer, ledger, timeout=300)
            self._record(verdict, balancer, ledger)
            return verdict
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                if worker.process.poll() is None:
                    worker.stop()
            for api in apis:
                api.stop()
            cluster.stop()

    def _schedule(self, cluster, apis, workers, ledger):
        """(seconds after the start, fault) pairs: a worker killed, failovers, an API restart."""
        span = self.minutes * 60
        faults = [(0.2 * span, lambda: self._kill_worker(workers[0], ledger))]
        for n in range(self.failovers):
            faults.append(
                (span * (0.35 + 0.4 * n), lambda n=n: self._fail_over(cluster, ledger, n))
            )
        faults.append((0.55 * span, lambda: self._restart_api(apis[1], ledger)))
        return sorted(faults, key=lambda pair: pair[0])

    def _kill_worker(self, worker: WorkerProcess, ledger: Ledger) -> None:
        ledger.events["worker killed"] = time.monotonic()
        worker.kill()

    def _fail_over(self, cluster: SentinelCluster, ledger: Ledger, n: int) -> None:
        killed = time.monotonic()
        ledger.events[f"failover {n + 1}"] = killed
        self.figures[f"failover_{n + 1}_sentinel_seconds"] = round(cluster.fail_over(), 1)
        cluster.rejoin()  # the old primary comes back as a replica of the new one
        self.figures[f"failover_{n + 1}_replica_back_seconds"] = round(time.monotonic() - killed, 1)

    def _restart_api(self, api: ApiProcess, ledger: Ledger) -> None:
        ledger.events["api restarted"] = time.monotonic()
        self.figures["api_restart_seconds"] = round(api.restart(), 1)

    def _record(self, verdict: Verdict, balancer: Balancer, ledger: Ledger) -> None:
        for name, at in ledger.events.items():
            if name.startswith("failover"):
                first = min(
                    (t.accepted_at for t in ledger.turns.values() if t.accepted_at > at),
                    default=None,
                )
                key = name.replace(" ", "_")
                self.figures[f"{key}_first_turn_accepted_after_seconds"] = (
                    round(first - at, 1) if first else None
                )
        self.figures.update(
            minutes=self.minutes,
            broker="rabbitmq" if self.broker_url else "redis (sentinel)",
            turns_accepted=verdict.accepted_turns,
            turns_succeeded=verdict.succeeded,
            turns_failed=dict(verdict.failed),
            batch_items=verdict.batch_items,
            lost=len(verdict.lost),
            applied_twice=len(verdict.doubled),
            statuses=dict(sorted(balancer.statuses.items())),
            unexpected_statuses=len(balancer.unexpected),
            refused_connections_retried=balancer.refused,
        )
        if balancer.unexpected:
            self.figures["unexpected_examples"] = balancer.unexpected[:5]
