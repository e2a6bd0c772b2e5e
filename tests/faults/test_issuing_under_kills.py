"""Issue 16's concurrency test, end to end: 8 client processes draft and issue 500 invoices
for one owner through two API processes (gunicorn) and two workers, while a batch with
"issue": true runs through the workers, and one API process and one worker are killed with
SIGKILL at random moments and started again. On SQLite and on PostgreSQL.

The owner's numbers must be exactly 1..N (N = the 500 and the batch's), no gap, no duplicate;
each Idempotency-Key issued once (a retry after a cut-off answer gets the first result); every
invoice readable (GET /api/invoices/{number} and its PDF); the batch's numbers in item order.
The clients are tests/faults/issuing_client.py.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import ROOT, WorkerProcess, wait_until, worker_env
from tests.support.providers import SELLER, draft, script
from tests.support.soak import ApiProcess

pytestmark = pytest.mark.integration

INVOICES = 500
CLIENTS = 8
BATCH_ITEMS = 12
YEAR = date.today().year
ENV = {
    "TURN_RATE_LIMIT": "1000000/minute",
    "READ_RATE_LIMIT": "1000000/minute",
    "WORKER_CONCURRENCY": "16",
    "EXPORT_CONCURRENCY": "8",  # the readers below render 8 PDFs at once for the one owner
}


class KillableApi(ApiProcess):
    """The API under gunicorn in a process group of its own, so that SIGKILL takes the master
    and its worker at once (nothing is handed back, no request finishes)."""

    def start(self) -> KillableApi:
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
            start_new_session=True,
        )
        wait_until(lambda: _health(self.base_url), timeout=60, message=self.name)
        return self

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


def _health(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/api/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def slices() -> list[int]:
    size, rest = divmod(INVOICES, CLIENTS)
    return [size + (n < rest) for n in range(CLIENTS)]


def progress(outs: list[Path]) -> int:
    return sum(
        sum(1 for line in out.read_text().splitlines() if not line.startswith("#"))
        for out in outs
        if out.exists()
    )


def sequence(number: str) -> int:
    year, _, seq = number.partition("-")
    assert year == str(YEAR), number
    return int(seq)


@pytest.mark.timeout(600)
def test_500_invoices_by_8_clients_while_an_api_and_a_worker_are_killed(
    records_url, redis_server, redis_client, tmp_path, figures
):
    backend = records_url.partition(":")[0].partition("+")[0]
    rng = random.Random()
    env = worker_env(redis_server.url, DATABASE_URL=records_url, **ENV)
    apis = [KillableApi(tmp_path, env, f"api{n}") for n in range(2)]
    workers: list[WorkerProcess] = []
    clients: list[subprocess.Popen] = []
    try:
        for api in apis:
            api.start()
        workers = [
            WorkerProcess(env, tmp_path / f"worker{n}-0.log", f"issuing{n}").start()
            for n in range(2)
        ]
        urls = ",".join(api.base_url for api in apis)
        http = requests.Session()
        profile = http.patch(f"{apis[0].base_url}/api/profile", json={"seller": SELLER})
        assert profile.status_code == 200, profile.text

        outs = [tmp_path / f"client{n}.out" for n in range(CLIENTS)]
        started = time.monotonic()
        clients = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.faults.issuing_client",
                    urls,
                    str(n),
                    str(count),
                    str(outs[n]),
                ],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for n, count in enumerate(slices())
        ]

        # the kills, at random points of the run (counted in invoices issued so far)
        kill_api_at, kill_worker_at = rng.sample(range(INVOICES // 10, INVOICES * 8 // 10), 2)
        events = sorted([(kill_api_at, "api"), (kill_worker_at, "worker")])
        kills: dict[str, dict] = {}
        for at, what in events:
            wait_until(lambda at=at: progress(outs) >= at, timeout=240, interval=0.02)
            time.sleep(rng.uniform(0, 0.2))
            if what == "api":
                victim = rng.choice(apis)
                began = time.monotonic()
                victim.kill()
                victim.start()
                kills["api"] = {
                    "after_invoices": progress(outs),
                    "restart_seconds": round(time.monotonic() - began, 1),
                }
            else:
                # the batch starts just before: its items, or the task issuing them, are likely
                # on the worker that dies
                batch_id = _submit_batch(http, apis)
                time.sleep(rng.uniform(0, 1.5))
                batch_was_final = _issued_batch(http, apis[0].base_url, batch_id) is not None
                n = rng.randrange(len(workers))
                workers[n].kill()
                began = time.monotonic()
                workers[n] = WorkerProcess(
                    env, tmp_path / f"worker{n}-1.log", f"issuing{n}b"
                ).start()
                kills["worker"] = {
                    "after_invoices": progress(outs),
                    "batch_already_issued": batch_was_final,
                    "restart_seconds": round(time.monotonic() - began, 1),
                }

        for process in clients:
            _, errors = process.communicate(timeout=300)
            assert process.returncode == 0, errors
        # a batch item lost on its way to the killed worker is re-sent a minute after its
        # dispatch (worker/redelivery.py); an issuing task it held, taken over after a minute
        batch = wait_until(
            lambda: _issued_batch(http, apis[0].base_url, batch_id),
            timeout=150,
            interval=0.2,
            message=lambda: f"the batch to be issued: {_batch_state(http, apis, batch_id)}",
        )
        seconds = time.monotonic() - started
        reading_began = time.monotonic()

        # what the clients were told
        issued: dict[str, str] = {}
        counts: Counter[str] = Counter()
        for out in outs:
            for line in out.read_text().splitlines():
                if line.startswith("# "):
                    counts.update(json.loads(line[2:]))
                    continue
                key, number, _session = line.split()
                assert key not in issued
                issued[key] = number
        assert len(issued) == INVOICES
        batch_numbers = [item["invoice_number"] for item in batch["items"]]
        assert None not in batch_numbers and batch["issued"] == BATCH_ITEMS
        assert [sequence(n) for n in batch_numbers] == sorted(sequence(n) for n in batch_numbers), (
            "the batch's numbers are not in item order"
        )

        # what the database holds: numbers 1..N, each key once
        engine = create_engine(records_url)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT number, idempotency_key FROM issued_invoices WHERE owner = 'local'")
            ).all()
        engine.dispose()
        total = INVOICES + BATCH_ITEMS
        assert sorted(sequence(number) for number, _ in rows) == list(range(1, total + 1))
        by_key = {key: number for number, key in rows if key is not None}
        assert len(by_key) == sum(1 for _, key in rows if key is not None)
        assert {key: by_key.get(key) for key in issued} == issued  # one number per key
        assert set(issued.values()) | set(batch_numbers) == {number for number, _ in rows}

        attempts = [
            int(redis_client.hget(key, "attempts") or 0)
            for key in redis_client.scan_iter("job:*")
            if redis_client.type(key) == "hash"
        ]

        # every invoice readable, through either API process
        unreadable = _unreadable(apis, sorted(number for number, _ in rows))
        assert unreadable == [], unreadable[:10]
        reading = time.monotonic() - reading_began
    finally:
        for process in clients:
            if process.poll() is None:
                process.kill()
        for worker in workers:
            if worker.process and worker.process.poll() is None:
                worker.kill()
        for api in apis:
            if api.process and api.process.poll() is None:
                api.kill()

    figures(
        records=backend,
        client_processes=CLIENTS,
        api_processes=len(apis),
        workers=2,
        invoices=total,
        by_clients=INVOICES,
        by_batch=BATCH_ITEMS,
        numbers=f"1..{total}, no gap, no duplicate",
        api_killed=kills["api"],
        worker_killed=kills["worker"],
        client_retries={k: v for k, v in sorted(counts.items())},
        turns=len(attempts),
        turns_run_again_after_the_worker_kill=sum(a > 1 for a in attempts),
        readable=total,
        seconds_issuing=round(seconds, 1),
        seconds_reading_all=round(reading, 1),
    )


def _submit_batch(http: requests.Session, apis: list[KillableApi]) -> str:
    items = [
        {
            "message": script(
                sleep=round(0.2 + 0.1 * (n % 4), 1),
                reply=f"Batch item {n}.",
                invoice=draft(buyer=f"Batch client {n}", items=((f"Batch {n}", "1", "50.00"),)),
            ),
            "reference": f"b{n}",
        }
        for n in range(BATCH_ITEMS)
    ]
    response = http.post(
        f"{apis[1].base_url}/api/batches", json={"items": items, "issue": True}, timeout=60
    )
    assert response.status_code == 202, response.text
    return response.json()["batch_id"]


def _issued_batch(http: requests.Session, base_url: str, batch_id: str) -> dict | None:
    try:
        summary = http.get(f"{base_url}/api/batches/{batch_id}?per_page=100", timeout=30)
    except requests.ConnectionError:
        return None
    body = summary.json() if summary.status_code == 200 else {}
    return body if body.get("status") == "completed" else None


def _batch_state(http: requests.Session, apis: list[KillableApi], batch_id: str) -> str:
    """What a test that timed out waiting for the batch should say: its summary and items."""
    try:
        body = http.get(f"{apis[0].base_url}/api/batches/{batch_id}?per_page=100", timeout=30)
        return body.text[:4000]
    except requests.RequestException as error:
        return repr(error)


def _unreadable(apis: list[KillableApi], numbers: list[str]) -> list[str]:
    def read(pair: tuple[int, str]) -> str | None:
        n, number = pair
        base = apis[n % len(apis)].base_url
        with requests.Session() as http:
            invoice = http.get(f"{base}/api/invoices/{number}", timeout=60)
            if invoice.status_code != 200 or invoice.json()["number"] != number:
                return f"{number}: {invoice.status_code}"
            for _attempt in range(20):  # 429: the owner's render slots are all busy
                pdf = http.get(f"{base}/api/invoices/{number}.pdf", timeout=60)
                if pdf.status_code != 429:
                    break
                time.sleep(float(pdf.headers.get("Retry-After", "0.2")))
            if pdf.status_code != 200 or not pdf.content.startswith(b"%PDF"):
                return f"{number}.pdf: {pdf.status_code}"
        return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        return [problem for problem in pool.map(read, enumerate(numbers)) if problem]
