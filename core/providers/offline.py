"""The offline provider: a deterministic engine that turns plain-English invoice requests into
invoice drafts, with no network and no model.

It reads the message, takes out the parts that run to the end of a sentence (notes, payment
terms, the client's address) and any email address, reads an opening such as "Invoice Acme Corp
for …", then splits the rest into short clauses ("40 hours of consulting at $150/h", "8% tax",
"due in 30 days") and reads each with a small pattern function. What it understands:

Creating an invoice (when there is none yet, or the message starts "invoice …", "bill …",
"create an invoice …" and names at least one line):
  - the client: "Invoice Acme Corp for …", "invoice to Wayne Enterprises …", "bill Oscorp …",
    "client: Pied Piper", and the client's email address anywhere in the text;
  - lines: "40 hours of consulting at $150/hr", "40h consulting @ 150/h",
    "3 x security audit @ $1,200 each", "12 widgets at 19.99 each", "$750 for menu design",
    "logo design $800", "consulting at $150/h for 40 hours", joined by "and", "plus" or commas;
  - currencies as symbols or codes before or after amounts ($ € £ ¥ ₹ C$ A$; USD EUR GBP JPY
    CHF CAD AUD INR and a few more; "euros", "pounds"), thousands separators, "$2k";
  - tax on every line ("8% tax", "add 20% VAT", "tax 6.5%"), an invoice discount ("10%
    discount", "$50 off"), due dates ("due in 30 days", "net 15", "due 2026-12-31",
    "due December 31", "due on receipt"), "note: …" and "payment terms: …".

Editing the current invoice:
  - lines: "add a $200 travel line", "add 2 hours of support at $90/h", "remove the travel
    line", "remove line 2", "change the rate to $175", "make it 45 hours", "set consulting to
    45 hours", "rename line 2 to Strategy workshop", "$175/h instead";
  - "10% discount", "10% off the consulting line", "remove the discount";
  - "set tax to 7%", "no tax", "8% tax on travel";
  - "client email is ap@acme.com", "client is Initech", "client phone is …", "seller: …";
  - "change currency to EUR" (amounts are kept, not converted);
  - "due in 45 days", "net 30", "remove the due date", "issue date 2026-11-01";
  - "note: thanks for your business", "remove the notes".

It never invents a client, price or quantity: a line without a price, an unclear line
reference or a clash of currencies gets a question back and leaves the invoice unchanged, and a
message it does not understand gets a reply saying what it can do. Amounts are Decimal from the
text to the JSON; the one piece of arithmetic is `price_invoice`, which validates the new draft
and supplies the total quoted in the reply.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from marshmallow import ValidationError

from core.invoice import Discount, InvoiceDraft, InvoiceRuleError, LineItem, Party, price_invoice
from core.money import minor_digits, plain
from core.providers.base import ProviderReply, ProviderRequest
from core.schemas import invoice_draft_schema, load_draft

HELP = (
    "I can create an invoice from a sentence such as “Invoice Acme Corp for 40 hours of "
    "consulting at $150/h, 8% tax, due in 30 days”, and then change it: “add a $200 travel "
    "line”, “remove line 2”, “change the rate to $175”, “make it 45 hours”, “10% discount”, "
    "“set tax to 7%”, “client email is ap@acme.com”, “change currency to EUR”, “due in 45 "
    "days” or “note: thanks for your business”."
)

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------

DOLLAR = "$"  # a bare dollar sign: the invoice's dollar currency, or USD
_DOLLAR_CURRENCIES = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"})
_CURRENCY_CODES = (
    "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR", "NZD", "SGD", "HKD", "SEK", "NOK",
    "DKK", "PLN", "CZK", "MXN", "BRL", "CNY", "ZAR",
)  # fmt: skip
_CURRENCY_SYMBOLS = {
    "US$": "USD", "CA$": "CAD", "C$": "CAD", "AU$": "AUD", "A$": "AUD", "$": DOLLAR,
    "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR",
}  # fmt: skip
_CURRENCY_NAMES = {
    "us dollars": "USD", "us dollar": "USD", "canadian dollars": "CAD", "canadian dollar": "CAD",
    "australian dollars": "AUD", "australian dollar": "AUD", "dollars": DOLLAR, "dollar": DOLLAR,
    "bucks": DOLLAR, "euros": "EUR", "euro": "EUR", "pounds sterling": "GBP", "pounds": "GBP",
    "pound": "GBP", "sterling": "GBP", "yen": "JPY", "rupees": "INR", "rupee": "INR",
    "swiss francs": "CHF", "francs": "CHF", "franc": "CHF",
}  # fmt: skip
_REPLY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}

_UNITS = {
    "hour": ("hours", "hour", "hrs", "hr", "h"),
    "day": ("days", "day"),
    "week": ("weeks", "week", "wks", "wk"),
    "month": ("months", "month", "mos", "mo"),
    "year": ("years", "year", "yrs", "yr"),
    "minute": ("minutes", "minute", "mins", "min"),
    "night": ("nights", "night"),
    "piece": ("pieces", "piece", "pcs", "pc"),
    "unit": ("units", "unit"),
}
_UNIT_BY_WORD = {word: unit for unit, words in _UNITS.items() for word in words}
_RATE_ADVERBS = {
    "hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month", "yearly": "year",
    "annually": "year", "nightly": "night",
}  # fmt: skip
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90,
}  # fmt: skip
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
_MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}  # Jan -> 1


def _alternation(words: Any) -> str:
    """A regex alternation of `words`, longest first so "hours" wins over "h"."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in ordered)


_SYMBOL_ALT = _alternation(_CURRENCY_SYMBOLS)
_CODE_ALT = _alternation(_CURRENCY_CODES)
_NAME_ALT = _alternation(_CURRENCY_NAMES)
_UNIT_ALT = _alternation(_UNIT_BY_WORD)
_ADVERB_ALT = _alternation(_RATE_ADVERBS)
_NUMBER_WORD_ALT = _alternation(_NUMBER_WORDS)
_NUMBER_WORD_NOT_A_ALT = _alternation(w for w in _NUMBER_WORDS if w not in {"a", "an"})

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
_QUANTITY = rf"(?P<qty>{_NUMBER}|(?:{_NUMBER_WORD_ALT})(?=\s))"
_PERCENT = rf"(?P<pct>{_NUMBER})\s?(?:%|percent\b|pct\b)"
_ISO_DATE = r"(?P<date>\d{4}-\d{2}-\d{2})"

# ---------------------------------------------------------------------------------------------
# Amounts, quantities and dates
# ---------------------------------------------------------------------------------------------

_MONEY_RE = re.compile(
    rf"(?:(?P<symbol>{_SYMBOL_ALT})\s?|\b(?P<code>{_CODE_ALT})\s?)?"
    rf"(?<![\w.,])(?P<number>{_NUMBER})(?P<thousands>k\b)?"
    r"(?![\d]|[.,]\d|\s?(?:%|percent\b|pct\b))"
    rf"(?:\s?(?P<symbol_after>{_SYMBOL_ALT})(?!\s?\d)|\s?\b(?P<code_after>{_CODE_ALT}|{_NAME_ALT})\b)?",
    re.I,
)
_PER_UNIT_RE = re.compile(
    r"\s*(?:(?P<each>each|ea\b\.?|apiece|a\s+piece|per\s+(?:unit|item|piece|pc)\b)"
    rf"|(?:/\s*|per\s+|an?\s+)(?P<unit>{_UNIT_ALT})\b"
    rf"|(?P<adverb>{_ADVERB_ALT})\b)",
    re.I,
)
# Words before a bare number that make it a price: "at 19.99", "@ 150", "rate of 90".
_PRICE_LEAD_RE = re.compile(
    r"(?:\s*(?:\b(?:at|for|of|a|an|the|rate|priced|costing|costs?|charged)\b|@|[:=]))+\s*$",
    re.I,
)
_STRONG_LEAD_RE = re.compile(r"(?:\bat|@|\brate\s+of|\bcosts?|\bcosting|\bpriced|[:=])\s*$", re.I)


@dataclass(frozen=True)
class _Money:
    """An amount as written, with the currency it was written in (None: not said)."""

    amount: Decimal
    currency: str | None = None


@dataclass(frozen=True)
class _PriceMatch:
    money: _Money
    unit: str | None  # from "/h", "per day", "hourly"
    marked: bool  # a currency symbol, code or name was written
    per: bool  # "/h", "each", …
    start: int
    end: int


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _currency_of(text: str | None) -> str | None:
    if text is None:
        return None
    if text.upper() in _CURRENCY_CODES:
        return text.upper()
    if text.upper() in _CURRENCY_SYMBOLS:
        return _CURRENCY_SYMBOLS[text.upper()]
    return _CURRENCY_NAMES.get(" ".join(text.lower().split()))


def _price_at(match: re.Match[str], text: str) -> _PriceMatch:
    """Turn a _MONEY_RE match into a price, taking a following "/h" or "each" with it."""
    amount = _decimal(match["number"])
    if match["thousands"]:
        amount = amount.scaleb(3)
    marker = match["symbol"] or match["code"] or match["symbol_after"] or match["code_after"]
    written_as_money = marker is not None or match["thousands"] is not None  # "$2k", "1.5k"
    end = match.end()
    unit = None
    per = _PER_UNIT_RE.match(text, end)
    if per:
        end = per.end()
        if per["unit"]:
            unit = _UNIT_BY_WORD[per["unit"].lower()]
        elif per["adverb"]:
            unit = _RATE_ADVERBS[per["adverb"].lower()]
    return _PriceMatch(
        money=_Money(amount, _currency_of(marker)),
        unit=unit,
        marked=written_as_money,
        per=per is not None,
        start=match.start(),
        end=end,
    )


def _find_price(text: str) -> _PriceMatch | None:
    """The price in an item clause: an amount with a currency, "/h" or "each", or after "at".

    A bare number is a quantity unless something marks it as a price; when several amounts
    qualify, one introduced by "at" or "@" wins ("5 pounds of coffee at $10").
    """
    candidates = []
    for match in _MONEY_RE.finditer(text):
        price = _price_at(match, text)
        before = text[max(0, price.start - 20) : price.start]  # the lead is a word or two
        strong = _STRONG_LEAD_RE.search(before) is not None
        last_for = re.search(r"\bfor\s*$", before, re.I) and not text[price.end :].strip()
        if price.marked or price.per or strong or last_for:
            candidates.append((strong, price))
    if not candidates:
        return None
    return next((price for strong, price in candidates if strong), candidates[0][1])


def _money_value(text: str) -> _PriceMatch | None:
    """`text` when it is exactly one amount ("$175", "175/h", "€90 each"), else None."""
    match = _MONEY_RE.match(text.strip())
    if not match:
        return None
    price = _price_at(match, text.strip())
    return price if not text.strip()[price.end :].strip(" .") else None


def _number_value(text: str) -> Decimal:
    word = text.lower()
    return Decimal(_NUMBER_WORDS[word]) if word in _NUMBER_WORDS else _decimal(text)


_QUANTITY_VALUE_RE = re.compile(rf"^{_QUANTITY}\s*(?P<unit>{_UNIT_ALT})?\.?$", re.I)


def _quantity_value(text: str) -> tuple[Decimal, str | None] | None:
    """`text` when it is exactly a quantity ("45", "45 hours", "ten days"), else None."""
    match = _QUANTITY_VALUE_RE.match(text.strip() + (" " if text.strip().isalpha() else ""))
    if not match:
        return None
    unit = _UNIT_BY_WORD[match["unit"].lower()] if match["unit"] else None
    return _number_value(match["qty"]), unit


def _add_months(day: date, months: int) -> date:
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _shift(day: date, count: int, unit: str) -> date:
    if unit == "week":
        return day + timedelta(weeks=count)
    if unit == "month":
        return _add_months(day, count)
    return day + timedelta(days=count)


_MONTH_ALT = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_MONTH_DAY_RE = re.compile(
    rf"\b(?P<month>{_MONTH_ALT})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{{4}}))?",
    re.I,
)
_DAY_MONTH_RE = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH_ALT})\b\.?"
    rf"(?:,?\s+(?P<year>\d{{4}}))?",
    re.I,
)
_NUMERIC_DATE_RE = re.compile(
    r"\b(?P<a>\d{1,2})(?P<sep>[/.])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})\b"
)
_DAY_WORD_RE = re.compile(
    r"\b(?P<lead>due|dated|date|on|by|issued|payable|from|is|to|of)\s+"
    r"(?P<word>today|tomorrow|yesterday)\b",
    re.I,
)


def _iso_dates(text: str, today: date) -> str:
    """Rewrite the dates a person writes ("Dec 31, 2026", "31/12/2026", "due tomorrow") as ISO
    dates, so the clause splitter does not cut them at their commas. Impossible dates and
    ambiguous ones (03/04/2026) are left as written."""

    def named(match: re.Match[str]) -> str:
        month = _MONTHS[match["month"][:3].title()]
        year = int(match["year"]) if match["year"] else today.year
        try:
            day = date(year, month, int(match["day"]))
        except ValueError:
            return match.group()
        if not match["year"] and day < today:
            day = day.replace(year=year + 1)
        return day.isoformat()

    def numeric(match: re.Match[str]) -> str:
        first, second, year = int(match["a"]), int(match["b"]), int(match["year"])
        if first > 12 or (match["sep"] == "." and second <= 12):
            day, month = first, second
        elif second > 12:
            month, day = first, second
        else:
            return match.group()
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return match.group()

    def relative(match: re.Match[str]) -> str:
        offset = {"today": 0, "tomorrow": 1, "yesterday": -1}[match["word"].lower()]
        return f"{match['lead']} {(today + timedelta(days=offset)).isoformat()}"

    text = _MONTH_DAY_RE.sub(named, text)
    text = _DAY_MONTH_RE.sub(named, text)
    text = _NUMERIC_DATE_RE.sub(numeric, text)
    return _DAY_WORD_RE.sub(relative, text)


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Text for people
# ---------------------------------------------------------------------------------------------


def _format_money(amount: Decimal, currency: str) -> str:
    """Like "$6,480.00", "€150.00", "CHF 1,200.00": at least the currency's minor digits."""
    digits = minor_digits(currency)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -digits:
        amount = amount.quantize(Decimal(1).scaleb(-digits))
    text = f"{amount:,f}"
    symbol = _REPLY_SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{currency} {text}"


def _format_quantity(quantity: Decimal, unit: str | None) -> str:
    if not unit:
        return plain(quantity)
    if quantity != 1 and unit in _UNITS:
        unit = f"{unit}s"
    return f"{plain(quantity)} {unit}"


def _describe_line(item: LineItem, currency: str) -> str:
    text = f"{item.description}, {_format_quantity(item.quantity, item.unit)} × "
    return text + _format_money(item.unit_price, currency)


def _list_lines(items: tuple[LineItem, ...]) -> str:
    return "; ".join(f"{i}. {item.description}" for i, item in enumerate(items, start=1))


def _capitalise(text: str) -> str:
    first = text.split(" ", 1)[0]
    return text[0].upper() + text[1:] if first.islower() else text


# ---------------------------------------------------------------------------------------------
# Changes: what one clause asks for, applied to a draft
# ---------------------------------------------------------------------------------------------


class _Clarification(Exception):
    """A change cannot be made without guessing; the message is the question for the user."""


@dataclass(frozen=True)
class _Ask:
    """A clause that needs an answer before anything can change ("how much for consulting?")."""

    question: str


@dataclass(frozen=True)
class _Context:
    today: date
    creating: bool


class Change:
    """One understood instruction. Changes apply in `phase` order, then in message order."""

    phase: ClassVar[int] = 5

    def amounts(self) -> tuple[_Money, ...]:
        return ()

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        raise NotImplementedError


_IGNORED = object()  # "thanks", "please": understood, nothing to do


@dataclass(frozen=True)
class _LineRef:
    """Which line a clause means: "line 2", "the last line", "the travel line", or "it"."""

    text: str
    unit: str | None = None

    def find(self, items: tuple[LineItem, ...]) -> int:
        """The index of the line meant. Raises _Clarification when none or several match."""
        if not items:
            raise _Clarification("The invoice has no lines yet, so there is nothing to change.")
        text = " ".join(re.sub(r"[^\w\s#-]", " ", self.text.lower()).split())
        text = re.sub(r"^(?:the|that|this)\s+", "", text)
        position = self._position(text, len(items))
        if position is not None:
            return position
        words = [w for w in re.findall(r"\w+", text) if w not in _REF_NOISE]
        if not words:
            return self._only_line(items)
        matches = [i for i, item in enumerate(items) if _describes(words, item.description)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            listed = "; ".join(f"{i + 1}. {items[i].description}" for i in matches)
            raise _Clarification(f"Several lines match “{self.text}” ({listed}). Which one?")
        raise _Clarification(
            f"I couldn't find a line matching “{self.text}”. The lines are: {_list_lines(items)}."
        )

    @staticmethod
    def _position(text: str, count: int) -> int | None:
        match = re.fullmatch(
            r"(?:(?:line|item|row|entry|number|no)\s*#?\s*|#)(\d+)|(\d+)(?:st|nd|rd|th)?"
            r"(?:\s+(?:line|item|row|entry|one))?",
            text,
        )
        ordinal = re.fullmatch(r"(\w+)(?:\s+(?:line|item|row|entry|one))?", text)
        if match:
            number = int(match[1] or match[2])
        elif ordinal and ordinal[1] in _ORDINALS:
            number = _ORDINALS[ordinal[1]]
        elif ordinal and ordinal[1] == "last":
            number = count
        else:
            return None
        if not 1 <= number <= count:
            raise _Clarification(f"There is no line {number}; the invoice has {count}.")
        return number - 1

    def _only_line(self, items: tuple[LineItem, ...]) -> int:
        if len(items) == 1:
            return 0
        same_unit = [i for i, item in enumerate(items) if self.unit and item.unit == self.unit]
        if len(same_unit) == 1:
            return same_unit[0]
        raise _Clarification(f"Which line do you mean? {_list_lines(items)}.")


_REF_NOISE = frozenset({
    "the", "a", "an", "of", "for", "on", "line", "item", "entry", "row", "one", "it", "that",
    "this", "rate", "price"
})  # fmt: skip


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _describes(words: list[str], description: str) -> bool:
    """Every word of the reference starts a word of the description ("audit", "widget")."""
    own = [_stem(w) for w in re.findall(r"\w+", description.lower())]
    return all(any(w.startswith(_stem(word)) for w in own) for word in words)


def _common_tax_rate(items: tuple[LineItem, ...]) -> Decimal:
    rates = {item.tax_rate for item in items}
    return rates.pop() if len(rates) == 1 else Decimal(0)


@dataclass(frozen=True)
class AddLine(Change):
    description: str
    quantity: Decimal
    unit: str | None
    price: _Money
    phase: ClassVar[int] = 1

    def amounts(self) -> tuple[_Money, ...]:
        return (self.price,)

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        # A line added to an invoice whose lines all carry one tax rate gets that rate too.
        rate = _common_tax_rate(draft.items)
        item = LineItem(self.description, self.quantity, self.price.amount, self.unit, rate)
        message = f"Added {_describe_line(item, draft.currency)}"
        message += f" with {plain(rate)}% tax." if rate else "."
        return replace(draft, items=(*draft.items, item)), message


@dataclass(frozen=True)
class RemoveLine(Change):
    ref: _LineRef
    phase: ClassVar[int] = 1

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        index = self.ref.find(draft.items)
        removed = draft.items[index]
        items = draft.items[:index] + draft.items[index + 1 :]
        return replace(draft, items=items), f"Removed line {index + 1} ({removed.description})."


@dataclass(frozen=True)
class ChangeLine(Change):
    ref: _LineRef
    quantity: Decimal | None = None
    unit: str | None = None
    price: _Money | None = None
    description: str | None = None
    phase: ClassVar[int] = 1

    def amounts(self) -> tuple[_Money, ...]:
        return (self.price,) if self.price else ()

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        index = self.ref.find(draft.items)
        item = draft.items[index]
        if self.quantity is not None:
            item = replace(item, quantity=self.quantity)
        if self.unit is not None:
            item = replace(item, unit=self.unit)
        if self.price is not None:
            item = replace(item, unit_price=self.price.amount)
        if self.description is not None:
            item = replace(item, description=self.description)
        items = (*draft.items[:index], item, *draft.items[index + 1 :])
        message = f"Updated line {index + 1}: {_describe_line(item, draft.currency)}."
        return replace(draft, items=items), message


@dataclass(frozen=True)
class SetCurrency(Change):
    code: str  # an ISO code, or DOLLAR
    phase: ClassVar[int] = 0

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        code = _settle_dollar(self.code, draft.currency)
        if ctx.creating:
            return replace(draft, currency=code), None
        if draft.items and code != draft.currency:
            message = f"Changed the currency to {code}; the amounts were kept, not converted."
        else:
            message = f"Currency: {code}."
        return replace(draft, currency=code), message


@dataclass(frozen=True)
class SetTax(Change):
    rate: Decimal
    ref: _LineRef | None = None  # None: every line
    phase: ClassVar[int] = 2

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        if not draft.items:
            return draft, "Tax is set per line, so I'll need a line before I can add tax."
        if self.ref is None:
            items = tuple(replace(item, tax_rate=self.rate) for item in draft.items)
            scope = "all lines" if len(items) > 1 else "the line"
        else:
            index = self.ref.find(draft.items)
            items = tuple(
                replace(item, tax_rate=self.rate) if i == index else item
                for i, item in enumerate(draft.items)
            )
            scope = draft.items[index].description
        if self.rate == 0:
            return replace(draft, items=items), f"Removed tax from {scope}."
        return replace(draft, items=items), f"Set tax to {plain(self.rate)}% on {scope}."


@dataclass(frozen=True)
class SetLineDiscount(Change):
    percent: Decimal
    ref: _LineRef
    phase: ClassVar[int] = 2

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        index = self.ref.find(draft.items)
        item = replace(draft.items[index], discount_percent=self.percent)
        items = (*draft.items[:index], item, *draft.items[index + 1 :])
        message = f"Applied a {plain(self.percent)}% discount to {item.description}."
        return replace(draft, items=items), message


@dataclass(frozen=True)
class SetDiscount(Change):
    kind: str | None  # "percent", "amount", or None to remove the discount
    value: _Money | None = None
    phase: ClassVar[int] = 3

    def amounts(self) -> tuple[_Money, ...]:
        return (self.value,) if self.kind == "amount" and self.value else ()

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        if self.kind is None or self.value is None:
            return replace(draft, discount=None), "Removed the discount."
        discount = Discount(kind=self.kind, value=self.value.amount)  # type: ignore[arg-type]
        if self.kind == "percent":
            shown = f"{plain(self.value.amount)}%"
        else:
            shown = _format_money(self.value.amount, draft.currency)
        return replace(draft, discount=discount), f"Applied a {shown} discount."


DUE_ON_RECEIPT = "Due on receipt"
_NET_TERMS_RE = re.compile(r"^net\s*(\d+)(?:\s+days)?$", re.I)


@dataclass(frozen=True)
class SetIssueDate(Change):
    day: date
    phase: ClassVar[int] = 4

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        draft = replace(draft, issue_date=self.day)
        terms = draft.payment_terms or ""
        net = _NET_TERMS_RE.match(terms)
        if net or terms == DUE_ON_RECEIPT:  # terms count from the issue date: the due date moves
            days = int(net[1]) if net else 0
            draft = replace(draft, due_date=self.day + timedelta(days=days))
            return draft, f"Issue date: {self.day}; due {draft.due_date} ({draft.payment_terms})."
        return draft, f"Issue date: {self.day}."


@dataclass(frozen=True)
class SetDueDate(Change):
    day: date | None
    phase: ClassVar[int] = 5

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        if self.day is None:
            return replace(draft, due_date=None), "Removed the due date."
        return replace(draft, due_date=self.day), f"Due {self.day}."


@dataclass(frozen=True)
class SetDueIn(Change):
    """Due a number of days, weeks or months after the issue date; `terms` also sets terms."""

    count: int
    unit: str
    terms: str | None = None
    phase: ClassVar[int] = 5

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        issue = draft.issue_date or ctx.today
        due = _shift(issue, self.count, self.unit)
        terms = self.terms
        if terms is None and _NET_TERMS_RE.match(draft.payment_terms or ""):
            terms = f"Net {self.count}" if self.unit == "day" else None  # keep terms truthful
        elif terms is None:
            terms = draft.payment_terms
        draft = replace(draft, due_date=due, payment_terms=terms)
        if self.terms:
            return draft, f"Payment terms: {self.terms}, due {due}."
        return draft, f"Due {due} (in {_format_quantity(Decimal(self.count), self.unit)})."


@dataclass(frozen=True)
class SetTerms(Change):
    text: str
    phase: ClassVar[int] = 5

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        return replace(draft, payment_terms=self.text), f"Payment terms: {self.text}."


@dataclass(frozen=True)
class SetBuyer(Change):
    name: str
    keep_details: bool = False  # "client name is …" renames; "client is …" is a new client
    phase: ClassVar[int] = 6

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        if draft.buyer and draft.buyer.name == self.name:
            return draft, None
        if self.keep_details and draft.buyer:
            return replace(draft, buyer=replace(draft.buyer, name=self.name)), (
                f"Client name: {self.name}."
            )
        return replace(draft, buyer=Party(name=self.name)), f"Client: {self.name}."


_DETAIL_LABELS = {"email": "email", "phone": "phone", "address": "address", "tax_id": "tax ID"}
_DETAIL_LABELS["company"] = "company"


@dataclass(frozen=True)
class SetBuyerDetail(Change):
    field: str  # a Party field other than name
    value: str
    phase: ClassVar[int] = 7

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        label = _DETAIL_LABELS[self.field]
        if draft.buyer is None:
            question = (
                f"I need the client's name before I can add their {label} ({self.value}) — "
                "who is the client?"
            )
            if not ctx.creating:
                raise _Clarification(question)
            return draft, question  # the new invoice is still worth creating
        buyer = replace(draft.buyer, **{self.field: self.value})
        return replace(draft, buyer=buyer), f"Client {label}: {self.value}."


@dataclass(frozen=True)
class SetSeller(Change):
    name: str
    phase: ClassVar[int] = 6

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        seller = replace(draft.seller, name=self.name) if draft.seller else Party(self.name)
        return replace(draft, seller=seller), f"Seller: {self.name}."


@dataclass(frozen=True)
class SetNotes(Change):
    text: str | None
    phase: ClassVar[int] = 8

    def apply(self, draft: InvoiceDraft, ctx: _Context) -> tuple[InvoiceDraft, str | None]:
        if self.text is None:
            return replace(draft, notes=None), "Removed the notes."
        return replace(draft, notes=self.text), f"Note: “{self.text}”."


def _settle_dollar(code: str, current: str | None) -> str:
    """A bare "$" means the invoice's dollar currency if it has one, else USD."""
    if code != DOLLAR:
        return code
    return current if current in _DOLLAR_CURRENCIES else "USD"


def _resolve_currency(current: str | None, changes: list[Change]) -> str:
    """The currency the invoice ends up in; every amount written must fit it.

    `current` is None for a new invoice, whose currency then comes from the amounts.
    Raises _Clarification when the amounts disagree with each other or with the currency.
    """
    explicit = [c.code for c in changes if isinstance(c, SetCurrency)]
    written = [m.currency for c in changes for m in c.amounts() if m.currency]
    target = explicit[-1] if explicit else current
    if target is None:
        specific = sorted({code for code in written if code != DOLLAR})
        dollars = DOLLAR in written and not set(specific) <= _DOLLAR_CURRENCIES
        if len(specific) > 1 or dollars:
            shown = [*specific, "dollars"] if dollars else specific
            raise _Clarification(
                f"I see amounts in {' and '.join(shown)}, but an invoice has one currency. "
                "Which one should I use?"
            )
        target = specific[0] if specific else DOLLAR
    target = _settle_dollar(target, current)
    for code in written:
        if code != target and not (code == DOLLAR and target in _DOLLAR_CURRENCIES):
            shown = "dollars" if code == DOLLAR else code
            raise _Clarification(
                f"This invoice is in {target}, but you wrote an amount in {shown}. Say “change "
                f"currency to {'USD' if code == DOLLAR else code}” first, or give the amount "
                f"in {target}."
            )
    return target


# ---------------------------------------------------------------------------------------------
# Reading clauses: each reader returns a change, an _Ask, _IGNORED, or None (not understood)
# ---------------------------------------------------------------------------------------------

_FILLER_RE = re.compile(
    r"^(?:please|pls|thanks|thank\s+you|thx|cheers|ok(?:ay)?|great|perfect|asap|hi|hello|hey"
    r"|that'?s\s+(?:it|all)|and|also|invoice)?[\s!.]*$",
    re.I,
)
_LEADING_NOISE_RE = re.compile(
    r"^(?:(?:and|also|then|now|please|pls|so|but|just|oh|ok|okay|actually|kindly|can\s+you"
    r"|could\s+you|would\s+you|i'?d\s+like\s+to|i\s+want\s+to|let'?s)\b[\s,]*)+",
    re.I,
)
_TRAILING_NOISE_RE = re.compile(r"(?:\s+(?:please|thanks|too|as\s+well))+$", re.I)

_VERB_PREFIX = (
    r"(?:(?:add|apply|set|change|update|make|use|charge|with|plus|include|including|incl\.?"
    r"|put|give|offer|take|knock)\s+)?(?:(?:the|a|an)\s+)?"
)
_TAX_WORD = r"(?:sales\s+)?(?:tax(?:es)?|vat|gst|hst|pst|mwst|iva)"
_SCOPE = r"(?:\s+(?:on|to|for|from|off)\s+(?P<ref>.+))?"
_TAX_RATE_RES = (
    re.compile(rf"^{_VERB_PREFIX}{_PERCENT}\s+{_TAX_WORD}(?:\s+rate)?{_SCOPE}$", re.I),
    re.compile(
        rf"^{_VERB_PREFIX}{_TAX_WORD}(?:\s+rate)?\s*(?:(?:of|at|to|is|as)\s+|[:=]\s*)?"
        rf"{_PERCENT}{_SCOPE}$",
        re.I,
    ),
)
_NO_TAX_RES = (
    re.compile(
        rf"^(?:no|remove|drop|delete|clear|without|zero|take\s+off)\s+(?:the\s+|any\s+|all\s+)?"
        rf"{_TAX_WORD}{_SCOPE}$",
        re.I,
    ),
    re.compile(
        rf"^(?:make\s+(?:it|everything)\s+)?(?:{_TAX_WORD}[\s-]*(?:exempt|free)"
        rf"|exempt\s+from\s+{_TAX_WORD}){_SCOPE}$",
        re.I,
    ),
)
_ALL_LINES_RE = re.compile(
    r"^(?:all|every|each)(?:\s+(?:the\s+)?(?:lines?|items?|of\s+them))?$|^everything$"
    r"|^(?:the\s+)?(?:whole\s+)?(?:invoice|total|subtotal|it)$",
    re.I,
)


def _scope(ref: str | None) -> _LineRef | None:
    """None for "all lines"/"everything"; a line reference otherwise."""
    if ref is None or _ALL_LINES_RE.match(ref.strip()):
        return None
    return _LineRef(ref.strip())


def _percent_value(text: str) -> Decimal | _Ask:
    value = _decimal(text)
    if value > 100:
        return _Ask(f"{plain(value)}% is more than 100% — what rate did you mean?")
    return value


def _read_tax(clause: str) -> Change | _Ask | None:
    for regex in _TAX_RATE_RES:
        match = regex.match(clause)
        if match:
            rate = _percent_value(match["pct"])
            return rate if isinstance(rate, _Ask) else SetTax(rate, _scope(match["ref"]))
    for regex in _NO_TAX_RES:
        match = regex.match(clause)
        if match:
            return SetTax(Decimal(0), _scope(match["ref"]))
    return None


_DISCOUNT_WORD = r"(?:discount|off|reduction|rebate)"
_DISCOUNT_PERCENT_RES = (
    re.compile(rf"^{_VERB_PREFIX}{_PERCENT}\s+{_DISCOUNT_WORD}{_SCOPE}$", re.I),
    re.compile(rf"^{_VERB_PREFIX}{_PERCENT}\s+off\s+(?P<ref>.+)$", re.I),
    re.compile(
        rf"^{_VERB_PREFIX}discount\s*(?:(?:of|to|at|is)\s+|[:=]\s*)?{_PERCENT}{_SCOPE}$", re.I
    ),
)
_DISCOUNT_AMOUNT_RES = (
    re.compile(rf"^{_VERB_PREFIX}(?P<money>.+?)\s+{_DISCOUNT_WORD}$", re.I),
    re.compile(rf"^{_VERB_PREFIX}discount\s*(?:(?:of|to|is)\s+|[:=]\s*)?(?P<money>.+)$", re.I),
)
_NO_DISCOUNT_RE = re.compile(
    r"^(?:no|remove|drop|delete|clear|cancel|without|take\s+off)\s+(?:the\s+|any\s+)?"
    r"(?:invoice\s+)?discounts?$",
    re.I,
)


def _read_discount(clause: str) -> Change | _Ask | None:
    if _NO_DISCOUNT_RE.match(clause):
        return SetDiscount(None)
    for regex in _DISCOUNT_PERCENT_RES:
        match = regex.match(clause)
        if match:
            percent = _percent_value(match["pct"])
            if isinstance(percent, _Ask):
                return percent
            ref = _scope(match["ref"])
            if ref is not None:
                return SetLineDiscount(percent, ref)
            return SetDiscount("percent", _Money(percent))
    for regex in _DISCOUNT_AMOUNT_RES:
        match = regex.match(clause)
        price = _money_value(match["money"]) if match else None
        if price and not price.per:
            return SetDiscount("amount", price.money)
    return None


_DUE_PREFIX = (
    r"^(?:(?:set|change|make|move|update|and)\s+)?(?:the\s+)?"
    r"(?:(?:it'?s|it\s+is|invoice\s+is|payment\s+is|it)\s+)?"
)
_DUE_WORD = r"(?:due(?:\s+date)?|payable|pay(?:ment)?(?:\s+due)?|to\s+be\s+paid)"
_DUE_IN_RE = re.compile(
    rf"{_DUE_PREFIX}{_DUE_WORD}\s+(?:is\s+)?(?:in|within|after)\s+(?P<n>\d+|{_NUMBER_WORD_ALT})"
    r"\s+(?P<unit>days?|weeks?|months?)(?:\s+(?:from|after)\s+.+)?$",
    re.I,
)
_NET_RE = re.compile(
    r"^(?:(?:payment\s+)?terms?\s*(?:are|is|:|=)?\s*)?net[\s-]?(?P<n>\d+)(?:\s+days)?$", re.I
)
_DUE_ON_RE = re.compile(
    rf"{_DUE_PREFIX}{_DUE_WORD}\s*(?:(?:on|by|to|is|for|at|as)\s+|[:=]\s*)?{_ISO_DATE}$", re.I
)
_DUE_ON_RECEIPT_RE = re.compile(
    rf"{_DUE_PREFIX}(?:{_DUE_WORD}\s+(?:on|upon|at)\s+receipt|(?:due|payable)\s+immediately)$",
    re.I,
)
_NO_DUE_RE = re.compile(r"^(?:no|remove|drop|delete|clear)\s+(?:the\s+)?due\s+date$", re.I)
_ISSUE_DATE_RE = re.compile(
    r"^(?:(?:set|change|update|make)\s+)?(?:the\s+)?(?:(?:issue|invoice)\s+date|dated|date"
    rf"|issued(?:\s+on)?)\s*(?:(?:to|is|on|as|of)\s+|[:=]\s*)?{_ISO_DATE}$",
    re.I,
)


def _read_dates(clause: str) -> Change | _Ask | None:
    match = _DUE_IN_RE.match(clause)
    if match:
        count = int(_number_value(match["n"]))
        return SetDueIn(count, match["unit"].lower().rstrip("s"))
    match = _NET_RE.match(clause)
    if match:
        return SetDueIn(int(match["n"]), "day", terms=f"Net {int(match['n'])}")
    if _DUE_ON_RECEIPT_RE.match(clause):
        return SetDueIn(0, "day", terms=DUE_ON_RECEIPT)
    if _NO_DUE_RE.match(clause):
        return SetDueDate(None)
    for regex, change in ((_DUE_ON_RE, SetDueDate), (_ISSUE_DATE_RE, SetIssueDate)):
        match = regex.match(clause)
        if match:
            day = _iso(match["date"])
            return change(day) if day else _Ask(f"{match['date']} is not a valid date.")
    return None


_CURRENCY_RE = re.compile(
    r"^(?:(?:change|set|switch|convert|make|use|bill|invoice|charge|put|do)\s+)?"
    r"(?:(?:it|everything|the\s+invoice|this|all\s+(?:amounts|prices))\s+)?"
    r"(?:(?:the\s+)?currency\s*(?:(?:to|is|as|in|into)\s+|[:=]\s*)?|(?:to|in|into|as|using)\s+)?"
    rf"(?P<currency>{_CODE_ALT}|{_NAME_ALT}|{_SYMBOL_ALT})(?:\s+currency)?$",
    re.I,
)


def _read_currency(clause: str) -> Change | None:
    match = _CURRENCY_RE.match(clause)
    code = _currency_of(match["currency"]) if match else None
    return SetCurrency(code) if code else None


_PARTY_WORD = r"(?:client|customer|buyer|recipient)"
_CLIENT_DETAIL_RE = re.compile(
    rf"^(?:(?:set|change|update|add)\s+)?(?:the\s+)?{_PARTY_WORD}(?:'s)?\s+"
    r"(?P<field>phone(?:\s+number)?|tel(?:ephone)?|address|tax\s*id|vat\s*(?:id|number|no\.?)"
    r"|company(?:\s+name)?)\s*(?:(?:is|to|as)\s+|[:=]\s*)?(?P<value>.+)$",
    re.I,
)
_CLIENT_RES = (
    re.compile(
        rf"^(?:(?:change|set|switch|update|make)\s+)?(?:the\s+)?{_PARTY_WORD}(?:'s)?"
        r"(?P<name_only>\s+name)?\s*(?:(?:is|to|as|should\s+be)\s+|[:=]\s*)(?P<name>.+)$",
        re.I,
    ),
    re.compile(r"^(?:bill(?:ed)?|invoice|send\s+(?:it|this))\s+to\s*:?\s+(?P<name>.+)$", re.I),
    # "for Acme Corp", "invoice Acme": only a capitalised name, so "for travel" stays a line
    re.compile(r"^(?:[Ff]or|[Tt]o|[Ii]nvoice|[Bb]ill)\s+(?P<name>[A-Z][^\d$€£¥₹]*)$"),
)
_SELLER_RE = re.compile(
    r"^(?:(?:the\s+)?seller|from|sender|(?:my|our)\s+(?:company|business)(?:\s+name)?)"
    r"\s*(?:is\s+|[:=]\s*)(?P<name>.+)$",
    re.I,
)


def _party_name(text: str) -> str | None:
    """A cleaned-up party name, or None when `text` cannot be one (a number, an amount)."""
    name = text.strip(" \t\"'“”‘’,;:")
    name = re.sub(r"^the\s+", "", name, flags=re.I) if name.lower().startswith("the ") else name
    if not name or not re.search(r"[^\W\d_]", name) or len(name) > 200:
        return None
    if name[0].isdigit() or _MONEY_RE.search(name) and re.search(r"\d", name):
        return None
    if name.lower() in {"it", "them", "that", "this", "me", "us"}:
        return None
    return name


def _read_client(clause: str) -> Change | None:
    match = _CLIENT_DETAIL_RE.match(clause)
    if match:
        field = match["field"].lower()
        field = "tax_id" if "tax" in field or "vat" in field else field.split()[0]
        field = "phone" if field in {"tel", "telephone"} else field
        return SetBuyerDetail(field, match["value"].strip())
    for regex in _CLIENT_RES:
        match = regex.match(clause)
        name = _party_name(match["name"]) if match else None
        if name:
            return SetBuyer(name, keep_details=bool(match.groupdict().get("name_only")))
    match = _SELLER_RE.match(clause)
    name = _party_name(match["name"]) if match else None
    return SetSeller(name) if name else None


def _read_notes_removal(clause: str) -> Change | None:
    if re.match(r"^(?:remove|delete|clear|drop|no)\s+(?:the\s+|any\s+)?notes?$", clause, re.I):
        return SetNotes(None)
    return None


def _read_total(clause: str) -> _Ask | None:
    if re.search(r"\b(?:sub)?total\b", clause, re.I) and re.search(r"\d", clause):
        return _Ask(
            "The total is computed from the lines, tax and discount, so I can't set it "
            "directly — change a rate, a quantity or the discount instead."
        )
    return None


_REMOVE_RE = re.compile(
    r"^(?:remove|delete|drop|take\s+(?:out|off)|get\s+rid\s+of|cancel|scrap|strike)\s+"
    r"(?P<ref>.+?)(?:\s+(?:line|item|entry|row))?(?:\s+from\s+(?:the\s+)?invoice)?$",
    re.I,
)


def _read_removal(clause: str) -> Change | None:
    match = _REMOVE_RE.match(clause)
    return RemoveLine(_LineRef(match["ref"])) if match else None


_CHANGE_VERB = (
    r"(?:change|set|update|make|adjust|correct|raise|increase|lower|reduce|bump|put|edit|fix)"
)
_PRICE_ATTR_RE = re.compile(
    r"\b(?:(?:hourly|daily|weekly|monthly|unit)\s+)?(?:rate|price|cost|fee|amount)\b", re.I
)
_QUANTITY_ATTR_RE = re.compile(
    rf"\b(?:quantity|qty|count|number\s+of\s+\w+|(?P<unit>{_UNIT_ALT}))\b", re.I
)
_DESCRIPTION_ATTR_RE = re.compile(r"\b(?:description|name|title|label)\b", re.I)
_VALUE_START = rf"(?:{_SYMBOL_ALT}|(?:{_CODE_ALT})\s|\d|\.\d|(?:{_NUMBER_WORD_NOT_A_ALT})\s)"
_CHANGE_RES = (
    re.compile(rf"^{_CHANGE_VERB}\s+(?P<target>.+?)\s+(?:to|=|at)\s+(?P<value>.+)$", re.I),
    re.compile(rf"^(?:make|set|change)\s+(?P<target>.+?)\s+(?P<value>{_VALUE_START}.*)$", re.I),
    re.compile(r"^(?P<target>.+?)\s+(?:should\s+be|is|are|=)\s+(?P<value>.+)$", re.I),
    re.compile(r"^(?P<value>.+?)\s+instead(?:\s+of\s+.+)?$", re.I),
)
_RENAME_RE = re.compile(r"^rename\s+(?P<ref>.+?)\s+(?:to|as)\s+(?P<value>.+)$", re.I)
_INSTEAD_RE = re.compile(r"\s+instead(?:\s+of\s+.+)?$", re.I)


def _split_target(target: str) -> tuple[str | None, str, str | None]:
    """("price" | "quantity" | "description" | None, the line reference, a unit hint)."""
    for attribute, regex in (
        ("price", _PRICE_ATTR_RE),
        ("quantity", _QUANTITY_ATTR_RE),
        ("description", _DESCRIPTION_ATTR_RE),
    ):
        match = regex.search(target)
        if match:
            unit = match.groupdict().get("unit")
            rest = (target[: match.start()] + " " + target[match.end() :]).strip()
            rest = re.sub(r"^(?:the\s+)?(?:of|for|on|in)\s+|\s+(?:of|for|on|in)$", "", rest)
            return attribute, rest, _UNIT_BY_WORD[unit.lower()] if unit else None
    return None, target.strip(), None


def _read_line_change(clause: str) -> Change | _Ask | None:
    match = _RENAME_RE.match(clause)
    if match:
        return ChangeLine(_LineRef(match["ref"]), description=_clean_description(match["value"]))
    for position, regex in enumerate(_CHANGE_RES):
        match = regex.match(clause)
        if match:
            target = match.groupdict().get("target") or "it"
            change = _line_change(target, _INSTEAD_RE.sub("", match["value"]), strict=position >= 2)
            if change is not None:
                return change
    return None


def _line_change(target: str, value: str, *, strict: bool) -> Change | _Ask | None:
    attribute, ref_text, unit_hint = _split_target(target)
    pronoun = ref_text.lower() in {"it", "that", "this", ""}
    if strict and attribute is None and not pronoun:
        return None  # "X is Y" only when X names a rate, a quantity or "it"
    price = _money_value(value)
    if price and (price.marked or price.per or attribute == "price"):
        ref = _LineRef(ref_text, unit_hint or price.unit)
        return ChangeLine(ref, price=price.money, unit=price.unit)
    quantity = _quantity_value(value)
    if quantity:
        amount, unit = quantity
        if unit or attribute == "quantity":
            return ChangeLine(_LineRef(ref_text, unit or unit_hint), quantity=amount, unit=unit)
        return _Ask(
            f"Should {value.strip()} be the quantity or the price? Say e.g. “make it "
            f"{value.strip()} hours” or “change the rate to {value.strip()}”."
        )
    positional = re.fullmatch(r"(?:the\s+)?(?:line\s*\d+|\w+\s+line|last\s+line)", ref_text, re.I)
    if attribute == "description" or (attribute is None and positional and not strict):
        description = _clean_description(value)
        return ChangeLine(_LineRef(ref_text), description=description) if description else None
    return None


_ADD_PREFIX_RE = re.compile(
    r"^(?:add|plus|include|put|insert|append|bill\s+(?:them\s+)?for|charge\s+(?:them\s+)?for)"
    r"\s+(?:(?:another|a\s+new|new|one\s+more)\s+)?"
    r"(?:(?:line(?:\s+item)?|item|entry|row)\s*(?:for\b|:)?\s*)?",
    re.I,
)
_QTY_FIRST_RE = re.compile(
    rf"^{_QUANTITY}(?:\s*[x×*](?=\s|$)|\s*(?P<unit>{_UNIT_ALT})(?!\w)|(?=\s))\s*(?:of\s+)?"
    r"(?P<desc>.*)$",
    re.I | re.S,
)
_UNIT_OF_RE = re.compile(rf"^(?P<unit>{_UNIT_ALT})\s+of\s+(?P<desc>.+)$", re.I)  # "day of training"
_QTY_TIMES_LAST_RE = re.compile(rf"^(?P<desc>.+?)[\s,]+[x×]\s*{_QUANTITY}$", re.I)
_QTY_UNIT_LAST_RE = re.compile(
    rf"^(?P<desc>.+?)[\s,]+(?:for\s+)?{_QUANTITY}\s*(?P<unit>{_UNIT_ALT})\.?$", re.I
)
# Words that show a clause is a request about something else, never a line description.
_NOT_A_DESCRIPTION = frozenset({
    "should", "is", "are", "be", "was", "total", "subtotal", "set", "change", "make", "instead",
    "off", "discount", "tax", "vat"
})  # fmt: skip


def _clean_description(text: str) -> str:
    previous = None
    text = " ".join(text.replace("(", " ").replace(")", " ").split())
    while text != previous:
        previous = text
        text = text.strip(" \t-–—:,.;\"'“”")
        text = re.sub(r"^(?:of|for|a|an|the|some|on)\s+", "", text, flags=re.I)
        text = re.sub(
            r"\s+(?:line(?:\s+item)?|item|entry|row|each|apiece|at|@|for|of|priced|costing)$",
            "",
            text,
            flags=re.I,
        )
    return _capitalise(text) if text else ""


@dataclass(frozen=True)
class _QuantityAndDescription:
    quantity: Decimal
    unit: str | None
    description: str
    explicit: bool  # the quantity was written as a number ("40"), not implied ("a")


def _quantity_and_description(text: str) -> _QuantityAndDescription:
    text = " ".join(text.replace("(", " ").replace(")", " ").split())
    text = re.sub(r"^(?:for|of)\s+", "", text, flags=re.I)
    match = _QTY_FIRST_RE.match(text)
    if match is None or not match["desc"].strip():
        match = _QTY_UNIT_LAST_RE.match(text) or _QTY_TIMES_LAST_RE.match(text) or match
    if match is None:
        unit_of = _UNIT_OF_RE.match(text)
        unit = _UNIT_BY_WORD[unit_of["unit"].lower()] if unit_of else None
        description = _clean_description(unit_of["desc"] if unit_of else text)
        return _QuantityAndDescription(Decimal(1), unit, description, False)
    unit = match.groupdict().get("unit")
    return _QuantityAndDescription(
        quantity=_number_value(match["qty"]),
        unit=_UNIT_BY_WORD[unit.lower()] if unit else None,
        description=_clean_description(match["desc"]),
        explicit=match["qty"].lower() not in {"a", "an"},
    )


def _read_line_item(clause: str, *, item_expected: bool) -> Change | _Ask | None:
    """A new line: "40 hours of consulting at $150/h", "add a $200 travel line", …"""
    add = _ADD_PREFIX_RE.match(clause)
    body = clause[add.end() :] if add else clause
    price = _find_price(body)
    if price is None:
        found = _quantity_and_description(body)
        words = set(found.description.lower().split())
        wanted = found.explicit or add or item_expected
        if wanted and found.description and not words & _NOT_A_DESCRIPTION:
            return _Ask(
                f"How much should I charge for {found.description[0].lower()}"
                f"{found.description[1:]}? Give the price with it, e.g. "
                f"“{found.description.lower()} at $150/h” or “{found.description.lower()} $500”."
            )
        return None
    before = _PRICE_LEAD_RE.sub("", body[: price.start])
    found = _quantity_and_description(f"{before} {body[price.end :]}")
    words = set(found.description.lower().split())
    if words & _NOT_A_DESCRIPTION or _find_price(found.description):
        return None  # a request about something else, or two prices run together
    if not found.description or not re.search(r"[^\W\d_]", found.description):
        return _Ask(f"What is the {body[price.start : price.end].strip()} for?")
    return AddLine(found.description, found.quantity, found.unit or price.unit, price.money)


_READERS = (
    _read_total,
    _read_tax,
    _read_discount,
    _read_dates,
    _read_currency,
    _read_client,
    _read_notes_removal,
    _read_removal,
    _read_line_change,
)


# One instruction is a few words; longer runs without punctuation are not read (which also
# keeps the patterns' backtracking bounded on pathological input).
_MAX_CLAUSE_CHARS = 240
_MAX_CLAUSES = 60


def _tidy(clause: str) -> str:
    """A clause without "and", "please", "thanks" around it."""
    clause = _TRAILING_NOISE_RE.sub("", _LEADING_NOISE_RE.sub("", clause.strip()))
    return clause.strip(" \t,;:.!?")


def _read_clause(clause: str, *, item_expected: bool = False) -> Any:
    """The change one clause asks for: a Change, an _Ask, _IGNORED, or None."""
    clause = _tidy(clause)
    if _FILLER_RE.match(clause):
        return _IGNORED
    if len(clause) > _MAX_CLAUSE_CHARS:
        return None
    for read in _READERS:
        result = read(clause)
        if result is not None:
            return result
    return _read_line_item(clause, item_expected=item_expected)


# ---------------------------------------------------------------------------------------------
# The message: tails, emails, the opening, and the clause splitter
# ---------------------------------------------------------------------------------------------

_NOTES_RE = re.compile(
    r"(?:^|(?<=[\s,;.]))(?:(?:and|also|please)\s+)*(?:(?:add|put|include|with|set|change)\s+"
    r"(?:a\s+|the\s+)?)?notes?\s*(?:[:=]|-\s|\bto\b|\bsaying\b|\bthat\s+says\b|\breading\b)"
    r"\s*(?P<value>.+)$",
    re.I | re.S,
)
_TERMS_RE = re.compile(
    r"(?:^|(?<=[\s,;.]))(?:(?:and|also|set|change)\s+)*(?:the\s+)?(?:payment\s+terms?|terms)"
    r"\s*(?:[:=]|\bare\b|\bis\b|\bto\b)\s*(?P<value>.+?)\s*(?=[.;\n](?:\s|$)|$)",
    re.I,
)
_ADDRESS_RE = re.compile(
    rf"(?:^|(?<=[\s,;.]))(?:(?:and|also|set|change|update)\s+)*(?:the\s+)?{_PARTY_WORD}(?:'s)?"
    r"\s+(?:billing\s+)?address\s*(?:[:=]|\bis\b|\bto\b)?\s*(?P<value>[^;\n]+)",
    re.I,
)
# An address starts where no address character precedes it, so each run is scanned once.
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# The words that introduce it ("client email is", "send it to", "("), ending where it starts.
_EMAIL_INTRO_RE = re.compile(
    r"(?:(?:(?:set|change|update|add)\s+)?(?:the\s+)?(?:(?:client|customer|buyer|billing|their)"
    r"(?:'s)?\s+)?e-?mail(?:\s+address)?(?:\s+(?:is|to|as))?\s*[:=]?\s*"
    r"|(?:send\s+(?:it\s+)?to|at)\s+)?[(<\[]?$",
    re.I,
)
_OWN_EMAIL_RE = re.compile(r"\b(?:my|our|seller'?s?|from)\b[^,;.]{0,20}$", re.I)


def _take_tails(text: str) -> tuple[str, list[Change]]:
    """Take out notes, payment terms and the client's address, which may contain commas."""
    changes: list[Change] = []
    match = _NOTES_RE.search(text)
    if match:
        note = match["value"].strip().strip("\"'“”")
        if note:
            changes.append(SetNotes(note))
            text = text[: match.start()]
    match = _TERMS_RE.search(text)
    if match and match["value"].strip():
        terms = match["value"].strip().strip("\"'“”")
        net = _NET_TERMS_RE.match(terms)
        changes.append(
            SetDueIn(int(net[1]), "day", terms=f"Net {int(net[1])}") if net else SetTerms(terms)
        )
        text = text[: match.start()] + text[match.end() :]
    match = _ADDRESS_RE.search(text)
    if match and match["value"].strip():
        changes.append(SetBuyerDetail("address", match["value"].strip(" .,")))
        text = text[: match.start()] + text[match.end() :]
    return text, changes


def _take_emails(text: str) -> tuple[str, list[Change]]:
    """Take out the client's email address(es); "my email is …" is left for the clauses."""
    changes: list[Change] = []
    pieces = []
    position = 0
    for match in _EMAIL_RE.finditer(text):
        window = max(position, match.start() - 40)
        if _OWN_EMAIL_RE.search(text, window, match.start()):
            continue
        intro = _EMAIL_INTRO_RE.search(text, window, match.start())
        changes.append(SetBuyerDetail("email", match.group().rstrip(".")))
        pieces.append(text[position : intro.start() if intro else match.start()])
        position = match.end() + (
            1 if text[match.end() : match.end() + 1] in {")", ">", "]"} else 0
        )
    pieces.append(text[position:])
    return " ".join(pieces), changes


_OPENING_RE = re.compile(
    r"^(?:(?:hi|hey|hello|ok|okay|please|pls|kindly|can\s+you|could\s+you|would\s+you"
    r"|i\s+need\s+to|i\s+want\s+to|i'?d\s+like\s+to|let'?s)\b[\s,]*)*"
    r"(?:(?:create|make|draft|prepare|generate|write|start|raise|issue|send|do)\s+(?:me\s+|us\s+)?"
    r"(?:(?:a|an|the)\s+)?(?:new\s+)?invoice|(?:i\s+need|i\s+want|i'?d\s+like)\s+(?:a|an)\s+"
    r"(?:new\s+)?invoice|new\s+invoice|invoice|bill|charge)(?![\w@])"
    r"(?:\s+(?:for|to)(?!\w))?[\s:,]*",
    re.I,
)
_NAME_STOPS = frozenset({
    "for", "with", "at", "@", "due", "net", "plus", "including", "incl", "on", "by", "x", "×", "-",
    "–", "—", "per", "a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight",
    "nine", "ten"
})  # fmt: skip
_NAME_CONNECTORS = frozenset({
    "and", "&", "of", "the", "de", "du", "la", "von", "van", "der", "y", "und"
})  # fmt: skip
_COMPANY_SUFFIXES = frozenset({
    "inc", "llc", "ltd", "corp", "co", "gmbh", "ag", "sa", "plc", "bv", "llp", "pty", "sarl",
    "srl", "oy", "ab", "limited"
})  # fmt: skip


def _take_opening(text: str) -> tuple[bool, str | None, str]:
    """Read "Invoice Acme Corp for …": (an opening was there, the client, the rest).

    The client's name runs until a word that starts the invoice's content: "for", "with", a
    number, an amount or a punctuation mark. When the name starts with a capital, it also ends
    at the first lower-case word that is not a connector ("Bank of America", "Acme Corp logo
    design $800").
    """
    opening = _OPENING_RE.match(text)
    if not opening:
        return False, None, text
    rest = text[opening.end() :]
    words: list[tuple[str, int]] = []  # (word, where it ends in `rest`)
    capitalised: bool | None = None
    for match in re.finditer(r"\S+", rest):
        word = match.group()
        bare = word.rstrip(",:;.!?")
        low = bare.lower()
        is_code = bare.isupper() and bare in _CURRENCY_CODES
        if not bare or low in _NAME_STOPS or is_code or not (bare[0].isalpha() or bare[0] == "&"):
            break
        if capitalised is None:
            capitalised = bare[0].isupper()
        elif capitalised and bare[0].islower() and low not in _NAME_CONNECTORS | _COMPANY_SUFFIXES:
            break
        if word[len(bare) :] == "." and low in _COMPANY_SUFFIXES:
            words.append((word, match.end()))  # "Acme Corp." keeps its full stop
            break
        words.append((bare, match.start() + len(bare)))
        if bare != word:
            break
    while words and words[-1][0].lower() in _NAME_CONNECTORS:
        words.pop()
    client = _party_name(" ".join(word for word, _ in words)) if words else None
    if client is None:
        return True, None, rest
    remainder = rest[words[-1][1] :]
    return True, client, re.sub(r"^\s*(?:for\b|with\b|[:,.-])?\s*", "", remainder, flags=re.I)


_SEPARATOR_RE = re.compile(
    r"(\s*[;\n]+\s*"  # semicolons and new lines
    r"|\s*,(?!\d{3}(?!\d))\s*"  # commas, but not "1,200"
    r"|\.(?=\s|$)\s*"  # full stops, but not "19.99"
    r"|\s+(?:and|plus|&|with|also|then|\+)\s+"
    r"|\s+[-–—]\s+)",
    re.I,
)


def _split_clauses(text: str) -> list[tuple[str, str]]:
    """The clauses of `text`, each with the separator that came before it."""
    parts = _SEPARATOR_RE.split(text)
    clauses = []
    separator = ""
    for index, part in enumerate(parts):
        if index % 2:
            separator = part
        elif part.strip():
            clauses.append((part.strip(), separator))
    return clauses


_TRAILING_CLIENT_RE = re.compile(r"^(?P<item>.*\S)\s+(?P<client>(?:for|to)\s+[A-Z][^\d$€£¥₹]*)$")


def _client_at_end(clause: tuple[str, str]) -> list[tuple[str, str]]:
    """Split "40 hours of consulting at $150/h for Acme Corp" into the line and the client.

    Only when the part before "for" is a whole line by itself, so "$750 for Menu Design" stays
    one line.
    """
    text, separator = clause
    match = _TRAILING_CLIENT_RE.match(text)
    if match and isinstance(_read_clause(match["item"]), AddLine):
        return [(match["item"], separator), (match["client"], " ")]
    return [clause]


def _is_change(result: Any) -> bool:
    return isinstance(result, Change)


_VERB_RE = re.compile(r"^(?:remove|delete|drop|add|set|change|make|update)\b", re.I)


def _worth_joining(result: Any, following: Any, separator: str, following_text: str) -> bool:
    """Whether a clause and the next may be one thing the splitter cut in two.

    "Johnson and Johnson" (a name and a leftover), "travel, $200" (a line without a price and a
    price without a line), "research and development at $100/h" (an unknown word joined by
    "and" to a line that does not start with its own quantity).
    """
    if not _is_change(following):
        return not _is_change(result) or isinstance(result, SetBuyer | SetSeller)
    starts_with_quantity = re.match(rf"{_QUANTITY}", following_text + " ", re.I) is not None
    return (
        result is None
        and isinstance(following, AddLine)
        and separator.strip().lower() in {"and", "&"}
        and not starts_with_quantity
    )


@dataclass
class _Reading:
    """What a message says: the changes, the questions it raises, the parts not understood."""

    opening: bool
    changes: list[Change]
    questions: list[str]
    not_understood: list[str]


def _read_message(message: str, today: date) -> _Reading:
    text = message.replace("’", "'").replace("\u00a0", " ")
    text = _iso_dates(re.sub(r"[ \t]+", " ", text).strip(), today)
    text, tail_changes = _take_tails(text)
    text, email_changes = _take_emails(text)
    opening, client, text = _take_opening(text.strip())
    reading = _Reading(opening, [SetBuyer(client)] if client else [], [], [])

    clauses = _split_clauses(text)
    if len(clauses) > _MAX_CLAUSES:
        reading.questions.append(
            "That is a lot for one message — please send the invoice in a few smaller messages."
        )
        return reading
    clauses = [piece for clause in clauses for piece in _client_at_end(clause)]
    index = 0
    verb = None  # the last verb, for "remove the discount and the notes"
    while index < len(clauses):
        clause, _ = clauses[index]
        result = _read_clause(clause, item_expected=opening and index == 0)
        if index + 1 < len(clauses):
            following, separator = clauses[index + 1]
            if _worth_joining(result, _read_clause(following), separator, following):
                joined = _read_clause(f"{clause}{separator}{following}", item_expected=opening)
                if _is_change(joined):
                    result, clause = joined, f"{clause}{separator}{following}"
                    index += 1
        if result is None and verb:
            with_verb = _read_clause(f"{verb} {_tidy(clause)}")
            result = with_verb if _is_change(with_verb) else None
        if _is_change(result):
            reading.changes.append(result)
        elif isinstance(result, _Ask):
            reading.questions.append(result.question)
        elif result is None:
            reading.not_understood.append(_tidy(clause))
        leading_verb = _VERB_RE.match(_tidy(clause))
        verb = leading_verb[0] if leading_verb else verb
        index += 1
    reading.changes += email_changes + tail_changes
    return reading


# ---------------------------------------------------------------------------------------------
# The provider
# ---------------------------------------------------------------------------------------------


def _explain_invalid(error: ValidationError) -> str:
    """The first validation message, with the field it is about."""

    def first(messages: Any, path: list[str]) -> str:
        if isinstance(messages, dict):
            key, value = next(iter(messages.items()))
            return first(value, [*path, str(key)])
        if isinstance(messages, list) and messages:
            return first(messages[0], path)
        if len(path) > 2 and path[0] == "items" and path[1].isdigit():
            path = [f"line {int(path[1]) + 1}", *path[2:]]
        return f"{' '.join(path).replace('_', ' ')}: {messages}"

    return f"I couldn't make that change: {first(error.messages, [])}"


class OfflineProvider:
    """A deterministic, rule-based engine for common invoice requests; no network, no model."""

    name = "offline"

    def respond(self, request: ProviderRequest) -> ProviderReply:
        try:
            current = load_draft(request.invoice) if request.invoice is not None else None
        except ValidationError:
            return ProviderReply("I couldn't read the current invoice; it is unchanged.", None)
        reading = _read_message(request.message, request.today)
        if reading.questions:
            return ProviderReply(" ".join(dict.fromkeys(reading.questions)), None)
        if not reading.changes:
            return ProviderReply(_not_understood(request.message, reading, current), None)

        adds_lines = any(isinstance(c, AddLine) for c in reading.changes)
        names_client = any(isinstance(c, SetBuyer) for c in reading.changes)
        if current is None and not (adds_lines or names_client):
            return ProviderReply(f"There's no invoice yet. {HELP}", None)
        # A message that opens like a new invoice and names a line starts a new invoice.
        creating = current is None or (reading.opening and adds_lines)
        try:
            draft, messages = _apply(current, reading.changes, _Context(request.today, creating))
            data = invoice_draft_schema.dump(draft)
            priced = price_invoice(load_draft(data), "DRAFT", today=request.today)
        except _Clarification as question:
            return ProviderReply(str(question), None)
        except ValidationError as error:
            return ProviderReply(_explain_invalid(error), None)
        except InvoiceRuleError as error:
            return ProviderReply(f"I couldn't make that change: {error.message}", None)

        ignored = "".join(
            f" I didn't understand “{text}”, so I left it out." for text in reading.not_understood
        )
        if current is not None and not creating and data == invoice_draft_schema.dump(current):
            return ProviderReply(
                f"Nothing to change — the invoice already looks like that.{ignored}", None
            )
        total = f"Total: {_format_money(priced.total, draft.currency)}." if draft.items else ""
        if creating:
            reply = _creation_reply(draft, messages, total, replaced=current is not None)
        else:
            reply = " ".join(part for part in [*messages, total] if part)
        return ProviderReply((reply + ignored).strip(), data)


def _apply(
    current: InvoiceDraft | None, changes: list[Change], ctx: _Context
) -> tuple[InvoiceDraft, list[str]]:
    """The draft after `changes`, and what each change did (for the reply), without repeats.

    Raises _Clarification when a change cannot be made without guessing.
    """
    if ctx.creating or current is None:
        seller = current.seller if current else None  # the seller is the user: keep them
        currency = _resolve_currency(None, changes)
        draft = InvoiceDraft(currency=currency, issue_date=ctx.today, seller=seller)
    else:
        draft = current
        _resolve_currency(current.currency, changes)
    messages: list[str] = []
    for change in sorted(changes, key=lambda c: c.phase):
        draft, message = change.apply(draft, ctx)
        summarised = ctx.creating and isinstance(change, AddLine | SetBuyer)  # in the header
        if message and not summarised and message not in messages:
            messages.append(message)
    return draft, messages


def _creation_reply(draft: InvoiceDraft, messages: list[str], total: str, *, replaced: bool) -> str:
    created = "Created a new invoice" if replaced else "Created an invoice"
    if draft.buyer:
        created += f" for {draft.buyer.name}"
    if draft.items:
        count = len(draft.items)
        lines = "; ".join(_describe_line(item, draft.currency) for item in draft.items)
        created += f" with {count} line{'s' if count > 1 else ''}: {lines}."
    else:
        created += ". What should I bill? For example “40 hours of consulting at $150/h”."
    parts = [created, *messages, total]
    if draft.buyer is None:
        parts.append("The client is missing — who should I bill? (e.g. “client: Acme Corp”)")
    return " ".join(part for part in parts if part)


def _not_understood(message: str, reading: _Reading, current: InvoiceDraft | None) -> str:
    if reading.opening and not reading.not_understood:
        return (
            "Happy to create an invoice. Tell me the client and what to bill, e.g. “Invoice Acme "
            "Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days”."
        )
    if not reading.not_understood:  # "thanks!", or nothing at all
        return f"Happy to help — the invoice is as it was. {HELP}"
    shown = message.strip()
    shown = shown if len(shown) <= 80 else shown[:77] + "…"
    unchanged = " The invoice is unchanged." if current is not None else ""
    return f"Sorry, I didn't understand “{shown}”.{unchanged} {HELP}"
