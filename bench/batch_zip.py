"""A batch's 1,000 invoices as one ZIP of PDFs: made by a worker, against warm Chromium.

`python -m bench.batch_zip` (also `bench.run --only batch_zip`). The stack as `make run` runs
it (gunicorn, a gevent worker, a private Redis; InstantProvider makes each invoice). After a
1,000-item batch has finished, `GET …/invoices.zip` starts the export job; the benchmark polls
until the ZIP is ready and downloads it. Meanwhile a second client times other requests
(health, the batch's page) against the same requests on the idle stack just before.

Floor: the same 1,000 invoices printed one after another by a warm headless Chromium (our
HTML view printed to PDF, the way Invoify and Invoice Ninja make PDFs).
Targets: ZIP ready in <= 0.5x Chromium's time; other requests' p99 unchanged meanwhile.
"""

from __future__ import annotations

import io
import statistics
import threading
import time
import zipfile

import requests

from bench.exports import Chromium
from bench.support import Context, Figure, Outcome, percentile
from core.exports.html_view import render_html
from core.exports.layout import layout_for
from core.settings import Settings
from core.stores import RedisStores

NAME = "batch_zip"
TITLE = "a 1,000-invoice ZIP made by a worker vs warm Chromium printing the same PDFs"
ITEMS = 1000
TARGET_RATIO = 0.5
MESSAGE = "Invoice Acme Corp for 40 hours of consulting at $150/h"


class Sampler:
    """Times GET requests to `urls`, round robin, until stopped."""

    def __init__(self, urls: list[str]):
        self.urls = urls
        self.times: list[float] = []
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        with requests.Session() as http:
            n = 0
            while not self._stop.is_set():
                began = time.perf_counter()
                try:
                    ok = http.get(self.urls[n % len(self.urls)], timeout=30).status_code == 200
                except requests.RequestException:
                    ok = False
                self.times.append((time.perf_counter() - began) * 1000)
                self.errors += not ok
                n += 1
                time.sleep(0.05)


def run(ctx: Context) -> Outcome:
    env = {"LLM_PROVIDER": "bench.providers:InstantProvider", "BATCH_MAX_QUEUED_ITEMS": "5000"}
    ctx.celery_worker("worker", "worker.app", "interactive,batch", **env)
    _, port = ctx.gunicorn("api", "api:create_app()", **env)
    base = f"http://127.0.0.1:{port}"
    http = requests.Session()
    batch = http.post(
        f"{base}/api/batches", json={"items": [{"message": MESSAGE}] * ITEMS}, timeout=60
    ).json()
    batch_url = f"{base}/api/batches/{batch['batch_id']}?per_page=1"
    ctx.log(f"waiting for the {ITEMS}-item batch")
    while http.get(batch_url, timeout=30).json()["status"] != "completed":
        time.sleep(0.5)
    others = [f"{base}/api/health", batch_url]
    with Sampler(others) as idle:
        time.sleep(10)

    ctx.log("making the ZIP")
    zip_url = base + batch["invoices_url"]
    with Sampler(others) as during:
        began = time.perf_counter()
        answer = http.get(zip_url, timeout=60)
        while answer.status_code == 202:
            time.sleep(0.5)
            answer = http.get(zip_url, timeout=120)
        ready = time.perf_counter() - began
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()

    ctx.log(f"printing the same {ITEMS} invoices with warm Chromium")
    settings = Settings.from_env({}, dotenv_path=None, redis_url=ctx.redis.url())
    made = RedisStores.from_settings(settings).batches.invoices(batch["batch_id"])
    invoices = [item.invoice for item in made]
    with Chromium() as chromium:
        chromium.print_pdf(render_html(invoices[0], layout_for(invoices[0])))  # warm
        began = time.perf_counter()
        for invoice in invoices:
            chromium.print_pdf(render_html(invoice, layout_for(invoice)))
        chromium_seconds = time.perf_counter() - began

    outcome = Outcome(NAME)
    outcome.figures = [
        Figure(
            f"{ITEMS}-invoice ZIP ready", ready, "s", "Chromium", chromium_seconds, TARGET_RATIO
        ),
        Figure(
            "other requests' p99 while it is made",
            percentile(during.times, 99),
            "ms",
            "idle",
            percentile(idle.times, 99),
        ),
        Figure(
            "other requests' median while it is made",
            statistics.median(during.times),
            "ms",
            "idle",
            statistics.median(idle.times),
        ),
    ]
    outcome.notes.append(
        f"ZIP: {len(names)} PDFs, {len(answer.content) / 1e6:.1f} MB; other requests: "
        f"{len(during.times)} while it was made ({during.errors} not 200), {len(idle.times)} idle"
    )
    return outcome


def main() -> None:
    from bench.support import run_alone

    run_alone(NAME, run)


if __name__ == "__main__":
    main()
