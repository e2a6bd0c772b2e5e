"""Export buttons in a real browser: downloads, and an e-invoice that needs more details."""

from __future__ import annotations

import json

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.e2e.helpers import (
    ACME_TOTAL,
    composer,
    create_acme_invoice,
    send,
    session_id,
    wait_for_turn,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def export_api(base_url):
    """The PDF and e-invoice exports; until they are served these tests are skipped."""
    answer = requests.get(f"{base_url}/api/session/{'0' * 32}/invoice.pdf", timeout=10)
    if answer.json().get("error", {}).get("code") != "session_not_found":
        pytest.skip("the export endpoints (/api/session/{id}/invoice.pdf, …) are not served yet")


def test_download_the_pdf_and_the_json(page):
    create_acme_invoice(page)  # a draft: no number until it is issued, its files "invoice.*"

    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    assert download.value.suggested_filename == "invoice.pdf"
    assert download.value.path().read_bytes().startswith(b"%PDF")
    expect(page.get_by_text("Downloaded invoice.pdf")).to_be_visible()

    page.locator("summary", has_text="More").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="JSON").click()
    assert download.value.suggested_filename == "invoice.json"
    invoice = json.loads(download.value.path().read_text())
    assert invoice["number"] is None and invoice["status"] == "draft"
    assert invoice["total"] == ACME_TOTAL.strip("$").replace(",", "")


def test_an_incomplete_e_invoice_lists_what_is_missing_and_suggests_the_message(
    page, shot, base_url
):
    create_acme_invoice(page)
    page.locator("summary", has_text="More").click()
    page.get_by_role("button", name="UBL 2.1 XML").click()

    notice = page.get_by_role("alert").filter(has_text="needs a few more details")
    expect(notice).to_be_visible()
    expect(notice.locator(".missing-list li").first).to_be_visible()
    shot(page, "30-einvoice-incomplete")

    suggestion = notice.locator("button.suggest").first
    suggested = suggestion.inner_text().removeprefix("Write").strip().strip("“”").rstrip("…")
    suggestion.click()
    expect(composer(page)).to_be_focused()
    assert composer(page).input_value().startswith(suggested.strip())

    # Said in the chat, the details make a valid e-invoice.
    for detail in (
        "seller: Northwind Studio",
        "our address is Hauptstrasse 1, 10115 Berlin, Germany",
        "our VAT number is DE811907980",
        "client address is 10 Rue de la Paix, 75002 Paris, France",
    ):
        send(page, detail)
        wait_for_turn(page)
    expect(page.get_by_test_id("invoice")).to_contain_text("Northwind Studio")
    # all that is missing now is the number: a draft gets one when it is issued
    page.locator("summary", has_text="More").click()
    page.get_by_role("button", name="UBL 2.1 XML").click()
    expect(notice.locator(".missing-list li")).to_have_count(1)
    expect(notice.locator(".missing-list li")).to_contain_text("issue the invoice first")
    issued = requests.post(f"{base_url}/api/session/{session_id(page)}/issue", timeout=30)
    assert issued.status_code == 201, issued.text
    page.locator("summary", has_text="More").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="UBL 2.1 XML").click()
    assert download.value.suggested_filename.endswith(".ubl.xml")
    assert b"<cbc:PayableAmount" in download.value.path().read_bytes()
    expect(notice).to_be_hidden()
    shot(page, "31-einvoice-complete")


# Every line of text each cell of the items table takes, as the browser laid it out.
CELL_LINES = """() => [...document.querySelectorAll('.items tbody td')].map(cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const tops = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
  return [cell.cellIndex, cell.innerText, tops.size];
})"""


def test_the_printable_view_on_a_phone_keeps_amounts_whole(page, new_page, shot):
    create_acme_invoice(page)
    send(page, "add 3 licences at $1,234,567.89")
    wait_for_turn(page)
    sid = session_id(page)

    phone = new_page(PHONE, is_mobile=True)
    phone.goto(f"/api/session/{sid}/invoice.html")
    expect(phone.locator(".items")).to_contain_text("$3,703,703.67")
    shot(phone, "32-printable-view-phone", full_page=True)

    cells = phone.evaluate(CELL_LINES)
    amounts = [(text, lines) for index, text, lines in cells if "$" in text and index > 0]
    assert len(amounts) >= 4, cells
    assert all(lines == 1 for _, lines in amounts), amounts  # '$1,234,567.8' + '9' never
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width
