"""Amounts, quantities and percentages as people write them: "$1,200", "1.200,50 €",
"CHF 1'200", "150/h", "$2k", "19.99 each", "forty hours", "6.5%". Always Decimal, never float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from core.money import is_known_currency, minor_digits
from core.providers.offline.vocabulary import (
    ADVERB_ALT,
    CODE_ALT,
    CURRENCY_CODES,
    CURRENCY_NAMES,
    CURRENCY_SYMBOLS,
    NAME_ALT,
    NUMBER_WORD_ALT,
    NUMBER_WORDS,
    RATE_ADVERBS,
    SYMBOL_ALT,
    UNIT_ALT,
    UNIT_BY_WORD,
)

# One number, in the ways people group digits. Order matters: the first alternative that
# matches wins, so the European and Swiss groupings come before the plain forms.
NUMBER = (
    r"(?:\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d{1,2})?(?![\d,])"  # 2,50,000 (lakh)
    r"|\d{1,3}(?:\.\d{3})+,\d{1,2}(?!\d)"  # 1.200,50
    r"|\d{1,3}(?:[ \u00a0\u202f]\d{3})+,\d{1,2}(?!\d)"  # 1 200,50
    r"|\d{1,3}(?:[\u00a0\u202f]\d{3})+(?!\d)"  # 1 200 (non-breaking spaces)
    r"|\d{1,3}(?:'\d{3})+(?:\.\d+)?"  # 1'200.50
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 1,200.50
    r"|\d{1,3}(?:\.\d{3}){2,}(?![\d,])"  # 1.200.000
    r"|\d+,\d{1,2}(?![\d,])"  # 12,50
    r"|\d{1,15}(?:\.\d{1,12})?|\.\d{1,12})"  # longer runs of digits are no amount
)
QUANTITY = rf"(?P<qty>{NUMBER}|(?:{NUMBER_WORD_ALT})(?=\s))"
PERCENT = rf"(?P<pct>{NUMBER})\s?(?:%|percent\b|per\s?cent\b|pct\b)"

_EUROPEAN_RE = re.compile(r"[\d .]*,\d{1,2}")
_AMBIGUOUS_RE = re.compile(r"\d{1,3}\.\d{3}")


def parse_number(text: str) -> Decimal:
    """The value of a number matched by NUMBER: "1,200.50", "1.200,50" and "1 200,50" alike."""
    text = text.replace("\u00a0", "").replace("\u202f", "").replace("'", "")
    if _EUROPEAN_RE.fullmatch(text):
        text = text.replace(".", "").replace(" ", "").replace(",", ".")
    elif text.count(".") > 1:
        text = text.replace(".", "")
    return Decimal(text.replace(",", "").replace(" ", ""))


def number_value(text: str) -> Decimal:
    """A number or a number word ("forty", "a dozen")."""
    word = " ".join(text.lower().split())
    return Decimal(NUMBER_WORDS[word]) if word in NUMBER_WORDS else parse_number(text)


@dataclass(frozen=True)
class Money:
    """An amount as written, with the currency it was written in (None: not said)."""

    amount: Decimal
    currency: str | None = None


@dataclass(frozen=True)
class PriceMatch:
    money: Money
    unit: str | None  # from "/h", "per day", "hourly"
    marked: bool  # a currency symbol, code or name (or "k") was written
    per: bool  # "/h", "each", …
    start: int
    end: int
    written: str  # the digits as typed, for questions about them

    @property
    def ambiguous(self) -> bool:
        """ "€1.200": one thousand two hundred, or one point two? Only the writer knows."""
        currency = self.money.currency
        three_digits = currency is not None and is_known_currency(currency)
        return bool(_AMBIGUOUS_RE.fullmatch(self.written)) and not (
            three_digits and minor_digits(currency) == 3  # type: ignore[arg-type]
        )


_MONEY_RE = re.compile(
    rf"(?:(?<![^\W\d_])(?P<symbol>{SYMBOL_ALT})\s?|\b(?P<code>{CODE_ALT})\s?)?"
    rf"(?<![\w.,])(?P<number>{NUMBER})(?P<thousands>k\b)?"
    r"(?![\d]|[.,]\d|[-/–]\d|\s?(?:%|percent\b|per\s?cent\b|pct\b))"
    rf"(?:\s?(?P<symbol_after>{SYMBOL_ALT})(?![\w$])(?!\s?\d)"
    rf"|\s?\b(?P<code_after>{CODE_ALT}|{NAME_ALT})\b|\s?(?P<cents>cents?)\b)?",
    re.I,
)
_PER_UNIT_RE = re.compile(
    r"\s*(?:(?P<each>each\b|ea\b\.?|apiece\b|a\s+piece\b|per\s+(?:unit|item|piece|pc|person"
    r"|head)\b)"
    rf"|(?:/\s*|per\s+|an?\s+)(?P<unit>{UNIT_ALT})\b"
    rf"|(?P<adverb>{ADVERB_ALT})\b"
    # "$30/lesson", "$28 per guest": per one of the things counted, which is no unit of ours
    r"|(?:/\s*|per\s+)(?P<noun>[^\W\d_]{2,})\b)",
    re.I,
)
# Words before a bare number that make it a price: "at 19.99", "@ 150", "rate of 90".
PRICE_LEAD_RE = re.compile(
    r"(?:\s*(?:\b(?:at|for|of|a|an|the|rate|priced|costing|costs?|charged|x)\b"
    r"|\b(?:price|amount|cost)\s*[:=]|@|[:=×*]))+\s*$",
    re.I,
)
_STRONG_LEAD_RE = re.compile(
    r"(?:\bat|@|\brate\s+of|\bcosts?|\bcosting|\bpriced(?:\s+at)?|[:=×])\s*$", re.I
)


_COUNTED_RE = re.compile(rf"\s*(?:(?:{UNIT_ALT})\b|[x×](?:\s|$))", re.I)


def currency_of(text: str | None) -> str | None:
    """The ISO code (or DOLLAR) for a symbol, code or name as written."""
    if text is None:
        return None
    if text.upper() in CURRENCY_CODES:
        return text.upper()
    for symbol, code in CURRENCY_SYMBOLS.items():
        if symbol.lower() == text.lower():
            return code
    return CURRENCY_NAMES.get(" ".join(text.lower().split()))


def _price_at(match: re.Match[str], text: str) -> PriceMatch:
    """Turn a _MONEY_RE match into a price, taking a following "/h" or "each" with it."""
    amount = parse_number(match["number"])
    if match["thousands"]:
        amount = amount.scaleb(3)
    if match["cents"]:  # "9 cents a word": of the invoice's currency
        amount = amount.scaleb(-2)
    # "$500 CAD": the code says which dollars.
    marker = match["code"] or match["code_after"] or match["symbol"] or match["symbol_after"]
    written_as_money = marker is not None or bool(match["thousands"] or match["cents"])
    end = match.end()
    unit = None
    per = _PER_UNIT_RE.match(text, end)
    if per:
        end = per.end()
        if per["unit"]:
            unit = UNIT_BY_WORD[per["unit"].lower()]
        elif per["adverb"]:
            unit = RATE_ADVERBS[per["adverb"].lower()]
    return PriceMatch(
        money=Money(amount, currency_of(marker)),
        unit=unit,
        marked=written_as_money,
        per=per is not None,
        start=match.start(),
        end=end,
        written="" if match["thousands"] or match["cents"] else match["number"],
    )


def find_price(text: str) -> PriceMatch | None:
    """The price in an item clause: an amount with a currency, "/h" or "each", or after "at".

    A bare number is a quantity unless something marks it as a price; when several amounts
    qualify, one introduced by "at" or "@" wins ("5 pounds of coffee at $10").
    """
    candidates = []
    for match in _MONEY_RE.finditer(text):
        price = _price_at(match, text)
        if not (price.marked or price.per) and _COUNTED_RE.match(text, price.end):
            continue  # "40 hours", "3 x": a quantity
        before = text[max(0, price.start - 20) : price.start]  # the lead is a word or two
        lead = _STRONG_LEAD_RE.search(before)
        # "rate: 150" is a price, "printing: 500 flyers" a quantity.
        labelled = lead is not None and lead.group().strip() in {":", "="}
        strong = lead is not None and not (labelled and re.search(r"[^\W\d_]", text[price.end :]))
        last_for = re.search(r"\bfor\s*$", before, re.I) and not text[price.end :].strip()
        # "450 for gutter cleaning": an amount first, then what it is for
        last_for = last_for or (
            not before.strip() and re.match(r"\s+for\s+[^\W\d_]", text[price.end :])
        )
        if price.marked or price.per or strong or last_for:
            candidates.append((strong, price))
    if not candidates:
        return _trailing_price(text)
    return next((price for strong, price in candidates if strong), candidates[0][1])


_TRAILING_WORDS_RE = re.compile(
    r"^[\s,.]*(?:(?:each|ea|total|in\s+total|all\s+in|flat|only|fixed)\b[\s,.]*)*$", re.I
)


def _trailing_price(text: str) -> PriceMatch | None:
    """ "logo refresh 1200", "parts 310", "Label design - 900": a bare number that ends a
    clause after the words saying what it is for is its price (a count comes first: "500
    flyers", or is marked: "x10", "10 hours")."""
    matches = list(_MONEY_RE.finditer(text))
    if not matches:
        return None
    price = _price_at(matches[-1], text)
    before = text[: price.start]
    if not _TRAILING_WORDS_RE.match(text[price.end :]) or _COUNTED_RE.match(text, price.end):
        return None
    if not re.search(r"[^\W\d_]{2,}", before) or _NOT_BEFORE_A_PRICE_RE.search(before):
        return None
    if _NOT_A_LINE_RE.match(before):
        return None
    return price


# "x10", "line 2", "not 40", "IL 62701", "version 3": a number that is no price.
_NOT_BEFORE_A_PRICE_RE = re.compile(
    r"(?:[x×#]|\b(?:lines?|items?|rows?|number|no|nr|not|than|to|of|is|was|were|from|by|in|on"
    r"|and|or|about|approx|around|under|over|step|phase|page|room|suite|unit|apt|floor"
    r"|version|v|only|just|po|ref|order)|\b(?-i:[A-Z]{2}))\.?\s*$",
    re.I,
)
# A clause that asks for something else than a new line.
_NOT_A_LINE_RE = re.compile(
    r"^\s*(?:rename|remove|delete|drop|change|set|make|update|move|switch|call\s+(?:it|that|the|line)"
    r"|replace|split"
    r"|swap|undo|revert|i\s+\w+|we\s+\w+|it|that|this)\b",
    re.I,
)


def money_value(text: str) -> PriceMatch | None:
    """`text` when it is exactly one amount ("$175", "175/h", "€90 each"), else None."""
    text = text.strip()
    match = _MONEY_RE.match(text)
    if not match:
        return None
    price = _price_at(match, text)
    return price if not text[price.end :].strip(" .") else None


_QUANTITY_VALUE_RE = re.compile(rf"^{QUANTITY}\s*(?P<unit>{UNIT_ALT})?\.?$", re.I)


def quantity_value(text: str) -> tuple[Decimal, str | None] | None:
    """`text` when it is exactly a quantity ("45", "45 hours", "ten days"), else None."""
    text = text.strip()
    match = _QUANTITY_VALUE_RE.match(text + (" " if text.isalpha() else ""))
    if not match:
        return None
    unit = UNIT_BY_WORD[match["unit"].lower()] if match["unit"] else None
    return number_value(match["qty"]), unit
