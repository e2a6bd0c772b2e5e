"""Issuing a session's invoice and what follows, through the HTTP API, on SQLite and on
PostgreSQL: numbers, idempotency, 409/422/404, payment, credit notes, copies, exports, and
another key seeing nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.support.api import assert_error, run_job, start_turn
from tests.support.providers import BUYER, SELLER, draft, script

YEAR = date.today().year
KEY_A = {"X-API-Key": "k1"}
KEY_B = {"X-API-Key": "k2"}


@pytest.fixture
def app(make_app, records_url):
    app = make_app(api_keys=("k1", "k2"), database_url=records_url)
    yield app
    app.extensions["invoice_agent"].records.close()  # its pooled connections, now


@pytest.fixture
def client(app):
    return app.test_client()


def drafted_session(app, client, headers=KEY_A, **invoice) -> str:
    """A session whose invoice a (scripted) turn made; returns its id."""
    facts = {**draft(), "seller": SELLER, "buyer": BUYER, **invoice}
    accepted = start_turn(client, script(invoice=facts), headers=headers)
    assert run_job(app, accepted["job_id"]) == "applied"
    return accepted["session_id"]


def issue(client, session_id, headers=KEY_A, key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/session/{session_id}/issue", headers={**headers, **extra})


def test_issuing_a_session_numbers_and_keeps_its_invoice(app, client):
    session_id = drafted_session(app, client)
    response = issue(client, session_id)
    assert response.status_code == 201, response.get_json()
    invoice = response.get_json()
    assert invoice["number"] == f"{YEAR}-0001"
    assert invoice["status"] == "issued" and invoice["type"] == "invoice"
    assert response.headers["Location"] == f"/api/invoices/{YEAR}-0001"
    session_invoice = client.get(f"/api/session/{session_id}/invoice", headers=KEY_A).get_json()
    assert (
        invoice["total"] == session_invoice["total"]
        and invoice["items"] == session_invoice["items"]
    )

    fetched = client.get(f"/api/invoices/{YEAR}-0001", headers=KEY_A)
    assert fetched.status_code == 200 and fetched.get_json() == invoice
    listed = client.get("/api/invoices", headers=KEY_A).get_json()
    assert listed["total"] == 1 and listed["items"][0]["number"] == invoice["number"]
    assert listed["items"][0]["buyer"] == "Acme Corp"

    second = drafted_session(app, client)
    assert issue(client, second).get_json()["number"] == f"{YEAR}-0002"


def test_a_session_is_issued_once_and_a_key_replays_the_first_result(app, client):
    session_id = drafted_session(app, client)
    first = issue(client, session_id, key="order-17")
    again = issue(client, session_id, key="order-17")
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    error = assert_error(issue(client, session_id), 409, "invoice_issued")
    assert error["details"] == {"number": f"{YEAR}-0001"}
    assert_error(issue(client, session_id, key="another"), 409, "invoice_issued")
    # the same key for another session is refused, not replayed
    other = drafted_session(app, client)
    assert_error(issue(client, other, key="order-17"), 422, "validation_error")
    assert client.get("/api/invoices", headers=KEY_A).get_json()["total"] == 1


def test_a_replay_works_after_the_session_expired(app, client, redis_client):
    session_id = drafted_session(app, client)
    first = issue(client, session_id, key="k-1").get_json()
    redis_client.delete(f"session:{session_id}", f"session:{session_id}:messages")
    assert issue(client, session_id, key="k-1").get_json() == first
    assert_error(issue(client, "0" * 32), 404, "session_not_found")  # never existed


def test_what_cannot_be_issued_is_explained(app, client):
    accepted = start_turn(client, "hello", headers=KEY_A)  # a reply, no invoice
    run_job(app, accepted["job_id"])
    error = assert_error(issue(client, accepted["session_id"]), 422, "validation_error")
    assert "invoice" in error["details"]
    no_buyer = drafted_session(app, client, buyer=None)
    error = assert_error(issue(client, no_buyer), 422, "validation_error")
    assert set(error["details"]) == {"buyer"}
    assert client.get("/api/invoices", headers=KEY_A).get_json()["total"] == 0


def test_an_invoice_with_a_turn_running_waits_for_it(app, client):
    session_id = drafted_session(app, client)
    start_turn(client, "add a line", session_id=session_id, path="/api/chat", headers=KEY_A)
    error = assert_error(issue(client, session_id), 409, "turn_in_progress")
    assert error["details"]["job_id"]


@pytest.mark.parametrize("key", ["x" * 256, "with space", "é"])
def test_a_malformed_idempotency_key_is_refused(app, client, key):
    session_id = drafted_session(app, client)
    response = client.post(
        f"/api/session/{session_id}/issue", headers={**KEY_A, "Idempotency-Key": key}
    )
    if key == "é":  # not even sendable as a header value by some clients; refused either way
        assert response.status_code in (400, 422)
    else:
        assert_error(response, 422, "validation_error")


def test_another_key_sees_none_of_it(app, client):
    session_id = drafted_session(app, client)
    number = issue(client, session_id).get_json()["number"]
    assert_error(issue(client, session_id, headers=KEY_B), 404, "session_not_found")
    for path in ("", ".pdf", ".html", ".ubl.xml", ".cii.xml", ".facturx.pdf"):
        assert_error(
            client.get(f"/api/invoices/{number}{path}", headers=KEY_B), 404, "invoice_not_found"
        )
    assert_error(
        client.patch(f"/api/invoices/{number}", json={"status": "paid"}, headers=KEY_B),
        404,
        "invoice_not_found",
    )
    for action in ("credit-note", "copy"):
        assert_error(
            client.post(f"/api/invoices/{number}/{action}", headers=KEY_B), 404, "invoice_not_found"
        )
    assert client.get("/api/invoices", headers=KEY_B).get_json()["total"] == 0
    assert client.get("/api/clients", headers=KEY_B).get_json()["total"] == 0
    assert_error(client.get("/api/invoices/9999-0001", headers=KEY_A), 404, "invoice_not_found")
    assert_error(client.get("/api/invoices", headers={}), 401, "unauthorized")


def test_paying_is_the_only_change(app, client):
    number = issue(client, drafted_session(app, client)).get_json()["number"]
    path = f"/api/invoices/{number}"
    for body in (
        {"status": "paid", "total": "0.00"},
        {"status": "issued"},
        {"paid_at": "2026-01-01T00:00:00Z"},
        {"status": "paid", "paid_at": "2026-01-01T00:00:00"},  # no time zone
        {"buyer": {"name": "Someone else"}},
    ):
        assert_error(client.patch(path, json=body, headers=KEY_A), 422, "validation_error")
    assert client.get(path, headers=KEY_A).get_json()["status"] == "issued"
    paid = client.patch(
        path, json={"status": "paid", "paid_at": "2026-03-20T10:00:00+01:00"}, headers=KEY_A
    )
    assert paid.status_code == 200
    assert paid.get_json()["status"] == "paid"
    assert paid.get_json()["paid_at"] == "2026-03-20T09:00:00.000Z"
    listed = client.get("/api/invoices?status=paid", headers=KEY_A).get_json()
    assert [i["number"] for i in listed["items"]] == [number]


def test_a_credit_note_reverses_an_invoice_once(app, client):
    number = issue(client, drafted_session(app, client)).get_json()["number"]
    response = client.post(f"/api/invoices/{number}/credit-note", headers=KEY_A)
    assert response.status_code == 201
    note = response.get_json()
    assert note["number"] == f"CN-{YEAR}-0001" and note["type"] == "credit_note"
    assert note["preceding_invoice"]["number"] == number and note["credits"] == number
    original = client.get(f"/api/invoices/{number}", headers=KEY_A).get_json()
    assert original["status"] == "credited" and original["credit_note_numbers"] == [note["number"]]
    for again in (number, note["number"]):
        assert_error(
            client.post(f"/api/invoices/{again}/credit-note", headers=KEY_A),
            422,
            "validation_error",
        )
    assert client.get("/api/invoices?q=CN-", headers=KEY_A).get_json()["total"] == 1


def test_a_copy_starts_a_new_draft_session(app, client):
    number = issue(client, drafted_session(app, client)).get_json()["number"]
    response = client.post(f"/api/invoices/{number}/copy", headers=KEY_A)
    assert response.status_code == 201
    session_id = response.get_json()["session_id"]
    session = client.get(f"/api/session/{session_id}", headers=KEY_A).get_json()
    copy = session["invoice"]
    assert copy["number"] is None and copy["status"] == "draft"
    assert copy["issue_date"] == date.today().isoformat()
    assert copy["buyer"]["name"] == "Acme Corp" and len(copy["items"]) == 1
    assert session["messages"] == [] and session["token_count"] == 0
    assert_error(client.get(f"/api/session/{session_id}", headers=KEY_B), 404, "session_not_found")
    # the copy is a draft like any other: it can be issued, with the next number
    assert issue(client, session_id).get_json()["number"] == f"{YEAR}-0002"


def test_issued_invoices_export_in_every_format(app, client):
    due = (date.today() + timedelta(days=30)).isoformat()
    number = issue(client, drafted_session(app, client, due_date=due)).get_json()["number"]
    pdf = client.get(f"/api/invoices/{number}.pdf", headers=KEY_A)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert f"{number}.pdf" in pdf.headers["Content-Disposition"]
    html = client.get(f"/api/invoices/{number}.html", headers=KEY_A)
    assert html.status_code == 200 and number in html.get_data(as_text=True)
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]
    for suffix in (".ubl.xml", ".cii.xml"):
        xml = client.get(f"/api/invoices/{number}{suffix}", headers=KEY_A)
        assert xml.status_code == 200, xml.get_data(as_text=True)
        assert f">{number}<" in xml.get_data(as_text=True)  # BT-1
    facturx = client.get(f"/api/invoices/{number}.facturx.pdf", headers=KEY_A)
    assert facturx.status_code == 200 and facturx.data.startswith(b"%PDF")
    # a credit note is an e-invoice of its own: type 381, referring to the invoice (BT-25)
    note = client.post(f"/api/invoices/{number}/credit-note", headers=KEY_A).get_json()
    ubl = client.get(f"/api/invoices/{note['number']}.ubl.xml", headers=KEY_A)
    assert ubl.status_code == 200, ubl.get_data(as_text=True)
    text = ubl.get_data(as_text=True)
    assert "381" in text and f">{number}<" in text and f">{note['number']}<" in text
    assert_error(
        client.get(f"/api/invoices/{number}.pdf?paper=A3", headers=KEY_A), 422, "validation_error"
    )


def test_the_list_filters_and_paginates(app, client):
    for buyer in ("Acme Corp", "Globex", "Acme Corp"):
        issue(client, drafted_session(app, client, buyer={"name": buyer}))
    page = client.get("/api/invoices?per_page=2&page=1", headers=KEY_A).get_json()
    assert page["total"] == 3 and page["per_page"] == 2 and len(page["items"]) == 2
    assert page["items"][0]["number"] == f"{YEAR}-0003"  # newest first
    assert client.get("/api/invoices?q=globex", headers=KEY_A).get_json()["total"] == 1
    today = date.today().isoformat()
    assert (
        client.get(f"/api/invoices?from={today}&to={today}", headers=KEY_A).get_json()["total"] == 3
    )
    assert client.get("/api/invoices?to=2000-01-01", headers=KEY_A).get_json()["total"] == 0
    for bad in ("status=draft", "from=yesterday", "per_page=0", "page=0", "per_page=1000"):
        assert_error(client.get(f"/api/invoices?{bad}", headers=KEY_A), 422, "validation_error")
