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
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal, localcontext
from typing import Literal

from core.money import DEFAULT_CURRENCY, floor_money, minor_unit, plain, round_money

HUNDRED = Decimal(100)
ZERO = Decimal(0)
# Enough digits for quantity (≤ 1e9, 6 places) × unit price (≤ 1e12, 6 places) without rounding.
_EXACT_PRECISION = 60


@dataclass(frozen=True)
class Party:
    """A seller or buyer. Only the name is required."""

    name: str
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    tax_id: str | None = None


@dataclass(frozen=True)
class LineItem:
    """One line as the LLM states it: no amounts, only facts."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str | None = None
    tax_rate: Decimal = ZERO  # percent
    discount_percent: Decimal = ZERO


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


@dataclass(frozen=True)
class PricedLine(LineItem):
    """A line item with the net amount the server computed for it."""

    net_amount: Decimal = ZERO

    def to_item(self) -> LineItem:
        return LineItem(**{f.name: getattr(self, f.name) for f in fields(LineItem)})


@dataclass(frozen=True)
class TaxBreakdown:
    """Tax for one rate: the rate in percent, its base after discount, and the rounded tax."""

    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Invoice:
    """A complete invoice: the draft's facts, its number, and every amount computed."""

    number: str
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


def format_invoice_number(sequence: int) -> str:
    """INV-0001 … INV-9999, INV-10000 …: four digits at least, never truncated."""
    return f"INV-{sequence:04d}"


def line_net_amount(item: LineItem, currency: str) -> Decimal:
    """quantity × unit price less the line discount, rounded half-up once."""
    with localcontext() as ctx:
        ctx.prec = _EXACT_PRECISION
        gross = item.quantity * item.unit_price
        return round_money(gross - gross * item.discount_percent / HUNDRED, currency)


def price_invoice(draft: InvoiceDraft, number: str, *, today: date) -> Invoice:
    """Compute every amount of `draft`. A missing issue date becomes `today`.

    Raises InvoiceRuleError when the draft cannot be priced (a discount larger than the
    subtotal, a due date before the issue date).
    """
    # The schema allows 1000 lines of 10^21 each; with 4 minor digits (CLF) the sums need more
    # than the default context's 28 significant digits, and every sum here must be exact.
    with localcontext(prec=_EXACT_PRECISION):
        return _price_invoice(draft, number, today)


def _price_invoice(draft: InvoiceDraft, number: str, today: date) -> Invoice:
    if draft.issue_date is None:
        draft = replace(draft, issue_date=today)
    if draft.due_date is not None and draft.due_date < draft.issue_date:
        raise InvoiceRuleError("due_date", "The due date is before the issue date.")

    currency = draft.currency
    lines = tuple(
        PricedLine(**vars(item), net_amount=line_net_amount(item, currency)) for item in draft.items
    )
    subtotal = sum((line.net_amount for line in lines), ZERO)
    subtotal = round_money(subtotal, currency)  # gives exactly the minor digits, even for 0
    discount_total = _invoice_discount(draft.discount, subtotal, currency)

    net_by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = Decimal(plain(line.tax_rate))  # 8, 8.0 and 8.00 are one rate, shown as "8"
        net_by_rate[rate] = net_by_rate.get(rate, ZERO) + line.net_amount
    rates = sorted(net_by_rate)
    shares = allocate(discount_total, [net_by_rate[r] for r in rates], currency)

    breakdown = []
    for rate, share in zip(rates, shares, strict=True):
        base = round_money(net_by_rate[rate] - share, currency)
        with localcontext() as ctx:
            ctx.prec = _EXACT_PRECISION
            tax = round_money(base * rate / HUNDRED, currency)
        breakdown.append(TaxBreakdown(rate=rate, base=base, tax=tax))
    tax_total = round_money(sum((b.tax for b in breakdown), ZERO), currency)

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
        total=subtotal - discount_total + tax_total,
        tax_breakdown=tuple(breakdown),
    )


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
