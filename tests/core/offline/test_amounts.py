"""Amounts as people write them: currencies, symbols, codes and names, and every common
grouping of digits (`amounts.py`)."""

from __future__ import annotations

from decimal import Decimal

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
    # more styles: lakh grouping, spaced groups next to a currency, Swiss ".–", any ISO code
    # in capitals, symbols and names from more countries, thousands written with "k"
    M("Invoice Acme for design ₹2,50,000", "INR", "250000", "250000.00"),
    M("Invoice Acme for design 1 500 EUR", "EUR", "1500", "1500.00"),
    M("Invoice Acme for design 18 000 SEK", "SEK", "18000", "18000.00"),
    M("Invoice Acme for design € 380,00", "EUR", "380", "380.00"),
    M("Invoice Acme for design CHF 3'400.–", "CHF", "3400", "3400.00"),
    M("Invoice Acme for design 5,000,000 VND", "VND", "5000000", "5000000"),
    M("Invoice Acme for design OMR 845.250", "OMR", "845.250", "845.250"),
    M("Invoice Acme for design KWD 1,250.500", "KWD", "1250.500", "1250.500"),
    M("Invoice Acme for design ₦850,000", "NGN", "850000", "850000.00"),
    M("Invoice Acme for design 300 Singapore dollars", "SGD", "300", "300.00"),
    M("Invoice Acme for design 4 000 zł", "PLN", "4000", "4000.00"),
    M("Invoice Acme for design 2.5k EUR", "EUR", "2500", "2500.00"),
    M("Invoice Acme for design ¥ 320,000", "JPY", "320000", "320000"),
    M("Invoice Acme for design 1200", "USD", "1200", "1200.00"),  # a bare amount at the end
]


@pytest.mark.parametrize(("message", "expected", "total"), CURRENCIES)
def test_reads_currencies_and_number_formats(message, expected, total):
    check(ask(message), expected, total)


@pytest.mark.parametrize(
    ("message", "quantity", "unit_price", "unit", "description"),
    [
        ("Invoice Acme for 1,250 words of translation at 9 cents a word", "1250", "0.09", "word",
         "Translation"),
        ("Invoice Acme for 2 1/2 hours of babysitting at $18/hr", "2.5", "18", "hour",
         "Babysitting"),
        ("Invoice Acme for 1/2 day of videography at $1,200 a day", "0.5", "1200", "day",
         "Videography"),
        ("Invoice Acme for a quarter of a day of IT support at $800/day", "0.25", "800", "day",
         "IT support"),
        ("Invoice Acme for three quarters of an hour of advice at $120/h", "0.75", "120", "hour",
         "Advice"),
        ("Invoice Acme for three dozen eggs at $0.40 each", "36", "0.40", None, "Eggs"),
        ("Invoice Acme for 6 dozen cookies at $9 a dozen", "6", "9", "dozen", "Cookies"),
        ("Invoice Acme for licences: 25 seats at $12 per seat", "25", "12", "seat", "Licences"),
        ("Invoice Acme for 10 swim lessons at $30/lesson", "10", "30", None, "Swim lessons"),
        ("invoice acme 2d onsite @ 700/d", "2", "700", "day", "Onsite"),
        ("Invoice Acme for 3D renderings x 4 @ 350", "4", "350", None, "3D renderings"),
        ("Invoice Acme for gardening: 3 visits, 2.5 hours each, at $28/hour", "7.5", "28", "hour",
         "Gardening"),
        ("Invoice Acme for fencing, 120 metres at $14 per metre", "120", "14", "metre", "Fencing"),
        ("Invoice Acme for retouching 40 images at $8 each", "40", "8", None, "Retouching"),
    ],
)  # fmt: skip
def test_quantities_as_people_write_them(message, quantity, unit_price, unit, description):
    reply = ask(message)

    line = L(description, quantity, unit_price, unit)
    total = format(Decimal(quantity) * Decimal(unit_price), ".2f")
    check(reply, draft(buyer="Acme", lines=[line]), total)


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
