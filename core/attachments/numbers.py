"""Numbers, amounts, durations and dates as documents write them. Decimal, never float.

Amounts come in every common style: 1234.5, 1,234.50, 1.234,50, 1 234,50, 1'234.50, € 12,
12,00 €, -12.00, (12.00), 12.00-, USD 1,200. Which separator is the decimal one is decided per
document (`decimal_comma`) from the numbers that cannot be read two ways ("12,50" or
"1,234.50"); a number that could be either ("1,234" or "1.234") follows that decision and, when
nothing decides, is read as written in English (a thousands separator).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

# Currency marks people write around amounts; codes are ISO 4217.
CURRENCY_SYMBOLS = {
    "€": "EUR",
    "$": "USD",
    "US$": "USD",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "C$": "CAD",
    "A$": "AUD",
    "CHF": "CHF",
    "Fr.": "CHF",
    "kr": "SEK",
    "zł": "PLN",
}
_CODES = "EUR USD GBP CHF JPY CAD AUD NZD SEK NOK DKK PLN CZK HUF INR CNY HKD SGD ZAR BRL MXN"
CURRENCY_CODES = frozenset(_CODES.split(" "))
_CODE_RE = re.compile(r"\b(" + "|".join(sorted(CURRENCY_CODES)) + r")\b")
_SYMBOL_RE = re.compile(
    "|".join(re.escape(s) for s in sorted(CURRENCY_SYMBOLS, key=len, reverse=True))
)
_GROUP_SPACES = "\u00a0\u202f\u2009 "
_NUMBER_BODY = re.compile(r"^\d[\d.,'\u00a0\u202f\u2009 ]*$|^[.,]\d+$")
_DURATION_RE = re.compile(r"^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$")
_UNIT_SUFFIX = re.compile(
    r"\s*(?:h|hrs?|hours?|std\.?|stunden|stk\.?|pcs?\.?|x|%)\s*$", re.IGNORECASE
)


def currency_in(text: str) -> str | None:
    """The ISO code of the first currency code or symbol in `text`, if any."""
    code = _CODE_RE.search(text)
    if code:
        return code.group(1)
    symbol = _SYMBOL_RE.search(text)
    return CURRENCY_SYMBOLS[symbol.group(0)] if symbol else None


def separator_vote(text: str) -> bool | None:
    """True: this number shows a decimal comma; False: a decimal point; None: cannot tell."""
    body = _strip_marks(text)[0]
    if not body or not _NUMBER_BODY.match(body):
        return None
    last_comma, last_point = body.rfind(","), body.rfind(".")
    if last_comma == -1 and last_point == -1:
        return None
    decimal_at = max(last_comma, last_point)
    digits_after = len(body) - decimal_at - 1
    if last_comma != -1 and last_point != -1:
        return last_comma > last_point
    separator = body[decimal_at]
    if body.count(separator) > 1:  # 1,234,567 or 1.234.567: grouping
        return separator == "."
    if digits_after == 3:  # 1,234 / 1.234: either
        return None
    return separator == ","


def decimal_comma_of(texts: Iterable[str], default: bool = False) -> bool:
    """Whether the numbers in `texts` use a decimal comma, by majority of those that tell."""
    commas = points = 0
    for text in texts:
        vote = separator_vote(text)
        if vote is True:
            commas += 1
        elif vote is False:
            points += 1
    if commas == points:
        return default
    return commas > points


def parse_decimal(
    text: str | Decimal | int | None, *, decimal_comma: bool = False
) -> Decimal | None:
    """The number in a cell or token, or None when it is not one number.

    Currency marks, a trailing unit (h, Std., pcs, %), signs and accounting parentheses are
    allowed around it; `decimal_comma` decides "1.234" and "1,234".
    """
    if text is None:
        return None
    if isinstance(text, Decimal):
        return text
    if isinstance(text, int):
        return Decimal(text)
    body, negative = _strip_marks(text)
    if not body or not _NUMBER_BODY.match(body):
        return None
    for space in _GROUP_SPACES:
        body = body.replace(space, "")
    body = body.replace("'", "")
    vote = separator_vote(body)
    comma = decimal_comma if vote is None else vote
    if comma:
        if body.count(",") > 1:
            return None
        body = body.replace(".", "").replace(",", ".")
    else:
        if body.count(".") > 1:
            return None
        body = body.replace(",", "")
    try:
        value = Decimal(body)
    except InvalidOperation:
        return None
    return -value if negative else value


def _strip_marks(text: str) -> tuple[str, bool]:
    """(the digits and separators of an amount, whether it is negative)."""
    body = text.strip()
    negative = False
    if body.startswith("(") and body.endswith(")"):
        body, negative = body[1:-1].strip(), True
    body = _CODE_RE.sub("", body)
    body = _SYMBOL_RE.sub("", body).strip()
    body = _UNIT_SUFFIX.sub("", body).strip()
    if body[:1] in "-−–":
        body, negative = body[1:].strip(), True
    elif body[-1:] in "-−":
        body, negative = body[:-1].strip(), True
    elif body[:1] == "+":
        body = body[1:].strip()
    body = _SYMBOL_RE.sub("", body).strip()
    return body, negative


def parse_hours(text: str | Decimal | None, *, decimal_comma: bool = False) -> Decimal | None:
    """Hours as a decimal: "7.5", "7,5 h" and "7:30" are all 7.5 (minutes to 6 places)."""
    if isinstance(text, str):
        match = _DURATION_RE.match(text.strip())
        if match:
            hours, minutes, seconds = (int(g or 0) for g in match.groups())
            return hours_of(timedelta(hours=hours, minutes=minutes, seconds=seconds))
    return parse_decimal(text, decimal_comma=decimal_comma)


def hours_of(duration: timedelta | time) -> Decimal:
    """A duration (or a time of day used as one, as spreadsheets do) in hours, 6 places at most."""
    if isinstance(duration, time):
        duration = timedelta(hours=duration.hour, minutes=duration.minute, seconds=duration.second)
    seconds = Decimal(int(duration.total_seconds()))
    return (seconds / 3600).quantize(Decimal("0.000001")).normalize()


def float_decimal(value: float) -> Decimal:
    """A spreadsheet number as the decimal it was typed as.

    Excel keeps 15 significant digits and writes the nearest double, so 1234.57 may come back
    as 1234.5699999999999; rounding to 15 significant digits gives the typed value back.
    """
    exact = Decimal(repr(value))
    if exact == 0:
        return Decimal(0)
    digits = exact.adjusted() + 1
    return exact.quantize(Decimal(1).scaleb(digits - 15)).normalize()


# --- dates --------------------------------------------------------------------------------------

_MONTHS = {
    **dict.fromkeys(["jan", "january", "januar", "jänner", "janvier"], 1),
    **dict.fromkeys(["feb", "february", "februar", "février"], 2),
    **dict.fromkeys(["mar", "march", "mär", "märz", "maerz", "mars"], 3),
    **dict.fromkeys(["apr", "april", "avril"], 4),
    **dict.fromkeys(["may", "mai"], 5),
    **dict.fromkeys(["jun", "june", "juni", "juin"], 6),
    **dict.fromkeys(["jul", "july", "juli", "juillet"], 7),
    **dict.fromkeys(["aug", "august", "août"], 8),
    **dict.fromkeys(["sep", "sept", "september", "septembre"], 9),
    **dict.fromkeys(["oct", "october", "okt", "oktober", "octobre"], 10),
    **dict.fromkeys(["nov", "november", "novembre"], 11),
    **dict.fromkeys(["dec", "december", "dez", "dezember", "décembre"], 12),
}
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
NUMERIC_DATE = re.compile(r"\b(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})\b")
WORD_DATE = re.compile(rf"\b(\d{{1,2}})\.?\s+({_MONTH_ALT})\.?,?\s+(\d{{4}})\b", re.IGNORECASE)
WORD_DATE_US = re.compile(rf"\b({_MONTH_ALT})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.IGNORECASE)


def day_first_of(texts: Iterable[str], default: bool | None = None) -> bool | None:
    """Whether numeric dates in `texts` are day-first (31.12.) or month-first (12/31/)."""
    day_first = month_first = False
    for text in texts:
        for match in NUMERIC_DATE.finditer(text):
            first, second = int(match.group(1)), int(match.group(3))
            if match.group(2) == ".":
                day_first = True  # dotted dates are always day-first
            elif first > 12 >= second:
                day_first = True
            elif second > 12 >= first:
                month_first = True
    if day_first != month_first:
        return day_first
    return default


def parse_date(text: str | date | datetime | None, *, day_first: bool | None = True) -> date | None:
    """The first date in `text`: ISO, 31.12.2026, 12/31/2026, 31 Dec 2026, December 31, 2026.

    `day_first` decides 01/02/2026 (None: refuse to guess and return None).
    """
    if text is None:
        return None
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    candidates = []
    if match := ISO_DATE.search(text):
        candidates.append((match.start(), _date(*map(int, match.groups()))))
    if match := NUMERIC_DATE.search(text):
        first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        if year < 100:
            year += 2000
        if match.group(2) == "." or first > 12:
            order = True
        elif second > 12:
            order = False
        else:
            order = day_first
        if order is not None:
            day, month = (first, second) if order else (second, first)
            candidates.append((match.start(), _date(year, month, day)))
    if match := WORD_DATE.search(text):
        month = _MONTHS[match.group(2).lower()]
        candidates.append((match.start(), _date(int(match.group(3)), month, int(match.group(1)))))
    if match := WORD_DATE_US.search(text):
        month = _MONTHS[match.group(1).lower()]
        candidates.append((match.start(), _date(int(match.group(3)), month, int(match.group(2)))))
    found = [(start, value) for start, value in candidates if value is not None]
    return min(found, key=lambda pair: pair[0])[1] if found else None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
