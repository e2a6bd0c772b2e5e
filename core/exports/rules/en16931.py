"""Rules every e-invoice profile applies: EN 16931's that an invoice can break, and ours.

Rule ids are the standard's (BR-…, BR-CO-…, BR-AE-…); "IA-…" marks a check of ours that the
standard's validators would not make but a recipient's would (a VAT number whose check digits
are wrong is well-formed EN 16931, and still rejected by the buyer's accounts payable).
Everything else EN 16931 asks is written by construction (see docs/exports.md) and checked
again by the CEN Schematron.
"""

from __future__ import annotations

from core.exports.rules.facts import InvoiceFacts, category_of
from core.exports.rules.registry import rule
from core.identifiers import vat_problem
from core.money import minor_digits

MAX_AMOUNT_DIGITS = 2  # BR-DEC-*: EN 16931 amounts have at most two decimals
ADDRESS_EXAMPLE = "'12 Rue de la Paix, 75002 Paris, France'"


@rule("BR-02", "number", "BT-1", "an invoice number: issue the invoice first")
def invoice_number(facts: InvoiceFacts):
    return bool((facts.data.get("number") or "").strip())


@rule("IA-01", "currency", "BT-5", "a currency with at most two decimals")
def two_decimal_currency(facts: InvoiceFacts):
    currency = facts.data["currency"]
    digits = minor_digits(currency)
    if digits > MAX_AMOUNT_DIGITS:
        return (
            f"a currency with at most two decimals: EN 16931 amounts cannot carry the {digits} "
            f"decimals of {currency}"
        )
    return True


@rule("BR-06", "seller.name", "BT-27", "the seller's name")
def seller_name(facts: InvoiceFacts):
    return bool(facts.seller.name)


def _address(role: str, facts: InvoiceFacts):
    party = facts.party(role)
    whose = f"the {role}'s"
    if party.address is None:
        return f"{whose} postal address, ending with the country (for example {ADDRESS_EXAMPLE})"
    if party.country is None:
        return f"{whose} country: add it at the end of the address (for example '…, Germany')"
    return True


@rule("BR-09", "seller.address", "BT-40", "the seller's postal address with its country")
def seller_address(facts: InvoiceFacts):
    return _address("seller", facts)


@rule(
    "BR-CO-26",
    "seller.tax_id",
    "BT-31",
    "the seller's VAT number (for example 'FR12345678901') or tax registration number",
)
def seller_tax_id(facts: InvoiceFacts):
    return bool(facts.seller.tax_id)


@rule("IA-02", "seller.tax_id", "BT-31", "a valid VAT number for the seller")
def seller_vat_number_is_valid(facts: InvoiceFacts):
    return _valid_vat("seller", facts)


@rule("BR-07", "buyer.name", "BT-44", "the buyer's name")
def buyer_name(facts: InvoiceFacts):
    return bool(facts.buyer.name)


@rule("BR-11", "buyer.address", "BT-55", "the buyer's postal address with its country")
def buyer_address(facts: InvoiceFacts):
    return _address("buyer", facts)


@rule("IA-03", "buyer.tax_id", "BT-48", "a valid VAT number for the buyer")
def buyer_vat_number_is_valid(facts: InvoiceFacts):
    return _valid_vat("buyer", facts)


def _valid_vat(role: str, facts: InvoiceFacts):
    vat_id = facts.party(role).vat_id
    problem = vat_id and vat_problem(vat_id)
    if problem:
        return f"the {role}'s VAT number as registered: {problem}"
    return True


@rule("BR-16", "items", "BG-25", "at least one invoice line")
def at_least_one_line(facts: InvoiceFacts):
    return bool(facts.items)


@rule(
    "BR-CO-25",
    "due_date",
    "BT-9",
    "a payment due date or payment terms (for example 'due in 30 days')",
)
def due_date_or_terms(facts: InvoiceFacts):
    if facts.amount_due <= 0 or facts.payment_terms:
        return True
    if facts.is_credit_note and facts.data.get("due_date") and not facts.payment:
        # a UBL credit note carries its due date inside the payment instructions
        return "payment terms or payment details for the amount credited"
    return bool(facts.data.get("due_date"))


@rule(
    "BR-61",
    "payment.iban",
    "BT-84",
    "the IBAN to pay to: a credit transfer names the account",
)
def credit_transfer_account(facts: InvoiceFacts):
    if facts.payment.get("means_code") in ("30", "58"):
        return bool(facts.payment.get("iban"))
    return True


@rule(
    "BR-AE-02",
    "buyer.tax_id",
    "BT-48",
    "the VAT numbers of both seller and buyer: reverse charge names them",
)
def reverse_charge_vat_numbers(facts: InvoiceFacts):
    return "AE" not in facts.categories or bool(facts.seller.vat_id and facts.buyer.vat_id)


@rule(
    "BR-IC-02",
    "buyer.tax_id",
    "BT-48",
    "the VAT numbers of both seller and buyer: an intra-community supply names them",
)
def intra_community_vat_numbers(facts: InvoiceFacts):
    return "K" not in facts.categories or bool(facts.seller.vat_id and facts.buyer.vat_id)


@rule(
    "BR-IC-11",
    "delivery_date",
    "BT-72",
    "the delivery date: an intra-community supply of goods says when they were delivered",
)
def intra_community_delivery_date(facts: InvoiceFacts):
    return "K" not in facts.categories or bool(facts.data.get("delivery_date"))


@rule(
    "BR-O-11",
    "items",
    "BT-151",
    "one VAT situation per invoice: lines outside the scope of VAT (O) cannot share an "
    "invoice with taxed, zero-rated or exempt lines, so split it into two invoices",
)
def not_subject_alone(facts: InvoiceFacts):
    return "O" not in facts.categories or facts.categories == {"O"}


@rule(
    "BR-E-10",
    "items",
    "BT-120",
    "the reason the exempt lines carry no VAT (a VATEX code or the article of the law)",
)
def exemption_reasons(facts: InvoiceFacts):
    for row in facts.data.get("tax_breakdown") or []:
        if category_of(row) in {"E", "AE", "K", "G", "O"}:
            reason = row.get("exemption_reason") or {}
            if not (reason.get("code") or reason.get("text")):
                return False
    return True
