"""Currencies and rounding. Amounts are `Decimal`, rounded half-up to the currency's minor unit.

Minor units come from ISO 4217 itself (the `iso4217` package), not from CLDR's display digits:
JPY has 0, BHD 3, CLF 4. Currencies without a minor unit (gold, test codes) are refused.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import cache

from iso4217 import Currency

DEFAULT_CURRENCY = "USD"


class UnknownCurrency(ValueError):
    """The code is not an ISO 4217 currency with a minor unit."""


@cache
def minor_digits(currency: str) -> int:
    """Digits after the decimal point for `currency` (USD 2, JPY 0, BHD 3).

    Raises UnknownCurrency for codes that are not ISO 4217 currencies with a minor unit.
    """
    try:
        exponent = Currency(currency.upper()).exponent
    except ValueError:
        raise UnknownCurrency(f"{currency!r} is not an ISO 4217 currency code") from None
    if exponent is None:
        raise UnknownCurrency(f"{currency!r} has no minor unit and cannot be invoiced")
    return exponent


def is_known_currency(currency: str) -> bool:
    try:
        minor_digits(currency)
    except UnknownCurrency:
        return False
    return True


@cache
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency` as a Decimal exponent: Decimal('0.01') for USD."""
    return Decimal(1).scaleb(-minor_digits(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit; the result has exactly that many digits."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def floor_money(amount: Decimal, currency: str) -> Decimal:
    """Round towards zero to the currency's minor unit (used when allocating remainders)."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_DOWN)


def plain(value: Decimal) -> str:
    """A Decimal as fixed-point text, trailing zeros removed: Decimal('1.50E+3') -> '1500'."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0E-0"} else text


def money_text(amount: Decimal, currency: str) -> str:
    """An amount as JSON text with exactly the currency's minor digits: '1200.00', '1200' (JPY)."""
    return format(round_money(amount, currency), "f")
