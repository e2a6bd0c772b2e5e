"""`make check`: each part of a running stack and its status, as check_system.sh meant to.

Exits 1 when a required part (Redis, the broker, the API) is down.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from core.providers import provider_name
from core.queue import CeleryPublisher
from core.settings import Settings
from core.stores import RedisStores


def http_status(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - local URLs
            return str(response.status)
    except urllib.error.HTTPError as exc:
        return str(exc.code)
    except OSError as exc:
        return f"unreachable ({exc.__class__.__name__})"


def main() -> int:
    settings = Settings.from_env()
    stores = RedisStores.from_settings(settings)
    redis_ok = stores.redis.answers()
    broker_ok = CeleryPublisher.from_settings(settings).answers()
    workers = stores.workers.live_workers() if redis_ok else 0
    api = http_status(f"http://127.0.0.1:{settings.port}/api/health")
    flower = http_status(f"http://127.0.0.1:{settings.flower_port}/healthcheck")
    rows = [
        ("redis", "ok" if redis_ok else "DOWN", settings.redis_url.split("@")[-1]),
        ("broker", "ok" if broker_ok else "DOWN", settings.broker_url.split("@")[-1]),
        ("workers", "ok" if workers else "NONE", f"{workers} alive (heartbeat within 30 s)"),
        ("llm", "ok", provider_name(settings)),
        ("api", "ok" if api == "200" else "DOWN", f":{settings.port}/api/health -> {api}"),
        ("flower", "ok" if flower == "200" else "down", f":{settings.flower_port} -> {flower}"),
    ]
    for name, state, detail in rows:
        print(f"{name:<8} {state:<5} {detail}")
    return 0 if redis_ok and broker_ok and api == "200" else 1


if __name__ == "__main__":
    sys.exit(main())
