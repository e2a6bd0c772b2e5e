"""Amounts as people write them: currencies, symbols, codes and names, and every common
grouping of digits (`amounts.py`)."""

from __future__ import annotations

import pytest

from tests.core.offline.support import (
    ACME,
    L,
    ask,
    check,
    draft,
    stored,
)

# --- currencies and number formats -----------------------------------------------------------


def M(message: str, currency: str, unit_price: str, total: str, description="Design"):  # noqa: N802
    expected = draft(buyer="Acme", currency=currency, lines=[L(description, "1", unit_price)])
    return pytest.param(message, expected, total, id=message)


CURRENCIES = [
    M("Invoice Acme for design €500", "EUR", "500", "500.00"),
    M("Invoice Acme for design 800€", "EUR", "800", "800.00"),
    M("Invoice Acme for design 500 EUR", "EUR", "500", "500.00"),
    M("Invoice Acme for design 500 euros", "EUR", "500", "500.00"),
    M("Invoice Acme for design £1,250.50", "GBP", "1250.50", "1250.50"),
    M("Invoice Acme for design ¥50,000", "JPY", "50000", "50000"),
    M("Invoice Acme for design JPY 120000", "JPY", "120000", "120000"),
    M("Invoice Acme for design CHF 1,200", "CHF", "1200", "1200.00"),
    M("Invoice Acme for design CHF 1'200.50", "CHF", "1200.50", "1200.50"),
    M("Invoice Acme for design C$90", "CAD", "90", "90.00"),
    M("Invoice Acme for design $500 CAD", "CAD", "500", "500.00"),
    M("Invoice Acme for design A$300", "AUD", "300", "300.00"),
    M("Invoice Acme for design ₹5,000", "INR", "5000", "5000.00"),
    M("Invoice Acme for design Rs 5,000", "INR", "5000", "5000.00"),
    M("Invoice Acme for design USD 1,000.00", "USD", "1000", "1000.00"),
    M("Invoice Acme for design 50 bucks", "USD", "50", "50.00"),
    M("Invoice Acme for design 1.200,50 €", "EUR", "1200.50", "1200.50"),
    M("Invoice Acme for design 1 200,50 €", "EUR", "1200.50", "1200.50"),
    M("Invoice Acme for design 12,50 €", "EUR", "12.50", "12.50"),
    M("Invoice Acme for design €1.200.000", "EUR", "1200000", "1200000.00"),
    M("Invoice Acme for design BHD 1.250", "BHD", "1.250", "1.250"),
]


@pytest.mark.parametrize(("message", "expected", "total"), CURRENCIES)
def test_reads_currencies_and_number_formats(message, expected, total):
    check(ask(message), expected, total)


def test_currency_named_after_the_client():
    reply = ask("Invoice Acme in EUR for 10 hours of consulting at 150/h")

    check(
        reply,
        draft(buyer="Acme", currency="EUR", lines=[L("Consulting", "10", "150", "hour")]),
        "1500.00",
    )


def test_european_decimal_comma_in_rates_and_quantities():
    reply = ask("Invoice Acme for 1,5 hours of support at 80,50 €/h")

    check(
        reply,
        draft(buyer="Acme", currency="EUR", lines=[L("Support", "1.5", "80.50", "hour")]),
        "120.75",
    )


def test_a_dollar_sign_keeps_a_canadian_invoice_in_cad():
    invoice = stored(draft(buyer=ACME, currency="CAD", lines=[L("Consulting", "10", "90", "hour")]))
    reply = ask("add travel $200", invoice)

    check(
        reply,
        draft(
            buyer=ACME,
            currency="CAD",
            lines=[L("Consulting", "10", "90", "hour"), L("Travel", "1", "200")],
        ),
        "1100.00",
    )
