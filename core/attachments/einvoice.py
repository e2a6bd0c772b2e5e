"""E-invoices in: a UBL or CII file (or the CII inside a Factur-X PDF) read exactly into a draft.

No model is involved. The steps:

1. parse with the hardened parser (xmlsafe.py: no DTD, no entities, nothing fetched);
2. validate with our export's validator (`core.exports.validation.validate`: the XML Schema of
   the Invoice or CreditNote, then the EN 16931 Schematron). A file that breaks the schema is
   refused with EinvoiceInvalid (422 einvoice_invalid), its errors in words in
   `details.errors`; one that only breaks business rules is still read, with `valid` False and
   the broken rules in `problems`;
3. read the business terms with the factur-x library's parser (`parse_ubl_cii_xml`, the
   reverse of the `generate_xml` our export writes with);
4. map them onto our draft, the reverse of `core.exports.einvoice.en16931_terms`:

       EN 16931 term                          our draft
       BT-5 currency; BT-2, BT-9, BT-72       currency; issue_date, due_date, delivery_date
       BT-20 payment terms, BT-22 notes       payment_terms, notes (several joined by a blank line)
       BT-10 buyer ref., BT-13 order ref.     buyer_reference, purchase_order
       BT-113 paid amount                     prepaid_amount
       BG-16: BT-81, BT-83, BT-84, BT-85,     payment: means_code, reference, iban, account_name,
         BT-86                                  bic
       BG-3: BT-25, BT-26                     preceding_invoice: number, issue_date
       BT-27 name + BT-41 contact person      seller.company + seller.name (no other contact
                                              person: seller.name only); the same for the buyer
       BT-42/43 contact phone, e-mail         seller.phone, seller.email
       BT-34 electronic address + scheme      seller.electronic_address (scheme EM: the e-mail)
       BG-5 address lines, post code, city,   seller.address as text: lines, "post code city"
         subdivision, country                 (US/GB/CA…: "city, state post code"), country name
       BT-31 VAT id, else BT-32, else BT-29   seller.tax_id  (buyer: BT-48)
       BG-25 line: BT-153 name, BT-129 qty,   items: description, quantity, unit (a word for the
         BT-130 unit code, BT-152 rate,         UN/ECE code), tax_rate, tax_category (E, AE, K,
         BT-151 category                        G, O; S and Z follow from the rate)
       BG-23 BT-120/BT-121 by category+rate   exemption_reason {text, code} of those lines
       BT-148 gross price and BT-147 price    unit_price = gross price and discount_percent =
         discount (BT-146 net price)          discount ÷ gross × 100 when that is exact to 4
                                              places; else unit_price = net price. A base
                                              quantity (BT-149) divides the price.
       BG-20 document allowances, BT-107      discount: a percent when the allowances say one
                                              (reason "…5%" or BT-94) and it reproduces BT-107,
                                              else the amount BT-107
       BG-21 document charges                 one extra line each (reason, 1 × amount, its rate)

   The legal registration identifiers (BT-30, BT-47) and a deliver-to address (BG-13) are not
   read: our export derives them from the electronic address, the VAT number and the buyer.
5. price the draft with our core and compare with the document's own totals (BT-109
   tax-exclusive, BT-110 tax, BT-112 total): any difference is a problem in words, and
   `stated` / `priced` carry both sets of figures.

Terms our invoice has no field for (a project or contract reference, an invoicing period …)
are named in `problems` when the document carries them, so nothing disappears silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext
from functools import cache
from typing import Any, Literal

from lxml import etree
from marshmallow import ValidationError

from core.attachments.document import EinvoiceImport
from core.attachments.sniff import CII_INVOICE, UBL_CREDIT_NOTE, UBL_INVOICE
from core.attachments.xmlsafe import parse_xml
from core.errors import EinvoiceInvalid, UnsupportedAttachment

Container = Literal["xml", "facturx"]
MAX_PROBLEMS = 20
_TEXT_LIMITS = {"name": 200, "company": 200, "phone": 50, "address": 500, "tax_id": 50}
_NOTE_LIMIT = 2000
_TERMS_LIMIT = 500
_DESCRIPTION_LIMIT = 500
_REFERENCE_LIMIT = 200
# UNTDID 1001 document types EN 16931 treats as credit notes (a CII credit note is a
# CrossIndustryInvoice with one of these; UBL has its own CreditNote document)
CREDIT_NOTE_CODES = frozenset({"81", "83", "381", "396", "532"})

# UN/ECE Rec. 20 codes as a word our export maps back to the same code (core.exports.einvoice).
UNIT_WORDS = {
    "HUR": "hours",
    "MIN": "minutes",
    "DAY": "days",
    "WEE": "weeks",
    "MON": "months",
    "ANN": "years",
    "H87": "pieces",
    "KGM": "kg",
    "GRM": "g",
    "TNE": "tonnes",
    "LTR": "litres",
    "MLT": "ml",
    "MTR": "m",
    "KMT": "km",
    "CMT": "cm",
    "MMT": "mm",
    "MTK": "m2",
    "MTQ": "m3",
    "KWH": "kWh",
    "SET": "sets",
    "PR": "pairs",
    "LS": "lump sum",
    "XPP": "pieces",
    "EA": "each",
}
_CITY_FIRST = frozenset({"US", "CA", "GB", "IE", "AU", "NZ"})  # "city post code" order


@dataclass(frozen=True)
class _Syntax:
    name: Literal["ubl", "cii"]
    document: Literal["invoice", "credit_note"]
    flavor: str


def syntax_of(root: etree._Element) -> _Syntax:
    if root.tag == UBL_INVOICE:
        return _Syntax("ubl", "invoice", "ubl-2.1-invoice")
    if root.tag == UBL_CREDIT_NOTE:
        return _Syntax("ubl", "credit_note", "ubl-2.1-creditnote")
    if root.tag == CII_INVOICE:
        return _Syntax("cii", "invoice", "factur-x")
    raise UnsupportedAttachment("This XML file is not a UBL or CII e-invoice.", reason="other_xml")


def read_einvoice(xml: bytes, *, container: Container = "xml") -> EinvoiceImport:
    """The e-invoice in `xml` as an exact draft (see the module docstring).

    Raises AttachmentUnreadable (a DTD, not well-formed), UnsupportedAttachment (other XML)
    or EinvoiceInvalid (breaks the XML Schema).
    """
    root = parse_xml(xml)
    syntax = syntax_of(root)
    problems: list[str] = []
    report = _validate(xml, root, syntax)
    schema_errors = [v for v in report.errors if v.rule in ("XML", "XSD")]
    if schema_errors:
        raise EinvoiceInvalid(
            "This e-invoice does not follow its XML schema, so it was not read: "
            + "; ".join(_violation_text(v) for v in schema_errors[:3])
            + ("; …" if len(schema_errors) > 3 else ""),
            reason="schema",
            details={
                "errors": [
                    {"rule": v.rule, "message": v.message} for v in schema_errors[:MAX_PROBLEMS]
                ]
            },
        )
    for violation in report.errors[:MAX_PROBLEMS]:
        problems.append(f"Rule {violation.rule} is broken: {violation.message}")

    from facturx.parse_xml import parse_ubl_cii_xml

    terms = parse_ubl_cii_xml(
        root, flavor=syntax.flavor, level="en16931", check_xsd=False, date_as="date"
    )
    if syntax.name == "ubl":
        terms["BG-1"] = _ubl_notes(root)
    draft = _draft(terms, problems)
    draft = _loadable(draft, problems)
    stated = _stated_totals(terms)
    priced = _priced_totals(draft)
    for key, label in (
        ("tax_exclusive", "total without tax"),
        ("tax_total", "tax"),
        ("total", "total"),
        ("amount_due", "amount due"),
    ):
        if key in stated and key in priced and stated[key] != priced[key]:
            problems.append(
                f"The e-invoice states a {label} of {stated[key]}; the lines as we price them "
                f"give {priced[key]}."
            )
    return EinvoiceImport(
        syntax=syntax.name,
        document="credit_note"
        if syntax.document == "credit_note" or _text(terms.get("BT-3")) in CREDIT_NOTE_CODES
        else "invoice",
        container=container,
        draft=draft,
        number=_text(terms.get("BT-1")),
        type_code=_text(terms.get("BT-3")),
        stated=stated,
        priced=priced,
        valid=not report.errors,
        problems=tuple(problems[:MAX_PROBLEMS]),
    )


_UBL_NOTE = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}Note"
_SUBJECT_CODE = re.compile(r"#([A-Z]{3})#(.*)", re.DOTALL)


def _ubl_notes(root: etree._Element) -> list[dict[str, str]]:
    """The document's notes (BG-1) as written. A UBL note carries its subject code (BT-21)
    as "#AAI#text"; the factur-x parser takes the first five characters of any note that
    starts with "#" for one ("#0000" lost its text), so the notes are read here."""
    notes = []
    for element in root.iterchildren(_UBL_NOTE):
        text = element.text or ""
        coded = _SUBJECT_CODE.fullmatch(text)
        notes.append({"BT-21": coded[1], "BT-22": coded[2]} if coded else {"BT-22": text})
    return notes


def _violation_text(violation: Any) -> str:
    return " ".join(str(violation.message).split())[:300]


# --- validation ----------------------------------------------------------------------------------


def _validate(xml: bytes, root: etree._Element, syntax: _Syntax):
    """The export's validator. A CII under another specification (XRechnung's BT-24, say) is
    checked with EN 16931's identifier in its place: the Factur-X Schematron knows only its own
    profiles' identifiers, and the CEN rules it carries are those every CIUS builds on."""
    from core.exports.einvoice import with_specification
    from core.exports.profiles import EN16931_ID
    from core.exports.validation import validate

    if syntax.name == "cii":
        found = root.xpath(_CII_SPECIFICATION, namespaces=_CII_NS)
        if found and (found[0].text or "").strip() != EN16931_ID:
            xml = with_specification(xml, "cii", EN16931_ID)
    return validate(xml, syntax.name)  # XSD (Invoice or CreditNote), then the Schematron


_CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
_CII_SPECIFICATION = (
    "/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext"
    "/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
)


# --- terms to draft ---------------------------------------------------------------------------


def _draft(terms: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    currency = _text(terms.get("BT-5")) or "EUR"
    draft: dict[str, Any] = {"currency": currency}
    for key, term in (("issue_date", "BT-2"), ("due_date", "BT-9"), ("delivery_date", "BT-72")):
        if isinstance(terms.get(term), date):
            draft[key] = terms[term].isoformat()
    for role, term in (("seller", "BG-4"), ("buyer", "BG-7")):
        if party := _party(terms.get(term), role):
            draft[role] = party
            _registration_left_out(terms[term], role, problems)
    notes = [_text(note.get("BT-22")) for note in terms.get("BG-1") or [] if note.get("BT-22")]
    if notes:
        draft["notes"] = "\n\n".join(n for n in notes if n)[:_NOTE_LIMIT]
    for key, term, limit in (
        ("payment_terms", "BT-20", _TERMS_LIMIT),
        ("buyer_reference", "BT-10", _REFERENCE_LIMIT),
        ("purchase_order", "BT-13", _REFERENCE_LIMIT),
    ):
        if value := _text(terms.get(term)):
            draft[key] = value[:limit]
    if (prepaid := _decimal(terms.get("BT-113"))) is not None and prepaid:
        draft["prepaid_amount"] = format(prepaid, "f")
    if payment := _payment(terms):
        draft["payment"] = payment
    if preceding := _preceding(terms):
        draft["preceding_invoice"] = preceding
    exemptions = _exemptions(terms)
    items = [
        _line(line, i, exemptions, problems)
        for i, line in enumerate(terms.get("BG-25") or [], start=1)
    ]
    for charge in terms.get("BG-21") or []:
        items.append(_charge_line(charge))
    draft["items"] = [item for item in items if item is not None]
    discount = _discount(terms, draft, problems)
    if discount:
        draft["discount"] = discount
    _name_what_is_left_out(terms, problems)
    return draft


def _payment(terms: dict[str, Any]) -> dict[str, Any] | None:
    """BG-16: BT-81 means code, BT-83 reference, BT-84 IBAN, BT-85 account name, BT-86 BIC."""
    payment = {
        key: value
        for key, term in (
            ("means_code", "BT-81"),
            ("reference", "BT-83"),
            ("iban", "BT-84"),
            ("account_name", "BT-85"),
            ("bic", "BT-86"),
        )
        if (value := _text(terms.get(term)))
    }
    return payment or None


def _preceding(terms: dict[str, Any]) -> dict[str, Any] | None:
    """BG-3, the first preceding invoice: BT-25 number, BT-26 issue date."""
    references = terms.get("BG-3") or []
    if not references or not _text(references[0].get("BT-25")):
        return None
    reference = {"number": _text(references[0]["BT-25"])}
    if isinstance(references[0].get("BT-26"), date):
        reference["issue_date"] = references[0]["BT-26"].isoformat()
    return reference


def _exemptions(terms: dict[str, Any]) -> dict[tuple[str, Decimal], dict[str, str]]:
    """(category, rate) -> exemption reason (BT-121 code, BT-120 text) from the VAT breakdown."""
    found = {}
    for row in terms.get("BG-23") or []:
        reason = {
            key: value
            for key, term in (("code", "BT-121"), ("text", "BT-120"))
            if (value := _text(row.get(term)))
        }
        category = _text(row.get("BT-118")) or ""
        if reason and category not in ("S", "Z"):
            found[(category, _decimal(row.get("BT-119")) or Decimal(0))] = reason
    return found


def _party(party: dict[str, Any] | None, role: str) -> dict[str, Any] | None:
    """The reverse of the export's party terms: BT-27 is the company when a contact person
    (BT-41) is named beside it, else the name; the contact's phone and e-mail are the party's;
    an e-invoicing address in a scheme other than EM is kept as electronic_address."""
    if not party:
        return None
    legal_name = _text(party.get("name"))
    contacts = party.get("contacts") or []
    contact = contacts[0] if contacts else {}
    person = _text(contact.get("name"))
    result: dict[str, Any] = {}
    if person and legal_name and person != legal_name:
        result["name"], result["company"] = person, legal_name
    else:
        result["name"] = legal_name or person
    email = _text(contact.get("email"))
    scheme = (_text(party.get("einvoicing_addr_schemeid")) or "").upper()
    address_value = _text(party.get("einvoicing_addr"))
    if address_value and scheme == "EM":
        email = email or address_value
    elif address_value and scheme:
        result["electronic_address"] = {"scheme": scheme, "value": address_value}
    if email:
        result["email"] = email
    if phone := _text(contact.get("phone")):
        result["phone"] = phone
    if address := _address_text(party):
        result["address"] = address
    tax_id = _text(party.get("vat_identifier"))
    if not tax_id and role == "seller":
        identifiers = party.get("identifiers") or {}
        tax_id = _text(party.get("tax_identifier")) or _text(identifiers.get(None))
    if tax_id:
        result["tax_id"] = tax_id
    if not result.get("name"):
        return None
    return {
        k: (v[: _TEXT_LIMITS[k]] if k in _TEXT_LIMITS and isinstance(v, str) else v)
        for k, v in result.items()
    }


def _registration_left_out(party: dict[str, Any], role: str, problems: list[str]) -> None:
    """Our export derives a legal registration identifier (BT-30 / BT-47) from the electronic
    address or the VAT number; one the document gives beside neither is said, not kept."""
    value = _text(party.get("legal_identifier"))
    scheme = _text(party.get("legal_identifier_schemeid")) or ""
    if not value or _text(party.get("vat_identifier")):
        return
    if value == _text(party.get("einvoicing_addr")):
        return
    problems.append(
        f"The {role}'s registration number ({scheme} {value}) has no field in our invoice, so it "
        "was not carried over."
    )


def _address_text(party: dict[str, Any]) -> str | None:
    lines = [_text(party.get(key)) for key in ("addr_l1", "addr_l2", "addr_l3")]
    lines = [line for line in lines if line]
    city, postcode = _text(party.get("city")), _text(party.get("postcode"))
    subdivision = _text(party.get("country_subdivision"))
    country = _text(party.get("country_code"))
    if country in _CITY_FIRST:
        place = ", ".join(p for p in (city, " ".join(p for p in (subdivision, postcode) if p)) if p)
    else:
        place = " ".join(p for p in (postcode, city) if p)
        if subdivision:
            place = ", ".join(p for p in (place, subdivision) if p)
    if place:
        lines.append(place)
    if country:
        lines.append(country_name(country))
    return "\n".join(lines) or None


@cache
def country_name(code: str) -> str:
    """'FR' -> 'France' (English, from CLDR via Babel), which our address reader maps back."""
    from babel import Locale

    return Locale.parse("en").territories.get(code.upper(), code.upper())


def _line(
    line: dict[str, Any],
    position: int,
    exemptions: dict[tuple[str, Decimal], dict[str, str]],
    problems: list[str],
) -> dict[str, Any] | None:
    description = _text(line.get("BT-153")) or _text(line.get("BT-154")) or "-"
    quantity = _decimal(line.get("BT-129"))
    net_price = _decimal(line.get("BT-146"))
    if quantity is None or net_price is None:
        problems.append(f"Line {position} has no quantity or price and was left out.")
        return None
    if quantity <= 0:
        problems.append(
            f"Line {position} ({description[:40]}) has the quantity {quantity}; our invoices "
            "hold positive quantities only, so it was left out."
        )
        return None
    gross = _decimal(line.get("BT-148"))
    price_discounts = [_decimal(d.get("BT-147")) for d in line.get("BT-147-00") or []]
    price_discount = sum((d for d in price_discounts if d is not None), Decimal(0))
    unit_price, discount_percent = net_price, Decimal(0)
    if gross and price_discount:
        with localcontext(prec=60):
            percent = price_discount * 100 / gross
        if percent == percent.quantize(Decimal("0.0001")) and 0 < percent <= 100:
            unit_price, discount_percent = gross, percent.normalize()
    base_quantity = _decimal(line.get("BT-149"))
    if base_quantity and base_quantity != 1:
        with localcontext(prec=60):
            unit_price = unit_price / base_quantity
    rate = _decimal(line.get("BT-152")) or Decimal(0)
    item: dict[str, Any] = {
        "description": description[:_DESCRIPTION_LIMIT],
        "quantity": _plain(quantity),
        "unit_price": _plain(unit_price),
        "tax_rate": _plain(rate),
    }
    if discount_percent:
        item["discount_percent"] = _plain(discount_percent)
    unit = UNIT_WORDS.get(_text(line.get("BT-130")) or "")
    if unit:
        item["unit"] = unit
    category = _text(line.get("BT-151"))
    if category and category not in ("S", "Z"):  # S and Z follow from the rate
        item["tax_category"] = category
        if reason := exemptions.get((category, rate)):
            item["exemption_reason"] = reason
    if line.get("BG-27") or line.get("BG-28"):
        problems.append(
            f"Line {position} ({description[:40]}) has its own allowances or charges; they "
            "are not carried over separately."
        )
    return item


def _charge_line(charge: dict[str, Any]) -> dict[str, Any]:
    reason = _text(charge.get("reason")) or "Charge"
    return {
        "description": reason[:_DESCRIPTION_LIMIT],
        "quantity": "1",
        "unit_price": _plain(_decimal(charge.get("amount")) or Decimal(0)),
        "tax_rate": _plain(_decimal(charge.get("vat_rate")) or Decimal(0)),
    }


_PERCENT_IN_REASON = re.compile(r"(\d+(?:[.,]\d+)?)\s?%")


def _discount(
    terms: dict[str, Any], draft: dict[str, Any], problems: list[str]
) -> dict[str, Any] | None:
    allowances = terms.get("BG-20") or []
    if not allowances:
        return None
    total = _decimal(terms.get("BT-107"))
    if total is None:
        total = sum((_decimal(a.get("amount")) or Decimal(0) for a in allowances), Decimal(0))
    if not total:
        return None
    percents = set()
    for allowance in allowances:
        if allowance.get("percent"):
            percents.add(_decimal(allowance.get("percent")))
        elif match := _PERCENT_IN_REASON.search(_text(allowance.get("reason")) or ""):
            percents.add(_decimal(match.group(1).replace(",", ".")))
    if len(percents) == 1 and (percent := percents.pop()) is not None:
        candidate = {"kind": "percent", "value": _plain(percent)}
        priced = _priced_totals({**draft, "discount": candidate})
        if priced.get("discount_total") == _money(total, draft["currency"]):
            return candidate
    return {"kind": "amount", "value": _plain(total)}


def _name_what_is_left_out(terms: dict[str, Any], problems: list[str]) -> None:
    left_out = {
        "BT-11": "a project reference",
        "BT-12": "a contract reference",
        "BT-14": "a sales order reference",
        "BT-19": "the buyer's accounting reference",
        "BT-73": "an invoicing period",
    }
    for term, words in left_out.items():
        if terms.get(term):
            problems.append(
                f"The e-invoice gives {words} ({term}); our invoice has no field for it, so it "
                "was not carried over."
            )


# --- totals ---------------------------------------------------------------------------------


def _stated_totals(terms: dict[str, Any]) -> dict[str, str]:
    keys = {
        "BT-106": "subtotal",
        "BT-107": "discount_total",
        "BT-108": "charge_total",
        "BT-109": "tax_exclusive",
        "BT-110": "tax_total",
        "BT-112": "total",
        "BT-113": "prepaid",
        "BT-115": "amount_due",
    }
    stated = {}
    for term, key in keys.items():
        value = _decimal(terms.get(term))
        if value is not None:
            stated[key] = format(value, "f")
    return stated


def _priced_totals(draft: dict[str, Any]) -> dict[str, str]:
    from core.invoice import InvoiceRuleError, price_invoice
    from core.schemas import load_draft

    try:
        invoice = price_invoice(load_draft(draft), "IMPORT", today=date.today())
    except (ValidationError, InvoiceRuleError):
        return {}
    return {
        "subtotal": format(invoice.subtotal, "f"),
        "discount_total": format(invoice.discount_total, "f"),
        "tax_exclusive": format(invoice.subtotal - invoice.discount_total, "f"),
        "tax_total": format(invoice.tax_total, "f"),
        "total": format(invoice.total, "f"),
        "amount_due": format(invoice.amount_due, "f"),
    }


def _loadable(draft: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """The draft with what our schema refuses dropped and said (an e-mail it finds invalid …).

    Raises EinvoiceInvalid when what remains still does not load.
    """
    from core.schemas import load_draft

    for _ in range(5):
        try:
            load_draft(draft)
            return draft
        except ValidationError as exc:
            if not _drop_refused(draft, exc.messages, problems):
                break
    try:
        load_draft(draft)
    except ValidationError as exc:
        raise EinvoiceInvalid(
            "This e-invoice holds values our invoices cannot take.",
            reason="unsupported_values",
            details={"errors": [{"rule": "schema", "message": str(exc.messages)[:500]}]},
        ) from None
    return draft


def _drop_refused(draft: dict[str, Any], messages: Any, problems: list[str]) -> bool:
    dropped = False
    if not isinstance(messages, dict):
        return False
    for role in ("seller", "buyer"):
        for field_name, why in (messages.get(role) or {}).items():
            if (
                isinstance(draft.get(role), dict)
                and field_name in draft[role]
                and field_name != "name"
            ):
                value = draft[role].pop(field_name)
                problems.append(
                    f"The {role}'s {field_name} ({str(value)[:60]}) was left out: {_first(why)}"
                )
                dropped = True
    return dropped


def _first(messages: Any) -> str:
    if isinstance(messages, list) and messages:
        return str(messages[0])
    return str(messages)


# --- small helpers ---------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    text = str(value).strip()
    return text or None


def _decimal(value: Any) -> Decimal | None:
    text = _text(value)
    if text is None:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0E-0") else text


def _money(value: Decimal, currency: str) -> str:
    from core.money import round_money

    try:
        return format(round_money(value, currency), "f")
    except Exception:  # an unknown currency: compare as written
        return format(value, "f")
