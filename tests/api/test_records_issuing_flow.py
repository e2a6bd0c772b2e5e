"""The issuing flow through the HTTP API, on SQLite and on PostgreSQL: an issued session refuses
chat turns and shows the issued invoice; batches that issue their invoices in item order; the
issued invoices' e-invoice profiles; and the scenario chat -> issue -> list -> export."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from datetime import date

import pytest
from lxml import etree

from core.errors import Unavailable
from core.redis_model import session_key
from tests.support.api import (
    CHAT,
    assert_error,
    broker_messages,
    job_ids,
    run_batch_issue,
    run_job,
    run_zip_export,
    start_turn,
)
from tests.support.providers import BUYER, SELLER, draft, script

YEAR = date.today().year
KEY = {"X-API-Key": "k1"}
OTHER = {"X-API-Key": "k2"}


@pytest.fixture
def app(make_app, records_url):
    app = make_app(api_keys=("k1", "k2"), database_url=records_url)
    yield app
    app.extensions["invoice_agent"].records.close()


@pytest.fixture
def client(app):
    return app.test_client()


def drafted_session(app, client, **invoice) -> str:
    facts = {**draft(), "seller": SELLER, "buyer": BUYER, **invoice}
    accepted = start_turn(client, script(invoice=facts), headers=KEY)
    assert run_job(app, accepted["job_id"]) == "applied"
    return accepted["session_id"]


def issue(client, session_id: str) -> dict:
    response = client.post(f"/api/session/{session_id}/issue", headers=KEY)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# -- an issued session ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [CHAT, "/api/generate-invoice"])
def test_a_turn_on_an_issued_session_is_409_and_nothing_changes(app, client, redis_client, path):
    session_id = drafted_session(app, client)
    number = issue(client, session_id)["number"]
    before = client.get(f"/api/session/{session_id}", headers=KEY).get_json()
    jobs_before = job_ids(redis_client)
    published_before = len(broker_messages(redis_client, "interactive"))

    response = client.post(
        path, json={"message": "add a $200 travel line", "session_id": session_id}, headers=KEY
    )

    error = assert_error(response, 409, "invoice_issued")
    assert error["details"] == {"number": number}
    assert "credit note" in error["message"] and "copy" in error["message"]
    assert job_ids(redis_client) == jobs_before  # no job stored
    assert len(broker_messages(redis_client, "interactive")) == published_before
    after = client.get(f"/api/session/{session_id}", headers=KEY).get_json()
    assert after["messages"] == before["messages"]
    assert after["token_count"] == before["token_count"]
    assert after["pending_job_id"] is None
    # another key is told nothing about it
    other = client.post(path, json={"message": "x", "session_id": session_id}, headers=OTHER)
    assert_error(other, 404, "session_not_found")


def test_an_issued_sessions_reads_show_the_issued_invoice_and_its_status(app, client):
    session_id = drafted_session(app, client)
    drafted = client.get(f"/api/session/{session_id}/invoice", headers=KEY).get_json()
    assert (drafted["number"], drafted["status"]) == (None, "draft")

    issued = issue(client, session_id)

    session = client.get(f"/api/session/{session_id}", headers=KEY).get_json()
    invoice = client.get(f"/api/session/{session_id}/invoice", headers=KEY).get_json()
    assert session["invoice"] == invoice == issued
    assert (invoice["number"], invoice["status"]) == (f"{YEAR}-0001", "issued")
    assert invoice["total"] == drafted["total"] == "6480.00"

    client.patch(f"/api/invoices/{issued['number']}", json={"status": "paid"}, headers=KEY)
    assert client.get(f"/api/session/{session_id}", headers=KEY).get_json()["invoice"][
        "status"
    ] == ("paid")
    pdf = client.get(f"/api/session/{session_id}/invoice.pdf", headers=KEY)
    assert f"filename={issued['number']}.pdf" in pdf.headers["Content-Disposition"]


def test_a_session_whose_mark_was_lost_is_marked_again_by_the_next_issue(app, client, redis_client):
    session_id = drafted_session(app, client)
    number = issue(client, session_id)["number"]
    redis_client.hdel(session_key(session_id), "issued_number")  # say, Redis failed over

    again = client.post(f"/api/session/{session_id}/issue", headers=KEY)

    assert_error(again, 409, "invoice_issued")
    refused = client.post(CHAT, json={"message": "x", "session_id": session_id}, headers=KEY)
    assert assert_error(refused, 409, "invoice_issued")["details"] == {"number": number}


def test_issuing_while_the_session_cannot_be_marked_is_503_and_a_retry_replays(
    app, client, monkeypatch
):
    session_id = drafted_session(app, client)
    sessions = app.extensions["invoice_agent"].stores.sessions
    real = sessions.mark_issued

    def redis_away(*args, **kwargs):
        raise Unavailable()

    monkeypatch.setattr(sessions, "mark_issued", redis_away)
    first = client.post(
        f"/api/session/{session_id}/issue", headers={**KEY, "Idempotency-Key": "k-1"}
    )
    assert_error(first, 503, "unavailable")
    monkeypatch.setattr(sessions, "mark_issued", real)

    retry = client.post(
        f"/api/session/{session_id}/issue", headers={**KEY, "Idempotency-Key": "k-1"}
    )

    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json()["number"] == f"{YEAR}-0001"  # issued once
    refused = client.post(CHAT, json={"message": "x", "session_id": session_id}, headers=KEY)
    assert_error(refused, 409, "invoice_issued")


# -- issued e-invoices take the session exports' profiles --------------------------------------


def test_issued_einvoices_take_a_profile_like_the_session_exports(app, client):
    session_id = drafted_session(app, client, currency="EUR", due_date=f"{YEAR}-12-31")
    number = issue(client, session_id)["number"]

    for syntax in ("ubl", "cii"):
        url = f"/api/invoices/{number}.{syntax}.xml"
        assert client.get(url, headers=KEY).status_code == 200
        xrechnung = client.get(f"{url}?profile=xrechnung", headers=KEY)
        error = assert_error(xrechnung, 422, "einvoice_incomplete")
        assert error["details"]["profile"] == "xrechnung"
        assert "BR-DE-15" in {m["rule"] for m in error["details"]["missing"]}
        session_side = client.get(
            f"/api/session/{session_id}/invoice.{syntax}.xml?profile=xrechnung", headers=KEY
        )
        assert session_side.get_json() == xrechnung.get_json()  # one set of views
    assert_error(
        client.get(f"/api/invoices/{number}.cii.xml?profile=peppol", headers=KEY),
        422,
        "validation_error",
    )
    paths = client.get("/openapi.json").get_json()["paths"]
    for syntax, offered in (("ubl", 3), ("cii", 2)):
        parameters = paths[f"/api/invoices/{{number}}.{syntax}.xml"]["get"]["parameters"]
        (profile,) = [p for p in parameters if p["name"] == "profile"]
        assert len(profile["schema"]["enum"]) == offered


# -- batches that issue ------------------------------------------------------------------------


def submit(client, messages, **body):
    items = [{"message": m, "reference": f"row-{n}"} for n, m in enumerate(messages)]
    return client.post("/api/batches", json={"items": items, **body}, headers=KEY)


def buyer_draft(name: str, **facts) -> str:
    return script(invoice={**draft(buyer=name), "seller": SELLER, **facts})


def results(client, batch) -> list[dict]:
    text = client.get(batch["results_url"], headers=KEY).get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text)))


def test_a_batch_issues_its_invoices_in_item_order_however_they_finished(app, client):
    messages = [buyer_draft("Alpha"), "not an invoice", buyer_draft("Gamma"), buyer_draft("Delta")]
    batch = submit(client, messages, issue=True).get_json()
    assert batch["issue"] is True and batch["issued"] == 0
    jobs = [item["job_id"] for item in batch["items"]]
    for job_id in (jobs[3], jobs[1], jobs[2]):  # the items finish out of order
        run_job(app, job_id)
    assert run_batch_issue(app, batch["batch_id"]).ran is False  # not every item is final
    run_job(app, jobs[0])

    waiting = client.get(batch["status_url"], headers=KEY).get_json()
    assert (waiting["status"], waiting["issuing"]) == ("running", True)
    assert [i["invoice_number"] for i in waiting["items"]] == [None] * 4
    done = run_batch_issue(app, batch["batch_id"])

    assert (done.issued, done.refused) == (3, 0)
    body = client.get(batch["status_url"], headers=KEY).get_json()
    assert (body["status"], body["issued"], body["issuing"]) == ("completed", 3, False)
    numbers = [f"{YEAR}-000{n}" for n in (1, 2, 3)]
    assert [i["invoice_number"] for i in body["items"]] == [numbers[0], None, *numbers[1:]]
    assert [i["buyer"] for i in body["items"]] == ["Alpha", None, "Gamma", "Delta"]
    rows = results(client, batch)
    assert [r["invoice_number"] for r in rows] == [numbers[0], "", *numbers[1:]]
    listed = client.get("/api/invoices", headers=KEY).get_json()
    assert sorted((i["number"], i["buyer"]) for i in listed["items"]) == list(
        zip(numbers, ["Alpha", "Gamma", "Delta"], strict=True)
    )
    # each item's session is issued: it shows the invoice and refuses edits
    session_id = body["items"][2]["session_id"]
    shown = client.get(f"/api/session/{session_id}", headers=KEY).get_json()["invoice"]
    assert (shown["number"], shown["status"]) == (numbers[1], "issued")
    refused = client.post(CHAT, json={"message": "x", "session_id": session_id}, headers=KEY)
    assert assert_error(refused, 409, "invoice_issued")["details"] == {"number": numbers[1]}
    # a second run issues nothing twice
    assert run_batch_issue(app, batch["batch_id"]).ran is False
    assert client.get("/api/invoices", headers=KEY).get_json()["total"] == 3
    # the ZIP names the issued PDFs by their numbers
    zip_url = batch["invoices_url"]
    assert client.get(zip_url, headers=KEY).status_code == 202
    run_zip_export(app, batch["batch_id"])
    archive = zipfile.ZipFile(io.BytesIO(client.get(zip_url, headers=KEY).data))
    assert archive.namelist() == [f"{n}.pdf" for n in numbers]


def test_a_batch_not_asked_to_issue_keeps_drafts(app, client):
    batch = submit(client, [buyer_draft("Alpha")]).get_json()
    run_job(app, batch["items"][0]["job_id"])

    assert run_batch_issue(app, batch["batch_id"]).ran is False
    body = client.get(batch["status_url"], headers=KEY).get_json()
    assert (body["status"], body["issue"], body["issued"]) == ("completed", False, 0)
    assert body["items"][0]["invoice_number"] is None
    assert client.get("/api/invoices", headers=KEY).get_json()["total"] == 0


def test_an_item_the_records_refuse_keeps_its_draft_and_says_why(app, client):
    no_seller = script(invoice=draft(buyer="Beta"))  # no seller, and the profile has none
    batch = submit(client, [buyer_draft("Alpha"), no_seller, buyer_draft("Gamma")], issue=True)
    batch = batch.get_json()
    for item in batch["items"]:
        run_job(app, item["job_id"])

    done = run_batch_issue(app, batch["batch_id"])

    assert (done.issued, done.refused) == (2, 1)
    items = client.get(batch["status_url"], headers=KEY).get_json()["items"]
    assert [i["invoice_number"] for i in items] == [f"{YEAR}-0001", None, f"{YEAR}-0002"]
    assert items[1]["status"] == "succeeded"
    assert items[1]["error"]["code"] == "validation_error"
    assert "seller" in items[1]["error"]["details"]
    rows = results(client, batch)
    assert rows[1]["error_code"] == "validation_error"


def test_an_interrupted_issuing_run_resumes_without_issuing_twice(app, client, monkeypatch):
    batch = submit(client, [buyer_draft(n) for n in ("A", "B", "C")], issue=True).get_json()
    for item in batch["items"]:
        run_job(app, item["job_id"])
    records = app.extensions["invoice_agent"].records
    real_issue = records.issue
    calls = []

    def database_lost_at_the_second(*args, **kwargs):
        calls.append(kwargs["idempotency_key"])
        if len(calls) == 2:
            raise Unavailable()
        return real_issue(*args, **kwargs)

    monkeypatch.setattr(records, "issue", database_lost_at_the_second)
    with pytest.raises(Unavailable):
        run_batch_issue(app, batch["batch_id"])
    assert client.get(batch["status_url"], headers=KEY).get_json()["issued"] == 1

    resumed = run_batch_issue(app, batch["batch_id"])  # the claim was released: at once

    assert resumed.issued == 2
    items = client.get(batch["status_url"], headers=KEY).get_json()["items"]
    assert [i["invoice_number"] for i in items] == [f"{YEAR}-000{n}" for n in (1, 2, 3)]
    assert client.get("/api/invoices", headers=KEY).get_json()["total"] == 3


def test_reading_a_finished_batch_asks_a_worker_to_issue_it_when_none_does(
    app, client, redis_client
):
    batch = submit(client, [buyer_draft("Alpha")], issue=True).get_json()
    run_job(app, batch["items"][0]["job_id"])  # in-process: no worker asked for the issuing

    client.get(batch["status_url"], headers=KEY)

    tasks = [
        m for m in broker_messages(redis_client, "batch") if "issue_batch" in m["headers"]["task"]
    ]
    assert [t["body"][0] for t in tasks] == [[batch["batch_id"]]]


def test_a_csv_batch_can_issue_too(app, client):
    text = "message,reference\n" + f'"{buyer_draft("Alpha").replace(chr(34), chr(34) * 2)}",r1\n'
    response = client.post(
        "/api/batches",
        data={"file": (io.BytesIO(text.encode()), "batch.csv"), "issue": "true"},
        content_type="multipart/form-data",
        headers=KEY,
    )
    assert response.status_code == 202, response.get_json()
    batch = response.get_json()
    assert batch["issue"] is True
    run_job(app, batch["items"][0]["job_id"])
    run_batch_issue(app, batch["batch_id"])
    assert results(client, batch)[0]["invoice_number"] == f"{YEAR}-0001"

    bad = client.post(
        "/api/batches",
        data={"file": (io.BytesIO(text.encode()), "batch.csv"), "issue": "perhaps"},
        content_type="multipart/form-data",
        headers=KEY,
    )
    assert "issue" in assert_error(bad, 422, "validation_error")["details"]


def test_issue_must_be_a_boolean(client):
    response = submit(client, ["x"], issue="sometimes")
    assert "issue" in assert_error(response, 422, "validation_error")["details"]


# -- the whole flow ----------------------------------------------------------------------------


def test_scenario_chat_issue_list_export(app, client):
    """A person drafts an invoice in two turns, issues it, finds it in the list, downloads it,
    and cannot change it any more; a copy starts the next one."""
    first = start_turn(client, buyer_draft("Acme Corp", currency="EUR", buyer=BUYER), headers=KEY)
    run_job(app, first["job_id"])
    session_id = first["session_id"]
    edit = start_turn(
        client,
        buyer_draft("Acme Corp", currency="EUR", buyer=BUYER, due_date=f"{YEAR}-12-31"),
        session_id=session_id,
        path=CHAT,
        headers=KEY,
    )
    run_job(app, edit["job_id"])
    drafted = client.get(f"/api/session/{session_id}/invoice", headers=KEY).get_json()
    assert drafted["number"] is None
    assert_error(
        client.get(f"/api/session/{session_id}/invoice.ubl.xml", headers=KEY),
        422,
        "einvoice_incomplete",
    )

    issued = issue(client, session_id)

    listed = client.get("/api/invoices?q=acme", headers=KEY).get_json()
    assert [i["number"] for i in listed["items"]] == [issued["number"]]
    assert listed["items"][0]["total"] == drafted["total"]
    ubl = client.get(f"/api/invoices/{issued['number']}.ubl.xml", headers=KEY)
    assert ubl.status_code == 200
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    root = etree.fromstring(ubl.data)
    assert root.xpath("/*/cbc:ID/text()", namespaces=ns) == [issued["number"]]
    assert root.xpath("//cbc:PayableAmount/text()", namespaces=ns) == [drafted["total"]]
    pdf = client.get(f"/api/invoices/{issued['number']}.pdf", headers=KEY)
    assert pdf.data.startswith(b"%PDF")
    # the session's export is the same document now
    assert client.get(f"/api/session/{session_id}/invoice.ubl.xml", headers=KEY).data == ubl.data
    refused = client.post(CHAT, json={"message": "10% off", "session_id": session_id}, headers=KEY)
    assert_error(refused, 409, "invoice_issued")
    copy = client.post(f"/api/invoices/{issued['number']}/copy", headers=KEY).get_json()
    assert issue(client, copy["session_id"])["number"] == f"{YEAR}-0002"


def test_a_batch_of_200_is_issued_in_item_order(app, client, records_url, capsys):
    """Prints how long the issuing takes (run with -s); asserts only the order and count."""
    count = 200
    batch = submit(client, [buyer_draft(f"Client {n:03}") for n in range(count)], issue=True)
    batch = batch.get_json()
    listed = client.get(f"{batch['status_url']}?per_page={count}", headers=KEY).get_json()
    jobs = [item["job_id"] for item in listed["items"]]
    for job_id in reversed(jobs):  # the last item finishes first
        run_job(app, job_id)

    began = time.perf_counter()
    done = run_batch_issue(app, batch["batch_id"])
    seconds = time.perf_counter() - began

    assert done.issued == count
    body = client.get(f"{batch['status_url']}?per_page={count}", headers=KEY).get_json()
    assert [i["invoice_number"] for i in body["items"]] == [
        f"{YEAR}-{n:04}" for n in range(1, count + 1)
    ]
    assert [i["buyer"] for i in body["items"]] == [f"Client {n:03}" for n in range(count)]
    with capsys.disabled():
        backend = records_url.split(":")[0].split("+")[0]
        print(
            f"\nbatch issuing on {backend}: {count} invoices in {seconds:.2f} s "
            f"({seconds / count * 1000:.1f} ms each, numbers in item order)"
        )
