"""What one understood instruction does to an invoice draft.

Each reader in `clauses` turns a clause into one of these changes. A change applies to a draft
and says what it did (for the reply); `summary()` says what was understood without a draft
(for a reply that declines). Changes apply in `phase` order, then in the order they were
written, so "remove line 1 and line 2" removes the lines that were 1 and 2 when the message
was sent, and tax set in the same message covers the lines it adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from core.invoice import Contact, Discount, InvoiceDraft, LineItem, Party
from core.money import plain
from core.providers.offline.amounts import Money
from core.providers.offline.dates import shift
from core.providers.offline.reply_text import (
    describe_line,
    format_money,
    format_quantity,
    human_date,
    join_words,
    list_lines,
)
from core.providers.offline.vocabulary import DOLLAR, DOLLAR_CURRENCIES, ORDINALS


class Question(Exception):
    """Something the engine cannot do without guessing, as a question for the person.

    Readers return one when a clause is clear but something is missing ("How much should I
    charge for consulting?"); changes raise one while applying ("Which line do you mean?").
    Either way the invoice stays as it was. `missing_price` names the line whose price is
    missing (as `lines.answer_key` writes it), so that a reply of just "$500" can answer it
    on the next turn; `subject` is that line in words ("40 hours of consulting"), for asking
    several prices in one question.
    """

    def __init__(
        self,
        text: str,
        *,
        missing_price: str | None = None,
        subject: str = "",
        needs_description: bool = False,  # "What is the $800 for?"
        line: Change | None = None,  # that line, billed as "Services" when creating
        about: Decimal | None = None,  # the value asked about ("Should 45 be the quantity?")
    ) -> None:
        super().__init__(text)
        self.text = text
        self.missing_price = missing_price
        self.subject = subject
        self.needs_description = needs_description
        self.line = line
        self.about = about

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Question) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[object, ...]:
        return (self.text, self.missing_price, self.subject, self.needs_description)


@dataclass
class Context:
    """What a change needs besides the draft: the day, whether a new invoice is being made,
    the invoice before its last change (for undo), and the lines marked for removal."""

    today: date
    creating: bool
    previous: InvoiceDraft | None = None
    removed: set[int] = field(default_factory=set)


def _money_text(money: Money, currency: str | None = None) -> str:
    code = money.currency or currency or "USD"
    return format_money(money.amount, code)


class Change:
    """One understood instruction."""

    phase: ClassVar[int] = 6

    def amounts(self) -> tuple[Money, ...]:
        return ()

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        raise NotImplementedError

    def summary(self) -> str:
        """What was understood, in a few words: "8% tax", "client Acme Corp"."""
        raise NotImplementedError


# --- which line ------------------------------------------------------------------------------

_REF_NOISE = frozenset({
    "the", "a", "an", "of", "for", "on", "line", "lines", "item", "items", "entry", "row", "one",
    "it", "that", "this", "rate", "price", "cost", "amount", "quantity", "qty", "fee", "to",
})  # fmt: skip
_POSITION_RE = re.compile(
    r"(?:(?:lines?|items?|rows?|entry|entries|number|no)\s*#?\s*|#)(-?\d+)"
    r"|(\d+)(?:st|nd|rd|th)?(?:\s+(?:line|item|row|entry|one))?"
)
_ORDINAL_RE = re.compile(r"(\w+)(?:\s+(?:line|item|row|entry|one))?")


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _describes(words: list[str], description: str) -> bool:
    """Every word of the reference starts a word of the description ("audit", "widget")."""
    own = [_stem(w) for w in re.findall(r"\w+", description.lower())]
    return all(any(w.startswith(_stem(word)) for w in own) for word in words)


@dataclass(frozen=True)
class LineRef:
    """Which line a clause means: "line 2", "the last line", "the travel line", or "it"."""

    text: str
    unit: str | None = None

    @property
    def shown(self) -> str:
        text = self.text.strip()
        return text if text.lower() not in {"", "it", "that", "this"} else "the line"

    def find(self, items: tuple[LineItem, ...], skip: frozenset[int] = frozenset()) -> int:
        """The index of the line meant. Raises Question when none or several match."""
        live = [i for i in range(len(items)) if i not in skip]
        if not live:
            raise Question("The invoice has no lines yet, so there is nothing to change.")
        text = " ".join(re.sub(r"[^\w\s#-]", " ", self.text.lower()).split())
        text = re.sub(r"^(?:the|that|this)\s+", "", text)
        position = self._position(text, len(items))
        if position is not None:
            if position in skip:
                raise Question(f"Line {position + 1} is already being removed.")
            return position
        words = [w for w in re.findall(r"\w+", text) if w not in _REF_NOISE]
        if not words:
            return self._only_line(items, live)
        matches = [i for i in live if _describes(words, items[i].description)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            listed = "; ".join(f"{i + 1}. {items[i].description}" for i in matches)
            raise Question(f"Several lines match “{self.text}” ({listed}). Which one?")
        raise Question(
            f"I couldn't find a line matching “{self.text}”. The lines are: {list_lines(items)}."
        )

    @staticmethod
    def _position(text: str, count: int) -> int | None:
        match = _POSITION_RE.fullmatch(text)
        ordinal = _ORDINAL_RE.fullmatch(text)
        if match:
            number = int(match[1] or match[2])
            number = count + 1 + number if number < 0 else number  # "line -1": the last
        elif ordinal and ordinal[1] in ORDINALS:
            number = ORDINALS[ordinal[1]]
        elif ordinal and ordinal[1] == "last":
            number = count
        else:
            return None
        if not 1 <= number <= count:
            lines = "line" if count == 1 else "lines"
            raise Question(f"There is no line {number}; the invoice has {count} {lines}.")
        return number - 1

    def _only_line(self, items: tuple[LineItem, ...], live: list[int]) -> int:
        if len(live) == 1:
            return live[0]
        same_unit = [i for i in live if self.unit and items[i].unit == self.unit]
        if len(same_unit) == 1:
            return same_unit[0]
        raise Question(f"Which line do you mean? {list_lines(items)}.")


def _replace_item(draft: InvoiceDraft, index: int, item: LineItem) -> InvoiceDraft:
    return replace(draft, items=(*draft.items[:index], item, *draft.items[index + 1 :]))


def _common_tax_rate(items: tuple[LineItem, ...]) -> Decimal:
    rates = {item.tax_rate for item in items}
    return rates.pop() if len(rates) == 1 else Decimal(0)


# --- lines -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddLine(Change):
    description: str
    quantity: Decimal
    unit: str | None
    price: Money
    tax_rate: Decimal | None = None  # "design $500 (20% VAT)"; None: the rate lines share
    phase: ClassVar[int] = 1

    def amounts(self) -> tuple[Money, ...]:
        return (self.price,)

    def item(self, rate: Decimal = Decimal(0)) -> LineItem:
        rate = self.tax_rate if self.tax_rate is not None else rate
        return LineItem(self.description, self.quantity, self.price.amount, self.unit, rate)

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        # A line added to an invoice whose lines all carry one tax rate gets that rate too.
        item = self.item(_common_tax_rate(draft.items))
        message = f"Added {describe_line(item, draft.currency)}"
        message += f" with {plain(item.tax_rate)}% tax." if item.tax_rate else "."
        return replace(draft, items=(*draft.items, item)), message

    def summary(self) -> str:
        return describe_line(self.item(), self.price.currency or "USD")


@dataclass(frozen=True)
class AddToQuantity(Change):
    """ "add 5 more hours", "2 more days of training": the quantity grows."""

    ref: LineRef
    quantity: Decimal
    unit: str | None
    phase: ClassVar[int] = 1

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        index = self.ref.find(draft.items, frozenset(ctx.removed))
        item = draft.items[index]
        if self.unit and item.unit and self.unit != item.unit:
            raise Question(
                f"Line {index + 1} ({item.description}) is counted in {item.unit}s, not "
                f"{self.unit}s — what should its quantity be?"
            )
        if item.quantity + self.quantity == 0:  # "remove one video" from a line of one video
            ctx.removed.add(index)
            return draft, f"Removed line {index + 1} ({item.description})."
        item = replace(item, quantity=item.quantity + self.quantity, unit=item.unit or self.unit)
        message = f"Updated line {index + 1}: {describe_line(item, draft.currency)}."
        return _replace_item(draft, index, item), message

    def summary(self) -> str:
        return f"{format_quantity(self.quantity, self.unit)} more on {self.ref.shown}"


@dataclass(frozen=True)
class ChangeLine(Change):
    ref: LineRef
    quantity: Decimal | None = None
    unit: str | None = None
    price: Money | None = None
    description: str | None = None
    phase: ClassVar[int] = 1

    def amounts(self) -> tuple[Money, ...]:
        return (self.price,) if self.price else ()

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        index = self.ref.find(draft.items, frozenset(ctx.removed))
        item = draft.items[index]
        if self.quantity is not None:
            item = replace(item, quantity=self.quantity)
        if self.unit is not None:
            item = replace(item, unit=self.unit)
        if self.price is not None:
            item = replace(item, unit_price=self.price.amount)
        if self.description is not None:
            item = replace(item, description=self.description)
        message = f"Updated line {index + 1}: {describe_line(item, draft.currency)}."
        return _replace_item(draft, index, item), message

    def summary(self) -> str:
        parts = []
        if self.quantity is not None:
            parts.append(format_quantity(self.quantity, self.unit))
        if self.price is not None:
            parts.append(_money_text(self.price) + (f"/{self.unit}" if self.unit else ""))
        if self.description is not None:
            parts.append(f"“{self.description}”")
        return f"{self.ref.shown} → {', '.join(parts)}"


@dataclass(frozen=True)
class CorrectValue(Change):
    """ "it was 12 hours, not 10", "the report was 650 not 600": the line that has the old
    value (as its quantity or its price) gets the new one."""

    old: Decimal
    quantity: Decimal | None = None  # the new value when it is a count ("12 hours")
    price: Money | None = None  # the new value when it is written as money ("$650")
    number: Decimal | None = None  # the new value when it is a bare number ("650")
    unit: str | None = None
    ref: LineRef | None = None  # "the report"
    phase: ClassVar[int] = 1

    def amounts(self) -> tuple[Money, ...]:
        return (self.price,) if self.price else ()

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        live = [i for i in range(len(draft.items)) if i not in ctx.removed]
        if self.ref is not None and self.ref.text.strip():
            live = [self.ref.find(draft.items, frozenset(ctx.removed))]
        found = []
        for index in live:
            item = draft.items[index]
            if self.price is None and item.quantity == self.old:
                found.append((index, "quantity"))
            if self.quantity is None and item.unit_price == self.old:
                found.append((index, "price"))
        if len(found) != 1:
            where = "no line has" if not found else "more than one line has"
            raise Question(
                f"I can't tell which value to change: {where} {plain(self.old)}. Say e.g. “change "
                f"the consulting hours to …” or “the travel rate is …”."
            )
        index, attribute = found[0]
        item = draft.items[index]
        if attribute == "quantity":
            value = self.quantity if self.quantity is not None else self.number
            item = replace(item, quantity=value, unit=item.unit or self.unit)
        else:
            amount = self.price.amount if self.price is not None else self.number
            item = replace(item, unit_price=amount)
        message = f"Updated line {index + 1}: {describe_line(item, draft.currency)}."
        return _replace_item(draft, index, item), message

    def summary(self) -> str:
        new = self.quantity if self.quantity is not None else self.number
        shown = _money_text(self.price) if self.price is not None else plain(new or Decimal(0))
        return f"{plain(self.old)} → {shown}"


@dataclass(frozen=True)
class Part:
    """One of the lines a line is split into; without a price it keeps the line's."""

    description: str
    quantity: Decimal
    unit: str | None
    price: Money | None


@dataclass(frozen=True)
class SplitLine(Change):
    """ "split that into 20 hours of development and 10 hours of testing"."""

    ref: LineRef
    parts: tuple[Part, ...]
    phase: ClassVar[int] = 1

    def amounts(self) -> tuple[Money, ...]:
        return tuple(part.price for part in self.parts if part.price)

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        index = self.ref.find(draft.items, frozenset(ctx.removed))
        item = draft.items[index]
        new = tuple(
            replace(
                item,
                description=part.description,
                quantity=part.quantity,
                unit=part.unit or item.unit,
                unit_price=part.price.amount if part.price else item.unit_price,
            )
            for part in self.parts
        )
        shown = "; ".join(describe_line(line, draft.currency) for line in new)
        items = (*draft.items[:index], *new, *draft.items[index + 1 :])
        return replace(draft, items=items), f"Split line {index + 1} into {shown}."

    def summary(self) -> str:
        return f"split {self.ref.shown} into {len(self.parts)} lines"


@dataclass(frozen=True)
class ReplaceLine(Change):
    """ "replace travel with mileage 90 miles at $0.67": a new line where the old one was,
    with its tax rate."""

    ref: LineRef
    line: AddLine
    phase: ClassVar[int] = 1

    def amounts(self) -> tuple[Money, ...]:
        return self.line.amounts()

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        index = self.ref.find(draft.items, frozenset(ctx.removed))
        old = draft.items[index]
        item = self.line.item(old.tax_rate)
        message = f"Replaced {old.description} with {describe_line(item, draft.currency)}."
        return _replace_item(draft, index, item), message

    def summary(self) -> str:
        return f"replace {self.ref.shown} with {self.line.summary()}"


@dataclass(frozen=True)
class RemoveLine(Change):
    """Marks a line for removal; the marked lines go together once every line edit is done."""

    ref: LineRef
    phase: ClassVar[int] = 2

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        index = self.ref.find(draft.items, frozenset(ctx.removed))
        ctx.removed.add(index)
        return draft, f"Removed line {index + 1} ({draft.items[index].description})."

    def summary(self) -> str:
        return f"remove {self.ref.shown}"


def purge_removed(draft: InvoiceDraft, ctx: Context) -> InvoiceDraft:
    if not ctx.removed:
        return draft
    items = tuple(item for i, item in enumerate(draft.items) if i not in ctx.removed)
    ctx.removed.clear()
    return replace(draft, items=items)


# --- tax, discounts, currency ----------------------------------------------------------------


@dataclass(frozen=True)
class SetCurrency(Change):
    code: str  # an ISO code, or DOLLAR
    phase: ClassVar[int] = 0

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        code = settle_dollar(self.code, draft.currency)
        if ctx.creating:
            return replace(draft, currency=code), None
        if draft.items and code != draft.currency:
            message = f"Changed the currency to {code}; the amounts were kept, not converted."
        else:
            message = f"Currency: {code}."
        return replace(draft, currency=code), message

    def summary(self) -> str:
        return f"currency {'dollars' if self.code == DOLLAR else self.code}"


@dataclass(frozen=True)
class SetTax(Change):
    rate: Decimal
    ref: LineRef | None = None  # None: every line
    phase: ClassVar[int] = 3

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        if not draft.items:
            if not ctx.creating:
                raise Question("Tax is set per line — add a line first, then the tax.")
            return draft, "Tax is set per line, so I'll need a line before I can add tax."
        if self.ref is None:
            items = tuple(self._taxed(item) for item in draft.items)
            scope = "all lines" if len(items) > 1 else "the line"
        else:
            index = self.ref.find(draft.items)
            items = tuple(
                self._taxed(item) if i == index else item for i, item in enumerate(draft.items)
            )
            scope = draft.items[index].description
        if self.rate == 0:
            return replace(draft, items=items), f"Removed tax from {scope}."
        return replace(draft, items=items), f"Set tax to {plain(self.rate)}% on {scope}."

    def _taxed(self, item: LineItem) -> LineItem:
        """A rate above 0 makes the line standard rated again (no reverse charge, exemption);
        "no tax" on a reverse-charge or exempt line keeps its category (see vat.py)."""
        if self.rate == 0:
            return replace(item, tax_rate=self.rate)
        return replace(item, tax_rate=self.rate, tax_category=None, exemption_reason=None)

    def summary(self) -> str:
        scope = f" on {self.ref.shown}" if self.ref else ""
        return f"no tax{scope}" if self.rate == 0 else f"{plain(self.rate)}% tax{scope}"


@dataclass(frozen=True)
class SetLineDiscount(Change):
    percent: Decimal
    ref: LineRef
    phase: ClassVar[int] = 3

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        index = self.ref.find(draft.items)
        item = replace(draft.items[index], discount_percent=self.percent)
        if self.percent == 0:
            message = f"Removed the discount on {item.description}."
        else:
            message = f"Applied a {plain(self.percent)}% discount to {item.description}."
        return _replace_item(draft, index, item), message

    def summary(self) -> str:
        return f"{plain(self.percent)}% off {self.ref.shown}"


@dataclass(frozen=True)
class SetDiscount(Change):
    kind: str | None  # "percent", "amount", or None to remove the discount
    value: Money | None = None
    phase: ClassVar[int] = 4

    def amounts(self) -> tuple[Money, ...]:
        return (self.value,) if self.kind == "amount" and self.value else ()

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        if self.kind is None or self.value is None:
            if draft.discount is None and any(i.discount_percent for i in draft.items):
                items = tuple(replace(i, discount_percent=Decimal(0)) for i in draft.items)
                return replace(draft, items=items), "Removed the line discounts."
            return replace(draft, discount=None), "Removed the discount."
        discount = Discount(kind=self.kind, value=self.value.amount)  # type: ignore[arg-type]
        return replace(draft, discount=discount), f"Applied a {self._shown(draft)} discount."

    def _shown(self, draft: InvoiceDraft | None = None) -> str:
        assert self.value is not None
        if self.kind == "percent":
            return f"{plain(self.value.amount)}%"
        return _money_text(self.value, draft.currency if draft else None)

    def summary(self) -> str:
        return "no discount" if self.value is None else f"a {self._shown()} discount"


# --- dates and terms -------------------------------------------------------------------------

DUE_ON_RECEIPT = "Due on receipt"
# A new invoice's line given only as an amount ("Invoice Hooli for $2,400") is billed as this.
GENERIC_DESCRIPTION = "Services"
NET_TERMS_RE = re.compile(r"^net\s*(\d+)(?:\s+days)?$", re.I)


@dataclass(frozen=True)
class SetIssueDate(Change):
    day: date
    phase: ClassVar[int] = 5

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        draft = replace(draft, issue_date=self.day)
        terms = draft.payment_terms or ""
        net = NET_TERMS_RE.match(terms)
        shown = human_date(self.day)
        if net or terms == DUE_ON_RECEIPT:  # terms count from the issue date: the due date moves
            days = int(net[1]) if net else 0
            draft = replace(draft, due_date=self.day + timedelta(days=days))
            assert draft.due_date is not None
            due = human_date(draft.due_date)
            return draft, f"Issue date: {shown}; due {due} ({draft.payment_terms})."
        return draft, f"Issue date: {shown}."

    def summary(self) -> str:
        return f"issue date {human_date(self.day)}"


@dataclass(frozen=True)
class SetDueDate(Change):
    day: date | None
    phase: ClassVar[int] = 6

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        if self.day is None:
            return replace(draft, due_date=None), "Removed the due date."
        terms = draft.payment_terms
        if terms and (NET_TERMS_RE.match(terms) or terms == DUE_ON_RECEIPT):
            terms = None  # "Net 30" would contradict the new date
        return replace(draft, due_date=self.day, payment_terms=terms), (
            f"Due {human_date(self.day)}."
        )

    def summary(self) -> str:
        return "no due date" if self.day is None else f"due {human_date(self.day)}"


@dataclass(frozen=True)
class SetDueIn(Change):
    """Due a number of days, weeks or months after the issue date; `terms` also sets terms."""

    count: int
    unit: str
    terms: str | None = None
    phase: ClassVar[int] = 6

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        issue = draft.issue_date or ctx.today
        due = shift(issue, self.count, self.unit)
        terms = self.terms
        if terms is None and NET_TERMS_RE.match(draft.payment_terms or ""):
            terms = f"Net {self.count}" if self.unit == "day" else None  # keep terms truthful
        elif terms is None and draft.payment_terms != DUE_ON_RECEIPT:
            terms = draft.payment_terms
        draft = replace(draft, due_date=due, payment_terms=terms)
        if self.terms:
            return draft, f"Payment terms: {self.terms}, due {human_date(due)}."
        return draft, f"Due {human_date(due)} (in {self._period()})."

    def _period(self) -> str:
        return format_quantity(Decimal(self.count), self.unit)

    def summary(self) -> str:
        return self.terms or f"due in {self._period()}"


@dataclass(frozen=True)
class ShiftDueDate(Change):
    """ "push the due date back a week": later than it was (or than the issue date)."""

    count: int
    unit: str
    phase: ClassVar[int] = 6

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        start = draft.due_date or draft.issue_date or ctx.today
        due = shift(start, self.count, self.unit)
        terms = draft.payment_terms
        if terms and (NET_TERMS_RE.match(terms) or terms == DUE_ON_RECEIPT):
            terms = None
        period = format_quantity(Decimal(self.count), self.unit)
        return replace(draft, due_date=due, payment_terms=terms), (
            f"Due {human_date(due)} ({period} later)."
        )

    def summary(self) -> str:
        return f"due date {format_quantity(Decimal(self.count), self.unit)} later"


@dataclass(frozen=True)
class SetTerms(Change):
    text: str | None
    phase: ClassVar[int] = 6

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        if self.text is None:
            return replace(draft, payment_terms=None), "Removed the payment terms."
        return replace(draft, payment_terms=self.text), f"Payment terms: {self.text}."

    def summary(self) -> str:
        return "no payment terms" if self.text is None else f"payment terms “{self.text}”"


# --- parties and notes -----------------------------------------------------------------------

_ROLE_NAMES = {"buyer": "client", "seller": "seller"}
# How a question waiting for a party's name ends; the provider reads the answer with the
# details the question was about.
WAITING_FOR_A_NAME = ("who is the client?", "Tell me the name to put on the invoice as the seller")
DETAIL_LABELS = {
    "email": "email",
    "phone": "phone",
    "address": "address",
    "tax_id": "tax ID",
    "company": "company",
}


@dataclass(frozen=True)
class SetParty(Change):
    role: str  # "buyer" or "seller"
    name: str
    keep_details: bool = False  # "client name is …" renames; "client is …" is a new client
    phase: ClassVar[int] = 7

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        party: Party | None = getattr(draft, self.role)
        label = _ROLE_NAMES[self.role]
        if party and party.name == self.name:
            return draft, None
        # The seller is the person typing: renaming them keeps their email and address.
        if party and (self.keep_details or self.role == "seller"):
            party = replace(party, name=self.name)
            message = f"{label.capitalize()} name: {self.name}."
        else:
            party = Party(name=self.name)
            message = f"{label.capitalize()}: {self.name}."
        return replace(draft, **{self.role: party}), message

    def summary(self) -> str:
        return f"{_ROLE_NAMES[self.role]} {self.name}"


@dataclass(frozen=True)
class SetPartyDetail(Change):
    role: str  # "buyer" or "seller"
    field: str  # a Party field other than name
    value: str | None  # None removes it
    phase: ClassVar[int] = 8

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        label = DETAIL_LABELS[self.field]
        party: Party | None = getattr(draft, self.role)
        if party is None:
            if self.role == "buyer":
                question = (
                    f"I need the client's name before I can add their {label} "
                    f"({self.value}) — {WAITING_FOR_A_NAME[0]}"
                )
            else:
                question = (
                    f"Whose {label} is {self.value}? {WAITING_FOR_A_NAME[1]} first, e.g. “my "
                    "company is Pixel Studio”."
                )
            if not ctx.creating:
                raise Question(question)
            return draft, question  # the new invoice is still worth creating
        party = replace(party, **{self.field: self.value})
        who = "Client" if self.role == "buyer" else "Your"
        if self.value is None:
            return replace(
                draft, **{self.role: party}
            ), f"Removed the {_ROLE_NAMES[self.role]}'s {label}."
        return replace(draft, **{self.role: party}), f"{who} {label}: {self.value}."

    def summary(self) -> str:
        whose = "client" if self.role == "buyer" else "your"
        return f"{whose} {DETAIL_LABELS[self.field]} {self.value or '(removed)'}"


@dataclass(frozen=True)
class SetNotes(Change):
    text: str | None
    append: bool = False  # "add PO 4471 to the notes" keeps what the notes said
    phase: ClassVar[int] = 9

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        if self.text is None:
            return replace(draft, notes=None), "Removed the notes."
        text = f"{draft.notes}\n{self.text}" if self.append and draft.notes else self.text
        return replace(draft, notes=text), f"Note: “{text}”."

    def summary(self) -> str:
        return "no notes" if self.text is None else f"note “{self.text}”"


@dataclass(frozen=True)
class SetPurchaseOrder(Change):
    """The client's purchase-order number, quoted on the invoice (BT-13), as written."""

    reference: str
    phase: ClassVar[int] = 10

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        return replace(draft, purchase_order=self.reference), f"Purchase order: {self.reference}."

    def summary(self) -> str:
        return f"PO {self.reference}"


@dataclass(frozen=True)
class SetContact(Change):
    """The person at the client the invoice is for ("Attn: Maria Keller"; BT-56)."""

    name: str
    phase: ClassVar[int] = 10

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        if draft.buyer is None:
            question = (
                f"I need the client's name before I can add their contact {self.name} — "
                f"{WAITING_FOR_A_NAME[0]}"
            )
            if not ctx.creating:
                raise Question(question)
            return draft, question
        contact = replace(draft.buyer.contact or Contact(), name=self.name)
        buyer = replace(draft.buyer, contact=contact)
        return replace(draft, buyer=buyer), f"Client contact: {self.name}."

    def summary(self) -> str:
        return f"contact {self.name}"


@dataclass(frozen=True)
class ClearInvoice(Change):
    """ "start over": an empty invoice, keeping the seller (the person typing) and currency."""

    lines_only: bool = False  # "remove all lines" keeps the client, dates and the rest
    phase: ClassVar[int] = -1

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        if self.lines_only:
            return replace(draft, items=()), "Removed all lines."
        cleared = InvoiceDraft(currency=draft.currency, issue_date=ctx.today, seller=draft.seller)
        return (
            cleared,
            "Cleared the invoice — who should I bill, and for what? (Say “undo” to get it back.)",
        )

    def summary(self) -> str:
        return "remove all lines" if self.lines_only else "start over"


# --- undo ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Undo(Change):
    """Back to the invoice as it was before its last change."""

    phase: ClassVar[int] = -1

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        previous = ctx.previous
        if previous is None or previous == draft:
            raise Question(
                "There's no earlier version of this invoice to go back to, so nothing changed."
            )
        return previous, f"Undid the last change: {describe_difference(draft, previous)}."

    def summary(self) -> str:
        return "undo the last change"


def _party_difference(role: str, before: Party | None, after: Party | None) -> str | None:
    label = _ROLE_NAMES[role]
    if before == after:
        return None
    if after is None:
        return f"no {label}"
    if before is None or before.name != after.name:
        return f"{label} {after.name}"
    return f"the {label}'s details as they were"


def describe_difference(before: InvoiceDraft, after: InvoiceDraft) -> str:
    """What changed from `before` to `after`, in words ("removed Travel; 8% tax on …")."""
    currency = after.currency
    parts: list[str] = []
    if len(before.items) == len(after.items):
        for index, (old, new) in enumerate(zip(before.items, after.items, strict=True)):
            if old != new:
                shown = describe_line(new, currency)
                if old.tax_rate != new.tax_rate:
                    shown += f" with {plain(new.tax_rate)}% tax"
                parts.append(f"line {index + 1} is back to {shown}")
    else:
        parts += [
            f"{describe_line(item, currency)} is back"
            for item in after.items
            if item not in before.items
        ]
        parts += [f"removed {item.description}" for item in before.items if item not in after.items]
    for role in ("buyer", "seller"):
        party = _party_difference(role, getattr(before, role), getattr(after, role))
        parts += [party] if party else []
    labels = {
        "currency": "currency",
        "discount": "discount",
        "issue_date": "issue date",
        "due_date": "due date",
        "payment_terms": "payment terms",
        "notes": "notes",
        "purchase_order": "purchase order",
    }
    changed = [
        label for name, label in labels.items() if getattr(before, name) != getattr(after, name)
    ]
    if changed:
        parts.append(f"the {join_words(changed)} as before")
    return "; ".join(parts) if parts else "the invoice is as it was"


# --- currencies ------------------------------------------------------------------------------


def settle_dollar(code: str, current: str | None) -> str:
    """A bare "$" means the invoice's dollar currency if it has one, else USD."""
    if code != DOLLAR:
        return code
    return current if current in DOLLAR_CURRENCIES else "USD"


def resolve_currency(current: str | None, changes: list[Change]) -> str:
    """The currency the invoice ends up in; every amount written must fit it.

    `current` is None for a new invoice, whose currency then comes from the amounts.
    Raises Question when the amounts disagree with each other or with the currency.
    """
    explicit = [c.code for c in changes if isinstance(c, SetCurrency)]
    written = [m.currency for c in changes for m in c.amounts() if m.currency]
    target = explicit[-1] if explicit else current
    if target is None:
        specific = sorted({code for code in written if code != DOLLAR})
        dollars = DOLLAR in written and not set(specific) <= DOLLAR_CURRENCIES
        if len(specific) > 1 or dollars:
            shown = [*specific, "dollars"] if dollars else specific
            raise Question(
                f"I see amounts in {' and '.join(shown)}, but an invoice has one currency. "
                "Which one should I use?"
            )
        target = specific[0] if specific else DOLLAR
    target = settle_dollar(target, current)
    for code in written:
        if code != target and not (code == DOLLAR and target in DOLLAR_CURRENCIES):
            shown = "dollars" if code == DOLLAR else code
            raise Question(
                f"This invoice is in {target}, but you wrote an amount in {shown}. Say “change "
                f"currency to {'USD' if code == DOLLAR else code}” first, or give the amount "
                f"in {target}."
            )
    return target


# --- applying a message's changes ------------------------------------------------------------


def apply_changes(
    current: InvoiceDraft | None, changes: list[Change], ctx: Context
) -> tuple[InvoiceDraft, list[str]]:
    """The draft after `changes`, and what each change did (for the reply), without repeats.

    Raises Question when a change cannot be made without guessing.
    """
    if ctx.creating or current is None:
        seller = current.seller if current else None  # the seller is the user: keep them
        currency = resolve_currency(None, changes)
        draft = InvoiceDraft(currency=currency, issue_date=ctx.today, seller=seller)
    else:
        draft = current
        base = ctx.previous if any(isinstance(c, Undo) for c in changes) else current
        resolve_currency(base.currency if base else current.currency, changes)
    messages: list[str] = []
    for change in sorted(changes, key=lambda c: c.phase):
        if change.phase > RemoveLine.phase:
            draft = purge_removed(draft, ctx)
        before = draft
        draft, message = change.apply(draft, ctx)
        if draft == before and not ctx.creating and not isinstance(change, RemoveLine):
            continue  # "8% tax" on lines that have it: nothing to report
        in_header = (
            ctx.creating
            and isinstance(change, AddLine | SetParty)
            and (not isinstance(change, SetParty) or change.role == "buyer")
        )
        if message and not in_header and message not in messages:
            messages.append(message)
    return purge_removed(draft, ctx), messages


def summarise(changes: list[Any]) -> str:
    """What a list of changes says, for a reply that declines: "client Acme; 8% tax"."""
    return "; ".join(dict.fromkeys(change.summary() for change in changes))
