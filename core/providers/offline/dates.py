"""Dates as people write them, turned into ISO dates before a message is read.

"Dec 31, 2026", "31/12/2026", "due next Friday", "by the 15th", "end of the month" all become
"2026-12-31"-style dates relative to the turn's `today`, so the clause splitter does not cut
them at their commas and the readers see one form. What stays ambiguous (03/04/2026) is left
as written, and the readers then do not understand it rather than guess.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from core.providers.offline.vocabulary import MONTH_ALT, MONTHS, WEEKDAY_ALT, WEEKDAYS

_MONTH_DAY_RE = re.compile(
    rf"\b(?P<month>{MONTH_ALT})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b"
    rf"(?:,?\s+(?P<year>\d{{4}}))?",
    re.I,
)
_DAY_MONTH_RE = re.compile(
    rf"\b(?:the\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{MONTH_ALT})\b\.?"
    rf"(?:,?\s+(?P<year>\d{{4}}))?",
    re.I,
)
# 31/12/2026, 12/31/2026, 31.12.2026, and 12/31 (this year or next) when one part is over 12.
_NUMERIC_DATE_RE = re.compile(
    r"\b(?P<a>\d{1,2})(?P<sep>[/.])(?P<b>\d{1,2})(?:(?P=sep)(?P<year>\d{4}))?(?![\d/.,])"
)
_DATE_LEAD = (
    r"(?P<lead>\b(?:due(?:\s+date)?|dated|date|on|by|issued|payable|from|is|to|of|until|till"
    r"|before|deadline|for|pay)\b[\s:]*)"
)
# Weekdays and "the 15th" only count after words that introduce a date: "workshop on
# Saturday" stays a description, "due Saturday" is a date.
_DUE_LEAD = (
    r"(?P<lead>\b(?:(?:is\s+)?due(?:\s+date)?|by|until|till|before|payable|pay|deadline|dated"
    r"|issued|date)\b(?:\s+on\b)?[\s:]*)"
)
_DAY_WORD_RE = re.compile(rf"{_DATE_LEAD}(?P<word>today|tomorrow|yesterday|now)\b", re.I)
_WEEKDAY_RE = re.compile(
    rf"{_DUE_LEAD}?(?:(?P<which>this|coming|next)\s+)?(?P<weekday>{WEEKDAY_ALT})\b\.?(?!'s)"
    r"(?P<next_week>\s+next\s+week)?",
    re.I,
)
_ORDINAL_DAY_RE = re.compile(
    rf"{_DUE_LEAD}(?:the\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)\b"
    r"(?!\s+(?:line|item|row|entry|one|of))",
    re.I,
)
_END_OF_RE = re.compile(
    r"\b(?:the\s+)?end\s+of\s+(?:the\s+)?(?P<which>this\s+|next\s+)?(?P<what>month|year)\b"
    r"|\beom\b",
    re.I,
)
_NEXT_PERIOD_RE = re.compile(
    r"\b(?P<lead>due|payable|pay|by)\s+next\s+(?P<unit>week|month)\b|\ba\s+fortnight\b", re.I
)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (Jan 31 + 1)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def shift(day: date, count: int, unit: str) -> date:
    """`day` moved by `count` days, weeks or months."""
    if unit == "week":
        return day + timedelta(weeks=count)
    if unit == "month":
        return add_months(day, count)
    return day + timedelta(days=count)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _nearest(day: date, today: date) -> date:
    """A date written without its year, in the year that puts it nearest to today: "Dec 31"
    said in November is this December, "Jan 15" next January, "Nov 20" last week."""
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(day.replace(year=year))
        except ValueError:  # Feb 29
            continue
    return min(candidates, key=lambda candidate: (abs((candidate - today).days), candidate))


def rewrite_dates(text: str, today: date) -> str:
    """`text` with the dates it names written as ISO dates (see the module docstring)."""

    def named(match: re.Match[str]) -> str:
        month = MONTHS[match["month"][:3].lower()]
        year = int(match["year"]) if match["year"] else today.year
        try:
            day = date(year, month, int(match["day"]))
        except ValueError:
            return match.group()
        return (day if match["year"] else _nearest(day, today)).isoformat()

    def numeric(match: re.Match[str]) -> str:
        first, second = int(match["a"]), int(match["b"])
        if match["year"] is None and match["sep"] == ".":
            return match.group()  # "12.10" is a number
        european = match["sep"] == "." or first > 12
        if european and second <= 12:
            day_number, month = first, second
        elif second > 12 and first <= 12:
            month, day_number = first, second
        else:
            return match.group()  # 03/04: March 4 or 3 April? Not ours to guess.
        year = int(match["year"]) if match["year"] else today.year
        try:
            day = date(year, month, day_number)
        except ValueError:
            return match.group()
        return (day if match["year"] else _nearest(day, today)).isoformat()

    def day_word(match: re.Match[str]) -> str:
        word = match["word"].lower()
        offset = {"today": 0, "now": 0, "tomorrow": 1, "yesterday": -1}[word]
        return f"{match['lead']}{(today + timedelta(days=offset)).isoformat()}"

    def weekday(match: re.Match[str]) -> str:
        which = (match["which"] or "").lower()
        bare = not which and not match["next_week"]
        if bare and not match["lead"]:
            return match.group()  # "sat", "wed" and "sun" are words too
        target = WEEKDAYS[match["weekday"].lower().rstrip(".")]
        if which == "next" or match["next_week"]:  # the one in next week (weeks start Monday)
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
            day = monday + timedelta(days=target)
        else:  # "Friday", "this Friday": the coming one, never today
            day = today + timedelta(days=(target - today.weekday() - 1) % 7 + 1)
        return f"{match['lead'] or ''}{day.isoformat()}"

    def ordinal_day(match: re.Match[str]) -> str:
        number = int(match["day"])
        for months_ahead in range(3):
            candidate = add_months(today.replace(day=1), months_ahead)
            if number <= calendar.monthrange(candidate.year, candidate.month)[1]:
                day = candidate.replace(day=number)
                if day > today:
                    return f"{match['lead']}{day.isoformat()}"
        return match.group()

    def end_of(match: re.Match[str]) -> str:
        what = (match["what"] or "month").lower()
        later = 1 if (match["which"] or "").strip().lower() == "next" else 0
        if what == "year":
            return date(today.year + later, 12, 31).isoformat()
        return _month_end(add_months(today.replace(day=1), later)).isoformat()

    def next_period(match: re.Match[str]) -> str:
        if not match["lead"]:
            return "2 weeks"
        return f"{match['lead']} in 1 {match['unit'].lower()}"

    text = _MONTH_DAY_RE.sub(named, text)
    text = _DAY_MONTH_RE.sub(named, text)
    text = _NUMERIC_DATE_RE.sub(numeric, text)
    text = _DAY_WORD_RE.sub(day_word, text)
    text = _WEEKDAY_RE.sub(weekday, text)
    text = _ORDINAL_DAY_RE.sub(ordinal_day, text)
    text = _END_OF_RE.sub(end_of, text)
    return _NEXT_PERIOD_RE.sub(next_period, text)


def iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
