"""EN 16931 e-invoices: UBL 2.1 and UN/CEFACT CII (factur_x.py puts the CII into the PDF).

This module is the one place where our invoice fields become EN 16931 business terms. The
`factur-x` library (pinned) writes both syntaxes from a dict keyed by those terms;
`en16931_terms` builds that dict and nothing else in the code base knows the mapping.

    our field                        EN 16931 business term
    -------------------------------  ---------------------------------------------------------
    number                           BT-1   invoice number
    issue_date                       BT-2   issue date
    —                                BT-3   type code 380 (commercial invoice)
    currency                         BT-5   invoice currency (EN 16931 amounts have at most two
                                            decimals, so BHD, KWD, CLF … cannot be sent)
    due_date                         BT-9   payment due date
    payment_terms                    BT-20  payment terms
    notes                            BT-22  invoice note
    seller.company, else seller.name BT-27  seller name
    seller.name (with a company)     BT-41  seller contact point
    seller.phone, seller.email       BT-42, BT-43 seller contact telephone, e-mail
    seller.email                     BT-34  seller electronic address (scheme EM)
    seller.tax_id "FR…" (country     BT-31  seller VAT identifier
      prefix)
    seller.tax_id (no prefix)        BT-32  seller tax registration identifier, and BT-29
                                            seller identifier (BR-CO-26 wants one of 29/30/31)
    seller.address (free text,       BG-5   BT-35/36/162 lines, BT-37 city, BT-38 post code,
      see address.py)                       BT-39 subdivision, BT-40 country
    buyer.company, else buyer.name   BT-44  buyer name
    buyer.name (with a company)      BT-56  buyer contact point
    buyer.phone, buyer.email         BT-57, BT-58 buyer contact telephone, e-mail
    buyer.email                      BT-49  buyer electronic address (scheme EM)
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
      tax_rate                         BT-151 VAT category S (rate > 0) or Z (zero rated),
                                       BT-152 VAT rate
    discount + tax_breakdown         BG-20  one document-level allowance per tax rate: BT-92 =
                                            that rate's share of discount_total, which is the
                                            rate's summed line net amounts less its base;
                                            BT-95/BT-96 category and rate; BT-98 reason code 95
                                            (discount); BT-97 reason
    tax_breakdown[]                  BG-23  BT-116 base, BT-117 tax, BT-118 category, BT-119
                                            rate
    subtotal                         BT-106 sum of line net amounts
    discount_total (when not zero)   BT-107 sum of document-level allowances
    subtotal − discount_total        BT-109 total without VAT (= the sum of the bases)
    tax_total                        BT-110 total VAT
    total                            BT-112 total with VAT, BT-115 amount due

Every amount is copied from the invoice JSON as the core wrote it; BT-92 and BT-109 are exact
differences of those amounts (no rounding can occur). `required_terms` lists what the standard
needs and the invoice lacks, in words the chat can act on; the export refuses such an invoice
with `EinvoiceIncomplete` (422 einvoice_incomplete) before writing any XML, and refuses the
same way if the validator still finds a broken rule afterwards.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from core.errors import EinvoiceIncomplete
from core.exports.address import PostalAddress, parse_address
from core.exports.document import InvoiceInput, as_json, xml_text
from core.exports.parties import party_name, vat_identifier
from core.exports.validation import Syntax, ValidationReport, validate
from core.money import minor_digits, plain

log = logging.getLogger(__name__)

SPECIFICATION_ID = "urn:cen.eu:en16931:2017"  # BT-24, for UBL, CII and Factur-X EN 16931
INVOICE_TYPE_CODE = "380"  # BT-3: commercial invoice
DISCOUNT_REASON_CODE = "95"  # UNTDID 5189: discount
ELECTRONIC_ADDRESS_EMAIL = "EM"  # EAS scheme for an e-mail address
MAX_AMOUNT_DIGITS = 2  # BR-DEC-*: EN 16931 amounts have at most two decimals

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


@dataclass(frozen=True)
class MissingTerm:
    """Something EN 16931 needs and the invoice lacks: our field, the term, and in words."""

    field: str
    term: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


# When the validator finds a broken rule that `required_terms` did not foresee, these say
# what to add; any other broken rule is reported with the standard's own text.
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


def required_terms(invoice: InvoiceInput) -> list[MissingTerm]:
    """What EN 16931 requires and this invoice lacks; empty when it can be sent."""
    data = as_json(invoice)
    missing: list[MissingTerm] = []
    currency = data["currency"]
    if minor_digits(currency) > MAX_AMOUNT_DIGITS:
        missing.append(
            MissingTerm(
                "currency",
                "BT-5",
                f"a currency with at most two decimals: EN 16931 amounts cannot carry the "
                f"{minor_digits(currency)} decimals of {currency}",
            )
        )
    missing += _party_terms(data.get("seller"), "seller")
    missing += _party_terms(data.get("buyer"), "buyer")
    if not data.get("items"):
        missing.append(MissingTerm("items", "BG-25", "at least one invoice line"))
    terms = xml_text(data.get("payment_terms") or "").strip()
    if Decimal(data["total"]) > 0 and not data.get("due_date") and not terms:
        missing.append(
            MissingTerm(
                "due_date",
                "BT-9",
                "a payment due date or payment terms (for example 'due in 30 days')",
            )
        )
    return missing


def _party_terms(party: dict[str, Any] | None, role: str) -> list[MissingTerm]:
    name_term, country_term = ("BT-27", "BT-40") if role == "seller" else ("BT-44", "BT-55")
    whose = f"the {role}'s"
    party = party or {}
    missing = []
    if not party_name(party):
        missing.append(MissingTerm(f"{role}.name", name_term, f"{whose} name"))
    address = parse_address(party.get("address"))
    if address is None:
        missing.append(
            MissingTerm(
                f"{role}.address",
                country_term,
                f"{whose} postal address, ending with the country (for example "
                f"'12 Rue de la Paix, 75002 Paris, France')",
            )
        )
    elif address.country_code is None:
        missing.append(
            MissingTerm(
                f"{role}.address",
                country_term,
                f"{whose} country: add it at the end of the address (for example '…, Germany')",
            )
        )
    if role == "seller" and not (party.get("tax_id") or "").strip():
        missing.append(
            MissingTerm(
                "seller.tax_id",
                "BT-31",
                "the seller's VAT number (for example 'FR12345678901') or tax registration number",
            )
        )
    return missing


def en16931_terms(invoice: InvoiceInput) -> dict[str, Any]:
    """The invoice as a dict of EN 16931 business terms, as the factur-x library takes it.

    Raises EinvoiceIncomplete when the standard requires something the invoice lacks.
    """
    data = as_json(invoice)
    missing = required_terms(data)
    if missing:
        raise incomplete(missing)
    currency = data["currency"]
    lines = [_line_terms(i, item) for i, item in enumerate(data["items"], start=1)]
    allowances = _discount_allowances(data)
    terms: dict[str, Any] = {
        "BT-1": xml_text(data["number"]),
        "BT-2": date.fromisoformat(data["issue_date"]),
        "BT-3": INVOICE_TYPE_CODE,
        "BT-5": currency,
        "BT-24": SPECIFICATION_ID,
        "BG-4": _party(data["seller"], "seller"),
        "BG-7": _party(data["buyer"], "buyer"),
        "BG-23": [
            {
                "BT-116": row["base"],
                "BT-117": row["tax"],
                "BT-118": _category(row["rate"]),
                "BT-119": plain(Decimal(row["rate"])),
            }
            for row in data["tax_breakdown"]
        ],
        "BG-25": lines,
        "BT-106": data["subtotal"],
        "BT-109": _difference(data["subtotal"], data["discount_total"]),
        "BT-110": data["tax_total"],
        "BT-112": data["total"],
        "BT-115": data["total"],
    }
    if data.get("due_date"):
        terms["BT-9"] = date.fromisoformat(data["due_date"])
    if payment_terms := xml_text(data.get("payment_terms") or "").strip():
        terms["BT-20"] = payment_terms
    if notes := xml_text(data.get("notes") or "").strip():
        terms["BG-1"] = [{"BT-22": notes}]
    if allowances:
        terms["BG-20"] = allowances
        terms["BT-107"] = data["discount_total"]
    return terms


def _line_terms(line_id: int, item: dict[str, Any]) -> dict[str, Any]:
    rate = Decimal(item["tax_rate"])
    unit_price = Decimal(item["unit_price"])
    discount = Decimal(item.get("discount_percent") or 0)
    line: dict[str, Any] = {
        "BT-126": str(line_id),
        "BT-129": plain(Decimal(item["quantity"])),
        "BT-130": unit_code(item.get("unit")),
        "BT-131": item["net_amount"],
        "BT-146": item["unit_price"],
        "BT-151": _category(rate),
        "BT-152": plain(rate),
        "BT-153": xml_text(item["description"]).strip() or "-",  # BR-25: never empty
    }
    if discount:
        with localcontext(prec=60):  # exact: a price is not rounded
            price_discount = unit_price * discount / 100
            net_price = unit_price - price_discount
        line["BT-148"] = item["unit_price"]
        line["BT-147-00"] = [{"BT-147": plain(price_discount)}]
        line["BT-146"] = plain(net_price)
    return line


def _discount_allowances(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One BG-20 allowance per tax rate: the share of discount_total the core gave that rate."""
    if Decimal(data["discount_total"]) == 0:
        return []
    net_by_rate: dict[Decimal, Decimal] = {}
    for item in data["items"]:
        rate = Decimal(item["tax_rate"])
        net_by_rate[rate] = net_by_rate.get(rate, Decimal(0)) + Decimal(item["net_amount"])
    discount = data.get("discount") or {}
    reason = "Discount"
    if discount.get("kind") == "percent":
        reason = f"Discount {plain(Decimal(discount['value']))}%"
    allowances = []
    for row in data["tax_breakdown"]:
        rate = Decimal(row["rate"])
        share = net_by_rate.get(rate, Decimal(0)) - Decimal(row["base"])
        if share:
            allowances.append(
                {
                    "amount": format(share, "f"),
                    "reason": reason,
                    "reason_code": DISCOUNT_REASON_CODE,
                    "vat_category_code": _category(rate),
                    "vat_rate": plain(rate),
                }
            )
    shares = sum((Decimal(a["amount"]) for a in allowances), Decimal(0))
    if shares != Decimal(data["discount_total"]):  # the core's allocation adds up by construction
        raise ValueError(f"discount shares {shares} != discount_total {data['discount_total']}")
    return allowances


def _party(party: dict[str, Any], role: str) -> dict[str, Any]:
    address = parse_address(party.get("address"))
    assert address is not None  # required_terms checked it
    name = party_name(party)
    person = xml_text(party.get("name") or "").strip()
    terms: dict[str, Any] = {"name": name, **_address_terms(address)}
    contact = {
        key: xml_text(value)
        for key, value in (
            ("name", person if person and person != name else None),
            ("phone", party.get("phone")),
            ("email", party.get("email")),
        )
        if value
    }
    if contact:
        terms["contacts"] = [contact]
    if party.get("email"):
        terms["einvoicing_addr"] = xml_text(party["email"])
        terms["einvoicing_addr_schemeid"] = ELECTRONIC_ADDRESS_EMAIL
    tax_id = xml_text(party.get("tax_id") or "").strip()
    if tax_id:
        vat_id = vat_identifier(tax_id)
        if vat_id:
            terms["vat_identifier"] = vat_id
        elif role == "seller":
            terms["tax_identifier"] = tax_id
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


def _category(rate: Decimal | str) -> str:
    return "S" if Decimal(rate) > 0 else "Z"


def _difference(minuend: str, subtrahend: str) -> str:
    return format(Decimal(minuend) - Decimal(subtrahend), "f")


def incomplete(missing: list[MissingTerm]) -> EinvoiceIncomplete:
    """The 422 einvoice_incomplete error listing what to add, in words."""
    unique = list(dict.fromkeys(missing))
    wanted = "; ".join(m.message for m in unique)
    return EinvoiceIncomplete(
        f"An EN 16931 e-invoice needs more information: {wanted}.",
        details={"missing": [m.to_dict() for m in unique]},
    )


def _rejected(report: ValidationReport) -> EinvoiceIncomplete:
    missing = []
    for violation in report.errors:
        hint = _RULE_HINTS.get(violation.rule)
        missing.append(hint or MissingTerm("invoice", violation.rule, violation.message))
    log.warning("e-invoice failed validation: %s", [(v.rule, v.message) for v in report.errors])
    return incomplete(missing)


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


def ubl_xml(invoice: InvoiceInput, *, check: bool = True) -> bytes:
    """The invoice as a UBL 2.1 Invoice under EN 16931, validated.

    Raises EinvoiceIncomplete when something the standard requires is missing.
    """
    return _export(invoice, "ubl", check)


def cii_xml(invoice: InvoiceInput, *, check: bool = True) -> bytes:
    """The invoice as a UN/CEFACT CII (Factur-X EN 16931 profile), validated.

    Raises EinvoiceIncomplete when something the standard requires is missing.
    """
    return _export(invoice, "cii", check)


def _export(invoice: InvoiceInput, syntax: Syntax, check: bool) -> bytes:
    xml = _generate(en16931_terms(invoice), "ubl-2.1" if syntax == "ubl" else "factur-x")
    if check:
        report = validate(xml, syntax)
        if not report.valid:
            raise _rejected(report)
    return xml
