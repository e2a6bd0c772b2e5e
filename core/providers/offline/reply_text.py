"""How the offline engine writes amounts, quantities, lines and dates in its replies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.invoice import LineItem
from core.money import minor_digits, plain
from core.providers.offline.vocabulary import (
    ACRONYMS,
    DOLLAR,
    REPLY_SYMBOLS,
    UNITS,
    WEEKDAY_NAMES,
)

_IRREGULAR_PLURALS = {
    "kg": "kg", "km": "km", "foot": "feet", "square foot": "square feet", "lb": "lb",
}  # fmt: skip


def format_money(amount: Decimal, currency: str) -> str:
    """Like "$6,480.00", "€150.00", "CHF 1,200.00": at least the currency's minor digits."""
    if currency == DOLLAR:
        currency = "USD"
    digits = minor_digits(currency)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -digits:
        amount = amount.quantize(Decimal(1).scaleb(-digits))
    text = f"{amount:,f}"
    symbol = REPLY_SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{currency} {text}"


def format_quantity(quantity: Decimal, unit: str | None) -> str:
    if not unit:
        return plain(quantity)
    if quantity != 1 and unit in UNITS:
        unit = _IRREGULAR_PLURALS.get(unit, f"{unit}s")
    return f"{plain(quantity)} {unit}"


def describe_line(item: LineItem, currency: str) -> str:
    """ "Consulting, 40 hours × $150.00" """
    text = f"{item.description}, {format_quantity(item.quantity, item.unit)} × "
    return text + format_money(item.unit_price, currency)


def list_lines(items: tuple[LineItem, ...]) -> str:
    return "; ".join(f"{i}. {item.description}" for i, item in enumerate(items, start=1))


_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def human_date(day: date) -> str:
    """ "Fri 4 Dec 2026": a day nobody can read the wrong way round (and no locale involved)."""
    weekday = WEEKDAY_NAMES[day.weekday()][:3]
    return f"{weekday} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


_IT_WORK = frozenset({"support", "services", "consulting", "work", "setup", "help", "audit"})


def capitalise(text: str) -> str:
    """The first letter upper-cased, unless the first word has capitals of its own ("iPad");
    known abbreviations typed in lower case in capitals ("qa testing" -> "QA testing")."""
    words = text.split(" ")
    following = [*words[1:], ""]
    words = [
        w.upper() if w.islower() and w in ACRONYMS and (w != "it" or after in _IT_WORK) else w
        for w, after in zip(words, following, strict=True)
    ]
    text = " ".join(words)
    first = words[0]
    return text[0].upper() + text[1:] if first.islower() else text


def join_words(parts: list[str]) -> str:
    """ "a", "a and b", "a, b and c" """
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"
