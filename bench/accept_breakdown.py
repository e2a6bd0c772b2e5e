"""Where the time of POST /api/chat goes: `python -m bench.accept_breakdown` (a diagnostic).

Not part of `bench.run`. In one process, through Flask's test client (no HTTP server, no
concurrency), on a private redis-server, it times the API with parts switched off, the bare
app of the accept benchmark, and the enqueue step alone; then counts the Redis commands one
accepted turn sends. Variants are timed in alternating rounds; medians are printed.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import redis

from api import create_app
from bench.accept import BODY
from bench.bare_app import create_app as create_bare_app
from bench.support import Context, median
from core.queue import CeleryPublisher
from core.settings import Settings

ROUNDS = 6
REQUESTS_PER_ROUND = 300
WARMUP = 100


class NoQueue:
    """Accepts the turn and publishes nothing."""

    def publish(self, job_ids, queue: str, *, request_id: str = "") -> None:
        return None

    def answers(self) -> bool:
        return True


def _time_rounds(calls: dict, per_round: int) -> dict[str, float]:
    """Median milliseconds per call of each variant, over alternating rounds."""
    for call in calls.values():
        for _ in range(WARMUP):
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for n in range(ROUNDS):
        for name, call in calls.items() if n % 2 == 0 else reversed(calls.items()):
            began = time.perf_counter()
            for _ in range(per_round):
                call()
            samples[name].append((time.perf_counter() - began) / per_round * 1000)
    return {name: median(values) for name, values in samples.items()}


def main() -> None:
    with ExitStack() as stack:
        ctx = Context("breakdown", Path(tempfile.mkdtemp(prefix="invoice-bench-")), stack, print)
        url = ctx.redis.url()
        settings = Settings.from_env(
            {},
            dotenv_path=None,
            redis_url=url,
            turn_rate_limit="1000000000/minute",
            read_rate_limit="1000000000/minute",
            llm_provider="bench.providers:InstantProvider",
            frontend_dist=str(ctx.workdir),
        )
        apps = {
            "bare app (1 pipeline)": create_bare_app(url),
            "API as shipped": create_app(settings),
            "API, no enqueue": create_app(settings, publisher=NoQueue()),
        }
        clients = {name: app.test_client() for name, app in apps.items()}

        def post(client):
            def call():
                answer = client.post("/api/chat", data=BODY, content_type="application/json")
                if answer.status_code != 202:
                    raise RuntimeError(f"{answer.status_code}: {answer.get_data(as_text=True)}")

            return call

        print(f"\nPOST /api/chat in process, ms per request ({ROUNDS} x {REQUESTS_PER_ROUND}):")
        timings = _time_rounds({n: post(c) for n, c in clients.items()}, REQUESTS_PER_ROUND)
        bare = timings["bare app (1 pipeline)"]
        for name, ms in timings.items():
            print(f"  {name:30s} {ms:6.3f} ms  {ms / bare:5.2f}x bare")

        plain = redis.Redis.from_url(url)
        shipped = CeleryPublisher.from_settings(settings)
        job_id = "0" * 32
        print("\nenqueue step alone, ms per call:")
        enqueue = _time_rounds(
            {
                "CeleryPublisher.publish": lambda: shipped.publish([job_id], "interactive"),
                "plain LPUSH (redis-py)": lambda: plain.lpush("bench:plain", job_id),
            },
            REQUESTS_PER_ROUND,
        )
        for name, ms in enqueue.items():
            print(f"  {name:30s} {ms:6.3f} ms")

        print("\nRedis commands sent by one accepted turn (API as shipped):")
        client = clients["API as shipped"]
        plain.config_resetstat()
        for _ in range(100):
            client.post("/api/chat", data=BODY, content_type="application/json")
        stats = plain.info("commandstats")
        for name, stat in sorted(stats.items()):
            if "resetstat" in name:
                continue
            print(
                f"  {name.removeprefix('cmdstat_'):10s} {stat['calls'] / 100:4.1f} per request, "
                f"{stat['usec_per_call']:6.1f} us server time each"
            )
        plain.close()
    shutil.rmtree(ctx.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
