"""core.invoice: every amount of an invoice, checked against arithmetic done by hand.

The worked examples give their working in comments; the properties check the EN 16931 sums
(BR-CO-10..17) and the design's rounding rules on generated invoices.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.invoice import (
    Discount,
    ExemptionReason,
    Invoice,
    InvoiceRuleError,
    LineItem,
    Party,
    Payment,
    PricedLine,
    allocate,
    line_net_amount,
    price_invoice,
)
from tests.core.conftest import (
    MINOR_DIGITS,
    PROPERTY_SETTINGS,
    TODAY,
    decimal_of,
    drafts,
    expected_line_net,
    expected_line_net_units,
    half_up,
    make_draft,
    make_line,
    price,
)


def breakdown_rows(invoice: Invoice) -> list[tuple[str, str, str]]:
    """The tax breakdown as text, so that the number of places is checked too."""
    return [(format(b.rate, "f"), str(b.base), str(b.tax)) for b in invoice.tax_breakdown]


def totals(invoice: Invoice) -> tuple[str, str, str, str]:
    return (
        str(invoice.subtotal),
        str(invoice.discount_total),
        str(invoice.tax_total),
        str(invoice.total),
    )


# --- worked examples -------------------------------------------------------------------------


def test_consulting_forty_hours_at_150_with_8_percent_tax():
    draft = make_draft(make_line("150", "40", tax_rate="8", description="Consulting", unit="h"))

    invoice = price(draft, "INV-0007")

    # 40 × 150 = 6000.00; 8% of 6000.00 = 480.00; 6000.00 + 480.00 = 6480.00
    assert str(invoice.items[0].net_amount) == "6000.00"
    assert totals(invoice) == ("6000.00", "0.00", "480.00", "6480.00")
    assert breakdown_rows(invoice) == [("8", "6000.00", "480.00")]
    assert invoice.number == "INV-0007"
    assert invoice.currency == "USD"
    assert invoice.issue_date == TODAY  # a missing issue date becomes today
    assert invoice.due_date is None
    assert invoice.items[0].description == "Consulting"
    assert invoice.items[0].unit == "h"


@pytest.mark.parametrize(
    ("quantity", "unit_price", "discount_percent", "currency", "net"),
    [
        ("3", "19.99", "10", "USD", "53.97"),  # 59.97 − 5.997 = 53.973
        ("1", "0.05", "10", "USD", "0.05"),  # 0.045 → half up
        ("7", "1.15", "15", "USD", "6.84"),  # 8.05 × 0.85 = 6.8425
        ("40", "150", "12.5", "USD", "5250.00"),  # 6000 × 0.875
        ("1.5", "0.01", "0", "USD", "0.02"),  # 0.015 → half up
        ("0.333333", "3", "0", "USD", "1.00"),  # 0.999999, rounded once
        ("2", "10", "100", "USD", "0.00"),  # fully discounted line
        ("1", "0.004999", "0", "USD", "0.00"),
        ("3", "333", "5", "JPY", "949"),  # 999 × 0.95 = 949.05
        ("1", "2.5", "0", "JPY", "3"),  # 2.5 → half up
        ("2", "12.345", "0", "BHD", "24.690"),
        ("3", "0.3335", "0", "BHD", "1.001"),  # 1.0005 → half up
        ("1", "0.00005", "0", "CLF", "0.0001"),
    ],
)
def test_line_net_amount_is_rounded_half_up_once(
    quantity, unit_price, discount_percent, currency, net
):
    item = make_line(unit_price, quantity, discount_percent=discount_percent)
    assert str(line_net_amount(item, currency)) == net
    invoice = price(make_draft(item, currency=currency))
    assert str(invoice.items[0].net_amount) == net
    assert str(invoice.subtotal) == net


def test_each_line_is_rounded_before_the_lines_are_summed():
    # 0.005 → 0.01 per line, so the subtotal is 0.02 (summing first would give 0.01).
    invoice = price(make_draft(make_line("0.005"), make_line("0.005")))
    assert [str(line.net_amount) for line in invoice.items] == ["0.01", "0.01"]
    assert str(invoice.subtotal) == "0.02"


def test_tax_is_rounded_once_per_rate_not_per_line():
    # three lines of 0.10 at 5%: per line 0.005 → 0.01 would make 0.03;
    # per rate 0.30 × 5% = 0.015 → 0.02.
    invoice = price(make_draft(*[make_line("0.10", tax_rate="5")] * 3))
    assert breakdown_rows(invoice) == [("5", "0.30", "0.02")]
    assert totals(invoice) == ("0.30", "0.00", "0.02", "0.32")


def test_equal_rates_written_differently_share_one_breakdown_row():
    invoice = price(
        make_draft(
            make_line("100", tax_rate="8"),
            make_line("50", tax_rate="8.00"),
            make_line("10", tax_rate="0"),
        )
    )
    # rows are ordered by rate; 8% of 150.00 = 12.00
    assert breakdown_rows(invoice) == [("0", "10.00", "0.00"), ("8", "150.00", "12.00")]
    assert totals(invoice) == ("160.00", "0.00", "12.00", "172.00")


def test_breakdown_rate_of_ten_percent_reads_as_10():
    invoice = price(make_draft(make_line("100", tax_rate="10"), make_line("100", tax_rate="20")))
    assert [b.rate for b in invoice.tax_breakdown] == [Decimal(10), Decimal(20)]
    assert breakdown_rows(invoice) == [("10", "100.00", "10.00"), ("20", "100.00", "20.00")]


TWO_RATES = (
    make_line("19.99", "3", tax_rate="19"),  # 59.97
    make_line("4.50", "2", tax_rate="7"),  # 9.00; subtotal 68.97
)


def test_percent_discount_is_spread_over_two_tax_rates_to_the_cent():
    invoice = price(make_draft(*TWO_RATES, discount=("percent", "12.5")))
    # discount: 68.97 × 12.5% = 8.62125 → 8.62
    # exact shares: 8.62 × 9.00 / 68.97 = 1.124837…  8.62 × 59.97 / 68.97 = 7.495163…
    # floors 1.12 + 7.49 = 8.61; the last cent goes to the larger remainder (.005163, 19%)
    # bases: 9.00 − 1.12 = 7.88 and 59.97 − 7.50 = 52.47
    # taxes: 7.88 × 7% = 0.5516 → 0.55; 52.47 × 19% = 9.9693 → 9.97
    assert breakdown_rows(invoice) == [("7", "7.88", "0.55"), ("19", "52.47", "9.97")]
    # 68.97 − 8.62 + 10.52 = 70.87
    assert totals(invoice) == ("68.97", "8.62", "10.52", "70.87")


def test_amount_discount_is_spread_over_two_tax_rates_to_the_cent():
    invoice = price(make_draft(*TWO_RATES, discount=("amount", "10")))
    # exact shares: 10 × 9.00 / 68.97 = 1.304915…  10 × 59.97 / 68.97 = 8.695085…
    # floors 1.30 + 8.69 = 9.99; the last cent goes to 19% (remainder .005085 > .004915)
    # bases: 9.00 − 1.30 = 7.70 and 59.97 − 8.70 = 51.27
    # taxes: 7.70 × 7% = 0.539 → 0.54; 51.27 × 19% = 9.7413 → 9.74
    assert breakdown_rows(invoice) == [("7", "7.70", "0.54"), ("19", "51.27", "9.74")]
    # 68.97 − 10.00 + 10.28 = 69.25
    assert totals(invoice) == ("68.97", "10.00", "10.28", "69.25")


def test_percent_discount_with_a_leftover_cent_on_round_figures():
    invoice = price(
        make_draft(
            make_line("33.33", tax_rate="20"),
            make_line("66.67", tax_rate="10"),
            discount=("percent", "10"),
        )
    )
    # 10.00 split 66.67 : 33.33 → 6.667 / 3.333 → 6.66 + 3.33 = 9.99, +0.01 to 10% (.007 > .003)
    assert breakdown_rows(invoice) == [("10", "60.00", "6.00"), ("20", "30.00", "6.00")]
    assert totals(invoice) == ("100.00", "10.00", "12.00", "102.00")


def test_yen_invoice_has_no_minor_digits():
    invoice = price(
        make_draft(
            make_line("333", "3", tax_rate="10", discount_percent="5"),  # 949.05 → 949
            make_line("1500", tax_rate="8"),  # 1500
            currency="JPY",
            discount=("percent", "10"),
        )
    )
    # discount 2449 × 10% = 244.9 → 245
    # shares: 245 × 1500 / 2449 = 150.061…, 245 × 949 / 2449 = 94.938… → 150 + 94, +1 to 10%
    # bases 1350 and 854; taxes 108 and 85.4 → 85
    assert [str(line.net_amount) for line in invoice.items] == ["949", "1500"]
    assert breakdown_rows(invoice) == [("8", "1350", "108"), ("10", "854", "85")]
    # 2449 − 245 + 193 = 2397
    assert totals(invoice) == ("2449", "245", "193", "2397")


def test_bahraini_dinar_invoice_has_three_minor_digits():
    invoice = price(
        make_draft(
            make_line("12.345", "2", tax_rate="10"),  # 24.690
            make_line("0.3335", "3"),  # 1.0005 → 1.001
            currency="BHD",
            discount=("amount", "0.5"),
        )
    )
    # shares: 0.5 × 1.001 / 25.691 = 0.0194815…, 0.5 × 24.690 / 25.691 = 0.4805185…
    # floors 0.019 + 0.480 = 0.499, the last fils to 10% (.0005185 > .0004815)
    # bases 0.982 and 24.209; taxes 0.000 and 2.4209 → 2.421
    assert breakdown_rows(invoice) == [("0", "0.982", "0.000"), ("10", "24.209", "2.421")]
    # 25.691 − 0.500 + 2.421 = 27.612
    assert totals(invoice) == ("25.691", "0.500", "2.421", "27.612")


@pytest.mark.parametrize(("currency", "zero"), [("USD", "0.00"), ("JPY", "0"), ("BHD", "0.000")])
def test_an_invoice_without_lines_is_all_zeros_with_minor_digits(currency, zero):
    invoice = price(make_draft(currency=currency))
    assert totals(invoice) == (zero, zero, zero, zero)
    assert invoice.tax_breakdown == ()


@pytest.mark.parametrize(
    ("discount", "expected_total"),
    [
        (("amount", "100.00"), "0.00"),  # the whole subtotal
        (("amount", "100.004"), "0.00"),  # rounds to 100.00 first
        (("percent", "100"), "0.00"),
        (("amount", "0"), "108.00"),
    ],
)
def test_discount_up_to_the_subtotal_is_accepted(discount, expected_total):
    invoice = price(make_draft(make_line("100", tax_rate="8"), discount=discount))
    assert str(invoice.total) == expected_total


@pytest.mark.parametrize(
    ("items", "discount"),
    [
        ((make_line("100", tax_rate="8"),), ("amount", "100.01")),
        ((make_line("100", tax_rate="8"),), ("amount", "100.005")),  # rounds to 100.01
        ((), ("amount", "0.01")),
        ((make_line("100", tax_rate="8"),), ("percent", "100.01")),
        ((make_line("100", tax_rate="8"),), ("percent", "150")),
    ],
)
def test_discount_larger_than_the_subtotal_is_refused(items, discount):
    with pytest.raises(InvoiceRuleError) as caught:
        price(make_draft(*items, discount=discount))
    assert caught.value.field == "discount"
    assert "subtotal" in caught.value.message


@pytest.mark.parametrize(
    ("issue_date", "due_date"),
    [
        (date(2026, 3, 1), date(2026, 2, 28)),
        (None, TODAY - timedelta(days=1)),  # the issue date defaults to today
    ],
)
def test_due_date_before_issue_date_is_refused(issue_date, due_date):
    draft = make_draft(make_line("10"), issue_date=issue_date, due_date=due_date)
    with pytest.raises(InvoiceRuleError) as caught:
        price(draft)
    assert caught.value.field == "due_date"
    assert isinstance(caught.value, ValueError)


def test_due_date_on_the_issue_date_is_accepted():
    invoice = price(
        make_draft(make_line("10"), issue_date=date(2026, 1, 31), due_date=date(2026, 1, 31))
    )
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 1, 31), date(2026, 1, 31))


def test_largest_invoice_the_schema_allows_prices_exactly_even_with_four_minor_digits():
    # 1000 lines of 1e9 × 1e12 at 100% tax in CLF: 30 significant digits, more than the
    # default decimal context's 28.
    line = make_line("1000000000000", "1000000000", tax_rate="100")
    invoice = price(make_draft(*[line] * 1000, currency="CLF", discount=("percent", "33.3333")))
    subtotal = Decimal(10**24)
    discount = Decimal("333333000000000000000000")  # 33.3333 % of 10**24
    assert invoice.subtotal == subtotal
    assert invoice.discount_total == discount
    assert invoice.tax_total == subtotal - discount
    assert invoice.total == 2 * (subtotal - discount)
    assert str(invoice.total).endswith(".0000")


def test_priced_lines_keep_the_facts_and_to_draft_drops_the_amounts():
    draft = make_draft(
        make_line("150", "40", tax_rate="8", discount_percent="5", unit="h"),
        currency="EUR",
        issue_date=date(2026, 1, 1),
        due_date=date(2026, 1, 31),
        notes="Thanks",
        payment_terms="Net 30",
        discount=("amount", "10"),
    )
    invoice = price(draft)
    assert isinstance(invoice.items[0], PricedLine)
    assert invoice.items[0].tax_category == "S"  # resolved; a draft leaves S and Z to the rate
    assert invoice.to_draft() == draft
    assert all(type(item) is LineItem for item in invoice.to_draft().items)
    assert price(invoice.to_draft()) == invoice


# --- allocate --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "weights", "currency", "shares"),
    [
        ("0.10", ["1", "1", "1"], "USD", ["0.04", "0.03", "0.03"]),  # tie: earliest wins
        ("1.00", ["1", "2", "3"], "USD", ["0.17", "0.33", "0.50"]),
        ("1.00", ["2", "7"], "USD", ["0.22", "0.78"]),  # .0022 < .0078: the later one wins
        ("0.05", ["0.3", "0.7"], "USD", ["0.02", "0.03"]),  # .015/.035: equal remainders
        ("10.00", ["0", "5", "5"], "USD", ["0.00", "5.00", "5.00"]),
        ("100", ["1", "1", "1"], "JPY", ["34", "33", "33"]),
        ("1.000", ["1", "1", "1"], "BHD", ["0.334", "0.333", "0.333"]),
        ("0.00", ["1", "2"], "USD", ["0.00", "0.00"]),
        ("5.00", ["0", "0"], "USD", ["0.00", "0.00"]),  # nothing to weigh by
        ("5.00", [], "USD", []),
    ],
)
def test_allocate_examples(amount, weights, currency, shares):
    result = allocate(Decimal(amount), [Decimal(w) for w in weights], currency)
    assert [str(share) for share in result] == shares


@PROPERTY_SETTINGS
@given(
    currency=st.sampled_from(sorted(MINOR_DIGITS)),
    amount_units=st.integers(0, 10**9),
    weight_units=st.lists(st.integers(0, 10**9), min_size=1, max_size=12).filter(any),
)
def test_allocate_adds_up_and_gives_remainders_to_the_largest_fractions(
    currency, amount_units, weight_units
):
    digits = MINOR_DIGITS[currency]
    amount = decimal_of(amount_units, digits)
    weights = [decimal_of(w, digits) for w in weight_units]

    shares = allocate(amount, weights, currency)

    assert sum(shares) == amount
    assert all(share.as_tuple().exponent == -digits for share in shares)
    # in minor units: exact share, the floor it starts from, and what was added to it
    exact = [Fraction(amount_units * w, sum(weight_units)) for w in weight_units]
    got = [int(share.scaleb(digits)) for share in shares]
    bumped = [g - int(e) for g, e in zip(got, exact, strict=True)]
    assert set(bumped) <= {0, 1}
    fraction = [e - int(e) for e in exact]
    for i, bumped_i in enumerate(bumped):
        for j, bumped_j in enumerate(bumped):
            if bumped_i and not bumped_j:
                assert fraction[i] >= fraction[j]
                if fraction[i] == fraction[j]:
                    assert i < j  # ties go to the earlier weight


# --- properties of any invoice ---------------------------------------------------------------


def _amounts(invoice: Invoice) -> list[Decimal]:
    amounts = [invoice.subtotal, invoice.discount_total, invoice.tax_total, invoice.total]
    amounts += [line.net_amount for line in invoice.items]
    for row in invoice.tax_breakdown:
        amounts += [row.base, row.tax]
    return amounts


@PROPERTY_SETTINGS
@given(draft=drafts())
def test_any_invoice_adds_up_to_the_minor_unit(draft):
    invoice = price(draft)
    digits = MINOR_DIGITS[draft.currency]
    nets = [line.net_amount for line in invoice.items]

    # every line: round_half_up(q × p × (1 − d/100)), from exact rational arithmetic
    assert nets == [expected_line_net(item, digits) for item in draft.items]
    # BR-CO-10: subtotal = Σ line nets
    assert invoice.subtotal == sum(nets, Decimal(0))
    # BR-CO-13: Σ breakdown bases = subtotal − invoice discount
    assert sum(b.base for b in invoice.tax_breakdown) == invoice.subtotal - invoice.discount_total
    # BR-CO-14: tax total = Σ breakdown taxes
    assert invoice.tax_total == sum((b.tax for b in invoice.tax_breakdown), Decimal(0))
    # BR-CO-15: total = subtotal − discount + tax
    assert invoice.total == invoice.subtotal - invoice.discount_total + invoice.tax_total
    # BR-CO-17: each rate's tax = round_half_up(base × rate / 100)
    for row in invoice.tax_breakdown:
        assert row.tax == half_up(Fraction(row.base) * Fraction(row.rate) / 100, digits)
    # every amount carries exactly the currency's minor digits, and none is negative
    for amount in _amounts(invoice):
        assert amount.as_tuple().exponent == -digits
        assert amount >= 0


@PROPERTY_SETTINGS
@given(draft=drafts())
def test_invoice_discount_is_computed_and_spread_in_proportion(draft):
    invoice = price(draft)
    digits = MINOR_DIGITS[draft.currency]
    subtotal = Fraction(invoice.subtotal)

    if draft.discount is None:
        expected_discount = decimal_of(0, digits)
    elif draft.discount.kind == "percent":
        expected_discount = half_up(subtotal * Fraction(draft.discount.value) / 100, digits)
    else:
        expected_discount = half_up(draft.discount.value, digits)
    assert invoice.discount_total == expected_discount

    net_by_rate: dict[Fraction, Fraction] = {}
    for item in draft.items:
        rate = Fraction(item.tax_rate)
        net_by_rate[rate] = net_by_rate.get(rate, 0) + Fraction(expected_line_net(item, digits))
    # one row per distinct rate (8 and 8.00 are one rate), in ascending order
    assert [Fraction(b.rate) for b in invoice.tax_breakdown] == sorted(net_by_rate)

    unit = Fraction(1, 10**digits)
    for row in invoice.tax_breakdown:
        net = net_by_rate[Fraction(row.rate)]
        share = net - Fraction(row.base)
        exact_share = Fraction(invoice.discount_total) * net / subtotal if subtotal else 0
        assert 0 <= share <= net
        assert abs(share - exact_share) < unit


@PROPERTY_SETTINGS
@given(draft=drafts(max_lines=10), extra_units=st.integers(1, 10**6))
def test_any_amount_discount_above_the_subtotal_is_refused(draft, extra_units):
    digits = MINOR_DIGITS[draft.currency]
    subtotal_units = sum(expected_line_net_units(item, digits) for item in draft.items)
    too_much = Discount(kind="amount", value=decimal_of(subtotal_units + extra_units, digits))
    with pytest.raises(InvoiceRuleError):
        price(make_draft(*draft.items, currency=draft.currency, discount=too_much))


# --- VAT categories, prepaid amounts, payment ----------------------------------------------------


def vat_party(name: str, tax_id: str | None) -> Party:
    return Party(name=name, tax_id=tax_id)


def categorised(*lines: LineItem, **draft) -> Invoice:
    draft.setdefault("seller", vat_party("Seller", "BE0403019261"))
    draft.setdefault("buyer", vat_party("Buyer", "DE811907980"))
    return price(make_draft(*lines, **draft))


def test_the_breakdown_groups_by_category_and_rate_and_carries_the_reason():
    invoice = categorised(
        make_line("100", tax_rate="21"),  # S
        make_line("50", tax_rate="0"),  # Z
        LineItem("Reverse-charged service", Decimal(2), Decimal(300), tax_category="AE"),
        LineItem("Training", Decimal(1), Decimal(80), exemption_reason=ExemptionReason(
            "VATEX-EU-132-1I", "Education")),  # 0 % with a reason: its code's category, E
        discount=("amount", "10"),
    )  # fmt: skip

    assert [line.tax_category for line in invoice.items] == ["S", "Z", "AE", "E"]
    rows = [(b.tax_category, format(b.rate, "f"), str(b.base), str(b.tax))
            for b in invoice.tax_breakdown]  # fmt: skip
    # rows by rate, then category (Z, E, AE, S); nets 50, 80, 600, 100 = 830. The 10.00
    # discount: exact shares 0.6024, 0.9638, 7.2289, 1.2048, floored 0.60, 0.96, 7.22, 1.20
    # (9.98); the two cents left go to the largest remainders, AE and S: 7.23 and 1.21.
    # Tax 21 % of 98.79 = 20.7459 → 20.75.
    assert rows == [
        ("Z", "0", "49.40", "0.00"),
        ("E", "0", "79.04", "0.00"),
        ("AE", "0", "592.77", "0.00"),
        ("S", "21", "98.79", "20.75"),
    ]
    assert sum(b.base for b in invoice.tax_breakdown) == invoice.subtotal - invoice.discount_total
    assert invoice.tax_total == sum(b.tax for b in invoice.tax_breakdown)
    reasons = {b.tax_category: b.exemption_reason for b in invoice.tax_breakdown}
    assert reasons["AE"] == ExemptionReason("VATEX-EU-AE", "Reverse charge")  # standard wording
    assert reasons["E"] == ExemptionReason("VATEX-EU-132-1I", "Education")
    assert reasons["S"] is None and reasons["Z"] is None


@pytest.mark.parametrize(
    ("category", "code", "text"),
    [
        ("K", "VATEX-EU-IC", "Intra-community supply"),
        ("G", "VATEX-EU-G", "Export outside the EU"),
        ("O", "VATEX-EU-O", "Not subject to VAT"),
    ],
)
def test_zero_vat_categories_get_their_standard_reason(category, code, text):
    invoice = categorised(LineItem("Goods", Decimal(1), Decimal(10), tax_category=category))
    assert invoice.items[0].exemption_reason == ExemptionReason(code, text)
    assert invoice.tax_total == 0


def test_s_and_z_follow_the_rate():
    invoice = categorised(
        LineItem("Taxed", Decimal(1), Decimal(10), tax_rate=Decimal(0), tax_category="S"),
        LineItem("Zero", Decimal(1), Decimal(10), tax_rate=Decimal(19), tax_category="Z"),
    )
    assert [line.tax_category for line in invoice.items] == ["Z", "S"]


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        (LineItem("x", Decimal(1), Decimal(10), tax_rate=Decimal(21), tax_category="AE"),
         "items[0].tax_rate", "must be 0"),
        (LineItem("x", Decimal(1), Decimal(10), tax_category="E"),
         "items[0].exemption_reason", "say why"),
        (LineItem("x", Decimal(1), Decimal(10), tax_category="K",
                  exemption_reason=ExemptionReason("VATEX-EU-AE")),
         "items[0].exemption_reason", "means reverse charge"),
        (LineItem("x", Decimal(1), Decimal(10), tax_category="Q"),
         "items[0].tax_category", "unknown VAT category"),
    ],
)  # fmt: skip
def test_a_category_that_contradicts_its_rate_or_reason_is_refused(line, field, words):
    with pytest.raises(InvoiceRuleError) as caught:
        categorised(line)
    assert caught.value.field == field and words in caught.value.message


@pytest.mark.parametrize("category", ["AE", "K"])
@pytest.mark.parametrize("role", ["seller", "buyer"])
def test_reverse_charge_and_intra_community_supplies_need_both_vat_numbers(category, role):
    line = LineItem("x", Decimal(1), Decimal(10), tax_category=category)
    parties = {role: vat_party("Without VAT number", "12-3456789")}
    with pytest.raises(InvoiceRuleError) as caught:
        categorised(line, **parties)
    assert caught.value.field == f"{role}.tax_id"


def test_exempt_lines_of_one_category_share_one_reason():
    with pytest.raises(InvoiceRuleError) as caught:
        categorised(
            LineItem("a", Decimal(1), Decimal(10), tax_category="E",
                     exemption_reason=ExemptionReason("VATEX-EU-132-1C")),
            LineItem("b", Decimal(1), Decimal(10), tax_category="E",
                     exemption_reason=ExemptionReason("VATEX-EU-132-1I")),
        )  # fmt: skip
    assert caught.value.field == "items[1].exemption_reason"


def test_amount_due_is_the_total_less_what_was_paid_in_advance():
    invoice = categorised(make_line("100", "3", tax_rate="21"), prepaid_amount=Decimal("100.004"))
    # 300.00 + 63.00 = 363.00; prepaid 100.004 → 100.00
    assert str(invoice.total) == "363.00"
    assert str(invoice.prepaid_amount) == "100.00" and str(invoice.amount_due) == "263.00"
    assert categorised(make_line("100")).amount_due == Decimal("100.00")
    with pytest.raises(InvoiceRuleError) as caught:
        categorised(make_line("100"), prepaid_amount=Decimal("100.01"))
    assert caught.value.field == "prepaid_amount"


@pytest.mark.parametrize(
    ("currency", "payment", "code"),
    [
        ("EUR", Payment(iban="DE89370400440532013000"), "58"),
        ("USD", Payment(iban="DE89370400440532013000"), "30"),
        ("EUR", Payment(reference="INV-7"), "1"),
        ("EUR", Payment(means_code="10"), "10"),
    ],
)
def test_payment_means_default_from_the_account_and_currency(currency, payment, code):
    assert (
        categorised(make_line("1"), currency=currency, payment=payment).payment.means_code == code
    )
    assert categorised(make_line("1"), payment=Payment()).payment is None


def test_a_draft_has_no_number_and_the_record_fields_default():
    invoice = price_invoice(make_draft(make_line("1")), None, today=TODAY)
    assert invoice.number is None and invoice.status == "draft" and invoice.type == "invoice"
