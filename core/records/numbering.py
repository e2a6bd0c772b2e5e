"""Number patterns: `{year}-{seq:04}` -> 2026-0001, `CN-{year}-{seq:04}` -> CN-2026-0001.

A pattern is text with exactly one `{seq}` (or `{seq:0N}`, zero-padded to N digits; a longer
number is never cut) and optionally `{year}`. When it has `{year}`, its sequence restarts at 1
each year (the period of the sequence is the year); otherwise it never restarts. Literal text
is letters, digits, `-` and `_`: a number is also a file name and a URL segment, so nothing
that needs escaping there (`/`, `.`, `#`, spaces) may appear.
"""

from __future__ import annotations

import re

INVOICE_SERIES = "invoice"
CREDIT_NOTE_SERIES = "credit_note"
DEFAULT_PATTERNS = {INVOICE_SERIES: "{year}-{seq:04}", CREDIT_NOTE_SERIES: "CN-{year}-{seq:04}"}
MAX_PATTERN_LENGTH = 40
MAX_NUMBER_LENGTH = 64
NUMBER = re.compile(r"\A[A-Za-z0-9_-]{1,64}\Z")  # what a number may look like (also in URLs)

_PLACEHOLDER = re.compile(r"\{(year|seq(?::0([1-9]))?)\}")
_LITERAL = re.compile(r"\A[A-Za-z0-9_-]*\Z")


class PatternError(ValueError):
    """The pattern cannot make numbers; the message says why, for a person."""


def check_pattern(pattern: str) -> str:
    """`pattern` when it can make numbers. Raises PatternError saying what is wrong."""
    if not pattern or len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"Use 1 to {MAX_PATTERN_LENGTH} characters.")
    seqs = 0
    for piece in _PLACEHOLDER.split(pattern)[::3]:  # the literal text between placeholders
        if not _LITERAL.match(piece):
            raise PatternError(
                "Use letters, digits, '-' and '_' around {year} and {seq} (or {seq:04})."
            )
    for match in _PLACEHOLDER.finditer(pattern):
        seqs += match.group(1).startswith("seq")
    if seqs != 1:
        raise PatternError("The pattern needs {seq} (or {seq:04}) exactly once.")
    return pattern


def period(pattern: str, year: int) -> str:
    """The sequence period: the year when the pattern has {year} (numbers restart yearly)."""
    return str(year) if "{year}" in pattern else ""


def format_number(pattern: str, year: int, sequence: int) -> str:
    """The number `sequence` of `year` in `pattern`: ('{year}-{seq:04}', 2026, 7) -> '2026-0007'."""

    def fill(match: re.Match[str]) -> str:
        if match.group(1) == "year":
            return f"{year:04d}"
        width = int(match.group(2) or 1)
        return f"{sequence:0{width}d}"

    return _PLACEHOLDER.sub(fill, pattern)
