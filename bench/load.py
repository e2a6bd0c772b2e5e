"""Closed-loop HTTP load: N keep-alive connections POSTing one JSON body for a fixed time.

`wrk` (C, epoll) when it is installed or can be installed with apt-get; otherwise a Python
client with one thread and one keep-alive connection per simulated client. Either way both
arms of a comparison use the same client. Latencies come back as a {microseconds: count}
histogram so that several rounds of one arm can be merged exactly.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_BODY")
local expected = tonumber(os.getenv("BENCH_STATUS"))

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
end

function response(status, headers, body)
  if status ~= expected then unexpected = unexpected + 1 end
end

function done(summary, latency, requests)
  local unexpected_total = 0
  for _, t in ipairs(threads) do unexpected_total = unexpected_total + t:get("unexpected") end
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d unexpected=%d errors=%d\\n",
    summary.requests, summary.duration, unexpected_total,
    e.connect + e.read + e.write + e.timeout))
  io.write("BENCH histogram")
  for i = 1, #latency do
    local value, count = latency(i)
    io.write(string.format(" %d:%d", value, count))
  end
  io.write("\\n")
end
"""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    unexpected: int  # responses with another status than the expected one
    errors: int  # connect/read/write errors and timeouts
    histogram: Counter = field(default_factory=Counter)  # latency in µs -> count

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def ensure_wrk(log=print) -> str | None:
    """The wrk binary; installs the distribution's package with apt-get if we may."""
    found = shutil.which("wrk")
    if found or not shutil.which("apt-get"):
        return found
    if os.geteuid() == 0:
        prefix = []
    elif shutil.which("sudo"):
        prefix = ["sudo", "-n"]
    else:
        return None
    log("installing wrk with apt-get (once)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*prefix, "apt-get", "install", "-y", "-q", "wrk"]
    for attempt in (install, [*prefix, "apt-get", "update", "-q"], install):
        try:
            subprocess.run(attempt, env=env, capture_output=True, timeout=240, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if shutil.which("wrk"):
            break
    return shutil.which("wrk")


class WrkClient:
    name = "wrk"

    def __init__(self, binary: str, workdir: Path):
        self.binary = binary
        self.script = workdir / "post.lua"
        self.script.write_text(WRK_SCRIPT)

    def run(
        self, url: str, body: str, *, connections: int, seconds: float, expected_status: int
    ) -> LoadResult:
        env = {**os.environ, "BENCH_BODY": body, "BENCH_STATUS": str(expected_status)}
        argv = [
            self.binary,
            "-t1",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(self.script),
            url,
        ]
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
        summary = re.search(
            r"BENCH requests=(\d+) duration_us=(\d+) unexpected=(\d+) errors=(\d+)", done.stdout
        )
        buckets = re.search(r"BENCH histogram(.*)", done.stdout)
        if done.returncode != 0 or not summary or not buckets:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
        histogram = Counter()
        for pair in buckets.group(1).split():
            value, count = pair.split(":")
            histogram[int(value)] += int(count)
        requests, duration_us, unexpected, errors = map(int, summary.groups())
        return LoadResult(requests, duration_us / 1e6, unexpected, errors, histogram)


class ThreadClient:
    """The fallback: one thread and one keep-alive http.client connection per client."""

    name = "python threads (http.client)"
    MAX_REQUESTS_PER_CLIENT = 100_000

    def run(
        self, url: str, body: str, *, connections: int, seconds: float, expected_status: int
    ) -> LoadResult:
        match = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
        host, port, path = match.group(1), int(match.group(2)), match.group(3)
        payload = body.encode()
        headers = {"Content-Type": "application/json"}
        lock = threading.Lock()
        histogram: Counter = Counter()
        counts = {"requests": 0, "unexpected": 0, "errors": 0}
        start = time.monotonic()
        deadline = start + seconds

        def client() -> None:
            local: Counter = Counter()
            requests = unexpected = errors = 0
            conn = http.client.HTTPConnection(host, port, timeout=10)
            for _ in range(self.MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= deadline:
                    break
                began = time.perf_counter()
                try:
                    conn.request("POST", path, body=payload, headers=headers)
                    response = conn.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    errors += 1
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=10)
                    continue
                local[int((time.perf_counter() - began) * 1e6)] += 1
                requests += 1
                unexpected += response.status != expected_status
            conn.close()
            with lock:
                histogram.update(local)
                counts["requests"] += requests
                counts["unexpected"] += unexpected
                counts["errors"] += errors

        threads = [threading.Thread(target=client, daemon=True) for _ in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 30)
        return LoadResult(
            counts["requests"],
            time.monotonic() - start,
            counts["unexpected"],
            counts["errors"],
            histogram,
        )


def load_client(workdir: Path, log=print) -> WrkClient | ThreadClient:
    binary = ensure_wrk(log)
    return WrkClient(binary, workdir) if binary else ThreadClient()
