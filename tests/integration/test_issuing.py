"""Issuing with real worker processes, on SQLite and PostgreSQL: a batch asked to issue is
issued by a worker once its last item finishes, numbers in item order; a chat drafted by a
worker, issued, refuses the next turn."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from api import create_app
from tests.conftest import make_settings, wait_until
from tests.integration.helpers import finished_job, post_turn, run_turn
from tests.support.providers import SELLER, draft, script

pytestmark = pytest.mark.integration

YEAR = date.today().year


@pytest.fixture
def app(redis_server, redis_client, records_url):
    app = create_app(make_settings(redis_server.url, database_url=records_url))
    yield app
    app.extensions["invoice_agent"].records.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def worker(start_worker, records_url):
    return start_worker("issuer", DATABASE_URL=records_url)


def test_a_worker_issues_a_finished_batch_in_item_order(client, worker):
    messages = [
        script(invoice={**draft(buyer=f"Client {n}"), "seller": SELLER}, sleep=0.3 * (6 - n))
        if n != 2
        else "no invoice here"
        for n in range(6)
    ]  # the first items take longest: they finish last
    response = client.post(
        "/api/batches",
        json={"items": [{"message": m, "reference": f"r{n}"} for n, m in enumerate(messages)],
              "issue": True},
    )  # fmt: skip
    assert response.status_code == 202, response.get_json()
    batch_id = response.get_json()["batch_id"]

    done = wait_until(
        lambda: (
            (b := client.get(f"/api/batches/{batch_id}").get_json())["status"] == "completed" and b
        ),
        timeout=60,
        interval=0.2,
        message="the batch to be issued",
    )

    numbers = [item["invoice_number"] for item in done["items"]]
    expected = [f"{YEAR}-{n:04}" for n in range(1, 6)]
    assert numbers == [*expected[:2], None, *expected[2:]]
    assert done["issued"] == 5 and done["counts"]["succeeded"] == 5
    finished = sorted(
        (client.get(f"/api/jobs/{i['job_id']}").get_json()["finished_at"], n)
        for n, i in enumerate(done["items"])
        if i["status"] == "succeeded"
    )
    assert [n for _, n in finished] != [0, 1, 3, 4, 5]  # they did finish out of order
    rows = list(csv.DictReader(io.StringIO(client.get(done["results_url"]).get_data(as_text=True))))
    assert [r["invoice_number"] for r in rows] == [n or "" for n in numbers]
    listed = client.get("/api/invoices?per_page=50").get_json()
    assert sorted(i["number"] for i in listed["items"]) == expected
    refused = post_turn(client, "add a line", done["items"][0]["session_id"])
    assert refused.status_code == 409
    assert refused.get_json()["error"]["details"] == {"number": expected[0]}


def test_a_chat_drafted_by_a_worker_is_issued_and_then_refuses_turns(client, worker):
    accepted, job = run_turn(
        client, script(invoice={**draft(), "seller": SELLER}), path="/api/generate-invoice"
    )
    assert job["status"] == "succeeded" and job["result"]["invoice"]["number"] is None
    session_id = accepted["session_id"]

    issued = client.post(f"/api/session/{session_id}/issue")

    assert issued.status_code == 201, issued.get_json()
    number = issued.get_json()["number"]
    refused = post_turn(client, script(invoice=draft(buyer="Globex")), session_id)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "invoice_issued"
    session = client.get(f"/api/session/{session_id}").get_json()
    assert (session["invoice"]["number"], session["invoice"]["status"]) == (number, "issued")
    assert session["invoice"]["buyer"]["name"] == "Acme Corp"
    assert session["pending_job_id"] is None and len(session["messages"]) == 2
    finished_job(client, accepted["job_id"])  # the first job stays as it was
