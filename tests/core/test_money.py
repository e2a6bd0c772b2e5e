"""core.money: ISO 4217 minor units, half-up rounding, and decimal text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import (
    UnknownCurrency,
    floor_money,
    is_known_currency,
    minor_digits,
    minor_unit,
    money_text,
    plain,
    round_money,
)
from tests.core.conftest import MINOR_DIGITS, PROPERTY_SETTINGS, half_up


@pytest.mark.parametrize(
    ("currency", "digits"),
    [
        ("USD", 2),
        ("EUR", 2),
        ("JPY", 0),
        ("BHD", 3),
        ("KWD", 3),
        ("CLF", 4),  # ISO 4217 says 4, CLDR's display digits would say 0
        ("usd", 2),  # codes are case-insensitive
        ("jpy", 0),
    ],
)
def test_minor_digits_come_from_iso_4217(currency, digits):
    assert minor_digits(currency) == digits
    assert is_known_currency(currency)


@pytest.mark.parametrize(
    "code",
    [
        "XAU",  # gold: ISO 4217 code without a minor unit
        "XAG",
        "XTS",  # reserved for testing
        "XXX",  # "no currency"
        "XDR",
        "ABC",
        "US",
        "USDD",
        "",
    ],
)
def test_codes_without_a_minor_unit_or_unknown_are_refused(code):
    with pytest.raises(UnknownCurrency, match=repr(code)):
        minor_digits(code)
    assert not is_known_currency(code)


def test_unknown_currency_is_a_value_error():
    # Callers that only know ValueError (marshmallow validators, argument parsing) still catch it.
    assert issubclass(UnknownCurrency, ValueError)


@pytest.mark.parametrize(
    ("currency", "unit"),
    [("USD", "0.01"), ("JPY", "1"), ("BHD", "0.001"), ("CLF", "0.0001")],
)
def test_minor_unit_is_the_smallest_amount(currency, unit):
    result = minor_unit(currency)
    assert result == Decimal(unit)
    assert result.as_tuple().exponent == -MINOR_DIGITS[currency]


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.005", "USD", "0.01"),  # half goes up, not to even
        ("0.015", "USD", "0.02"),
        ("0.025", "USD", "0.03"),  # banker's rounding would give 0.02
        ("0.004999", "USD", "0.00"),
        ("1.005", "USD", "1.01"),  # the classic float trap: 1.005 is 1.00499... as a double
        ("1200", "USD", "1200.00"),
        ("-0.005", "USD", "-0.01"),  # half away from zero
        ("2.5", "JPY", "3"),
        ("3.5", "JPY", "4"),
        ("2.4999", "JPY", "2"),
        ("1E+3", "JPY", "1000"),
        ("1.0005", "BHD", "1.001"),
        ("0", "BHD", "0.000"),
        ("1.00005", "CLF", "1.0001"),
        ("1.00004999", "CLF", "1.0000"),
    ],
)
def test_round_money_rounds_half_up_to_the_minor_unit(amount, currency, expected):
    result = round_money(Decimal(amount), currency)
    assert str(result) == expected  # value and number of places both
    assert result.as_tuple().exponent == -MINOR_DIGITS[currency]


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.019", "USD", "0.01"),
        ("0.01", "USD", "0.01"),
        ("-0.019", "USD", "-0.01"),  # towards zero
        ("2.99", "JPY", "2"),
        ("0.0019", "BHD", "0.001"),
    ],
)
def test_floor_money_rounds_towards_zero(amount, currency, expected):
    assert str(floor_money(Decimal(amount), currency)) == expected


amounts = st.builds(
    lambda units, places: Decimal(units).scaleb(-places),
    st.integers(-(10**15), 10**15),
    st.integers(0, 8),
)


@PROPERTY_SETTINGS
@given(amount=amounts, currency=st.sampled_from(sorted(MINOR_DIGITS)))
def test_round_money_agrees_with_integer_half_up(amount, currency):
    digits = MINOR_DIGITS[currency]
    result = round_money(amount, currency)
    assert result == half_up(amount, digits)
    assert result.as_tuple().exponent == -digits
    assert abs(result - amount) <= Decimal(5).scaleb(-digits - 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.50E+3", "1500"),
        ("1500", "1500"),
        ("1.500", "1.5"),
        ("150.00", "150"),
        ("-2.50", "-2.5"),
        ("0.000", "0"),
        ("-0.00", "0"),  # no negative zero in JSON
        ("0E+2", "0"),
        ("1E-7", "0.0000001"),  # fixed point, never scientific notation
        ("1000000000000", "1000000000000"),
        ("8.875", "8.875"),
    ],
)
def test_plain_is_fixed_point_without_trailing_zeros(value, expected):
    assert plain(Decimal(value)) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1200", "USD", "1200.00"),
        ("1200", "JPY", "1200"),
        ("1.5", "BHD", "1.500"),
        ("0", "CLF", "0.0000"),
        ("0.005", "USD", "0.01"),
        ("2.5", "JPY", "3"),
        ("1E+3", "USD", "1000.00"),
        ("6480", "USD", "6480.00"),
    ],
)
def test_money_text_has_exactly_the_minor_digits(amount, currency, expected):
    assert money_text(Decimal(amount), currency) == expected


@PROPERTY_SETTINGS
@given(amount=amounts, currency=st.sampled_from(sorted(MINOR_DIGITS)))
def test_money_text_is_the_rounded_amount_in_fixed_point(amount, currency):
    digits = MINOR_DIGITS[currency]
    text = money_text(amount, currency)
    assert "E" not in text.upper()
    whole, _, fraction = text.partition(".")
    assert len(fraction) == digits
    assert whole.lstrip("-").isdigit()
    assert Decimal(text) == half_up(amount, digits)
