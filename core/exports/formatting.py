"""Display formatting with Babel: amounts, quantities, rates and dates in a locale.

For display only. Every amount handed in here was already rounded half-up by the core to its
currency's ISO 4217 minor digits; the patterns below show exactly those digits (CLDR's own
digit counts differ for some currencies: IQD has 3 in ISO 4217, 0 in CLDR), so Babel never
rounds an amount. Unit prices may carry more digits than the currency (0.125 USD) and keep them.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import NumberPattern, format_decimal, format_percent

from core.money import minor_digits

PageSize = Literal["A4", "Letter"]
PAGE_SIZES: tuple[PageSize, ...] = ("A4", "Letter")

# Where US Letter is the usual paper; everywhere else A4.
LETTER_TERRITORIES = frozenset(
    {"US", "CA", "MX", "CL", "CO", "VE", "PH", "GT", "CR", "PA", "DO", "PR", "SV", "NI", "HN", "BZ"}
)
# The documents' words are English; this picks the English variant whose conventions (date
# order, separators, paper) fit a currency best. Anything else can be asked for with `locale`.
DEFAULT_LOCALES = {
    "USD": "en_US",
    "CAD": "en_CA",
    "GBP": "en_GB",
    "EUR": "en_IE",
    "AUD": "en_AU",
    "NZD": "en_NZ",
    "INR": "en_IN",
    "SGD": "en_SG",
    "HKD": "en_HK",
    "ZAR": "en_ZA",
    "PHP": "en_PH",
    "CHF": "en_CH",
    "SEK": "en_SE",
    "DKK": "en_DK",
    "NOK": "en_NO",
}
FALLBACK_LOCALE = "en_GB"


class UnknownLocale(ValueError):
    """The text is not a locale Babel knows (e.g. 'xx_YY')."""


@cache
def get_locale(identifier: str) -> Locale:
    """A Babel Locale for 'de_DE', 'de-DE' or 'fr'. Raises UnknownLocale."""
    try:
        return Locale.parse(identifier.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise UnknownLocale(f"{identifier!r} is not a known locale") from None


def is_known_locale(identifier: str) -> bool:
    try:
        get_locale(identifier)
    except UnknownLocale:
        return False
    return True


def default_locale(currency: str) -> Locale:
    """The locale documents use when the caller names none."""
    name = DEFAULT_LOCALES.get(currency.upper(), FALLBACK_LOCALE)
    try:
        return get_locale(name)
    except UnknownLocale:  # pragma: no cover - depends on Babel's CLDR data
        return get_locale(FALLBACK_LOCALE)


def page_size_for(locale: Locale) -> PageSize:
    """US Letter where it is the usual paper (by the locale's territory), else A4."""
    return "Letter" if locale.territory in LETTER_TERRITORIES else "A4"


@cache
def _currency_pattern(locale: Locale, min_digits: int, max_digits: int) -> NumberPattern:
    pattern = copy.copy(locale.currency_formats["standard"])
    pattern.frac_prec = (min_digits, max_digits)
    return pattern


def money(amount: str | Decimal, currency: str, locale: Locale) -> str:
    """'1234.50' USD in en_US -> '$1,234.50'; in de_DE -> '1.234,50 $'. Never rounds."""
    value = Decimal(amount)
    digits = minor_digits(currency)
    shown = max(digits, _places(value))  # a unit price may have more digits than the currency
    return _currency_pattern(locale, digits, shown).apply(
        value, locale, currency=currency, currency_digits=False
    )


def quantity(value: str | Decimal, locale: Locale) -> str:
    """'40' -> '40', '1.5' -> '1.5' (de: '1,5'); every digit kept."""
    return format_decimal(Decimal(value).normalize(), locale=locale, decimal_quantization=False)


def percent(rate: str | Decimal, locale: Locale) -> str:
    """A rate in percent ('8', '7.5') as the locale writes it: '8%', '7,5 %'."""
    return format_percent(Decimal(rate) / 100, locale=locale, decimal_quantization=False)


def long_date(value: str | date | None, locale: Locale) -> str:
    """'2026-01-15' -> 'January 15, 2026' (en_US), '15 January 2026' (en_GB)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, format="long", locale=locale)


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
