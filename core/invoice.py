"""The invoice: what the LLM may say (`InvoiceDraft`) and what the server computes (`Invoice`).

The LLM supplies facts — parties, items, rates, dates. `price_invoice` computes every amount:

- a line's net amount is quantity × unit price less its discount, rounded half-up once to the
  currency's minor unit;
- the invoice-level discount (percent of the subtotal, or an amount) is spread over the tax
  rates in proportion to their net amounts, before tax, by the largest-remainder method so
  the shares add up exactly;
- tax is computed per rate on the summed base of that rate and rounded once per rate;
- total = subtotal − discount_total + tax_total.

These are EN 16931 rules BR-CO-10 (sum of line net amounts), BR-CO-13 (tax-exclusive amount),
BR-CO-14 (tax total = sum of category taxes), BR-CO-15 (total = tax-exclusive + tax) and
BR-CO-17 (category tax = base × rate, rounded); the sums add up to the minor unit by construction.

VAT categories (UNCL 5305, EN 16931 BT-151/BT-118), one per line:

    S   standard rated (rate > 0)           E   exempt (needs an exemption reason)
    Z   zero rated (rate 0)                 AE  reverse charge (both parties' VAT numbers)
    K   intra-community supply (both VAT numbers)
    G   export outside the EU               O   outside the scope of VAT

S and Z follow the rate: a line without a category, or with S or Z, is S above 0% and Z at 0%
(or, at 0% with an exemption reason, the category of its VATEX code: E unless the code says
AE, K, G or O). E, AE, K, G and O are always 0%. AE, K, G and O get their standard VATEX code
and text when none is given. The breakdown has one row per (category, rate), each with the
exemption reason its lines share (EN 16931 has one reason per category: BR-E-10, BR-AE-10…).
The invoice discount is spread over those rows as it was over rates. `amount_due` (BT-115) is
the total less `prepaid_amount` (BT-113, BR-CO-16).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal, localcontext
from typing import Literal

from core.identifiers import DEFAULT_EXEMPTIONS, category_for_exemption, vat_identifier
from core.money import DEFAULT_CURRENCY, floor_money, minor_unit, plain, round_money

HUNDRED = Decimal(100)
ZERO = Decimal(0)
# Enough digits for quantity (≤ 1e9, 6 places) × unit price (≤ 1e12, 6 places) without rounding.
_EXACT_PRECISION = 60


TaxCategory = Literal["S", "Z", "E", "AE", "K", "G", "O"]
TAX_CATEGORIES: tuple[str, ...] = ("S", "Z", "E", "AE", "K", "G", "O")
ZERO_RATED_CATEGORIES = frozenset({"Z", "E", "AE", "K", "G", "O"})
EXEMPTION_CATEGORIES = frozenset({"E", "AE", "K", "G", "O"})  # need a reason (BT-120/121)
BOTH_VAT_NUMBERS = frozenset({"AE", "K"})  # BR-AE-02, BR-IC-02
DRAFT, INVOICE = "draft", "invoice"
STATUSES = ("draft", "issued", "paid", "credited")
TYPES = ("invoice", "credit_note")
SEPA_CREDIT_TRANSFER, CREDIT_TRANSFER, NOT_DEFINED = "58", "30", "1"


def stated_category(category: str | None) -> str | None:
    """A line's category as a draft states it: None for S and Z, which follow the rate, so that
    an invoice read back from its JSON states what was stated ('remove the tax' on a stored
    S line makes it Z, as on a new one)."""
    category = (category or "").strip().upper() or None
    return None if category in ("S", "Z") else category


@dataclass(frozen=True)
class Contact:
    """A party's contact point (BT-41..43 for the seller, BT-56..58 for the buyer)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ElectronicAddress:
    """Where an e-invoice is delivered (BT-34 / BT-49): an EAS scheme code and an identifier."""

    scheme: str
    value: str


@dataclass(frozen=True)
class Party:
    """A seller or buyer. Only the name is required."""

    name: str
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    tax_id: str | None = None
    contact: Contact | None = None
    electronic_address: ElectronicAddress | None = None


@dataclass(frozen=True)
class ExemptionReason:
    """Why a line carries no VAT: a VATEX code (BT-121) and/or words (BT-120)."""

    code: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class LineItem:
    """One line as the LLM states it: no amounts, only facts."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str | None = None
    tax_rate: Decimal = ZERO  # percent
    discount_percent: Decimal = ZERO
    tax_category: str | None = None  # None: S above 0 %, Z at 0 % (see the module doc)
    exemption_reason: ExemptionReason | None = None


@dataclass(frozen=True)
class Payment:
    """Payment instructions (BG-16): UNTDID 4461 means code (BT-81), the account to pay to
    (IBAN BT-84, holder BT-85, BIC BT-86) and the reference to quote (BT-83)."""

    means_code: str | None = None
    iban: str | None = None
    bic: str | None = None
    account_name: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class PrecedingInvoice:
    """The invoice a credit note (or a correction) refers to (BT-25, BT-26)."""

    number: str
    issue_date: date | None = None


@dataclass(frozen=True)
class Discount:
    """An invoice-level discount, applied before tax."""

    kind: Literal["percent", "amount"]
    value: Decimal


@dataclass(frozen=True)
class InvoiceDraft:
    """The invoice fields a provider may set; every amount is left to `price_invoice`."""

    currency: str = DEFAULT_CURRENCY
    issue_date: date | None = None
    due_date: date | None = None
    seller: Party | None = None
    buyer: Party | None = None
    items: tuple[LineItem, ...] = ()
    discount: Discount | None = None
    notes: str | None = None
    payment_terms: str | None = None
    buyer_reference: str | None = None  # BT-10, e.g. a Leitweg-ID
    purchase_order: str | None = None  # BT-13
    delivery_date: date | None = None  # BT-72
    prepaid_amount: Decimal | None = None  # BT-113
    payment: Payment | None = None  # BG-16
    preceding_invoice: PrecedingInvoice | None = None  # BG-3


@dataclass(frozen=True)
class PricedLine(LineItem):
    """A line item with the net amount the server computed for it."""

    net_amount: Decimal = ZERO

    def to_item(self) -> LineItem:
        """The line as stated: S and Z, which the rate decides, are not stated again."""
        facts = {f.name: getattr(self, f.name) for f in fields(LineItem)}
        facts["tax_category"] = stated_category(facts["tax_category"])
        return LineItem(**facts)


@dataclass(frozen=True)
class TaxBreakdown:
    """Tax for one VAT category and rate: the rate in percent, its base after discount, the
    rounded tax, and why there is none (categories E, AE, K, G, O)."""

    rate: Decimal
    base: Decimal
    tax: Decimal
    tax_category: str = "S"
    exemption_reason: ExemptionReason | None = None


@dataclass(frozen=True)
class Invoice:
    """A complete invoice: the draft's facts, its number, and every amount computed.

    `number` is None while the invoice is a draft; `status` and `type` are the record's
    (design.md, Records): this module neither numbers nor issues anything.
    """

    number: str | None
    currency: str
    issue_date: date
    due_date: date | None
    seller: Party | None
    buyer: Party | None
    items: tuple[PricedLine, ...]
    discount: Discount | None
    notes: str | None
    payment_terms: str | None
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    tax_breakdown: tuple[TaxBreakdown, ...]
    status: str = DRAFT
    type: str = INVOICE
    buyer_reference: str | None = None
    purchase_order: str | None = None
    delivery_date: date | None = None
    prepaid_amount: Decimal | None = None
    amount_due: Decimal | None = None  # total − prepaid_amount; set by price_invoice
    payment: Payment | None = None
    preceding_invoice: PrecedingInvoice | None = None

    def to_draft(self) -> InvoiceDraft:
        """The facts of this invoice, without number or amounts: what a provider edits."""
        facts = {f.name: getattr(self, f.name) for f in fields(InvoiceDraft)}
        facts["items"] = tuple(line.to_item() for line in self.items)
        return InvoiceDraft(**facts)


class InvoiceRuleError(ValueError):
    """The draft is well-formed but breaks an invoicing rule; `field` names the culprit."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


def line_net_amount(item: LineItem, currency: str) -> Decimal:
    """quantity × unit price less the line discount, rounded half-up once."""
    with localcontext() as ctx:
        ctx.prec = _EXACT_PRECISION
        gross = item.quantity * item.unit_price
        return round_money(gross - gross * item.discount_percent / HUNDRED, currency)


def price_invoice(draft: InvoiceDraft, number: str | None, *, today: date) -> Invoice:
    """Compute every amount of `draft`. A missing issue date becomes `today`.

    Raises InvoiceRuleError when the draft cannot be priced (a discount larger than the
    subtotal, a due date before the issue date, a VAT category that contradicts its rate or
    its exemption reason, reverse charge without both VAT numbers, more paid in advance than
    the total).
    """
    # The schema allows 1000 lines of 10^21 each; with 4 minor digits (CLF) the sums need more
    # than the default context's 28 significant digits, and every sum here must be exact.
    with localcontext(prec=_EXACT_PRECISION):
        return _price_invoice(draft, number, today)


def _price_invoice(draft: InvoiceDraft, number: str | None, today: date) -> Invoice:
    if draft.issue_date is None:
        draft = replace(draft, issue_date=today)
    if draft.due_date is not None and draft.due_date < draft.issue_date:
        raise InvoiceRuleError("due_date", "The due date is before the issue date.")

    currency = draft.currency
    lines = tuple(_priced_line(item, index, currency) for index, item in enumerate(draft.items))
    _check_vat_numbers(lines, draft)
    subtotal = sum((line.net_amount for line in lines), ZERO)
    subtotal = round_money(subtotal, currency)  # gives exactly the minor digits, even for 0
    discount_total = _invoice_discount(draft.discount, subtotal, currency)

    net_by_group: dict[tuple[str, Decimal], Decimal] = {}
    reasons: dict[tuple[str, Decimal], tuple[int, ExemptionReason | None]] = {}
    for index, line in enumerate(lines):
        group = (line.tax_category or _category_by_rate(line.tax_rate), _rate(line.tax_rate))
        net_by_group[group] = net_by_group.get(group, ZERO) + line.net_amount
        first = reasons.setdefault(group, (index, line.exemption_reason))
        _check_same_reason(first, index, line)
    groups = sorted(net_by_group, key=lambda g: (g[1], TAX_CATEGORIES.index(g[0])))
    shares = allocate(discount_total, [net_by_group[g] for g in groups], currency)

    breakdown = []
    for (category, rate), share in zip(groups, shares, strict=True):
        base = round_money(net_by_group[(category, rate)] - share, currency)
        tax = round_money(base * rate / HUNDRED, currency)
        reason = reasons[(category, rate)][1]
        breakdown.append(TaxBreakdown(rate, base, tax, category, reason))
    tax_total = round_money(sum((b.tax for b in breakdown), ZERO), currency)
    total = subtotal - discount_total + tax_total
    prepaid = _prepaid(draft.prepaid_amount, total, currency)

    return Invoice(
        number=number,
        currency=currency,
        issue_date=draft.issue_date,
        due_date=draft.due_date,
        seller=draft.seller,
        buyer=draft.buyer,
        items=lines,
        discount=draft.discount,
        notes=draft.notes,
        payment_terms=draft.payment_terms,
        subtotal=subtotal,
        discount_total=discount_total,
        tax_total=tax_total,
        total=total,
        tax_breakdown=tuple(breakdown),
        buyer_reference=draft.buyer_reference,
        purchase_order=draft.purchase_order,
        delivery_date=draft.delivery_date,
        prepaid_amount=prepaid,
        amount_due=total - (prepaid or ZERO),
        payment=_payment(draft.payment, currency),
        preceding_invoice=draft.preceding_invoice,
    )


def _rate(rate: Decimal) -> Decimal:
    return Decimal(plain(rate))  # 8, 8.0 and 8.00 are one rate, shown as "8"


def _category_by_rate(rate: Decimal) -> str:
    return "S" if rate > 0 else "Z"


def _line_words(index: int | None) -> str:
    return "This line" if index is None else f"Line {index + 1}"


def _priced_line(item: LineItem, index: int, currency: str) -> PricedLine:
    """The line with its net amount, its VAT category and its exemption reason resolved."""
    category, reason = resolve_category(item, index)
    facts = {**vars(item), "tax_category": category, "exemption_reason": reason}
    return PricedLine(**facts, net_amount=line_net_amount(item, currency))


def resolve_category(
    item: LineItem, index: int | None = None
) -> tuple[str, ExemptionReason | None]:
    """The line's VAT category and exemption reason, as the module doc describes.

    Raises InvoiceRuleError when the category contradicts the rate or the reason.
    """
    stated = (item.tax_category or "").upper() or None
    reason = _clean_reason(item.exemption_reason)
    if stated in (None, "S", "Z"):
        if item.tax_rate > 0:
            return "S", None  # a taxed line has no exemption reason
        if stated == "Z" or reason is None:
            return "Z", None
        stated = category_for_exemption(reason.code) if reason.code else "E"
    if stated not in EXEMPTION_CATEGORIES:
        raise InvoiceRuleError(
            _line_field(index, "tax_category"),
            f"{_line_words(index)} has the unknown VAT category {item.tax_category!r}: use one "
            f"of {', '.join(TAX_CATEGORIES)}.",
        )
    if item.tax_rate != 0:
        raise InvoiceRuleError(
            _line_field(index, "tax_rate"),
            f"{_line_words(index)} is {CATEGORY_WORDS[stated]}, which carries no VAT: its tax "
            "rate must be 0 (or choose the standard category S for a taxed line).",
        )
    if reason is not None and reason.code and category_for_exemption(reason.code) != stated:
        raise InvoiceRuleError(
            _line_field(index, "exemption_reason"),
            f"{_line_words(index)}: the exemption code {reason.code} means "
            f"{CATEGORY_WORDS[category_for_exemption(reason.code)]}, not "
            f"{CATEGORY_WORDS[stated]}.",
        )
    if stated in DEFAULT_EXEMPTIONS:
        code, text = DEFAULT_EXEMPTIONS[stated]
        reason = ExemptionReason(code=(reason and reason.code) or code, text=_text_or(reason, text))
    elif reason is None:
        raise InvoiceRuleError(
            _line_field(index, "exemption_reason"),
            f"{_line_words(index)} is exempt from VAT: say why, with a VATEX code (for example "
            "VATEX-EU-132-1C for medical care) or the article of the law that exempts it.",
        )
    return stated, reason


def _line_field(index: int | None, name: str) -> str:
    return name if index is None else f"items[{index}].{name}"


CATEGORY_WORDS = {
    "S": "standard rated",
    "Z": "zero rated",
    "E": "exempt from VAT",
    "AE": "reverse charge",
    "K": "an intra-community supply",
    "G": "an export outside the EU",
    "O": "outside the scope of VAT",
}


def _clean_reason(reason: ExemptionReason | None) -> ExemptionReason | None:
    if reason is None:
        return None
    code = (reason.code or "").strip().upper() or None
    text = (reason.text or "").strip() or None
    return ExemptionReason(code, text) if code or text else None


def _text_or(reason: ExemptionReason | None, default: str) -> str:
    return (reason.text if reason else None) or default


def _check_same_reason(
    first: tuple[int, ExemptionReason | None], index: int, line: PricedLine
) -> None:
    """One exemption reason per category and rate (EN 16931 carries one per VAT breakdown)."""
    first_index, reason = first
    code = line.exemption_reason.code if line.exemption_reason else None
    if reason is not None and reason.code and code and code != reason.code:
        raise InvoiceRuleError(
            f"items[{index}].exemption_reason",
            f"Lines {first_index + 1} and {index + 1} are {CATEGORY_WORDS[line.tax_category]} "
            f"with different exemption codes ({reason.code}, {code}); an e-invoice has one "
            "reason per VAT category, so give them the same reason or split the invoice.",
        )


def _check_vat_numbers(lines: tuple[PricedLine, ...], draft: InvoiceDraft) -> None:
    """Reverse charge and intra-community supplies name both parties' VAT numbers."""
    needing = [line for line in lines if line.tax_category in BOTH_VAT_NUMBERS]
    if not needing:
        return
    words = CATEGORY_WORDS[needing[0].tax_category].removeprefix("an ")
    for role, party in (("seller", draft.seller), ("buyer", draft.buyer)):
        if not vat_identifier(party.tax_id if party else None):
            example = "DE123456789" if role == "buyer" else "FR40303265045"
            raise InvoiceRuleError(
                f"{role}.tax_id",
                f"{words.capitalize()} needs the {role}'s VAT number, starting with its country "
                f"code (for example '{example}'): ask for it, or choose another VAT category.",
            )


def _prepaid(prepaid: Decimal | None, total: Decimal, currency: str) -> Decimal | None:
    if prepaid is None:
        return None
    amount = round_money(prepaid, currency)
    if amount > total:
        raise InvoiceRuleError(
            "prepaid_amount",
            f"The amount paid in advance ({amount} {currency}) is more than the total ({total}).",
        )
    return amount


def _payment(payment: Payment | None, currency: str) -> Payment | None:
    """The payment instructions with a means code: SEPA credit transfer (58) for an IBAN in
    euros, credit transfer (30) for an IBAN in another currency, else 1 (not defined)."""
    if payment is None or not any(vars(payment).values()):
        return None
    if payment.means_code:
        return payment
    if payment.iban:
        code = SEPA_CREDIT_TRANSFER if currency == "EUR" else CREDIT_TRANSFER
    else:
        code = NOT_DEFINED
    return replace(payment, means_code=code)


def _invoice_discount(discount: Discount | None, subtotal: Decimal, currency: str) -> Decimal:
    if discount is None:
        return round_money(ZERO, currency)
    if discount.kind == "percent":
        with localcontext() as ctx:
            ctx.prec = _EXACT_PRECISION
            amount = round_money(subtotal * discount.value / HUNDRED, currency)
    else:
        amount = round_money(discount.value, currency)
    if amount > subtotal:  # a percent over 100 too: the schema refuses it, direct callers may not
        raise InvoiceRuleError(
            "discount",
            f"The discount ({amount} {currency}) is larger than the subtotal ({subtotal}).",
        )
    return amount


def allocate(amount: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """Split `amount` over `weights` proportionally, in minor units, adding up exactly.

    Largest-remainder method: every share is first rounded down, then the minor units left
    over go to the shares with the largest remainders (earlier weights win ties).
    """
    total_weight = sum(weights, ZERO)
    if not weights or amount == 0 or total_weight == 0:
        return [round_money(ZERO, currency) for _ in weights]
    unit = minor_unit(currency)
    with localcontext() as ctx:
        ctx.prec = _EXACT_PRECISION
        exact = [amount * w / total_weight for w in weights]
    shares = [floor_money(e, currency) for e in exact]
    leftover_units = int((amount - sum(shares, ZERO)) / unit)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:leftover_units]:
        shares[i] += unit
    return shares
