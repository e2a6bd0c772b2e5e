"""Idle, slow and long-polling connections must cost the API nothing another client notices.

`python -m bench.slow_clients [--compare-gthread]` (also `bench.run --only slow_clients`).

The API runs as `make run` runs it (gunicorn, api/gunicorn.conf.py, two processes). The
benchmark opens 1,000 long-polls (`GET /api/jobs/{id}?wait=30` on turns kept running, each
polled again as soon as it answers) and 200 connections that send half a request header and
then one more byte now and then (each is reconnected when the server drops it). Meanwhile it
times `GET /api/health` on fresh connections, and one ordinary turn from POST to result.
Baseline: the same health check on the idle API, in the same run.
Target: health p99 <= 100 ms under that load, and the turn completes.

`--compare-gthread` runs the same load once more against gunicorn's threaded worker (32
threads a process, the configuration before issue 13), for the record.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import threading
import time
from collections import Counter

from bench.support import Context, Figure, Outcome, percentile

NAME = "slow_clients"
TITLE = "health and a turn while 1,000 long-polls and 200 slow-header clients are connected"
LONG_POLLS = 1000
SLOW_HEADERS = 200
POLL_TARGETS = 20  # turns kept running for the long-polls to wait on
HEALTH_SAMPLES = 300
TARGET_P99_MS = 100.0


class Load:
    """The long-polls and slow-header connections, run by asyncio in a thread of their own."""

    def __init__(self, port: int, job_ids: list[str]):
        self.port = port
        self.job_ids = job_ids
        self.loop = asyncio.new_event_loop()
        self.stopping = False
        self.polls_open = 0
        self.poll_answers: Counter[str] = Counter()
        self.slow_open = 0
        self.slow_dropped = 0
        self.slow_lifetimes: list[float] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping = True
        self.thread.join(60)

    def _run(self) -> None:
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        tasks = [self.loop.create_task(self._long_poll(n)) for n in range(LONG_POLLS)]
        tasks += [self.loop.create_task(self._slow_header(n)) for n in range(SLOW_HEADERS)]
        while not self.stopping:
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _long_poll(self, n: int) -> None:
        job_id = self.job_ids[n % len(self.job_ids)]
        request = (f"GET /api/jobs/{job_id}?wait=30 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").encode()
        while not self.stopping:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.5)
                continue
            self.polls_open += 1
            try:
                while not self.stopping:  # keep-alive: poll again on the same connection
                    writer.write(request)
                    await writer.drain()
                    status = await self._read_status(reader)
                    self.poll_answers[status] += 1
                    if status != "200":
                        break
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                self.polls_open -= 1
                writer.close()

    @staticmethod
    async def _read_status(reader: asyncio.StreamReader) -> str:
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1].decode()
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        return status

    async def _slow_header(self, n: int) -> None:
        while not self.stopping:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.5)
                continue
            opened = time.monotonic()
            self.slow_open += 1
            try:
                writer.write(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                await writer.drain()
                while not self.stopping:
                    await asyncio.sleep(1.0)
                    writer.write(b"a")  # one more byte, never the end of the header
                    await writer.drain()
                    if reader.at_eof():
                        break
                    try:
                        await asyncio.wait_for(reader.read(1), timeout=0.01)
                        break  # the server answered or closed: it stopped waiting for us
                    except TimeoutError:
                        pass
            except OSError:
                pass
            finally:
                self.slow_open -= 1
                if not self.stopping:
                    self.slow_dropped += 1
                    self.slow_lifetimes.append(time.monotonic() - opened)
                writer.close()


HEALTH_TIMEOUT_S = 20.0


def _request(
    port: int, method: str, path: str, body: dict | None = None, timeout: float = 60
) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def _health_ms(port: int, samples: int, deadline_s: float = 120) -> list[float]:
    """Health check times; one that gets no answer counts as HEALTH_TIMEOUT_S."""
    timings = []
    stop = time.monotonic() + deadline_s
    for _ in range(samples):
        began = time.perf_counter()
        try:
            status, _ = _request(port, "GET", "/api/health", timeout=HEALTH_TIMEOUT_S)
        except OSError:  # timed out, or refused: the API could not answer
            status = 0
        timings.append(
            (time.perf_counter() - began) * 1000 if status == 200 else HEALTH_TIMEOUT_S * 1000
        )
        if time.monotonic() > stop:
            break
        time.sleep(0.05)
    return timings


def _turn_seconds(port: int, give_up_s: float = 120) -> float:
    """From POST to a succeeded job; NaN when it did not complete within `give_up_s`."""
    began = time.perf_counter()
    try:
        status, accepted = _request(
            port, "POST", "/api/generate-invoice", {"message": "Invoice Acme for 2 h at $100"}
        )
        assert status == 202, accepted
        job = accepted
        while job.get("status") not in ("succeeded", "failed"):
            if time.perf_counter() - began > give_up_s:
                return float("nan")
            _, job = _request(port, "GET", f"/api/jobs/{accepted['job_id']}?wait=10")
    except OSError:
        return float("nan")
    return time.perf_counter() - began if job["status"] == "succeeded" else float("nan")


def measure(ctx: Context, label: str, **gunicorn_env: str) -> dict:
    ctx.celery_worker(
        f"worker-{label}",
        "worker.app",
        "interactive,batch",
        LLM_PROVIDER="bench.providers:OnRequestProvider",
    )
    _, port = ctx.gunicorn(
        f"api-{label}",
        "api:create_app()",
        LLM_PROVIDER="bench.providers:OnRequestProvider",
        **gunicorn_env,
    )
    idle = _health_ms(port, HEALTH_SAMPLES // 3)
    targets = [
        _request(port, "POST", "/api/generate-invoice", {"message": "sleep 600"})[1]["job_id"]
        for _ in range(POLL_TARGETS)
    ]
    load = Load(port, targets)
    load.start()
    deadline = time.monotonic() + 60
    while load.polls_open < LONG_POLLS or load.slow_open < SLOW_HEADERS:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    ctx.log(f"{label}: {load.polls_open} long-polls and {load.slow_open} slow clients open")
    try:
        loaded = _health_ms(port, HEALTH_SAMPLES)
        turn = _turn_seconds(port)
        open_during = (load.polls_open, load.slow_open)
    finally:
        load.stop()
    lifetimes = sorted(load.slow_lifetimes)
    return {
        "idle": idle,
        "loaded": loaded,
        "turn": turn,
        "open": open_during,
        "answers": dict(load.poll_answers),
        "slow_dropped": load.slow_dropped,
        "slow_lifetime_median": lifetimes[len(lifetimes) // 2] if lifetimes else float("nan"),
    }


def run(ctx: Context, compare_gthread: bool = False) -> Outcome:
    result = measure(ctx, "gevent")
    outcome = Outcome(NAME)
    outcome.figures += [
        Figure(
            "health p99, loaded",
            percentile(result["loaded"], 99),
            "ms",
            "idle",
            percentile(result["idle"], 99),
            TARGET_P99_MS,
            absolute=True,
        ),
        Figure(
            "health p50, loaded",
            percentile(result["loaded"], 50),
            "ms",
            "idle",
            percentile(result["idle"], 50),
        ),
        Figure("a turn, POST to result, loaded", result["turn"] * 1000, "ms"),
    ]
    outcome.notes.append(
        f"open while measuring: {result['open'][0]} long-polls, {result['open'][1]} slow-header "
        f"clients; long-poll answers by status: {result['answers']}; slow clients dropped by "
        f"the server: {result['slow_dropped']} (median lifetime "
        f"{result['slow_lifetime_median']:.1f} s)"
    )
    if compare_gthread:
        before = measure(
            ctx, "gthread", GUNICORN_CMD_ARGS="--worker-class gthread --threads 32 --timeout 60"
        )
        timeouts = sum(ms >= HEALTH_TIMEOUT_S * 1000 for ms in before["loaded"])
        outcome.notes.append(
            "for the record, gunicorn gthread (32 threads a process) under the same load: "
            f"health p50 {percentile(before['loaded'], 50):.0f} ms, p99 "
            f"{percentile(before['loaded'], 99):.0f} ms, {timeouts} of {len(before['loaded'])} "
            f"got no answer within {HEALTH_TIMEOUT_S:.0f} s; turn {before['turn']:.1f} s"
        )
    return outcome


def main() -> None:
    from bench.support import run_alone

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare-gthread", action="store_true")
    args = parser.parse_args()
    run_alone(NAME, lambda ctx: run(ctx, compare_gthread=args.compare_gthread))


if __name__ == "__main__":
    main()
