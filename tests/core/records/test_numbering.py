"""Number patterns: what they make, and which ones are refused."""

from __future__ import annotations

import pytest

from core.records.numbering import PatternError, check_pattern, format_number, period


@pytest.mark.parametrize(
    ("pattern", "year", "sequence", "number"),
    [
        ("{year}-{seq:04}", 2026, 1, "2026-0001"),
        ("{year}-{seq:04}", 2026, 12345, "2026-12345"),  # never cut
        ("CN-{year}-{seq:04}", 2027, 7, "CN-2027-0007"),
        ("INV{seq}", 2026, 42, "INV42"),
        ("{seq:06}_{year}", 2026, 3, "000003_2026"),
    ],
)
def test_a_pattern_makes_its_numbers(pattern, year, sequence, number):
    assert check_pattern(pattern) == pattern
    assert format_number(pattern, year, sequence) == number


def test_the_sequence_restarts_yearly_only_when_the_pattern_has_the_year():
    assert period("{year}-{seq:04}", 2026) == "2026"
    assert period("{year}-{seq:04}", 2027) == "2027"
    assert period("INV-{seq:04}", 2026) == period("INV-{seq:04}", 2027) == ""


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        "{year}",  # no sequence
        "{seq}-{seq}",  # two
        "INV/{seq}",  # a slash would break URLs and file names
        "INV.{seq}",  # a dot would be taken for an export's extension
        "INV {seq}",
        "{seq:4}",  # not zero-padded
        "{month}-{seq}",  # unknown placeholder
        "{seq:010}",
        "X" * 41 + "{seq}",
    ],
)
def test_patterns_that_cannot_make_safe_numbers_are_refused(pattern):
    with pytest.raises(PatternError):
        check_pattern(pattern)
