"""What a printed invoice says, in reading order: every text of the PDF and of the HTML view.

Both renderers take this and only lay it out (templates/invoice.typ for the PDF,
templates/invoice.html.j2 for the browser), so the two show the same fields and the same
amounts in the same order (tests/core/test_exports_pdf.py compares them). Amounts are the
core's, formatted with Babel for the layout's locale; nothing is priced again. The words are
English.

    printable(invoice, layout) -> dict     JSON-ready: strings, booleans, lists and dicts only
    document_title(invoice) -> str         'Invoice INV-0042', 'Credit note CN-2026-0001'

Every text from the invoice loses what XML cannot carry (C0 controls, U+FFFE/FFFF) and is
otherwise kept as the user or the model wrote it: renderers show it as text, never as markup.
Multi-line fields (addresses, notes, terms, descriptions) keep their line breaks, with runs of
spaces collapsed, as CSS `white-space: pre-line` shows them; one-line fields have none.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.exports.document import InvoiceInput, as_json, xml_text
from core.exports.formatting import long_date, money, percent, quantity
from core.exports.layout import Layout
from core.exports.parties import vat_identifier

TITLES = {"invoice": "Invoice", "credit_note": "Credit note"}
DRAFT = "DRAFT"  # where the number would be, while the invoice has none
MINUS = "\u2212"

# UNTDID 4461 payment means (BT-81) as a payer reads them; other codes are not printed.
PAYMENT_MEANS = {
    "10": "Cash",
    "20": "Cheque",
    "30": "Credit transfer",
    "31": "Debit transfer",
    "42": "Payment to bank account",
    "48": "Bank card",
    "49": "Direct debit",
    "54": "Credit card",
    "55": "Debit card",
    "57": "Standing agreement",
    "58": "SEPA credit transfer",
    "59": "SEPA direct debit",
    "68": "Online payment service",
    "97": "Clearing between partners",
}

# VAT categories (UNCL 5305, BT-118/151) other than standard and zero rated: what a line's tax
# column says, and how the tax summary names the category. "Reverse charge" is the wording the
# EU VAT Directive (art. 226(11a)) requires on the invoice.
LINE_TAX_WORDS = {
    "AE": "Reverse charge",
    "E": "Exempt",
    "K": "Exempt",
    "G": "Exempt",
    "O": "Not subject",
}
SUMMARY_WORDS = {
    "AE": "Reverse charge",
    "E": "Exempt",
    "K": "Exempt intra-community supply",
    "G": "Exempt export",
    "O": "Not subject to VAT",
}


def printable(invoice: InvoiceInput, layout: Layout) -> dict[str, Any]:
    """The texts of the printed invoice, formatted for `layout`."""
    data = as_json(invoice)
    locale = layout.locale
    currency = data["currency"]

    def amount(value: str | Decimal) -> str:
        return money(value, currency, locale)

    kind = _kind(data)
    is_credit_note = data.get("type") == "credit_note"
    number = _one_line(data.get("number"))
    shown_number = number or DRAFT
    seller = _party(data.get("seller"), seller=True)
    buyer = _party(data.get("buyer"), seller=False)
    due = _amount_due(data)
    due_date = long_date(data.get("due_date"), locale)

    dates = [
        {"label": label, "value": long_date(data.get(key), locale)}
        for label, key in (("Issue date", "issue_date"), ("Due date", "due_date"))
        if data.get(key)
    ]
    return {
        "lang": layout.lang,
        "page_size": layout.page_size,
        "title": kind,
        "number": shown_number,
        "draft": not number,
        "meta": _meta(kind, shown_number, seller, buyer),
        "seller": seller,
        "buyer": buyer,
        "dates": dates,
        "amount_due": {
            "label": "Amount credited" if is_credit_note else "Amount due",
            "value": amount(due),
        },
        "references": _references(data, locale),
        **_items(data, amount, locale),
        "totals": _totals(data, amount, locale, due),
        "payment": _payment(data, amount(due), due_date, number, is_credit_note),
        "notes": _multiline(data.get("notes")),
        "labels": {"bill_to": "Bill to", "payment": "Payment", "notes": "Notes"},
    }


def document_title(invoice: InvoiceInput) -> str:
    """'Invoice INV-0042', 'Credit note CN-2026-0001', 'Invoice DRAFT'."""
    data = as_json(invoice)
    return f"{_kind(data)} {_one_line(data.get('number')) or DRAFT}"


def _kind(data: dict[str, Any]) -> str:
    return TITLES.get(data.get("type") or "invoice", TITLES["invoice"])


def _meta(kind: str, number: str, seller: dict | None, buyer: dict | None) -> dict[str, str]:
    """The document's metadata and page furniture: 'INV-0042 · Nordlys Studio ApS'."""
    sender = seller["name"] if seller else ""
    recipient = buyer["name"] if buyer else ""
    return {
        "title": f"{kind} {number}" + (f" · {sender}" if sender else ""),
        "author": sender,
        "description": f"{kind} {number}" + (f" to {recipient}" if recipient else ""),
        "footer": number + (f" · {sender}" if sender else ""),
        "continued": f"{kind} {number} (continued)",
    }


def _party(party: dict[str, Any] | None, *, seller: bool) -> dict[str, Any] | None:
    """A party's name and the lines under it; the seller's secondary lines are muted."""
    if not party:
        return None
    company, name = _one_line(party.get("company")), _one_line(party.get("name"))
    lines: list[dict[str, Any]] = []

    def add(text: str, *, muted: bool = False) -> None:
        if text:
            lines.append({"text": text, "muted": muted})

    if company and name and name != company:
        add(name if seller else f"Attn. {name}")
    add(_multiline(party.get("address")))
    add(_joined(party.get("email"), party.get("phone")), muted=seller)
    contact = party.get("contact") or {}
    if reach := _joined(contact.get("name"), contact.get("phone"), contact.get("email")):
        add(f"Contact: {reach}", muted=seller)
    electronic = party.get("electronic_address") or {}
    if value := _one_line(electronic.get("value")):
        scheme = _one_line(electronic.get("scheme"))
        add(
            f"Electronic address {scheme}:{value}" if scheme else f"Electronic address {value}",
            muted=seller,
        )
    if tax_id := _one_line(party.get("tax_id")):
        add(f"{'VAT no.' if vat_identifier(tax_id) else 'Tax ID'} {tax_id}", muted=seller)
    return {"name": company or name, "lines": lines}


def _references(data: dict[str, Any], locale) -> list[dict[str, str]]:
    """Dates and references a buyer's accounts payable match the invoice with."""
    references = []
    if data.get("delivery_date"):
        references.append(
            {"label": "Delivery date", "value": long_date(data["delivery_date"], locale)}
        )
    for label, key in (
        ("Purchase order", "purchase_order"),
        ("Buyer reference", "buyer_reference"),
    ):
        if value := _one_line(data.get(key)):
            references.append({"label": label, "value": value})
    preceding = data.get("preceding_invoice") or {}
    if number := _one_line(preceding.get("number")):
        dated = long_date(preceding.get("issue_date"), locale)
        references.append(
            {"label": "Credits invoice", "value": f"{number} of {dated}" if dated else number}
        )
    return references


def _items(data: dict[str, Any], amount, locale) -> dict[str, Any]:
    items = data.get("items") or []
    show_discounts = any(Decimal(item.get("discount_percent") or 0) for item in items)
    columns = ["Description", "Qty", "Unit price", "Disc.", "Tax", "Amount"]
    if not show_discounts:
        columns.remove("Disc.")
    rows = []
    for item in items:
        unit = _one_line(item.get("unit"))
        count = quantity(item["quantity"], locale) + (f" {unit}" if unit else "")
        row = [_multiline(item.get("description")), count, amount(item["unit_price"])]
        if show_discounts:
            discount = Decimal(item.get("discount_percent") or 0)
            row.append(percent(discount, locale) if discount else "—")
        row += [_line_tax(item, locale), amount(item["net_amount"])]
        rows.append(row)
    return {"columns": columns, "rows": rows, "empty": "No items yet."}


def _line_tax(item: dict[str, Any], locale) -> str:
    words = LINE_TAX_WORDS.get(item.get("tax_category") or "")
    return words or percent(item["tax_rate"], locale)


def _totals(data: dict[str, Any], amount, locale, due: Decimal) -> list[dict[str, str]]:
    """Subtotal, discount, tax per category and rate, total, and what is left to pay."""
    rows = [_total("Subtotal", amount(data["subtotal"]))]
    if Decimal(data["discount_total"]):
        discount = data.get("discount") or {}
        label = "Discount"
        if discount.get("kind") == "percent":
            label = f"Discount ({percent(discount['value'], locale)})"
        rows.append(_total(label, MINUS + amount(data["discount_total"])))
    breakdown = data.get("tax_breakdown") or []
    for row in breakdown:
        category = row.get("tax_category") or ""
        base = amount(row["base"])
        words = SUMMARY_WORDS.get(category)
        label = f"{words} on {base}" if words else f"Tax {percent(row['rate'], locale)} on {base}"
        rows.append(_total(label, amount(row["tax"]), "tax", _exemption(data, row, words)))
    if len(breakdown) > 1:
        rows.append(_total("Total tax", amount(data["tax_total"])))
    rows.append(_total(f"Total {data['currency']}", amount(data["total"]), "grand"))
    prepaid = Decimal(data.get("prepaid_amount") or 0)
    if prepaid:
        rows.append(_total("Paid in advance", MINUS + amount(prepaid)))
        rows.append(_total("Amount due", amount(due), "due"))
    return rows


def _total(label: str, value: str, style: str = "", note: str = "") -> dict[str, str]:
    return {"label": label, "value": value, "style": style, "note": note}


def _exemption(data: dict[str, Any], row: dict[str, Any], words: str | None) -> str:
    """Why a tax row carries no tax: its exemption reason, or its lines' (BT-120/121)."""
    if not words:
        return ""
    reasons = [row.get("exemption_reason")] + [
        item.get("exemption_reason")
        for item in data.get("items") or []
        if item.get("tax_category") == row.get("tax_category")
        and Decimal(item["tax_rate"]) == Decimal(row["rate"])
    ]
    for reason in reasons:
        text = _one_line((reason or {}).get("text")) or _one_line((reason or {}).get("code"))
        if text and text.casefold() not in words.casefold():  # not "Exempt intra-…" twice
            return text
    return ""


def _amount_due(data: dict[str, Any]) -> Decimal:
    """BT-115: the core's amount_due, or the total less what was paid in advance."""
    if data.get("amount_due") is not None:
        return Decimal(data["amount_due"])
    return Decimal(data["total"]) - Decimal(data.get("prepaid_amount") or 0)


def _payment(
    data: dict[str, Any], due: str, due_date: str, number: str, is_credit_note: bool
) -> list[dict[str, str]]:
    """The payment block: terms, means, account details, and what to pay by when."""
    payment = data.get("payment") or {}
    lines = []

    def add(label: str, value: str) -> None:
        if value:
            lines.append({"label": label, "value": value})

    add("", _multiline(data.get("payment_terms")))
    add("", PAYMENT_MEANS.get(_one_line(payment.get("means_code")), ""))
    add("Account holder", _one_line(payment.get("account_name")))
    add("IBAN", _grouped(payment.get("iban")))
    add("BIC", _one_line(payment.get("bic")))
    reference = _one_line(payment.get("reference"))
    add("Reference", reference)
    if due_date and not is_credit_note:
        quoting = reference or number
        add("", f"Please pay {due} by {due_date}" + (f", quoting {quoting}." if quoting else "."))
    return lines


def _grouped(iban: str | None) -> str:
    """'DK5000400440116243' -> 'DK50 0040 0440 1162 43', as IBANs are printed."""
    compact = "".join(_one_line(iban).split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _joined(*values: Any) -> str:
    return " · ".join(text for value in values if (text := _one_line(value)))


def _one_line(value: Any) -> str:
    """Text for a one-line place: 'Acme\\n  Corp' -> 'Acme Corp'."""
    return " ".join(xml_text(value).split()) if value else ""


def _multiline(value: Any) -> str:
    """Text that keeps its line breaks, each line's spaces collapsed (CSS pre-line)."""
    if not value:
        return ""
    lines = [" ".join(line.split()) for line in xml_text(value).splitlines()]
    return "\n".join(lines).strip("\n")
