"""The real stack for browser tests: the built UI served by gunicorn, a Celery worker with the
offline engine, a private Redis, and Debian's Chromium driven by Playwright.

Chromium is /usr/bin/chromium from the system packages: Playwright never downloads a browser
here. The stack lives for the e2e package only, on a Redis database of its own, so its worker
never takes jobs meant for the other suites' workers.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, WorkerProcess, free_port, wait_until, worker_env

FRONTEND = ROOT / "frontend"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
E2E_REDIS_DB = 13  # the other suites use (and flush) databases 0 and 1
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def ui_dist() -> Path:
    """Build the UI once per test run (npm ci only when node_modules is missing)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is missing: the browser tests need Node.js 20 and npm to build the UI")
    if not (FRONTEND / "node_modules").is_dir():
        _run([npm, "ci", "--no-audit", "--no-fund"], "npm ci")
    _run([npm, "run", "build"], "npm run build")
    dist = FRONTEND / "dist"
    assert (dist / "index.html").is_file()
    return dist


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, cwd=FRONTEND, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"{what} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")


class Stack:
    """A worker (offline engine) and gunicorn serving the API and the built UI, as `make run`."""

    def __init__(self, workdir: Path, redis_url: str, dist: Path, **env: str):
        self.workdir = workdir
        self.redis_url = redis_url
        self.dist = dist
        self.env = {
            "LLM_PROVIDER": "offline",
            "TURN_RATE_LIMIT": "100000/minute",
            "READ_RATE_LIMIT": "100000/minute",
            **env,
        }
        self.worker: WorkerProcess | None = None
        self.server: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> Stack:
        self.worker = WorkerProcess(
            worker_env(self.redis_url, **self.env), self.workdir / "worker.log", "e2e"
        ).start()
        port = free_port()
        (self.workdir / "metrics").mkdir(exist_ok=True)
        env = worker_env(
            self.redis_url,
            PORT=str(port),
            WEB_CONCURRENCY="1",
            FRONTEND_DIST=str(self.dist),
            PROMETHEUS_MULTIPROC_DIR=str(self.workdir / "metrics"),
            **self.env,
        )
        self.log_path = self.workdir / "gunicorn.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "api/gunicorn.conf.py", "api:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{port}"
        wait_until(self._answers, timeout=90, message="gunicorn to answer")
        return self

    def _answers(self) -> bool:
        if self.server.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.log_path.read_text(errors='replace')}")
        try:
            return requests.get(f"{self.url}/api/health", timeout=10).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(30)
        if self.worker:
            self.worker.stop()
        if self.server:
            self.log.close()


def redis_db(redis_server, db: int) -> str:
    return re.sub(r"/\d+$", f"/{db}", redis_server.url)


@pytest.fixture(scope="package")
def stack(tmp_path_factory, redis_server, ui_dist) -> Iterator[Stack]:
    """The stack with the product's defaults (token limit 200k)."""
    started = Stack(tmp_path_factory.mktemp("e2e"), redis_db(redis_server, E2E_REDIS_DB), ui_dist)
    try:
        yield started.start()
    finally:
        started.stop()


@pytest.fixture(scope="package")
def base_url(stack) -> str:
    return stack.url


@pytest.fixture(scope="package")
def browser():
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.fail("the browser tests need the playwright package (pip install -e '.[dev]')")
    expect.set_options(timeout=20_000)  # a loaded 2-core CI machine is slow; passing tests are not
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(request, browser, base_url):
    """new_page(viewport=LAPTOP, url=…) -> a page in a fresh context (its own localStorage).

    When the test fails, every page it opened is saved as artifacts/FAILED-<test>-<n>.png.
    """
    contexts = []

    def open_page(viewport: dict | None = None, url: str | None = None, **options):
        context = browser.new_context(
            base_url=url or base_url,
            viewport=viewport or LAPTOP,
            locale="en-US",
            timezone_id="UTC",
            accept_downloads=True,
            **options,
        )
        context.set_default_timeout(20_000)
        context.add_init_script(RECORD_CSP_VIOLATIONS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    pages = [page for context in contexts for page in context.pages]
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for number, page in enumerate(pages):
            page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}-{number}.png"))
    violations = [v for page in pages for v in _csp_violations(page)]
    for context in contexts:
        context.close()
    assert not violations, f"the page broke its Content-Security-Policy: {violations}"


# Every page records what its Content-Security-Policy blocked; a test fails on any of it.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def _csp_violations(page) -> list[str]:
    try:
        return page.evaluate("window.__cspViolations || []")
    except Exception:  # a page that navigated away to a download or was closed
        return []


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def shot():
    """shot(page, "name") saves tests/e2e/artifacts/name.png (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(page, name: str, full_page: bool = False) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save
