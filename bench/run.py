"""Run the performance benchmarks and print their figures: `python -m bench.run [--only NAME]`.

Each benchmark measures a figure and its baseline side by side in the same run (ratios, not
absolute numbers, are what compare across machines), on a private redis-server, with traffic
to 127.0.0.1 only. Misses are reported, never asserted: the exit status is 0 unless a
benchmark could not run at all. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from contextlib import ExitStack
from pathlib import Path

from bench.support import ROOT, Context, Outcome, format_table

# name -> module with NAME, TITLE and run(ctx) -> Outcome; imported when run, so that a
# benchmark whose code does not import reports an error instead of stopping the others
BENCHMARKS = {
    "accept": "bench.accept",
    "roundtrip": "bench.roundtrip",
    "history": "bench.history",
    "concurrency": "bench.concurrency",
    "exports": "bench.exports",
    "batch_throughput": "bench.batch_throughput",
    "llm_rate": "bench.llm_rate",
    "slow_clients": "bench.slow_clients",
    "fairness": "bench.fairness",
    "issue_latency": "bench.issue_latency",
    "batch_zip": "bench.batch_zip",
    "capacity": "bench.capacity",
    "attachments": "bench.attachments",
}


def _log(message: str) -> None:
    print(f"   [{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _usable_cpus() -> int:
    """What `nproc` prints: the CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _revision() -> str:
    """The commit measured, and whether the working tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return f"{head}{' + uncommitted changes' if dirty else ''}"


def run_one(name: str, workroot: Path) -> Outcome:
    print(f"\n== {name}", end="", flush=True)
    began = time.monotonic()
    workdir = workroot / name
    workdir.mkdir()
    try:
        module = importlib.import_module(BENCHMARKS[name])
        print(f": {module.TITLE}", flush=True)
        with ExitStack() as stack:
            outcome = module.run(Context(name, workdir, stack, _log))
    except Exception as exc:  # a broken benchmark must not hide the others' figures
        print(flush=True)
        traceback.print_exc()
        outcome = Outcome(name, error=f"{type(exc).__name__}: {exc}")
    if outcome.error or any(f.verdict == "MISS" for f in outcome.figures):
        outcome.notes.append(f"logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    for note in outcome.notes:
        print(f"   {note}")
    print(f"   ({time.monotonic() - began:.0f} s)", flush=True)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    args = parser.parse_args(argv)
    names = [n for n in BENCHMARKS if n in (args.only or BENCHMARKS)]

    print(f"Invoice Agent benchmarks: {', '.join(names)}")
    print(
        f"machine: {os.cpu_count()} CPUs (usable {_usable_cpus()}), "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )
    print(f"code: {_revision()}")
    workroot = Path(tempfile.mkdtemp(prefix="invoice-bench-"))
    began = time.monotonic()
    outcomes = [run_one(name, workroot) for name in names]

    print(
        f"\nResults ({time.monotonic() - began:.0f} s in all; ratios are measured side by side "
        "in this run):\n"
    )
    print(format_table(outcomes))
    failed = [o for o in outcomes if o.error]
    if any(workroot.iterdir()):
        print(f"\nlogs of the benchmarks that missed or failed: {workroot}")
    else:
        workroot.rmdir()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
