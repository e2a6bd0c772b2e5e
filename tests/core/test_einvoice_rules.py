"""Rules as code (core/exports/rules): every rule, one test each.

Each case starts from an invoice complete for its profile, takes one thing away (or makes it
wrong), and expects that rule — and only rules about that — to name what is missing. A last
test holds the list of cases to the list of registered rules, so a rule cannot be added
without its test.
"""

from __future__ import annotations

import copy
from datetime import date

import pytest
from lxml import etree

from core.errors import EinvoiceIncomplete
from core.exports import rules
from core.exports.einvoice import cii_xml, ubl_xml
from core.exports.rules import RULES, check, check_xml
from core.exports.rules.xml import NS
from tests.support.scenarios import (
    BELGIAN,
    DUTCH,
    DUTCH_PUBLIC_BUYER,
    FRENCH,
    GERMAN,
    GERMAN_COMPANY_BUYER,
    GERMAN_SELLER,
    PAYMENTS,
    credit_note,
    priced,
)

COMPLETE = {  # a draft every profile accepts: German seller and buyer, everything given
    **copy.deepcopy(GERMAN),
    "seller": {**GERMAN_SELLER, "contact": {"name": "Anna Schmidt"}},
    "buyer": GERMAN_COMPANY_BUYER,
}
INTRA_EU_GOODS = {
    **copy.deepcopy(BELGIAN),
    "delivery_date": "2026-02-27",
    "items": [
        {"description": "Pallets", "quantity": "4", "unit_price": "120", "tax_category": "K"}
    ],
}
PARTIES = {  # sellers of the countries with national Peppol rules, complete
    "DK": ("Vesterbrogade 12, 1620 København V, Denmark", "DK13585628", ("0184", "13585628")),
    "NO": ("Karl Johans gate 1, 0154 Oslo, Norway", "NO974760673MVA", ("0192", "974760673")),
    "IT": ("Via Roma 1, 00184 Roma, Italy", "IT00743110157", ("0088", "4000001123452")),
    "SE": ("Drottninggatan 1, 111 51 Stockholm, Sweden", "SE556036079301", ("0007", "5560360793")),
    "IS": ("Laugavegur 1, 101 Reykjavík, Iceland", None, ("0196", "4101697359")),
    "GR": ("Ermou 1, 105 63 Athens, Greece", "EL094259216", ("9933", "EL094259216")),
}


def party(country: str, **changes) -> dict:
    address, tax_id, (scheme, value) = PARTIES[country]
    base = {
        "name": "Kim Berg",
        "company": f"{country} Trading",
        "email": "kim@trading.example",
        "phone": "+00 1234 5678",
        "address": address,
        "tax_id": tax_id,
        "electronic_address": {"scheme": scheme, "value": value},
    }
    return {**base, **changes}


def invoice(draft: dict = COMPLETE, **changes) -> dict:
    """The core's invoice JSON for `draft` with `changes` made to the JSON afterwards (as an
    invoice stored earlier, or made by another path, could be)."""
    data = priced(draft)
    for key, value in changes.items():
        if "__" in key:
            role, field = key.split("__")
            data[role] = {**(data[role] or {}), field: value}
        else:
            data[key] = value
    return data


def no_address(data: dict, role: str) -> dict:
    data[role] = {**data[role], "electronic_address": None, "email": None}
    return data


def jpy_fraction() -> dict:
    line = {"description": "Screws", "quantity": "3.5", "unit_price": "0.125", "tax_rate": "10"}
    return invoice({**COMPLETE, "currency": "JPY", "items": [line]})


def o_mixed() -> dict:
    data = invoice(FRENCH)
    data["items"][0]["tax_category"] = "O"
    return data


def no_exemption_reason() -> dict:
    data = invoice(FRENCH)
    for row in data["tax_breakdown"]:
        row["exemption_reason"] = None
    return data


def pair(seller_country: str, buyer_country: str | None = None, **changes) -> dict:
    buyer = party(buyer_country) if buyer_country else GERMAN_COMPANY_BUYER
    draft = {**COMPLETE, "seller": party(seller_country), "buyer": buyer}
    return invoice(draft, **changes)


def dutch(**changes) -> dict:
    return invoice(DUTCH, **changes)


DUTCH_PAIR = {**DUTCH, "buyer": {**DUTCH_PUBLIC_BUYER, "address": "Markt 1, 1011 AA Amsterdam, NL"}}

# rule id, profile, the invoice breaking it, the field named
CASES = [
    ("BR-02", "en16931", lambda: invoice(number=None), "number"),
    ("IA-01", "en16931", lambda: invoice({**COMPLETE, "currency": "BHD"}), "currency"),
    ("BR-06", "en16931", lambda: invoice(seller__name=" ", seller__company=None), "seller.name"),
    ("BR-09", "en16931", lambda: invoice(seller__address=None), "seller.address"),
    ("BR-CO-26", "en16931", lambda: invoice(seller__tax_id=None), "seller.tax_id"),
    ("IA-02", "en16931", lambda: invoice(seller__tax_id="DE123456789"), "seller.tax_id"),
    ("BR-07", "en16931", lambda: invoice(buyer__name="", buyer__company=""), "buyer.name"),
    ("BR-11", "en16931", lambda: invoice(buyer__address="Somewhere 1"), "buyer.address"),
    ("IA-03", "en16931", lambda: invoice(buyer__tax_id="FR12345678901"), "buyer.tax_id"),
    ("BR-16", "en16931", lambda: invoice(items=[]), "items"),
    ("BR-CO-25", "en16931", lambda: invoice(due_date=None, payment_terms=None), "due_date"),
    ("BR-61", "en16931", lambda: invoice(payment={"means_code": "58"}), "payment.iban"),
    ("BR-AE-02", "en16931", lambda: invoice(BELGIAN, buyer__tax_id=None), "buyer.tax_id"),
    ("BR-IC-02", "en16931", lambda: invoice(INTRA_EU_GOODS, buyer__tax_id=None), "buyer.tax_id"),
    ("BR-IC-11", "en16931", lambda: invoice(INTRA_EU_GOODS, delivery_date=None), "delivery_date"),
    ("BR-O-11", "en16931", o_mixed, "items"),
    ("BR-E-10", "en16931", no_exemption_reason, "items"),
    # XRechnung
    ("BR-DE-1", "xrechnung", lambda: invoice(payment=None), "payment"),
    (
        "BR-DE-3",
        "xrechnung",
        lambda: invoice(seller__address="Hauptstraße 1, Germany"),
        "seller.address",
    ),
    (
        "BR-DE-4",
        "xrechnung",
        lambda: invoice(seller__address="Hauptstraße 1, Berlin, Germany"),
        "seller.address",
    ),
    (
        "BR-DE-5",
        "xrechnung",
        lambda: invoice(seller__contact=None, seller__company=None),
        "seller.contact.name",
    ),
    (
        "BR-DE-6",
        "xrechnung",
        lambda: invoice(seller__contact=None, seller__phone=None),
        "seller.contact.phone",
    ),
    (
        "BR-DE-7",
        "xrechnung",
        lambda: invoice(seller__contact=None, seller__email=None),
        "seller.contact.email",
    ),
    (
        "BR-DE-8",
        "xrechnung",
        lambda: invoice(buyer__address="Marktplatz 3, Germany"),
        "buyer.address",
    ),
    (
        "BR-DE-9",
        "xrechnung",
        lambda: invoice(buyer__address="Marktplatz 3, München, Germany"),
        "buyer.address",
    ),
    (
        "BR-DE-10",
        "xrechnung",
        lambda: invoice(INTRA_EU_GOODS, buyer__address="Marktplatz 3, München, Germany"),
        "buyer.address",
    ),
    ("BR-DE-15", "xrechnung", lambda: invoice(buyer_reference=None), "buyer_reference"),
    (
        "BR-DE-18",
        "xrechnung",
        lambda: invoice(payment_terms="#SKONTO#TAGE=14#PROZENT=2#\n"),
        "payment_terms",
    ),
    (
        "PEPPOL-EN16931-R020",
        "xrechnung",
        lambda: no_address(invoice(), "seller"),
        "seller.electronic_address",
    ),
    (
        "PEPPOL-EN16931-R010",
        "xrechnung",
        lambda: no_address(invoice(), "buyer"),
        "buyer.electronic_address",
    ),
    ("PEPPOL-EN16931-R120", "xrechnung", jpy_fraction, "items"),
    # Peppol BIS
    (
        "PEPPOL-EN16931-R003",
        "peppol",
        lambda: invoice(buyer_reference=None, purchase_order=None),
        "buyer_reference",
    ),
    (
        "PEPPOL-EN16931-R020",
        "peppol",
        lambda: invoice(seller__electronic_address=None),
        "seller.electronic_address",
    ),
    (
        "PEPPOL-EN16931-R010",
        "peppol",
        lambda: invoice(buyer__electronic_address=None),
        "buyer.electronic_address",
    ),
    (
        "PEPPOL-EN16931-CL008",
        "peppol",
        lambda: invoice(seller__electronic_address={"scheme": "EM", "value": "a@b.example"}),
        "seller.electronic_address",
    ),
    (
        "PEPPOL-EN16931-CL008",
        "peppol",
        lambda: invoice(buyer__electronic_address={"scheme": "0219", "value": "x"}),
        "buyer.electronic_address",
    ),
    ("PEPPOL-EN16931-R120", "peppol", jpy_fraction, "items"),
    ("DE-R-001", "peppol", lambda: invoice(payment=None), "payment"),
    (
        "DE-R-003",
        "peppol",
        lambda: invoice(seller__address="Hauptstraße 1, Germany"),
        "seller.address",
    ),
    (
        "DE-R-004",
        "peppol",
        lambda: invoice(seller__address="Hauptstraße 1, Berlin, Germany"),
        "seller.address",
    ),
    (
        "DE-R-005",
        "peppol",
        lambda: invoice(seller__contact=None, seller__company=None),
        "seller.contact.name",
    ),
    (
        "DE-R-006",
        "peppol",
        lambda: invoice(seller__contact=None, seller__phone=None),
        "seller.contact.phone",
    ),
    (
        "DE-R-007",
        "peppol",
        lambda: invoice(seller__contact=None, seller__email=None),
        "seller.contact.email",
    ),
    (
        "DE-R-008",
        "peppol",
        lambda: invoice(buyer__address="Marktplatz 3, Germany"),
        "buyer.address",
    ),
    (
        "DE-R-009",
        "peppol",
        lambda: invoice(buyer__address="Marktplatz 3, München, Germany"),
        "buyer.address",
    ),
    (
        "DE-R-010",
        "peppol",
        lambda: invoice(
            {**INTRA_EU_GOODS, "seller": COMPLETE["seller"]},
            buyer__address="Marktplatz 3, München, Germany",
        ),
        "buyer.address",
    ),
    ("DE-R-015", "peppol", lambda: invoice(buyer_reference=None), "buyer_reference"),
    ("DE-R-018", "peppol", lambda: invoice(payment_terms="#SKONTO#14 Tage 2%#\n"), "payment_terms"),
    (
        "NL-R-001",
        "peppol",
        lambda: {**credit_note(DUTCH), "preceding_invoice": None},
        "preceding_invoice",
    ),
    (
        "NL-R-002",
        "peppol",
        lambda: dutch(seller__address="Amsterdam, Netherlands"),
        "seller.address",
    ),
    (
        "NL-R-003",
        "peppol",
        lambda: dutch(seller__electronic_address={"scheme": "0002", "value": "303265045"}),
        "seller.electronic_address",
    ),
    (
        "NL-R-004",
        "peppol",
        lambda: invoice(DUTCH_PAIR, buyer__address="Den Haag, NL"),
        "buyer.address",
    ),
    (
        "NL-R-005",
        "peppol",
        lambda: invoice(
            DUTCH_PAIR, buyer__electronic_address={"scheme": "0208", "value": "0403019261"}
        ),
        "buyer.electronic_address",
    ),
    ("NL-R-007", "peppol", lambda: dutch(payment=None), "payment"),
    (
        "NL-R-008",
        "peppol",
        lambda: invoice(DUTCH_PAIR, payment={"means_code": "10"}),
        "payment.means_code",
    ),
    (
        "DK-R-002",
        "peppol",
        lambda: pair(
            "DK",
            seller__tax_id="12-34",
            seller__electronic_address={"scheme": "0088", "value": "4000001123452"},
        ),
        "seller.tax_id",
    ),
    (
        "DK-R-005",
        "peppol",
        lambda: pair("DK", "DK", payment={**PAYMENTS["DE"], "means_code": "30"}),
        "payment.means_code",
    ),
    (
        "DK-R-006",
        "peppol",
        lambda: pair("DK", "DK", payment={"iban": PAYMENTS["DE"]["iban"], "means_code": "42"}),
        "payment.bic",
    ),
    ("NO-R-001", "peppol", lambda: pair("NO", seller__tax_id="NO974760673"), "seller.tax_id"),
    ("IT-R-001", "peppol", lambda: pair("IT", seller__tax_id="ABC-1"), "seller.tax_id"),
    ("IT-R-002", "peppol", lambda: pair("IT", seller__address="Roma, Italy"), "seller.address"),
    ("SE-R-001", "peppol", lambda: pair("SE", seller__tax_id="SE5560360793"), "seller.tax_id"),
    ("SE-R-005", "peppol", lambda: pair("SE", seller__tax_id="5560360793"), "seller.tax_id"),
    ("SE-R-006", "peppol", lambda: pair("SE"), "items"),  # the German 19 % and 7 %
    (
        "IS-R-002",
        "peppol",
        lambda: pair(
            "IS",
            seller__electronic_address={"scheme": "0088", "value": "4000001123452"},
            seller__tax_id="12-34",
        ),
        "seller.electronic_address",
    ),
    (
        "IS-R-003",
        "peppol",
        lambda: pair("IS", seller__address="Reykjavík, Iceland"),
        "seller.address",
    ),
    (
        "IS-R-004",
        "peppol",
        lambda: pair("IS", "IS", buyer__electronic_address=None),
        "buyer.electronic_address",
    ),
    (
        "IS-R-005",
        "peppol",
        lambda: pair("IS", "IS", buyer__address="Reykjavík, Iceland"),
        "buyer.address",
    ),
    ("GR-R-001", "peppol", lambda: pair("GR"), "number"),
]


@pytest.mark.parametrize(
    ("rule_id", "profile", "build", "field"),
    CASES,
    ids=[f"{profile}-{rule_id}-{field}" for rule_id, profile, _, field in CASES],
)
def test_each_rule_names_what_is_missing(rule_id, profile, build, field):
    found = {(m.rule, m.field): m for m in check(build(), profile, "ubl")}

    assert (rule_id, field) in found, found
    missing = found[(rule_id, field)]
    assert missing.message and missing.message[0].islower() and missing.term


def test_every_rule_has_a_test():
    tested = {(rule_id, field) for rule_id, _, _, field in CASES}
    assert {(r.id, r.field) for r in RULES} <= tested


@pytest.mark.parametrize("profile", ["en16931", "xrechnung", "peppol"])
def test_the_complete_invoice_breaks_no_rule(profile):
    assert check(invoice(), profile, "ubl") == []


def test_german_national_rules_only_apply_between_german_parties():
    belgian = invoice(BELGIAN, payment=None, buyer_reference=None)
    rule_ids = {m.rule for m in check(belgian, "peppol", "ubl")}
    assert not {r for r in rule_ids if r.startswith("DE-R")}


def test_an_invoice_without_an_electronic_address_uses_the_email_outside_peppol():
    data = invoice(seller__electronic_address=None, buyer__electronic_address=None)
    assert check(data, "xrechnung", "ubl") == []  # EM is an EAS scheme XRechnung accepts
    peppol = {m.rule: m for m in check(data, "peppol", "ubl")}
    assert "an e-mail address is not a Peppol address" in peppol["PEPPOL-EN16931-R020"].message


def test_skonto_lines_in_the_xrechnung_format_pass():
    data = invoice(payment_terms="Zahlbar in 30 Tagen\n#SKONTO#TAGE=14#PROZENT=2.00#\n")
    assert check(data, "xrechnung", "ubl") == []


# --- rules on the written document -------------------------------------------------------------


def test_the_written_documents_hold_the_profiles_document_rules():
    data = invoice()
    for syntax, profile in [("ubl", "xrechnung"), ("cii", "xrechnung"), ("ubl", "peppol")]:
        xml = (ubl_xml if syntax == "ubl" else cii_xml)(data, profile=profile)
        assert check_xml(xml, data, profile, syntax) == []


def mangle(xml: bytes, path: str, action) -> bytes:
    root = etree.fromstring(xml)
    for node in root.xpath(path, namespaces=NS):
        action(node)
    return etree.tostring(root)


@pytest.mark.parametrize(
    ("profile", "path", "action", "rule_id"),
    [
        (
            "peppol",
            "/*/cbc:CustomizationID",
            lambda n: setattr(n, "text", "urn:x"),
            "PEPPOL-EN16931-R004",
        ),
        ("xrechnung", "/*/cbc:CustomizationID", lambda n: setattr(n, "text", "urn:x"), "BR-DE-21"),
        (
            "peppol",
            "/*/cbc:ProfileID",
            lambda n: setattr(n, "text", "billing"),
            "PEPPOL-EN16931-R007",
        ),
        (
            "peppol",
            "/*/cac:OrderReference/cbc:ID",
            lambda n: setattr(n, "text", " "),
            "PEPPOL-EN16931-R008",
        ),
        (
            "xrechnung",
            "//cac:TaxSubtotal/cac:TaxCategory/cbc:Percent",
            lambda n: n.getparent().remove(n),
            "BR-DE-14",
        ),
        (
            "peppol",
            "/*/cac:TaxTotal",
            lambda n: n.getparent().append(copy.deepcopy(n)),
            "PEPPOL-EN16931-R053",
        ),
        (
            "peppol",
            "/*/cbc:DocumentCurrencyCode",
            lambda n: [
                n.addprevious(
                    etree.fromstring(f'<cbc:Note xmlns:cbc="{NS["cbc"]}">note {i}</cbc:Note>')
                )
                for i in (1, 2)
            ],
            "PEPPOL-EN16931-R002",
        ),
        (
            "peppol",
            "//cac:InvoiceLine/cac:Price/cbc:PriceAmount",
            lambda n: setattr(n, "text", "1.00"),
            "PEPPOL-EN16931-R120",
        ),
    ],
)
def test_a_broken_document_is_caught(profile, path, action, rule_id):
    data = invoice(BELGIAN) if profile == "peppol" else invoice()
    if rule_id == "PEPPOL-EN16931-R002":
        data = invoice(BELGIAN)  # a Belgian seller: not the German exception
    xml = mangle(ubl_xml(data, profile=profile), path, action)
    assert rule_id in {m.rule for m in check_xml(xml, data, profile, "ubl")}


def test_a_document_the_rules_refuse_is_not_served(monkeypatch):
    from core.exports import einvoice

    real = einvoice.with_specification
    monkeypatch.setattr(
        einvoice, "with_specification", lambda xml, syntax, _: real(xml, syntax, "urn:wrong")
    )
    with pytest.raises(EinvoiceIncomplete) as caught:
        ubl_xml(invoice(BELGIAN), profile="peppol")
    assert "PEPPOL-EN16931-R004" in {m["rule"] for m in caught.value.details["missing"]}


def test_rules_of_other_profiles_do_not_apply():
    data = invoice(buyer_reference=None, payment=None)
    assert {m.rule for m in rules.check(data, "en16931")} == set()
    assert date.fromisoformat(data["issue_date"])
