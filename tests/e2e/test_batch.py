"""The batch page in a real browser: submit, watch the progress, read and download the results."""

from __future__ import annotations

import csv
import io
import re

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.helpers import total

pytestmark = pytest.mark.e2e

REQUESTS = [
    ("Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days", "$6,480.00"),
    ("Invoice Globex for 3 x security audit @ $1,200 each, net 15", "$3,600.00"),
    ("Invoice Initech for 12 widgets at 19.99 each", "$239.88"),
    ("Bill Wayne Enterprises $750 for menu design", "$750.00"),
    ("Invoice Stark Industries for 10 hours of support at $90/h, 10% tax", "$990.00"),
]


@pytest.fixture(autouse=True)
def batch_api(base_url):
    """These tests need the batch API; until it is served they are skipped, not failed."""
    answer = requests.get(f"{base_url}/api/batches/{'0' * 32}", timeout=10)
    if answer.json().get("error", {}).get("code") != "batch_not_found":
        pytest.skip("the batch API (POST /api/batches) is not served yet")


def test_a_batch_of_five_completes_with_a_progress_bar_and_results(page, shot):
    page.goto("/batch")
    expect(page.get_by_role("heading", name="Batch invoices")).to_be_visible()
    page.get_by_label("Requests, one per line").fill("\n".join(r for r, _ in REQUESTS) + "\n\n")
    shot(page, "20-batch-form")
    page.get_by_role("button", name="Generate 5 invoices").click()

    progress = page.get_by_role("progressbar", name="Batch progress")
    expect(progress).to_be_visible()
    finished = page.get_by_test_id("batch-progress-text")
    expect(finished).to_have_text("5 of 5 finished", timeout=60_000)
    expect(progress).to_have_attribute("value", "5")
    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(5)
    for index, (_, amount) in enumerate(REQUESTS):
        expect(rows.nth(index)).to_contain_text("Done")
        expect(rows.nth(index)).to_contain_text(amount)
    expect(page.locator("table.results tfoot")).to_contain_text("$12,059.88")  # summed exactly
    assert "id=" in page.url  # a reload finds the batch again
    shot(page, "21-batch-completed", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download results (CSV)").click()
    content = download.value.path().read_text(encoding="utf-8-sig")
    results = list(csv.DictReader(io.StringIO(content)))
    assert len(results) == 5 and all(row["status"] == "succeeded" for row in results)

    page.reload()
    expect(page.get_by_test_id("batch-progress-text")).to_have_text("5 of 5 finished")
    rows.first.get_by_role("button", name="Open").click()
    expect(total(page)).to_have_text("$6,480.00")  # the item's own session, in the chat


def test_a_csv_upload_makes_a_batch_and_a_bad_csv_says_what_is_wrong(page, shot):
    page.goto("/batch")
    upload = page.get_by_label("Upload a CSV file")
    upload.set_input_files(
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": b"text,ref\nInvoice Acme $10,1\n"}
    )
    page.get_by_role("button", name="Generate invoices from bad.csv").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Please check what you sent")
    expect(alert).to_contain_text("CSV file: The first row must name the columns")
    shot(page, "22-batch-bad-csv")

    upload.set_input_files(
        {
            "name": "clients.csv",
            "mimeType": "text/csv",
            "buffer": (
                "\ufeffmessage,reference\n"
                '"Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax",PO-17\n'
                "Invoice Globex for 3 x security audit @ $1200 each,PO-18\n"
            ).encode(),
        }
    )
    page.get_by_role("button", name="Generate invoices from clients.csv").click()
    finished = page.get_by_test_id("batch-progress-text")
    expect(finished).to_have_text("2 of 2 finished", timeout=60_000)
    rows = page.locator("table.results tbody tr")
    expect(rows.nth(0)).to_contain_text("PO-17")
    expect(rows.nth(0)).to_contain_text("$6,480.00")
    expect(rows.nth(1)).to_contain_text("PO-18")


def test_a_batch_that_issues_numbers_its_invoices_in_item_order(page, base_url, shot):
    # issuing needs a seller: the offline engine names none, so the profile's stands in
    profile = {
        "seller": {"name": "Northwind Studio"},
        "numbering": {"invoice_pattern": "{year}-{seq:04}"},
    }
    requests.patch(f"{base_url}/api/profile", json=profile, timeout=10).raise_for_status()
    page.goto("/batch")
    page.get_by_label("Requests, one per line").fill("\n".join(r for r, _ in REQUESTS[:3]))
    option = page.get_by_role("checkbox", name="Issue every invoice")
    expect(page.locator("#batch-issue-note")).to_contain_text("in item order")
    expect(page.locator("#batch-issue-note")).to_contain_text("cannot be changed afterwards")
    option.check()
    shot(page, "23-batch-issue-option")
    page.get_by_role("button", name="Generate and issue 3 invoices").click()

    issued = page.get_by_test_id("batch-issued")
    expect(issued).to_have_text("3 invoices issued", timeout=90_000)
    expect(page.get_by_role("heading", name=re.compile("Completed"))).to_be_visible()
    cells = page.get_by_test_id("batch-invoice-number")
    expect(cells).to_have_count(3)
    numbers = cells.all_inner_texts()
    assert all(re.fullmatch(r"\d{4}-\d{4}", n) for n in numbers), numbers
    year, first = numbers[0].split("-")
    assert numbers == [f"{year}-{int(first) + i:04}" for i in range(3)]  # in item order
    rows = page.locator("table.results tbody tr")
    for index, (_, amount) in enumerate(REQUESTS[:3]):
        expect(rows.nth(index)).to_contain_text(amount)
    shot(page, "24-batch-issued", full_page=True)

    # each is an issued invoice in the records, and the batch says so too
    batch_id = page.url.split("id=")[1]
    body = requests.get(f"{base_url}/api/batches/{batch_id}", timeout=10).json()
    assert body["issue"] is True and body["issued"] == 3 and body["issuing"] is False
    for number in numbers:
        invoice = requests.get(f"{base_url}/api/invoices/{number}", timeout=10)
        assert invoice.status_code == 200 and invoice.json()["status"] == "issued"
