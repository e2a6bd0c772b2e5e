"""EN 16931 e-invoices: UBL 2.1 and UN/CEFACT CII (factur_x.py puts the CII into the PDF), in
the profiles EN 16931, XRechnung 3.0 (UBL, CII) and Peppol BIS Billing 3.0 (UBL; profiles.py).

This module is the one place where our invoice fields become EN 16931 business terms. The
`factur-x` library (pinned) writes both syntaxes, invoices and credit notes, from a dict keyed
by those terms; `en16931_terms` builds that dict and nothing else in the code base knows the
mapping. The library writes every term we have (checked term by term in
tests/core/test_einvoice_profiles.py); the one thing it will not write is a specification
identifier (BT-24) other than its own levels', so lxml sets the profile's afterwards.

    our field                        EN 16931 business term
    -------------------------------  ---------------------------------------------------------
    number                           BT-1   invoice number
    issue_date                       BT-2   issue date
    type                             BT-3   type code 380 (commercial invoice), 381 (credit note:
                                            a UBL CreditNote document)
    —                                BT-23  business process (XRechnung, Peppol: billing 01)
    —                                BT-24  specification identifier of the profile
    buyer_reference                  BT-10  buyer reference (a Leitweg-ID in Germany)
    purchase_order                   BT-13  purchase order reference
    preceding_invoice                BG-3   BT-25 number, BT-26 issue date
    currency                         BT-5   invoice currency (EN 16931 amounts have at most two
                                            decimals, so BHD, KWD, CLF … cannot be sent)
    due_date                         BT-9   payment due date
    payment_terms                    BT-20  payment terms
    notes                            BT-22  invoice note
    seller.company, else seller.name BT-27  seller name
    seller.contact.name, else        BT-41  seller contact point
      seller.name (with a company)
    seller.contact.phone/.email,     BT-42, BT-43 seller contact telephone, e-mail
      else seller.phone/.email
    seller.electronic_address        BT-34  seller electronic address with its EAS scheme; else
                                            seller.email with scheme EM (not for Peppol)
    seller.electronic_address in a   BT-30  seller legal registration identifier, with scheme
      company register (0106 KvK,           (rules/facts.py); else read from a DK, BE or FR VAT
      0190 OIN, 0208, 0002, 0184 …)         number (CVR, enterprise number, SIREN)
    seller.tax_id "FR…" (country     BT-31  seller VAT identifier
      prefix)
    seller.tax_id (no prefix)        BT-32  seller tax registration identifier, and BT-29
                                            seller identifier (BR-CO-26 wants one of 29/30/31)
                                            On an invoice outside the scope of VAT (O) no VAT
                                            identifier is written (BR-O-02): the seller's
                                            tax_id becomes BT-29.
    seller.address (free text,       BG-5   BT-35/36/162 lines, BT-37 city, BT-38 post code,
      see address.py)                       BT-39 subdivision, BT-40 country
    buyer.company, else buyer.name   BT-44  buyer name
    buyer.contact / buyer.name       BT-56..58 buyer contact, as for the seller
    buyer.electronic_address         BT-49  buyer electronic address (else e-mail, scheme EM)
    buyer.electronic_address in a    BT-47  buyer legal registration identifier
      company register
    buyer.tax_id "DE…" (prefix)      BT-48  buyer VAT identifier (without a prefix it is not a
                                            VAT id, and EN 16931 has no other buyer tax term)
    buyer.address                    BG-8   BT-50/51/163, BT-52, BT-53, BT-54, BT-55 country
    items[i]                         BG-25  one invoice line:
      i + 1                            BT-126 line id
      description                      BT-153 item name
      quantity                         BT-129 invoiced quantity
      unit                             BT-130 unit code, UN/ECE Rec. 20 (UNIT_CODES; C62 "one"
                                              when the unit is unknown or absent)
      net_amount                       BT-131 line net amount
      unit_price                       BT-146 item net price, or with a line discount:
      unit_price, discount_percent     BT-148 gross price = unit_price, BT-147 price discount =
                                              unit_price × discount_percent / 100 and BT-146 =
                                              BT-148 − BT-147 (exact decimals: prices are not
                                              amounts and are never rounded)
      tax_category                     BT-151 VAT category (S, Z, E, AE, K, G, O; invoices
                                              stored before categories: S above 0 %, Z at 0)
      tax_rate                         BT-152 VAT rate (not written for O: BR-O-05)
    discount + tax_breakdown         BG-20  one document-level allowance per VAT category and
                                            rate: BT-92 = that row's share of discount_total,
                                            which is its lines' summed net amounts less its
                                            base; BT-95/BT-96 category and rate (no rate for
                                            O); BT-98 reason code 95 (discount); BT-97 reason
    tax_breakdown[]                  BG-23  BT-116 base, BT-117 tax, BT-118 category, BT-119
                                            rate, BT-120/BT-121 exemption reason text, code
    delivery_date                    BT-72  actual delivery date
    buyer's address (category K)     BG-15  deliver-to address (BR-IC-12: goods supplied within
                                            the EU name the country they went to)
    payment                          BG-16  BT-81 means code, BT-83 reference, BT-84 IBAN,
                                            BT-85 account name, BT-86 BIC
    subtotal                         BT-106 sum of line net amounts
    discount_total (when not zero)   BT-107 sum of document-level allowances
    subtotal − discount_total        BT-109 total without VAT (= the sum of the bases)
    tax_total                        BT-110 total VAT
    total                            BT-112 total with VAT
    prepaid_amount                   BT-113 paid amount
    amount_due                       BT-115 amount due for payment (total − prepaid)

Every amount is copied from the invoice JSON as the core wrote it; BT-92 and BT-109 are exact
differences of those amounts (no rounding can occur). `required_terms` lists what the profile
needs and the invoice lacks (the rules of rules/), in words the chat can act on; the export
refuses such an invoice with `EinvoiceIncomplete` (422 einvoice_incomplete) before writing any
XML. Once written, the document is checked by the XSD and the CEN Schematron (validation.py)
and by the profile's rules on the document itself (rules/xml.py), and refused the same way if
anything is broken.
"""

from __future__ import annotations

import copy
import logging
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from lxml import etree

from core.errors import EinvoiceIncomplete
from core.exports import rules
from core.exports.address import PostalAddress
from core.exports.document import InvoiceInput, as_json, xml_text
from core.exports.profiles import EN16931, EN16931_ID, PROFILES, Profile, profile_for
from core.exports.rules import MissingTerm
from core.exports.rules.facts import InvoiceFacts, PartyFacts, category_of
from core.exports.validation import Syntax, ValidationReport, validate
from core.money import plain

log = logging.getLogger(__name__)

SPECIFICATION_ID = EN16931_ID  # BT-24 of the EN 16931 profile (UBL, CII and Factur-X)
INVOICE_TYPE_CODE = "380"  # BT-3: commercial invoice
CREDIT_NOTE_TYPE_CODE = "381"  # BT-3: credit note
DISCOUNT_REASON_CODE = "95"  # UNTDID 5189: discount
NOT_SUBJECT = "O"

# UN/ECE Recommendation 20 unit codes for the units people write.
UNIT_CODES = {
    **dict.fromkeys(["h", "hr", "hrs", "hour", "hours", "heure", "heures", "stunde"], "HUR"),
    **dict.fromkeys(["min", "mins", "minute", "minutes"], "MIN"),
    **dict.fromkeys(["d", "day", "days", "jour", "jours", "tag", "tage"], "DAY"),
    **dict.fromkeys(["wk", "week", "weeks"], "WEE"),
    **dict.fromkeys(["mo", "month", "months", "mois", "monat"], "MON"),
    **dict.fromkeys(["yr", "year", "years", "an", "jahr"], "ANN"),
    **dict.fromkeys(
        ["pc", "pcs", "piece", "pieces", "item", "items", "ea", "each", "unit", "units"], "H87"
    ),
    **dict.fromkeys(["kg", "kgs", "kilogram", "kilograms"], "KGM"),
    **dict.fromkeys(["g", "gram", "grams"], "GRM"),
    **dict.fromkeys(["t", "tonne", "tonnes"], "TNE"),
    **dict.fromkeys(["l", "litre", "litres", "liter", "liters"], "LTR"),
    **dict.fromkeys(["ml", "millilitre", "milliliter"], "MLT"),
    **dict.fromkeys(["m", "metre", "metres", "meter", "meters"], "MTR"),
    **dict.fromkeys(["km", "kilometre", "kilometres", "kilometer", "kilometers"], "KMT"),
    **dict.fromkeys(["cm"], "CMT"),
    **dict.fromkeys(["mm"], "MMT"),
    **dict.fromkeys(["m2", "m²", "sqm", "square metre", "square meter"], "MTK"),
    **dict.fromkeys(["m3", "m³", "cubic metre", "cubic meter"], "MTQ"),
    **dict.fromkeys(["kwh"], "KWH"),
    **dict.fromkeys(["set", "sets"], "SET"),
    **dict.fromkeys(["pair", "pairs"], "PR"),
    **dict.fromkeys(["lump sum", "flat fee", "flat rate", "ls"], "LS"),
}
DEFAULT_UNIT_CODE = "C62"  # "one"


# When the validator finds a broken rule that the rules did not foresee, these say what to
# add; any other broken rule is reported with the standard's own text.
_RULE_HINTS = {
    "BR-06": MissingTerm("seller.name", "BT-27", "the seller's name"),
    "BR-07": MissingTerm("buyer.name", "BT-44", "the buyer's name"),
    "BR-08": MissingTerm("seller.address", "BG-5", "the seller's postal address"),
    "BR-09": MissingTerm("seller.address", "BT-40", "the seller's country"),
    "BR-10": MissingTerm("buyer.address", "BG-8", "the buyer's postal address"),
    "BR-11": MissingTerm("buyer.address", "BT-55", "the buyer's country"),
    "BR-16": MissingTerm("items", "BG-25", "at least one invoice line"),
    "BR-CO-09": MissingTerm(
        "seller.tax_id", "BT-31", "a VAT number that starts with its country code"
    ),
    "BR-CO-25": MissingTerm("due_date", "BT-9", "a payment due date or payment terms"),
    "BR-CO-26": MissingTerm(
        "seller.tax_id", "BT-31", "the seller's VAT number or company registration number"
    ),
    "BR-S-02": MissingTerm("seller.tax_id", "BT-31", "the seller's VAT number"),
    "BR-Z-02": MissingTerm("seller.tax_id", "BT-31", "the seller's VAT number"),
}


def required_terms(
    invoice: InvoiceInput, profile: str = EN16931, syntax: Syntax = "ubl"
) -> list[MissingTerm]:
    """What `profile` requires and this invoice lacks; empty when it can be sent."""
    return rules.check(as_json(invoice), profile, syntax)


def en16931_terms(invoice: InvoiceInput, profile: str = EN16931) -> dict[str, Any]:
    """The invoice as a dict of EN 16931 business terms, as the factur-x library takes it.

    Raises EinvoiceIncomplete when the profile requires something the invoice lacks.
    """
    data = as_json(invoice)
    missing = rules.check(data, profile)
    if missing:
        raise incomplete(missing, PROFILES[profile])
    return _terms(InvoiceFacts(data, profile))


def _terms(facts: InvoiceFacts) -> dict[str, Any]:
    data = facts.data
    not_subject = facts.not_subject_to_vat
    terms: dict[str, Any] = {
        "BT-1": xml_text(data["number"]).strip(),
        "BT-2": date.fromisoformat(data["issue_date"]),
        "BT-3": CREDIT_NOTE_TYPE_CODE if facts.is_credit_note else INVOICE_TYPE_CODE,
        "BT-5": data["currency"],
        "BT-24": SPECIFICATION_ID,
        "BG-4": _party(facts.seller, facts.profile, not_subject),
        "BG-7": _party(facts.buyer, facts.profile, not_subject),
        "BG-23": [_breakdown_row(row) for row in data["tax_breakdown"]],
        "BG-25": [_line_terms(i, item) for i, item in enumerate(data["items"], start=1)],
        "BT-106": data["subtotal"],
        "BT-109": _difference(data["subtotal"], data["discount_total"]),
        "BT-110": data["tax_total"],
        "BT-112": data["total"],
        "BT-115": format(facts.amount_due, "f"),
    }
    if process := PROFILES[facts.profile].process_id:
        terms["BT-23"] = process
    for term, key in (("BT-10", "buyer_reference"), ("BT-13", "purchase_order")):
        if value := _one_line(data.get(key)):
            terms[term] = value
    for term, key in (("BT-9", "due_date"), ("BT-72", "delivery_date")):
        if data.get(key):
            terms[term] = date.fromisoformat(data[key])
    if data.get("prepaid_amount") is not None and Decimal(data["prepaid_amount"]):
        terms["BT-113"] = data["prepaid_amount"]
    if payment_terms := facts.payment_terms:
        terms["BT-20"] = payment_terms
    if notes := xml_text(data.get("notes") or "").strip():
        terms["BG-1"] = [{"BT-22": notes}]
    if allowances := _discount_allowances(data):
        terms["BG-20"] = allowances
        terms["BT-107"] = data["discount_total"]
    terms.update(_payment_terms(facts.payment))
    preceding = data.get("preceding_invoice") or {}
    if number := _one_line(preceding.get("number")):
        reference: dict[str, Any] = {"BT-25": number}
        if preceding.get("issue_date"):
            reference["BT-26"] = date.fromisoformat(preceding["issue_date"])
        terms["BG-3"] = [reference]
    if facts.writes_delivery_address and facts.buyer.address:
        terms["BG-13"] = {"name": facts.buyer.name, **_address_terms(facts.buyer.address)}
    return terms


def _payment_terms(payment: dict[str, Any]) -> dict[str, str]:
    """BG-16 payment instructions: means code, reference, account, holder, bank."""
    if not payment.get("means_code"):
        return {}
    terms = {"BT-81": payment["means_code"]}
    for term, key in (("BT-83", "reference"), ("BT-84", "iban"), ("BT-85", "account_name")):
        if value := _one_line(payment.get(key)):
            terms[term] = value
    if (bic := _one_line(payment.get("bic"))) and "BT-84" in terms:
        terms["BT-86"] = bic
    return terms


def _breakdown_row(row: dict[str, Any]) -> dict[str, Any]:
    category = category_of(row)
    terms = {
        "BT-116": row["base"],
        "BT-117": row["tax"],
        "BT-118": category,
        "BT-119": plain(Decimal(row["rate"])),
    }
    reason = row.get("exemption_reason") or {}
    if category != "S" and category != "Z":
        if text := _one_line(reason.get("text")):
            terms["BT-120"] = text
        if code := _one_line(reason.get("code")):
            terms["BT-121"] = code
    return terms


def _line_terms(line_id: int, item: dict[str, Any]) -> dict[str, Any]:
    rate = Decimal(item["tax_rate"])
    category = category_of(item)
    unit_price = Decimal(item["unit_price"])
    discount = Decimal(item.get("discount_percent") or 0)
    line: dict[str, Any] = {
        "BT-126": str(line_id),
        "BT-129": plain(Decimal(item["quantity"])),
        "BT-130": unit_code(item.get("unit")),
        "BT-131": item["net_amount"],
        "BT-146": item["unit_price"],
        "BT-151": category,
        "BT-153": xml_text(item["description"]).strip() or "-",  # BR-25: never empty
    }
    if category != NOT_SUBJECT:  # BR-O-05: no rate outside the scope of VAT
        line["BT-152"] = plain(rate)
    if discount:
        with localcontext(prec=60):  # exact: a price is not rounded
            price_discount = unit_price * discount / 100
            net_price = unit_price - price_discount
        line["BT-148"] = item["unit_price"]
        line["BT-147-00"] = [{"BT-147": plain(price_discount)}]
        line["BT-146"] = plain(net_price)
    return line


def _discount_allowances(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One BG-20 allowance per VAT category and rate: the share of discount_total the core
    gave that row."""
    if Decimal(data["discount_total"]) == 0:
        return []
    net_by_group: dict[tuple[str, Decimal], Decimal] = {}
    for item in data["items"]:
        group = (category_of(item), Decimal(plain(Decimal(item["tax_rate"]))))
        net_by_group[group] = net_by_group.get(group, Decimal(0)) + Decimal(item["net_amount"])
    discount = data.get("discount") or {}
    reason = "Discount"
    if discount.get("kind") == "percent":
        reason = f"Discount {plain(Decimal(discount['value']))}%"
    allowances = []
    for row in data["tax_breakdown"]:
        group = (category_of(row), Decimal(plain(Decimal(row["rate"]))))
        share = net_by_group.get(group, Decimal(0)) - Decimal(row["base"])
        if share:
            allowance = {
                "amount": format(share, "f"),
                "reason": reason,
                "reason_code": DISCOUNT_REASON_CODE,
                "vat_category_code": group[0],
            }
            if group[0] != NOT_SUBJECT:  # BR-O-06
                allowance["vat_rate"] = plain(group[1])
            allowances.append(allowance)
    shares = sum((Decimal(a["amount"]) for a in allowances), Decimal(0))
    if shares != Decimal(data["discount_total"]):  # the core's allocation adds up by construction
        raise ValueError(f"discount shares {shares} != discount_total {data['discount_total']}")
    return allowances


def _party(party: PartyFacts, profile: str, not_subject: bool) -> dict[str, Any]:
    address = party.address
    assert address is not None  # the rules checked it
    terms: dict[str, Any] = {"name": party.name, **_address_terms(address)}
    if party.contact:
        terms["contacts"] = [party.contact]
    if electronic := party.electronic_address(profile):
        terms["einvoicing_addr"], terms["einvoicing_addr_schemeid"] = electronic[1], electronic[0]
    if registration := party.registration:
        terms["legal_identifier_schemeid"], terms["legal_identifier"] = registration
    tax_id = party.tax_id
    if not tax_id:
        return terms
    if not_subject:  # BR-O-02: no VAT identifier; BR-CO-26 is met by the seller identifier
        if party.role == "seller" and not registration:
            terms["identifiers"] = {None: tax_id}
    elif party.vat_id:
        terms["vat_identifier"] = party.vat_id
    elif party.role == "seller":
        terms["tax_identifier"] = tax_id
        if not registration:
            terms["identifiers"] = {None: tax_id}
    return terms


def _address_terms(address: PostalAddress) -> dict[str, str]:
    keys = ("addr_l1", "addr_l2", "addr_l3")
    terms = {key: xml_text(line) for key, line in zip(keys, address.lines, strict=False)}
    for key, value in (
        ("city", address.city),
        ("postcode", address.postcode),
        ("country_subdivision", address.subdivision),
        ("country_code", address.country_code),
    ):
        if value:
            terms[key] = xml_text(value)
    return terms


def unit_code(unit: str | None) -> str:
    """The UN/ECE Rec. 20 code for a unit as people write it: 'hours' -> 'HUR'."""
    if not unit:
        return DEFAULT_UNIT_CODE
    key = " ".join(unit.casefold().strip().rstrip(".").split())
    return UNIT_CODES.get(key, DEFAULT_UNIT_CODE)


def _one_line(value: Any) -> str:
    return " ".join(xml_text(value or "").split())


def _difference(minuend: str, subtrahend: str) -> str:
    return format(Decimal(minuend) - Decimal(subtrahend), "f")


def incomplete(missing: list[MissingTerm], profile: Profile | None = None) -> EinvoiceIncomplete:
    """The 422 einvoice_incomplete error listing what to add, in words."""
    profile = profile or PROFILES[EN16931]
    unique = list(dict.fromkeys(missing))
    wanted = "; ".join(dict.fromkeys(m.message for m in unique))
    article = "An" if profile.title[0] in "AEIOUX" else "A"
    return EinvoiceIncomplete(
        f"{article} {profile.title} e-invoice needs more information: {wanted}.",
        details={"profile": profile.name, "missing": [m.to_dict() for m in unique]},
    )


def _rejected(report: ValidationReport, profile: Profile) -> EinvoiceIncomplete:
    missing = []
    for violation in report.errors:
        hint = _RULE_HINTS.get(violation.rule)
        if hint:
            missing.append(MissingTerm(hint.field, hint.term, hint.message, violation.rule))
        else:
            rule_id = violation.rule
            missing.append(MissingTerm("invoice", rule_id, violation.message, rule_id))
    log.warning("e-invoice failed validation: %s", [(v.rule, v.message) for v in report.errors])
    return incomplete(missing, profile)


def _generate(terms: dict[str, Any], flavor: str) -> bytes:
    from facturx.generate_xml import generate_xml

    xml = generate_xml(
        copy.deepcopy(terms),  # the library edits the dict it is given
        flavor=flavor,
        level="en16931",
        check_xsd=False,  # validate() below checks the XSD and the Schematron
        check_schematron=False,  # the library's check would POST to an HTTP Saxon server
    )
    # lxml.objectify marks the empty ApplicableHeaderTradeDelivery (no delivery data: it is
    # mandatory yet may be empty) as xsi:nil, which the CII schema refuses.
    return xml.replace(b' xsi:nil="true"/>', b"/>")


_NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
_SPECIFICATION_PATHS = {
    "ubl": "/*/cbc:CustomizationID",
    "cii": "/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext"
    "/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
}


def with_specification(xml: bytes, syntax: Syntax, identifier: str) -> bytes:
    """`xml` with BT-24 set to `identifier` (the library always writes its own level's)."""
    root = etree.fromstring(xml, etree.XMLParser(no_network=True, resolve_entities=False))
    (node,) = root.xpath(_SPECIFICATION_PATHS[syntax], namespaces=_NS)
    node.text = identifier
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def ubl_xml(invoice: InvoiceInput, *, profile: str = EN16931, check: bool = True) -> bytes:
    """The invoice as a UBL 2.1 Invoice (or CreditNote) under `profile`, validated.

    Raises EinvoiceIncomplete when something the profile requires is missing, ValueError for a
    profile UBL is not offered in.
    """
    return _export(invoice, "ubl", profile, check)


def cii_xml(invoice: InvoiceInput, *, profile: str = EN16931, check: bool = True) -> bytes:
    """The invoice as a UN/CEFACT CII under `profile` (en16931: the Factur-X EN 16931
    profile; xrechnung), validated.

    Raises EinvoiceIncomplete when something the profile requires is missing, ValueError for a
    profile CII is not offered in (Peppol BIS is UBL only).
    """
    return _export(invoice, "cii", profile, check)


def _export(invoice: InvoiceInput, syntax: Syntax, profile_name: str, check: bool) -> bytes:
    profile = profile_for(profile_name, syntax)
    data = as_json(invoice)
    missing = rules.check(data, profile.name, syntax)
    if missing:
        raise incomplete(missing, profile)
    terms = _terms(InvoiceFacts(data, profile.name, syntax))
    written = _generate(terms, "ubl-2.1" if syntax == "ubl" else "factur-x")
    xml = written
    if profile.customization_id != SPECIFICATION_ID:
        xml = with_specification(written, syntax, profile.customization_id)
    if check:
        # Factur-X's CII Schematron knows only its own profiles' identifiers (code list 1):
        # the CEN rules are checked on the document as written, whose BT-24 is EN 16931's.
        report = validate(written if syntax == "cii" else xml, syntax)
        if not report.valid:
            raise _rejected(report, profile)
        if broken := rules.check_xml(xml, data, profile.name, syntax):
            log.error("e-invoice breaks %s rules: %s", profile.name, broken)
            raise incomplete(broken, profile)
    return xml
