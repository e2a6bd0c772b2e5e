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
from dataclasses import dataclass
from pathlib import Path

from bench.support import ROOT, Context, Figure, Outcome, percentile

NAME = "issue_latency"
TITLE = "issue an invoice at 8 concurrent issuers, SQLite and PostgreSQL, vs a bare INSERT"
ISSUERS = 8
PER_ISSUER = 60
WARMUP = 3
TARGET_P50_MS = 20.0
POSTGRES_URLS = (
    os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "postgresql+psycopg://invoice_agent_test:invoice_agent_test@127.0.0.1:5432/postgres",
)


# -- one issuing process: python -m bench.issue_latency MODE URL COUNT INTERVAL GO OUT ---------


def _worker(
    mode: str, url: str, count: int, interval: float, go: Path, out: Path, owner: str
) -> None:
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
        records.issue(owner, invoice, session_id=f"{tag}-{n}", idempotency_key=f"{tag}-{n}")

    work = floor if mode == "floor" else issue
    for n in range(WARMUP):  # connections opened, statements compiled
        work(-1 - n)
    out.with_suffix(".ready").touch()
    while not go.exists():
        time.sleep(0.005)
    seconds = []
    began = time.time()
    cpu = time.process_time()
    due = time.perf_counter() + random.uniform(0, interval)  # paced issuers do not start in step
    for n in range(count):
        if interval:
            time.sleep(max(0.0, due - time.perf_counter()))
            due += interval
        started = time.perf_counter()
        work(n)
        seconds.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu
    out.write_text(
        json.dumps({"seconds": seconds, "began": began, "ended": time.time(), "cpu": cpu})
    )
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


@dataclass
class Round:
    seconds: list[float]  # every latency
    rate: float  # issues (or inserts) per second, all issuers together
    cpu_ms: float  # issuers' own CPU per call (the database server's not included)

    def p(self, q: float) -> float:
        return percentile(self.seconds, q) * 1000


def _run_round(
    ctx: Context, mode: str, url: str, label: str, interval: float = 0, owners: int = 1
) -> Round:
    """8 processes doing `mode` PER_ISSUER times at once, each every `interval` seconds
    (0: back to back), for one owner or for `owners` (issuer n issues for owner n % owners)."""
    go = ctx.workdir / f"go-{label}-{mode}-{interval}-{owners}"
    outs = [ctx.workdir / f"{label}-{mode}-{interval}-{owners}-{n}.json" for n in range(ISSUERS)]
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
                f"{n % owners:x}" * 32,
            ],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n, out in enumerate(outs)
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
    cpu_ms = sum(r["cpu"] for r in results) / len(seconds) * 1000
    return Round(seconds, len(seconds) / span, cpu_ms)


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
        floor = _run_round(ctx, "floor", url, label)
        ctx.log(f"{label}: issuing, {ISSUERS} processes back to back, one owner")
        issued = _run_round(ctx, "issue", url, label)
        ctx.log(f"{label}: issuing, {ISSUERS} processes back to back, {ISSUERS} owners")
        owners = _run_round(ctx, "issue", url, label, owners=ISSUERS)
        # the same 8 issuers, each issuing at a steady pace: half the capacity just measured
        interval = ISSUERS / (issued.rate / 2)
        ctx.log(f"{label}: issuing, {ISSUERS} processes, one issue each every {interval:.2f} s")
        paced = _run_round(ctx, "issue", url, label, interval)
        outcome.figures += [
            Figure(f"{label} issue p50, back to back", issued.p(50), "ms", "bare INSERT p50",
                   floor.p(50)),
            Figure(f"{label} issue p99, back to back", issued.p(99), "ms", "bare INSERT p99",
                   floor.p(99)),
            Figure(f"{label} issue p50, back to back", issued.p(50), "ms", target=TARGET_P50_MS,
                   absolute=True),
            Figure(f"{label} issue p50, 8 owners b2b", owners.p(50), "ms", target=TARGET_P50_MS,
                   absolute=True),
            Figure(f"{label} issue p50, paced", paced.p(50), "ms", target=TARGET_P50_MS,
                   absolute=True),
            Figure(f"{label} issue p99, paced", paced.p(99), "ms", "bare INSERT p99",
                   floor.p(99)),
        ]  # fmt: skip
        outcome.notes.append(
            f"{label}: back to back, one owner: {len(issued.seconds)} invoices by {ISSUERS} "
            f"processes at {issued.rate:.0f}/s, p50 {issued.p(50):.1f} ms, p99 "
            f"{issued.p(99):.1f} ms, issuer CPU {issued.cpu_ms:.1f} ms per issue; "
            f"{ISSUERS} owners: {owners.rate:.0f}/s, p50 {owners.p(50):.1f} ms, p99 "
            f"{owners.p(99):.1f} ms; bare INSERT {floor.rate:.0f}/s, p50 {floor.p(50):.1f} ms, "
            f"p99 {floor.p(99):.1f} ms, CPU {floor.cpu_ms:.1f} ms; paced at {paced.rate:.0f}/s: "
            f"p50 {paced.p(50):.1f} ms, p99 {paced.p(99):.1f} ms"
        )
    return outcome


if __name__ == "__main__":
    mode, url, count, interval, go, out, owner = sys.argv[1:]
    _worker(mode, url, int(count), float(interval), Path(go), Path(out), owner)
