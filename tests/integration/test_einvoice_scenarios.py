"""E-invoices that real recipients accept, end to end (issue 17): a real `celery worker`
process with the offline engine (LLM_PROVIDER=offline), records, HTTP only. The seller — with
its contact and electronic address, set once as a user would — and the payment details are in
the profile, the rest is said in the chat in words; the invoice is issued and exported with a
profile, which is checked before it is served (422 `einvoice_incomplete` otherwise) and then
against the EN 16931 XSD and Schematron here. A German XRechnung to a public buyer, a Belgian
Peppol reverse-charge invoice, a French EN 16931 / Factur-X invoice with an exempt line and a
Dutch Peppol invoice to a municipality (the parties of tests/support/scenarios.py)."""

from __future__ import annotations

import facturx
import pytest
from lxml import etree

from api import create_app
from core.exports.validation import validate
from tests.conftest import make_settings
from tests.integration.helpers import run_turn
from tests.support.scenarios import (
    DUTCH_PUBLIC_BUYER,
    DUTCH_SELLER,
    FRENCH_BUYER,
    FRENCH_SELLER,
    PAYMENTS,
)

pytestmark = pytest.mark.integration

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
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


def issue(client, profile: dict, message: str) -> str:
    """Sets the profile, says `message` to a new invoice, issues it: its number."""
    patched = client.patch("/api/profile", json=profile)
    assert patched.status_code == 200, patched.get_json()
    accepted, job = run_turn(client, message, path="/api/generate-invoice")
    assert job["status"] == "succeeded", job
    invoice = job["result"]["invoice"]
    assert invoice is not None, job["result"]
    issued = client.post(f"/api/session/{accepted['session_id']}/issue")
    assert issued.status_code == 201, issued.get_json()
    return issued.get_json()["number"]


def checked(xml: bytes, syntax: str) -> etree._Element:
    report = validate(xml, syntax)
    assert not report.errors, report.errors
    return etree.fromstring(xml)


def export(client, number: str, syntax: str, profile: str) -> etree._Element:
    """GET the issued invoice's e-invoice with `?profile=`: 200, and no XSD or Schematron
    error under our checks."""
    xml = client.get(f"/api/invoices/{number}.{syntax}.xml?profile={profile}")
    assert xml.status_code == 200, xml.get_json()
    return checked(xml.data, syntax)


def issue_and_export(client, profile: dict, message: str, export_profile: str) -> etree._Element:
    return export(client, issue(client, profile, message), "ubl", export_profile)


def text(root: etree._Element, path: str) -> list[str]:
    return root.xpath(f"{path}/text()", namespaces=NS)


def test_a_german_xrechnung_for_a_public_buyer(client, worker):
    profile = {
        "seller": {
            "name": "Pixel Studio GmbH",
            "address": "Hauptstraße 5, 10115 Berlin, Germany",
            "tax_id": "DE811569869",
            "email": "billing@pixelstudio.de",
            # set once in the profile, never typed in the chat
            "contact": {
                "name": "Tomasz Nowak",
                "phone": "+49 30 555 0100",
                "email": "tomasz@pixelstudio.de",
            },
            "electronic_address": {"scheme": "9930", "value": "DE811569869"},
        },
        "payment": {"iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"},
    }
    message = (
        "Invoice Stadt Bonn for an accessibility audit €3,400 + 19% VAT, due in 30 days. "
        "Their address is Berliner Platz 2, 53111 Bonn, Germany. Their Leitweg-ID is "
        "991-33333TEST-33 as their electronic address. Delivered on 2 November 2026."
    )
    root = issue_and_export(client, profile, message, "xrechnung")

    assert text(root, "/*/cbc:BuyerReference") == ["991-33333TEST-33"]
    assert root.xpath(
        "//cac:AccountingCustomerParty//cbc:EndpointID[@schemeID='0204']/text()", namespaces=NS
    ) == ["991-33333TEST-33"]
    assert text(root, "//cac:AccountingSupplierParty//cac:Contact/cbc:Name") == ["Tomasz Nowak"]
    assert text(root, "//cac:AccountingSupplierParty//cac:Contact/cbc:Telephone") == [
        "+49 30 555 0100"
    ]
    assert root.xpath(
        "//cac:AccountingSupplierParty//cbc:EndpointID[@schemeID='9930']/text()", namespaces=NS
    ) == ["DE811569869"]
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


def test_a_french_en16931_and_factur_x_invoice_with_an_exempt_training(client, worker):
    profile = {"seller": FRENCH_SELLER, "payment": PAYMENTS["FR"]}  # SIREN as 0002 address
    # "Invoice Client Lyonnais SA" alone gives the client "Lyonnais SA" (the engine reads
    # "Client" as a word of the request), so the message names the client again.
    message = (
        "Invoice Client Lyonnais SA, 5 days of organisation consulting at €800/day + 20% VAT "
        "and a professional training course €1,200, due in 45 days. The training course is "
        "exempt from VAT under Article 261(4) of the CGI. PO BC-2026-118. The client is "
        "Client Lyonnais SA. Their address is 5 Avenue Foch, 69006 Lyon, France. Their VAT "
        f"number is {FRENCH_BUYER['tax_id']}, their Peppol ID is 0009:30326504500003."
    )
    number = issue(client, profile, message)

    cii = export(client, number, "cii", "en16931")
    pdf = client.get(f"/api/invoices/{number}.facturx.pdf")
    assert pdf.status_code == 200, pdf.get_json()
    assert pdf.data.startswith(b"%PDF")
    _, embedded = facturx.get_xml_from_pdf(pdf.data, check_xsd=False)
    facturx_root = checked(embedded, "cii")

    for root in (cii, facturx_root):
        assert root.xpath(
            "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()", namespaces=NS
        ) == ["urn:cen.eu:en16931:2017"]
        assert root.xpath(
            "//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID"
            "[@schemeID='0002']/text()",
            namespaces=NS,
        ) == ["303265045"]
        assert root.xpath(
            "//ram:SellerTradeParty//ram:SpecifiedTaxRegistration/ram:ID/text()", namespaces=NS
        ) == ["FR40303265045"]
        assert root.xpath(
            "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID"
            "[@schemeID='0009']/text()",
            namespaces=NS,
        ) == ["30326504500003"]
        assert root.xpath("//ram:BuyerTradeParty/ram:Name/text()", namespaces=NS) == [
            "Client Lyonnais SA"
        ]
        assert root.xpath(
            "//ram:ApplicableHeaderTradeAgreement/ram:BuyerOrderReferencedDocument"
            "/ram:IssuerAssignedID/text()",
            namespaces=NS,
        ) == ["BC-2026-118"]
        lines = root.xpath(
            "//ram:IncludedSupplyChainTradeLineItem//ram:ApplicableTradeTax"
            "/ram:CategoryCode/text()",
            namespaces=NS,
        )
        assert lines == ["S", "E"]
        (exempt,) = root.xpath(
            "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax[ram:CategoryCode='E']",
            namespaces=NS,
        )
        assert exempt.xpath("ram:BasisAmount/text()", namespaces=NS) == ["1200.00"]
        assert exempt.xpath("ram:CalculatedAmount/text()", namespaces=NS) == ["0.00"]
        assert "261(4)" in exempt.xpath("ram:ExemptionReason/text()", namespaces=NS)[0]
        assert root.xpath("//ram:DuePayableAmount/text()", namespaces=NS) == ["6000.00"]
    assert etree.tostring(cii, method="c14n") == etree.tostring(facturx_root, method="c14n")


def test_a_dutch_peppol_invoice_to_a_municipality(client, worker):
    profile = {"seller": DUTCH_SELLER, "payment": PAYMENTS["NL"]}  # KvK as 0106 address
    oin = DUTCH_PUBLIC_BUYER["electronic_address"]["value"]
    # "… at €85 + 21% VAT and printing … + 9% VAT" sets 21% and then 9% on every line, so
    # each rate is said of its line.
    message = (
        "Invoice Gemeente Voorbeeld for house style design 20 hours at €85 and printing 500 "
        "pcs at €0.45, 21% VAT on the design and 9% VAT on the printing, due in 30 days. "
        "Their address is Raadhuisplein 1, 2511 AB Den Haag, Netherlands. Their Peppol ID is "
        f"0190:{oin}. Their reference is INK-2026-0042. €500 already paid in advance."
    )
    number = issue(client, profile, message)
    root = export(client, number, "ubl", "peppol")

    assert text(root, "/*/cbc:CustomizationID") == [
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
    ]
    assert text(root, "/*/cbc:ProfileID") == ["urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"]
    assert root.xpath(
        "//cac:AccountingSupplierParty//cbc:EndpointID[@schemeID='0106']/text()", namespaces=NS
    ) == ["12345678"]
    assert root.xpath(
        "//cac:AccountingCustomerParty//cbc:EndpointID[@schemeID='0190']/text()", namespaces=NS
    ) == [oin]
    assert text(root, "//cac:AccountingSupplierParty//cac:PartyTaxScheme/cbc:CompanyID") == [
        "NL853746333B01"
    ]
    assert text(root, "/*/cbc:BuyerReference") == ["INK-2026-0042"]
    assert text(root, "//cac:PayeeFinancialAccount/cbc:ID") == ["NL91ABNA0417164300"]
    assert text(root, "//cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent") == [
        "21",
        "9",
    ]
    assert text(root, "//cbc:TaxInclusiveAmount") == ["2302.25"]
    assert text(root, "//cbc:PrepaidAmount") == ["500.00"]
    assert text(root, "//cbc:PayableAmount") == ["1802.25"]
