"""Liveness and readiness of a worker process: `python -m worker.probe live|ready`.

The worker's heartbeat loop (every 10 s, `worker/tasks.py`) runs its Redis write inside
`beat()`, which leaves a small JSON file saying when the worker last beat and whether Redis
answered. A Kubernetes exec probe reads that file instead of asking Redis or the worker, so
it costs one file read, answers while every greenlet is busy with turns, and tells apart:

- a frozen worker (no recent beat): not live, so the kubelet restarts it;
- a worker that lost Redis (recent beats, Redis not answering): live but not ready; a
  restart would not bring Redis back, and the pod reports it is of no use meanwhile.

Exit status 0 = yes, 1 = no; the one line printed says why (the kubelet keeps it in events).
The file's path comes from `WORKER_PROBE_FILE`: a detail of the container, not a setting of
the service, and the probe must start fast without building the worker's settings.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PROBE_FILE_ENV = "WORKER_PROBE_FILE"
DEFAULT_PROBE_FILE = "/tmp/invoice-agent-worker-probe.json"  # noqa: S108 - a pod's own /tmp
# The heartbeat comes every 10 s. Live tolerates five missed beats (a long PDF render may hold
# the gevent hub for a while); ready wants Redis to have answered within the last three.
LIVE_WITHIN_SECONDS = 60.0
READY_WITHIN_SECONDS = 30.0


@dataclass(frozen=True)
class Beat:
    """One heartbeat as the worker recorded it."""

    at: float  # time.monotonic(): one clock for the whole machine, immune to wall-clock steps
    redis: bool


def probe_file(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get(PROBE_FILE_ENV) or DEFAULT_PROBE_FILE)


def record(redis_ok: bool, path: Path | None = None, *, now: float | None = None) -> None:
    """Write the beat atomically; a failure is logged, never raised (the heartbeat goes on)."""
    path = path or probe_file()
    body = {
        "beat_at": time.monotonic() if now is None else now,
        "redis": redis_ok,
        "wall_time": time.time(),  # for a person reading the file
        "pid": os.getpid(),
    }
    scratch = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        scratch.write_text(json.dumps(body))
        os.replace(scratch, path)  # a probe never reads half a file
    except OSError as exc:
        log.warning("cannot write the worker probe file %s: %s", path, exc)


@contextmanager
def beat(path: Path | None = None) -> Iterator[None]:
    """Record one heartbeat around the block: Redis answered unless the block raised."""
    try:
        yield
    except Exception:
        record(False, path)
        raise
    record(True, path)


def read(path: Path) -> Beat | None:
    """The last beat, or None when there is none (not yet written, or unreadable)."""
    try:
        data = json.loads(path.read_text())
        return Beat(at=float(data["beat_at"]), redis=data["redis"] is True)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def check(kind: str, path: Path, *, now: float | None = None) -> tuple[bool, str]:
    """Whether the worker is `live` or `ready`, and why. Raises ValueError for another kind."""
    if kind not in ("live", "ready"):
        raise ValueError(f"unknown probe {kind!r}: use live or ready")
    last = read(path)
    if last is None:
        return False, f"no heartbeat recorded in {path}"
    age = max(0.0, (time.monotonic() if now is None else now) - last.at)
    if kind == "live":
        if age > LIVE_WITHIN_SECONDS:
            return False, f"last heartbeat {age:.0f}s ago (limit {LIVE_WITHIN_SECONDS:.0f}s)"
        return True, f"heartbeat {age:.0f}s ago"
    if age > READY_WITHIN_SECONDS:
        return False, f"last heartbeat {age:.0f}s ago (limit {READY_WITHIN_SECONDS:.0f}s)"
    if not last.redis:
        return False, "Redis did not answer the last heartbeat"
    return True, f"heartbeat {age:.0f}s ago, Redis answered"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in ("live", "ready"):
        print("usage: python -m worker.probe live|ready", file=sys.stderr)
        return 2
    ok, reason = check(args[0], probe_file())
    print(f"{args[0]}: {'yes' if ok else 'no'}: {reason}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
