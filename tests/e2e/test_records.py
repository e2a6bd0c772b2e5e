"""Records in a real browser (issue 16): issue an invoice from the chat, find it on the
Invoices page, download it again in every format; edit the profile on the Settings page."""

from __future__ import annotations

import re

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

NUMBER = re.compile(r"^\d{4}-\d{4,}$")  # the default pattern {year}-{seq:04}
VALID_IBAN = "DE89 3704 0044 0532 0130 00"
BAD_IBAN = "DE89 3704 0044 0532 0130 01"  # one digit off: the check digits fail


@pytest.fixture(autouse=True)
def records_api(base_url):
    """The records endpoints; until they are served these tests are skipped."""
    if requests.get(f"{base_url}/api/profile", timeout=10).status_code != 200:
        pytest.skip("the records API (/api/profile, /api/invoices, …) is not served yet")


def _invoices(base_url: str, **params) -> dict:
    answer = requests.get(f"{base_url}/api/invoices", params=params, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _complete_acme(page) -> None:
    """The Acme invoice with what an EN 16931 e-invoice needs, said in the chat."""
    create_acme_invoice(page)
    for detail in (
        "seller: Northwind Studio",
        "our address is Hauptstrasse 1, 10115 Berlin, Germany",
        "our VAT number is DE811907980",
        "client address is 10 Rue de la Paix, 75002 Paris, France",
    ):
        send(page, detail)
        wait_for_turn(page)
    expect(page.get_by_test_id("invoice")).to_contain_text("Northwind Studio")


def test_issue_then_find_it_in_the_list_and_download_it_again(page, base_url, shot):
    _complete_acme(page)
    sid = session_id(page)
    expect(page.get_by_test_id("invoice-number")).to_have_text("Draft")
    expect(page.get_by_test_id("invoice-status")).to_have_text("Draft")
    before = _invoices(base_url)["total"]

    page.get_by_role("button", name="Issue invoice").click()
    dialog = page.get_by_role("dialog", name="Issue this invoice?")
    expect(dialog).to_contain_text("next invoice number")
    expect(dialog).to_contain_text("{year}-{seq:04}")
    shot(page, "40-issue-confirmation")
    # a double click issues once: one Idempotency-Key per confirmation, the button disabled
    dialog.get_by_role("button", name="Issue invoice").dblclick()

    number_cell = page.get_by_test_id("invoice-number")
    expect(number_cell).to_have_text(NUMBER)
    number = number_cell.inner_text()
    expect(page.get_by_test_id("invoice-status")).to_have_text("Issued")
    notice = page.get_by_role("region", name="Issued invoice")
    expect(notice).to_contain_text(f"Invoice {number} is issued")
    expect(notice.get_by_role("button", name="Copy as a new draft")).to_be_visible()
    expect(composer(page)).to_have_count(0)  # an issued invoice is not edited by chat
    shot(page, "41-issued-in-chat")
    assert _invoices(base_url)["total"] == before + 1

    # a reload keeps showing the issued invoice (the session itself keeps its draft)
    page.reload()
    expect(page.get_by_test_id("invoice-number")).to_have_text(number)
    assert session_id(page) == sid

    # the Invoices page: search finds it, open it
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
    expect(page).to_have_url(re.compile(r"/invoices$"))
    page.get_by_role("searchbox").fill(number)
    row = page.get_by_test_id("invoice-row").filter(has_text=number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(ACME_TOTAL)
    expect(row).to_contain_text("Issued")
    page.get_by_label("Status").select_option("paid")
    expect(page.get_by_text("No invoice matches these filters.")).to_be_visible()
    page.get_by_label("Status").select_option("issued")
    expect(row).to_have_count(1)
    shot(page, "42-invoices-list")
    row.get_by_role("link", name=number).click()
    expect(page).to_have_url(re.compile(rf"/invoices/{re.escape(number)}$"))
    expect(page.get_by_role("heading", name=f"Invoice {number}")).to_be_visible()

    downloads = page.get_by_role("group", name=f"Download {number}")
    for label, suffix, magic in (
        ("PDF", ".pdf", b"%PDF"),
        ("HTML", ".html", b"<html"),
        ("UBL 2.1 XML", ".ubl.xml", number.encode()),
        ("CII XML", ".cii.xml", number.encode()),
        ("Factur-X PDF", ".facturx.pdf", b"%PDF"),
    ):
        with page.expect_download() as download:
            downloads.get_by_role("button", name=label, exact=True).click()
        assert download.value.suggested_filename == f"{number}{suffix}", label
        body = download.value.path().read_bytes()
        assert magic in body, label

    # mark paid: the list and the record agree, after a reload too
    page.get_by_role("button", name="Mark paid").click()
    expect(page.get_by_test_id("record-status")).to_contain_text("Paid")
    page.reload()
    expect(page.get_by_test_id("record-status")).to_contain_text("Paid")
    assert requests.get(f"{base_url}/api/invoices/{number}", timeout=10).json()["status"] == "paid"
    shot(page, "43-invoice-paid", full_page=True)


def test_credit_note_and_copy_from_the_invoices_page(page, base_url):
    requests.patch(f"{base_url}/api/profile", json={"seller": None}, timeout=10).raise_for_status()
    _complete_acme(page)
    # the seller told in the chat can become the profile's
    offer = page.get_by_role("region", name="Save seller to profile")
    expect(offer).to_contain_text("Save Northwind Studio as your business?")
    offer.get_by_role("button", name="Save to my profile").click()
    expect(offer).to_have_count(0)
    assert (
        requests.get(f"{base_url}/api/profile", timeout=10).json()["seller"]["tax_id"]
        == "DE811907980"
    )
    page.get_by_role("button", name="Issue invoice").click()
    page.get_by_role("dialog").get_by_role("button", name="Issue invoice").click()
    expect(page.get_by_test_id("invoice-number")).to_have_text(NUMBER)
    number = page.get_by_test_id("invoice-number").inner_text()

    page.goto(f"/invoices/{number}")
    page.get_by_role("button", name="Credit note…").click()
    page.get_by_role("button", name="Issue credit note").click()
    expect(page.get_by_role("status").filter(has_text="Credit note")).to_contain_text(
        f"{number} is credited"
    )
    expect(page.get_by_test_id("record-status")).to_contain_text("Credited")
    credit_notes = requests.get(f"{base_url}/api/invoices/{number}", timeout=10).json()[
        "credit_note_numbers"
    ]
    assert len(credit_notes) == 1 and credit_notes[0].startswith("CN-")
    expect(page.get_by_role("link", name=credit_notes[0])).to_be_visible()

    # a copy opens the new draft in the chat: same client and lines, no number
    page.get_by_role("button", name="Copy as a new draft").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("invoice-number")).to_have_text("Draft")
    expect(page.get_by_test_id("invoice-total")).to_have_text(ACME_TOTAL)
    expect(page.get_by_test_id("invoice")).to_contain_text("Acme")
    expect(composer(page)).to_be_enabled()


def test_settings_edit_the_profile_with_errors_per_field(page, base_url, shot):
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    seller = page.get_by_role("group", name="Your business")
    payment = page.get_by_role("group", name="Payment details")
    seller.get_by_label("Name").fill("Northwind Studio")
    seller.get_by_label("VAT ID").fill("DE811907980")
    seller.get_by_label("Address").fill("Hauptstrasse 1\n10115 Berlin\nGermany")
    payment.get_by_label("IBAN").fill(BAD_IBAN)
    einvoicing = page.get_by_role("group", name="E-invoicing")
    einvoicing.get_by_label("Contact name").fill("Anna Schmidt")
    einvoicing.get_by_label("Contact phone").fill("+49 30 1234567")
    einvoicing.get_by_label("Contact e-mail").fill("anna@northwind.example")
    einvoicing.get_by_label("Electronic address scheme").select_option("0088")
    address = einvoicing.get_by_label("Electronic address", exact=True)
    address.fill("4000001000006")  # a GLN with a wrong check digit
    page.get_by_label("Invoices").fill("INV-{year}-{seq:05}")
    expect(page.get_by_test_id("pattern-examples")).to_contain_text(re.compile(r"INV-\d{4}-00001"))
    page.get_by_role("button", name="Save profile").click()

    iban = payment.get_by_label("IBAN")
    expect(iban).to_have_attribute("aria-invalid", "true")
    expect(payment.locator(".field-error")).to_be_visible()
    expect(page.get_by_text("Not saved: please correct the fields marked below.")).to_be_visible()
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(einvoicing.locator(".field-error")).to_contain_text("GLN")
    shot(page, "44-settings-422", full_page=True)

    iban.fill(VALID_IBAN)
    address.fill("4000001000005")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Saved. New invoices start with these details.")).to_be_visible()
    expect(iban).not_to_have_attribute("aria-invalid", "true")

    profile = requests.get(f"{base_url}/api/profile", timeout=10).json()
    assert profile["seller"]["name"] == "Northwind Studio"
    assert profile["payment"]["iban"] == VALID_IBAN.replace(" ", "")
    assert profile["numbering"]["invoice_pattern"] == "INV-{year}-{seq:05}"
    assert profile["seller"]["contact"] == {
        "name": "Anna Schmidt",
        "phone": "+49 30 1234567",
        "email": "anna@northwind.example",
    }
    assert profile["seller"]["electronic_address"] == {"scheme": "0088", "value": "4000001000005"}

    page.reload()
    expect(page.get_by_role("group", name="Your business").get_by_label("Name")).to_have_value(
        "Northwind Studio"
    )
    expect(
        page.get_by_role("group", name="E-invoicing").get_by_label("Contact phone")
    ).to_have_value("+49 30 1234567")
    # back to the default pattern, so the other tests' numbers keep theirs
    page.get_by_label("Invoices").fill("{year}-{seq:04}")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Saved. New invoices start with these details.")).to_be_visible()


@pytest.mark.parametrize("path", ["/invoices", "/clients", "/settings"])
def test_the_records_pages_fit_a_phone(new_page, path, shot):
    phone = new_page(PHONE, is_mobile=True)
    phone.goto(path)
    expect(phone.get_by_role("heading", level=1)).to_be_visible()
    expect(phone.get_by_role("status").first).not_to_have_text("Loading…")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width
    shot(phone, f"45-phone{path.replace('/', '-')}", full_page=True)


def _issue_by_api(base_url: str, message: str) -> dict:
    """A draft made by the offline engine and issued, through the HTTP API only."""
    accepted = requests.post(
        f"{base_url}/api/generate-invoice", json={"message": message}, timeout=10
    )
    assert accepted.status_code == 202, accepted.text
    job = accepted.json()
    for _ in range(60):
        done = requests.get(f"{base_url}/api/jobs/{job['job_id']}?wait=5", timeout=15).json()
        if done["status"] in ("succeeded", "failed"):
            break
    assert done["status"] == "succeeded", done
    issued = requests.post(f"{base_url}/api/session/{job['session_id']}/issue", timeout=10)
    assert issued.status_code == 201, issued.text
    return issued.json()


def test_clients_search_edit_and_delete(page, base_url):
    requests.patch(
        f"{base_url}/api/profile", json={"seller": {"name": "Northwind Studio"}}, timeout=10
    ).raise_for_status()
    _issue_by_api(base_url, "Invoice Initech for 12 widgets at 19.99 each, due on receipt")
    page.goto("/clients")
    page.get_by_role("searchbox").fill("initech")
    card = page.get_by_test_id("client").filter(has_text="Initech")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("invoice")

    card.get_by_role("button", name="Edit Initech").click()
    form = page.get_by_role("form", name="Edit Initech")
    email = form.get_by_label("E-mail")
    email.fill("not an e-mail")
    form.get_by_role("button", name="Save client").click()
    expect(email).to_have_attribute("aria-invalid", "true")
    email.fill("ap@initech.example")
    form.get_by_role("button", name="Save client").click()
    expect(page.get_by_role("status").filter(has_text="saved")).to_be_visible()
    expect(card).to_contain_text("ap@initech.example")

    # the client's invoices, then forget the client: its invoices stay
    card.get_by_role("button", name="Invoices of Initech").click()
    expect(page).to_have_url(re.compile(r"/invoices\?client_id="))
    expect(page.get_by_test_id("invoice-row").first).to_contain_text("Initech")
    page.go_back()
    card = page.get_by_test_id("client").filter(has_text="Initech").first
    card.get_by_role("button", name="Delete Initech").click()
    page.get_by_role("group", name="Delete Initech").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status").filter(has_text="deleted")).to_be_visible()
    clients = requests.get(f"{base_url}/api/clients", params={"q": "initech"}, timeout=10).json()
    assert clients["total"] == 0
    assert _invoices(base_url, q="Initech")["total"] >= 1
