"""Issue latency: `RecordsService.issue` at 8 concurrent issuers of one owner, on SQLite and
on PostgreSQL, against a floor measured in the same run on the same database: a bare write
transaction (one INSERT, committed the same way) by 8 processes at once.

Each issuer is an OS process with its own engine (as gunicorn's and Celery's are), issuing
invoices of 6 lines for one owner, so every issue queues for the same number sequence: the
worst case of the gapless rule. The PostgreSQL database is a scratch one created (and
dropped) on the server at 127.0.0.1:5432; nothing else there is touched.

Two loads: back to back (each issuer issues again as soon as it has its answer: the
capacity, and a latency that is mostly queueing, by Little's law 8 / throughput) and paced
(the same 8 issuers at half that capacity, each at a steady interval: the latency a user
sees when the database is busy but not saturated).

Target (printed, not asserted): p50 <= 20 ms on each backend.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.support import ROOT, Context, Figure, Outcome, percentile

NAME = "issue_latency"
TITLE = "issue an invoice at 8 concurrent issuers, SQLite and PostgreSQL, vs a bare INSERT"
ISSUERS = 8
PER_ISSUER = 60
WARMUP = 3
TARGET_P50_MS = 20.0
OWNER = "b" * 32
POSTGRES_URLS = (
    os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "postgresql+psycopg://invoice_agent_test:invoice_agent_test@127.0.0.1:5432/postgres",
)


# -- one issuing process: python -m bench.issue_latency MODE URL COUNT INTERVAL GO OUT ---------


def _worker(mode: str, url: str, count: int, interval: float, go: Path, out: Path) -> None:
    from sqlalchemy import text

    from core.records import RecordsService
    from core.records.database import in_transaction
    from core.schemas import dump_invoice
    from tests.support.samples import sample_invoice

    records = RecordsService.from_url(url)
    invoice = dump_invoice(sample_invoice(lines=6))
    invoice["number"] = None
    tag = uuid.uuid4().hex[:8]

    def floor(n: int) -> None:
        insert = text("INSERT INTO bench_floor (tag, payload) VALUES (:tag, :payload)")
        in_transaction(
            records._sessions,
            lambda s: s.execute(insert, {"tag": f"{tag}-{n}", "payload": json.dumps(invoice)}),
            write=True,
        )

    def issue(n: int) -> None:
        records.issue(OWNER, invoice, session_id=f"{tag}-{n}", idempotency_key=f"{tag}-{n}")

    work = floor if mode == "floor" else issue
    for n in range(WARMUP):  # connections opened, statements compiled
        work(-1 - n)
    out.with_suffix(".ready").touch()
    while not go.exists():
        time.sleep(0.005)
    seconds = []
    began = time.time()
    due = time.perf_counter() + random.uniform(0, interval)  # paced issuers do not start in step
    for n in range(count):
        if interval:
            time.sleep(max(0.0, due - time.perf_counter()))
            due += interval
        started = time.perf_counter()
        work(n)
        seconds.append(time.perf_counter() - started)
    out.write_text(json.dumps({"seconds": seconds, "began": began, "ended": time.time()}))
    records.close()


# -- the benchmark -----------------------------------------------------------------------------


def _postgres_database(ctx: Context) -> str | None:
    """A scratch database's URL, dropped when the benchmark ends; None if no server answers."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    for admin_url in POSTGRES_URLS:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                name = f"invoice_agent_bench_{uuid.uuid4().hex[:10]}"
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception:
            engine.dispose()
            continue

        def drop(engine=engine, name=name) -> None:
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()

        ctx.stack.callback(drop)
        return make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return None


def _prepare(url: str) -> None:
    from sqlalchemy import text

    from core.records.database import make_engine
    from core.records.migrate import upgrade

    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_floor (tag VARCHAR(64) PRIMARY KEY, payload TEXT)"
            )
        )
    engine.dispose()


def _run_round(
    ctx: Context, mode: str, url: str, label: str, interval: float = 0
) -> tuple[list[float], float]:
    """8 processes doing `mode` PER_ISSUER times at once, each every `interval` seconds
    (0: back to back); every latency in seconds, and the rate achieved per second."""
    go = ctx.workdir / f"go-{label}-{mode}-{interval}"
    outs = [ctx.workdir / f"{label}-{mode}-{interval}-{n}.json" for n in range(ISSUERS)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.issue_latency",
                mode,
                url,
                str(PER_ISSUER),
                str(interval),
                str(go),
                str(out),
            ],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for out in outs
    ]
    deadline = time.monotonic() + 120
    while not all(out.with_suffix(".ready").exists() for out in outs):
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            errors = "".join(p.communicate()[1] or "" for p in processes if p.poll() is not None)
            raise RuntimeError(f"an issuer did not start: {errors[-2000:]}")
        time.sleep(0.02)
    go.touch()
    for process in processes:
        _, errors = process.communicate(timeout=600)
        if process.returncode:
            raise RuntimeError(f"an issuer failed: {errors[-2000:]}")
    results = [json.loads(out.read_text()) for out in outs]
    seconds = [value for result in results for value in result["seconds"]]
    span = max(r["ended"] for r in results) - min(r["began"] for r in results)
    return seconds, len(seconds) / span


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    backends = {"SQLite": f"sqlite:///{ctx.workdir / 'records.db'}"}
    postgres = _postgres_database(ctx)
    if postgres:
        backends["PostgreSQL"] = postgres
    else:
        outcome.notes.append("PostgreSQL: no server answered on 127.0.0.1:5432; not measured")
    for label, url in backends.items():
        _prepare(url)
        ctx.log(f"{label}: bare INSERT transactions, {ISSUERS} processes back to back")
        floor, _ = _run_round(ctx, "floor", url, label)
        ctx.log(f"{label}: issuing, {ISSUERS} processes back to back")
        issued, capacity = _run_round(ctx, "issue", url, label)
        # the same 8 issuers, each issuing at a steady pace: half the capacity just measured
        interval = ISSUERS / (capacity / 2)
        ctx.log(f"{label}: issuing, {ISSUERS} processes, one issue each every {interval:.2f} s")
        paced, rate = _run_round(ctx, "issue", url, label, interval)
        floor_p50, floor_p99 = (percentile(floor, p) * 1000 for p in (50, 99))
        p50, p99 = (percentile(issued, p) * 1000 for p in (50, 99))
        paced_p50, paced_p99 = (percentile(paced, p) * 1000 for p in (50, 99))
        outcome.figures += [
            Figure(f"{label} issue p50, back to back", p50, "ms", "bare INSERT p50", floor_p50),
            Figure(f"{label} issue p99, back to back", p99, "ms", "bare INSERT p99", floor_p99),
            Figure(f"{label} issue p50, back to back", p50, "ms", target=TARGET_P50_MS,
                   absolute=True),
            Figure(f"{label} issue p50, paced", paced_p50, "ms", target=TARGET_P50_MS,
                   absolute=True),
            Figure(f"{label} issue p99, paced", paced_p99, "ms", "bare INSERT p99", floor_p99),
        ]  # fmt: skip
        outcome.notes.append(
            f"{label}: back to back, {len(issued)} invoices by {ISSUERS} processes at "
            f"{capacity:.0f}/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms (bare INSERT p50 "
            f"{floor_p50:.1f} ms, p99 {floor_p99:.1f} ms); paced at {rate:.0f}/s: p50 "
            f"{paced_p50:.1f} ms, p99 {paced_p99:.1f} ms"
        )
    return outcome


if __name__ == "__main__":
    mode, url, count, interval, go, out = sys.argv[1:]
    _worker(mode, url, int(count), float(interval), Path(go), Path(out))
