"""Turns with attached files through a real `celery worker` process (LLM_PROVIDER=offline):
the API sniffs and stores them, the broker carries the job id, the worker reads the files from
Redis (tables, OCR through Tesseract, e-invoices) and the offline engine makes the invoice."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from tests.integration.helpers import finished_job
from tests.support.documents import (
    document_png,
    einvoices,
    printed_document,
    timesheet,
    timesheet_csv,
    timesheet_xlsx,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(start_worker):
    return start_worker("offline", LLM_PROVIDER="offline")


def attach_turn(client, message, files, *, session_id=None, path="/api/generate-invoice"):
    data = {"message": message, "files": [(io.BytesIO(c), n) for n, c in files]}
    if session_id:
        data["session_id"] = session_id
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_data(as_text=True)
    accepted = response.get_json()
    return accepted, finished_job(client, accepted["job_id"], timeout=60)


def test_a_csv_timesheet_becomes_an_invoice_with_exact_totals(client, worker):
    sheet = timesheet(4)
    accepted, job = attach_turn(
        client, "Bill Acme Corp for everything on this timesheet", [("t.csv", timesheet_csv(sheet))]
    )

    assert job["status"] == "succeeded", job
    invoice = job["result"]["invoice"]
    assert invoice["buyer"]["name"] == "Acme Corp"
    assert Decimal(invoice["total"]) == sheet.total
    assert sum(Decimal(i["quantity"]) for i in invoice["items"]) == sheet.total_hours

    # then at another rate, with tax, from the XLSX version of the same sheet, in the session
    _, job = attach_turn(
        client,
        "bill everything on this sheet at $95/h, 8% tax",
        [("t.xlsx", timesheet_xlsx(sheet))],
        session_id=accepted["session_id"],
        path="/api/generate-invoice",
    )
    assert job["status"] == "succeeded", job
    expected = (sheet.total_hours * 95 * Decimal("1.08")).quantize(Decimal("0.01"))
    assert Decimal(job["result"]["invoice"]["total"]) == expected
    assert "hours at $95.00" in job["result"]["reply"]


def test_a_receipt_photo_is_read_by_ocr_in_the_worker(client, worker):
    document = printed_document(3)  # a receipt, tax on top
    accepted, job = attach_turn(
        client, "Invoice Globex Ltd for this receipt", [("r.png", document_png(document))]
    )

    assert job["status"] == "succeeded", job
    invoice = job["result"]["invoice"]
    assert invoice["currency"] == document.currency
    assert [i["description"] for i in invoice["items"]] == [
        line.description for line in document.lines
    ]
    assert Decimal(invoice["subtotal"]) == document.subtotal
    assert Decimal(invoice["total"]) == document.total
    session = client.get(f"/api/session/{accepted['session_id']}").get_json()
    assert session["messages"][0]["attachments"][0]["kind"] == "png"


def test_a_ubl_file_from_our_own_export_is_the_same_invoice(client, worker):
    exported = einvoices(facturx=False)
    original = exported.invoice

    _, job = attach_turn(client, "Import this invoice", [("in.xml", exported.ubl)])

    assert job["status"] == "succeeded", job
    invoice = job["result"]["invoice"]
    assert Decimal(invoice["total"]) == original.total
    assert Decimal(invoice["tax_total"]) == original.tax_total
    assert [
        (i["description"], Decimal(i["quantity"]), Decimal(i["unit_price"]))
        for i in invoice["items"]
    ] == [(i.description, i.quantity, i.unit_price) for i in original.items]
    assert invoice["seller"]["tax_id"] == original.seller.tax_id
    assert "exactly" in job["result"]["reply"]


def test_a_bad_file_fails_the_job_the_worker_survives_and_the_session_keeps_its_invoice(
    client, worker
):
    sheet = timesheet(5)
    accepted, job = attach_turn(
        client, "Bill Acme Corp for this timesheet", [("t.csv", timesheet_csv(sheet))]
    )
    sid = accepted["session_id"]
    before = client.get(f"/api/session/{sid}").get_json()

    _, job = attach_turn(
        client, "add these too", [("n.csv", b"1,2,3\n4,5,6\n")], session_id=sid, path="/api/chat"
    )

    assert job["status"] == "failed" and job["error"]["code"] == "attachment_unreadable", job
    after = client.get(f"/api/session/{sid}").get_json()
    assert after["invoice"] == before["invoice"] and after["messages"] == before["messages"]
    # the worker is still there and serves the next turn
    _, job = attach_turn(
        client, "Bill Acme Corp for this timesheet", [("t.csv", timesheet_csv(sheet))]
    )
    assert job["status"] == "succeeded"
    assert worker.process.poll() is None
