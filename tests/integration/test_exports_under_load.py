"""Exports on the real API server (gunicorn's gevent workers): big renders side by side."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.providers import draft, script

pytestmark = pytest.mark.integration


def lines(count: int) -> list[dict]:
    return [
        {"description": f"Work item {n}", "quantity": "2", "unit_price": "12.50", "tax_rate": "8"}
        for n in range(count)
    ]


def test_big_pdfs_render_side_by_side_while_the_api_keeps_answering(live_api, start_worker):
    start_worker("renders")
    api = live_api(EXPORT_CONCURRENCY="6", MAX_MESSAGE_CHARS="60000")  # the script is long
    accepted = requests.post(
        api.url("/api/generate-invoice"),
        json={"message": script(invoice={**draft(), "items": lines(300)})},
        timeout=10,
    ).json()
    assert "status_url" in accepted, accepted
    job = requests.get(api.url(accepted["status_url"]) + "?wait=30", timeout=40).json()
    assert job["status"] == "succeeded", job
    pdf_url = api.url(f"/api/session/{accepted['session_id']}/invoice.pdf")

    with ThreadPoolExecutor(max_workers=8) as pool:
        renders = [pool.submit(requests.get, pdf_url, timeout=120) for _ in range(6)]
        health = [requests.get(api.url("/api/health"), timeout=30) for _ in range(5)]
        pdfs = [render.result() for render in renders]

    # one process, six renders at once: Typst's compiles run on native threads, so none of
    # them may stall the others or the event loop for good (gevent-patched locks would)
    assert [r.status_code for r in pdfs] == [200] * 6
    assert all(r.content.startswith(b"%PDF-") for r in pdfs)
    assert len({len(r.content) for r in pdfs}) == 1
    assert [h.status_code for h in health] == [200] * 5
