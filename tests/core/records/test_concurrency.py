"""Gapless numbers under concurrency and crashes: 8 OS processes, each with its own engine,
issue 500 invoices for one owner on the same database (a SQLite file; a PostgreSQL
database). Then the same while some issuers are killed with SIGKILL mid-way and their work is
done again with the same idempotency keys: a killed transaction must not burn a number."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from core.records import RecordsService
from core.records.models import IssuedInvoice
from tests.conftest import ROOT, wait_until

OWNER = "c" * 32
INVOICES = 500
ISSUERS = 8


def start_issuer(url: str, first: int, count: int, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.core.records.issuer", url, OWNER, str(first), str(count),
         str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def slices() -> list[tuple[int, int]]:
    """(first, count) of each issuer: 500 invoices over 8 processes."""
    size, rest = divmod(INVOICES, ISSUERS)
    bounds, first = [], 0
    for n in range(ISSUERS):
        count = size + (n < rest)
        bounds.append((first, count))
        first += count
    return bounds


def progress(out: Path) -> int:
    return len(out.read_text().splitlines()) if out.exists() else 0


def finish(process: subprocess.Popen) -> None:
    _, errors = process.communicate(timeout=300)
    assert process.returncode == 0, errors


def check_gapless(url: str) -> dict[str, int]:
    """Numbers 1..500 exactly once, one invoice per key, each readable in full."""
    records = RecordsService.from_url(url)
    try:
        with records.engine.connect() as connection:
            rows = connection.execute(
                select(IssuedInvoice.number, IssuedInvoice.idempotency_key).where(
                    IssuedInvoice.owner == OWNER
                )
            ).all()
        numbers = sorted(int(number.split("-")[1]) for number, _ in rows)
        assert numbers == list(range(1, INVOICES + 1)), "gap or duplicate"
        keys = sorted(key for _, key in rows)
        assert keys == sorted(f"key-{i}" for i in range(INVOICES)), "a key issued twice or never"
        for number, _ in rows:
            invoice = records.invoice(OWNER, number)
            assert invoice["status"] == "issued" and invoice["total"] and invoice["items"]
        return {number: int(number.split("-")[1]) for number, _ in rows}
    finally:
        records.close()


def test_eight_processes_issue_500_invoices_without_a_gap(records_url, tmp_path):
    started = time.monotonic()
    issuers = [
        start_issuer(records_url, first, count, tmp_path / f"issuer-{n}.log")
        for n, (first, count) in enumerate(slices())
    ]
    for process in issuers:
        finish(process)
    elapsed = time.monotonic() - started
    check_gapless(records_url)
    print(f"\n{INVOICES} invoices by {ISSUERS} processes in {elapsed:.1f} s ({records_url[:10]})")


def test_killed_issuers_burn_no_number_and_their_retries_issue_nothing_twice(records_url, tmp_path):
    chance = random.Random()
    outs = [tmp_path / f"issuer-{n}.log" for n in range(ISSUERS)]
    issuers = [
        start_issuer(records_url, first, count, outs[n])
        for n, (first, count) in enumerate(slices())
    ]
    doomed = chance.sample(range(ISSUERS), 3)
    killed = []
    for n in doomed:  # each is killed in the middle of its run, at a random point
        threshold = chance.randint(3, slices()[n][1] - 10)
        try:
            wait_until(lambda n=n, t=threshold: progress(outs[n]) >= t, timeout=120)
        except AssertionError:
            continue
        time.sleep(chance.uniform(0, 0.02))  # anywhere within an issue's transaction
        if issuers[n].poll() is None:
            os.kill(issuers[n].pid, signal.SIGKILL)
            issuers[n].wait(10)
            killed.append(n)
    for n, process in enumerate(issuers):
        if n not in killed:
            finish(process)
    assert killed, "every issuer finished before it could be killed"
    done_before = {n: progress(outs[n]) for n in killed}
    # the killed issuers' whole work again, with the same keys: what was issued is returned
    retries = [start_issuer(records_url, *slices()[n], outs[n]) for n in killed]
    for process in retries:
        finish(process)
    issued = check_gapless(records_url)
    for n in killed:  # a retried key got the number it had before the kill, if it had one
        lines = outs[n].read_text().splitlines()
        first_run = dict(line.split() for line in lines[: done_before[n]])
        second_run = dict(line.split() for line in lines[done_before[n] :])
        assert len(second_run) == slices()[n][1]
        for index, number in first_run.items():
            assert second_run[index] == number
            assert number in issued
    print(f"\nkilled issuers {killed} after {done_before} invoices; retried; no gap")
