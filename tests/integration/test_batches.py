"""Batches through HTTP and real worker processes: completion, cancel, the LLM rate, priority."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest

from api import create_app
from tests.conftest import ROOT, make_settings, wait_until
from tests.integration.helpers import finished_job, post_turn
from tests.support.providers import draft, script

pytestmark = pytest.mark.integration


def submit(client, messages):
    response = client.post(
        "/api/batches",
        json={"items": [{"message": m, "reference": f"row-{n}"} for n, m in enumerate(messages)]},
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def batch(client, batch_id, per_page=1000):
    return client.get(f"/api/batches/{batch_id}?per_page={per_page}").get_json()


def wait_for_batch(client, batch_id, timeout=60):
    return wait_until(
        lambda: (
            (b := batch(client, batch_id))["status"] in ("completed", "cancelled")
            and b["counts"]["queued"] == 0
            and b["counts"]["running"] == 0
            and b
        ),
        timeout=timeout,
        interval=0.2,
        message=f"batch {batch_id}",
    )


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_batch_of_50_completes_with_correct_totals(client, start_worker):
    start_worker("offline", LLM_PROVIDER="offline")
    names = [
        f"{first} {last}"
        for first in (
            "Acme",
            "Globex",
            "Initech",
            "Hooli",
            "Vandelay",
            "Wayne",
            "Wonka",
            "Tyrell",
            "Stark",
            "Umbrella",
        )
        for last in ("Corp", "Labs", "GmbH", "Ltd", "Inc")
    ]
    messages = [
        f"Invoice {name} for {n} hours of consulting at $100/h"
        for n, name in enumerate(names, start=1)
    ]
    submitted = submit(client, messages)

    done = wait_for_batch(client, submitted["batch_id"])

    assert done["status"] == "completed"
    assert done["counts"] == {
        "queued": 0,
        "running": 0,
        "succeeded": 50,
        "failed": 0,
        "cancelled": 0,
    }
    items = done["items"]
    assert [i["reference"] for i in items] == [f"row-{n}" for n in range(50)]
    assert [i["total"] for i in items] == [f"{n * 100}.00" for n in range(1, 51)]
    assert [i["buyer"] for i in items] == names
    assert {i["invoice_number"] for i in items} == {None}  # drafts: not asked to issue
    assert sum(Decimal(i["total"]) for i in items) == Decimal("127500.00")


def test_cancel_stops_the_rest_and_running_items_finish(client, start_worker):
    start_worker("slow", WORKER_CONCURRENCY="3")  # two slots for the batch, one kept for chat
    submitted = submit(client, [script(sleep=1, invoice=draft())] * 10)
    wait_until(lambda: batch(client, submitted["batch_id"])["counts"]["running"] == 2)

    cancelled = client.delete(f"/api/batches/{submitted['batch_id']}").get_json()

    assert cancelled["status"] == "cancelled" and cancelled["counts"]["cancelled"] >= 6
    done = wait_for_batch(client, submitted["batch_id"])
    counts = done["counts"]
    assert counts["succeeded"] + counts["cancelled"] == 10 and counts["succeeded"] >= 2
    assert counts["failed"] == 0
    assert {i["status"] for i in done["items"]} == {"succeeded", "cancelled"}


def test_the_llm_rate_holds_across_two_worker_processes(client, start_worker):
    rate = {"LLM_RATE_LIMIT": "120/minute"}  # one call every 0.5 s, shared through Redis
    start_worker("r1", **rate)
    start_worker("r2", **rate)
    submitted = submit(client, [script(invoice=draft())] * 12)

    done = wait_for_batch(client, submitted["batch_id"])

    assert done["counts"]["succeeded"] == 12
    jobs = [client.get(f"/api/jobs/{i['job_id']}").get_json() for i in done["items"]]
    starts = sorted(moment(j["started_at"]) for j in jobs)
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:], strict=False)]
    # each call waited for its own slot: never two within the spacing (a little clock jitter)
    assert min(gaps) >= 0.4, gaps
    span = (starts[-1] - starts[0]).total_seconds()
    assert 11 * 0.5 * 0.9 <= span <= 11 * 0.5 + 5, span  # the rate held, and not much slower


@pytest.mark.parametrize("broker", ["redis", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)])
def test_a_chat_turn_goes_ahead_of_a_running_batch(broker, request, redis_server, start_worker):
    broker_url = request.getfixturevalue("rabbitmq_vhost") if broker == "rabbitmq" else ""
    client = create_app(make_settings(redis_server.url, celery_broker_url=broker_url)).test_client()
    start_worker("busy", WORKER_CONCURRENCY="2", CELERY_BROKER_URL=broker_url or redis_server.url)
    submitted = submit(client, [script(sleep=1, invoice=draft())] * 12)
    # one of the two slots runs the batch; the other is kept for a person's turn
    wait_until(lambda: batch(client, submitted["batch_id"])["counts"]["running"] == 1)

    chat = finished_job(client, post_turn(client, script(reply="me first")).get_json()["job_id"])

    done = wait_for_batch(client, submitted["batch_id"])
    finished_after_chat = [
        i
        for i in done["items"]
        if moment(client.get(f"/api/jobs/{i['job_id']}").get_json()["finished_at"])
        > moment(chat["finished_at"])
    ]
    assert chat["status"] == "succeeded"
    # it waited for no batch item: only the one running (and perhaps the next) finished first
    assert len(finished_after_chat) >= 10


def test_the_cli_runs_a_batch_against_a_running_stack(tmp_path, live_api, start_worker):
    start_worker("cli", LLM_PROVIDER="offline")
    api = live_api()
    requests_csv = tmp_path / "requests.csv"
    requests_csv.write_text(
        "message,reference\n"
        "Invoice Acme Corp for 40 hours of consulting at $150/h,acme\n"
        "Invoice Globex for 3 x security audit @ $1200 each,globex\n"
        "hello there,nonsense\n",
        encoding="utf-8",
    )
    out = tmp_path / "results.csv"

    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "batch",
            str(requests_csv),
            "--api",
            api.base_url,
            "--out",
            str(out),
            "--zip",
            str(tmp_path / "invoices.zip"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode == 1, finished.stderr  # one item failed
    assert "2 succeeded, 1 failed" in finished.stderr
    rows = {r["reference"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert rows["acme"]["total"] == "6000.00" and rows["globex"]["total"] == "3600.00"
    assert rows["nonsense"]["status"] == "failed"
    assert rows["nonsense"]["error_code"] == "no_invoice_produced"
    assert len(zipfile.ZipFile(tmp_path / "invoices.zip").namelist()) == 2  # the two made


def test_the_cli_waits_when_asked_to_slow_down(tmp_path, live_api, start_worker):
    start_worker("patient")
    api = live_api(READ_RATE_LIMIT="1 per 3 seconds")  # the CLI polls every second
    requests_csv = tmp_path / "requests.csv"
    with requests_csv.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([["message"], [script(sleep=4, invoice=draft())]])
    finished = subprocess.run(
        [sys.executable, "-m", "api.cli", "batch", str(requests_csv), "--api", api.base_url,
         "--out", str(tmp_path / "r.csv")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    assert "asked to slow down" in finished.stderr and "1 succeeded" in finished.stderr


def test_the_cli_reports_a_refused_batch(tmp_path, live_api):
    api = live_api()
    bad = tmp_path / "bad.csv"
    bad.write_text("text\nhello\n", encoding="utf-8")
    finished = subprocess.run(
        [sys.executable, "-m", "api.cli", "batch", str(bad), "--api", api.base_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert "validation_error" in finished.stderr and "message" in finished.stderr


def test_batch_turns_and_chat_share_one_app(redis_server, start_worker):
    """A batch item's session is a real session: a person can open it and keep editing."""
    client = create_app(make_settings(redis_server.url)).test_client()
    start_worker("mixed")
    submitted = submit(client, [script(invoice=draft())])
    done = wait_for_batch(client, submitted["batch_id"])
    session_id = done["items"][0]["session_id"]

    edited = finished_job(
        client,
        post_turn(client, script(invoice=draft(buyer="Acme Europe")), session_id).get_json()[
            "job_id"
        ],
    )

    assert edited["result"]["invoice"]["buyer"]["name"] == "Acme Europe"
    assert edited["result"]["invoice"]["number"] is None  # still a draft, still editable


def test_another_keys_item_does_not_wait_behind_a_backlog(redis_server, redis_client, start_worker):
    client = create_app(
        make_settings(redis_server.url, api_keys=("k-alice", "k-bob"))
    ).test_client()
    alice, bob = {"X-API-Key": "k-alice"}, {"X-API-Key": "k-bob"}
    start_worker("fair", WORKER_CONCURRENCY="4")
    backlog = client.post(
        "/api/batches",
        json={"items": [{"message": script(sleep=0.3, invoice=draft())}] * 300},
        headers=alice,
    ).get_json()
    wait_until(lambda: batch_of(client, backlog["batch_id"], alice)["counts"]["running"] > 0)

    one = client.post(
        "/api/batches", json={"items": [{"message": script(invoice=draft())}]}, headers=bob
    ).get_json()
    wait_until(
        lambda: batch_of(client, one["batch_id"], bob)["status"] == "completed",
        timeout=30,
        message="bob's item",
    )

    # 300 items at 0.3 s on 4 slots take over 20 s; bob's one came after a handful of them
    counts = batch_of(client, backlog["batch_id"], alice)["counts"]
    assert counts["queued"] >= 250, counts
    client.delete(f"/api/batches/{backlog['batch_id']}", headers=alice)


def test_one_key_cannot_queue_more_than_its_share(redis_server, redis_client):
    settings = make_settings(
        redis_server.url, api_keys=("k-alice", "k-bob"), batch_max_queued_items=10
    )
    client = create_app(settings).test_client()
    alice, bob = {"X-API-Key": "k-alice"}, {"X-API-Key": "k-bob"}
    items = {"items": [{"message": script(invoice=draft())}] * 6}

    assert client.post("/api/batches", json=items, headers=alice).status_code == 202
    refused = client.post("/api/batches", json=items, headers=alice)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "30"
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited" and "at most 10" in error["message"]
    assert client.post("/api/batches", json=items, headers=bob).status_code == 202


def batch_of(client, batch_id, headers):
    return client.get(f"/api/batches/{batch_id}", headers=headers).get_json()


def test_a_worker_makes_the_zip_while_the_api_answers_with_progress(client, start_worker):
    import io
    import zipfile

    start_worker("zipper")
    submitted = submit(client, [script(invoice=draft(buyer=f"Client {n}")) for n in range(12)])
    done = wait_for_batch(client, submitted["batch_id"])
    assert done["counts"]["succeeded"] == 12

    url = submitted["invoices_url"]
    first = client.get(url)
    assert first.status_code == 202 and first.get_json()["total"] == 12
    ready = wait_until(
        lambda: (answer := client.get(url)).status_code == 200 and answer,
        timeout=60,
        interval=0.3,
        message="the ZIP",
    )
    names = zipfile.ZipFile(io.BytesIO(ready.data)).namelist()
    assert len(names) == 12 and len(set(names)) == 12
