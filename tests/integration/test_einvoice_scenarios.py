"""E-invoices that real recipients accept, end to end (issue 17): a real `celery worker`
process with the offline engine (LLM_PROVIDER=offline), records, HTTP only. The seller is set
in the profile, the rest is said in the chat in words (the profile's seller has no contact or
electronic address yet, so those are said in the message); the invoice is issued and exported
with a profile, which is checked before it is served (422 `einvoice_incomplete` otherwise) and
then against the EN 16931 XSD and Schematron here."""

from __future__ import annotations

import pytest
from lxml import etree

from api import create_app
from core.exports.validation import validate
from tests.conftest import make_settings
from tests.integration.helpers import run_turn

pytestmark = pytest.mark.integration

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


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
    return start_worker("offline", LLM_PROVIDER="offline", DATABASE_URL=records_url)


def issue_and_export(client, profile: dict, message: str, export_profile: str) -> etree._Element:
    patched = client.patch("/api/profile", json=profile)
    assert patched.status_code == 200, patched.get_json()
    accepted, job = run_turn(client, message, path="/api/generate-invoice")
    assert job["status"] == "succeeded", job
    invoice = job["result"]["invoice"]
    assert invoice is not None, job["result"]
    issued = client.post(f"/api/session/{accepted['session_id']}/issue")
    assert issued.status_code == 201, issued.get_json()
    number = issued.get_json()["number"]
    xml = client.get(f"/api/invoices/{number}.ubl.xml?profile={export_profile}")
    assert xml.status_code == 200, xml.get_json()
    report = validate(xml.data, "ubl")
    assert not report.errors, report.errors
    return etree.fromstring(xml.data)


def text(root: etree._Element, path: str) -> list[str]:
    return root.xpath(f"{path}/text()", namespaces=NS)


def test_a_german_xrechnung_for_a_public_buyer(client, worker):
    profile = {
        "seller": {
            "name": "Pixel Studio GmbH",
            "address": "Hauptstraße 5, 10115 Berlin, Germany",
            "tax_id": "DE811569869",
            "email": "billing@pixelstudio.de",
        },
        "payment": {"iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"},
    }
    message = (
        "Invoice Stadt Bonn for an accessibility audit €3,400 + 19% VAT, due in 30 days. "
        "Their address is Berliner Platz 2, 53111 Bonn, Germany. Their Leitweg-ID is "
        "991-33333TEST-33 as their electronic address. Our contact is Tomasz Nowak, "
        "+49 30 555 0100, tomasz@pixelstudio.de. Our e-invoice address is 9930:DE811569869. "
        "Delivered on 2 November 2026."
    )
    root = issue_and_export(client, profile, message, "xrechnung")

    assert text(root, "/*/cbc:BuyerReference") == ["991-33333TEST-33"]
    assert root.xpath(
        "//cac:AccountingCustomerParty//cbc:EndpointID[@schemeID='0204']/text()", namespaces=NS
    ) == ["991-33333TEST-33"]
    assert text(root, "//cac:AccountingSupplierParty//cac:Contact/cbc:Name") == ["Tomasz Nowak"]
    assert text(root, "//cac:PaymentMeans/cbc:PaymentMeansCode") == ["58"]
    assert text(root, "//cac:PayeeFinancialAccount/cbc:ID") == ["DE89370400440532013000"]
    assert text(root, "//cac:Delivery/cbc:ActualDeliveryDate") == ["2026-11-02"]
    assert text(root, "//cbc:PayableAmount") == ["4046.00"]


def test_a_belgian_peppol_invoice_with_reverse_charge(client, worker):
    profile = {
        "seller": {
            "name": "Atelier Lumière SRL",
            "address": "Rue de la Loi 16, 1000 Brussels, Belgium",
            "tax_id": "BE0477472701",
        },
        "payment": {"iban": "BE71 0961 2345 6769"},
    }
    message = (
        "Invoice Vandenberg BV for brand identity €2,800, reverse charge, PO 4711, due in 30 "
        "days. Their address is Keizersgracht 123, 1015 CJ Amsterdam, Netherlands. Their VAT "
        "number is NL004495445B01, their Peppol ID is 0106:12345678. Our Peppol ID is "
        "0208:0477472701. Our contact is Claire Dubois, +32 2 555 0100, "
        "claire@atelier-lumiere.be"
    )
    root = issue_and_export(client, profile, message, "peppol")

    assert text(root, "//cac:ClassifiedTaxCategory/cbc:ID") == ["AE"]
    assert text(root, "//cac:OrderReference/cbc:ID") == ["4711"]
    assert root.xpath(
        "//cac:AccountingSupplierParty//cbc:EndpointID[@schemeID='0208']/text()", namespaces=NS
    ) == ["0477472701"]
    assert root.xpath(
        "//cac:AccountingCustomerParty//cbc:EndpointID[@schemeID='0106']/text()", namespaces=NS
    ) == ["12345678"]
    assert text(root, "//cbc:PayableAmount") == ["2800.00"]
