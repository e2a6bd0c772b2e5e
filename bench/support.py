"""What every benchmark needs: a private redis-server, service processes, figures, a table.

Everything started here runs on 127.0.0.1, on free ports, in its own process group, and is
stopped by its own process id when the benchmark ends (also on Ctrl-C or an error).
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # gunicorn and celery of the same virtualenv
GUNICORN_CONF = ROOT / "api" / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate: Callable[[], object], timeout: float, message: str, interval: float = 0.05
) -> object:
    """Poll `predicate` until it is truthy; raises TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {message}")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Service:
    """A child process in its own process group, its output in a log file."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        log_path: Path,
        ready: Callable[[Service], bool],
        ready_timeout: float = 30,
    ):
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.ready = ready
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen | None = None

    def start(self) -> Service:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        wait_until(self._ready, self.ready_timeout, f"{self.name} to be ready")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited early:\n{self.tail()}")
        return self.ready(self)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to this service's own process group; SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        pgid = self.process.pid  # start_new_session: the group id is the child's pid
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(10)
        except ProcessLookupError:
            pass


class RedisServer(Service):
    """A private redis-server on a free port: the developer's Redis is never touched."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (scripts/ensure-test-services.sh)")
        super().__init__(
            "redis-server",
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
                "--maxclients",
                "10000",
            ],
            dict(os.environ),
            workdir / "redis.log",
            lambda _: _pings(self.port),
        )

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


def _pings(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.2).ping())
    except redis.ConnectionError:
        return False


@dataclass
class Figure:
    """One measured figure against its baseline from the same run.

    `target` is the largest acceptable ratio figure/baseline, or, when `absolute` is true,
    the largest acceptable figure itself. No target: printed for information.
    """

    figure: str
    value: float
    unit: str
    baseline_label: str = ""
    baseline: float | None = None
    target: float | None = None
    absolute: bool = False

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return self.value / self.baseline

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "info"
        measured = self.value if self.absolute else self.ratio
        if measured is None or math.isnan(measured):
            return "MISS"
        return "PASS" if measured <= self.target else "MISS"

    def target_text(self) -> str:
        if self.target is None:
            return "-"
        return f"<= {self.target:g} {self.unit}" if self.absolute else f"<= {self.target:g}x"


@dataclass
class Outcome:
    """What one benchmark reports: figures for the table, notes printed under it."""

    name: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None


class Context:
    """Per-benchmark scratch space: a work directory, a private Redis, started services."""

    def __init__(self, name: str, workdir: Path, stack: ExitStack, log: Callable[[str], None]):
        self.name = name
        self.workdir = workdir
        self.stack = stack
        self.log = log
        self.redis = self.start(RedisServer(workdir))
        # the services' records database: a migrated SQLite file of this run, never the
        # developer's var/invoice-agent.db (an unmigrated one made every turn log a traceback)
        self.database_url = f"sqlite:///{workdir / 'records.db'}"
        self._migrated = False

    def start(self, service: Service) -> Service:
        self.log(f"starting {service.name}")
        self.stack.callback(service.stop)
        return service.start()

    def env(self, **variables: str) -> dict[str, str]:
        """The environment of a service process: the private Redis, nothing from AWS or .env."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "CELERY_", "GUNICORN_", "PROMETHEUS_"))
        }
        env.update(
            REDIS_URL=self.redis.url(),
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL="",
            API_KEYS="",
            LLM_PROVIDER="bench.providers:InstantProvider",
            TURN_RATE_LIMIT="1000000000/minute",
            READ_RATE_LIMIT="1000000000/minute",
            FRONTEND_DIST=str(self.workdir / "no-ui"),
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        env.update(variables)
        return env

    def migrate(self) -> None:
        """Give the records database its schema, as `make run` does before anything starts."""
        if self._migrated:
            return
        subprocess.run(
            [sys.executable, "-m", "core.records.migrate"],
            cwd=ROOT,
            env=self.env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self._migrated = True

    def gunicorn(self, name: str, app: str, **variables: str) -> tuple[Service, int]:
        """Start `app` under gunicorn with api/gunicorn.conf.py, bound to 127.0.0.1 only."""
        self.migrate()
        port = free_port()
        env = self.env(
            PORT=str(port), PROMETHEUS_MULTIPROC_DIR=str(self.workdir / f"prom-{name}"), **variables
        )
        argv = [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "-b", f"127.0.0.1:{port}", app]
        service = Service(
            name,
            argv,
            env,
            self.workdir / f"{name}.log",
            lambda s: _port_open(port) and b"Booting worker" in s.log_path.read_bytes(),
        )
        self.start(service)
        return service, port

    def celery_worker(
        self, name: str, app: str, queues: str, *extra: str, **variables: str
    ) -> Service:
        """Start `celery -A app worker -P gevent` and wait until it says it is ready."""
        self.migrate()
        argv = [
            str(BIN / "celery"),
            "-A",
            app,
            "worker",
            "-P",
            "gevent",
            "--loglevel=INFO",
            "-n",
            f"{name}@bench",
            "-Q",
            queues,
            "--without-mingle",
            "--without-gossip",
            *extra,
        ]
        service = Service(
            name,
            argv,
            self.env(**variables),
            self.workdir / f"{name}.log",
            lambda s: b" ready." in s.log_path.read_bytes(),
        )
        return self.start(service)


# -- statistics ----------------------------------------------------------------------------


def percentile(values: Iterable[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def histogram_percentile(histogram: Counter, p: float) -> float:
    """Nearest-rank percentile of a {value: count} histogram."""
    total = sum(histogram.values())
    if not total:
        return math.nan
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def median(values: Iterable[float]) -> float:
    return percentile(values, 50)


# -- output --------------------------------------------------------------------------------


def _number(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "-"
    digits = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{digits}f} {unit}"


def run_alone(name: str, run: Callable[[Context], Outcome]) -> None:
    """`python -m bench.<name>`: one benchmark in a scratch directory, its table and notes."""
    from tempfile import mkdtemp

    with ExitStack() as stack:
        outcome = run(Context(name, Path(mkdtemp(prefix=f"bench-{name}-")), stack, print))
    print(format_table([outcome]))
    for note in outcome.notes:
        print(note)


def format_table(outcomes: list[Outcome]) -> str:
    header = ("benchmark", "figure", "measured", "baseline", "ratio", "target", "result")
    rows = [header]
    for outcome in outcomes:
        if outcome.error:
            rows.append(
                (outcome.name, "ERROR", outcome.error.splitlines()[0][:60], "", "", "", "MISS")
            )
        for i, fig in enumerate(outcome.figures):
            baseline = _number(fig.baseline, fig.unit) if fig.baseline is not None else ""
            if fig.baseline_label:
                baseline = f"{fig.baseline_label} {baseline}".strip()
            ratio = f"{fig.ratio:.2f}x" if fig.ratio is not None else "-"
            rows.append(
                (
                    outcome.name if i == 0 else "",
                    fig.figure,
                    _number(fig.value, fig.unit),
                    baseline,
                    ratio,
                    fig.target_text(),
                    fig.verdict,
                )
            )
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[c]) for c, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
