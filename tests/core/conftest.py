"""Factories, hand-checked reference arithmetic and hypothesis strategies for the core tests.

The reference functions here (`half_up`, `expected_line_net`, …) use `fractions.Fraction` and
integer arithmetic, not `Decimal.quantize`, so they check `core.money`/`core.invoice` instead of
repeating them.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from core.invoice import Discount, Invoice, InvoiceDraft, LineItem, Party, price_invoice
from core.stores import RedisStores
from core.text import INVISIBLE_CONTROLS
from tests.support.stores import fake_redis, stores_on

TODAY = date(2026, 3, 15)
MAX_AMOUNT_UNITS = 10**12  # the schema's largest unit price and amount discount

# ISO 4217 minor units, written down from the standard's list (not read from the code).
MINOR_DIGITS = {"USD": 2, "EUR": 2, "JPY": 0, "BHD": 3, "KWD": 3, "CLF": 4}

# Property tests: enough examples to find rounding edges, few enough that the whole core
# suite stays well under 20 s on two cores. No example database: nothing is written to disk.
PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- factories -------------------------------------------------------------------------------


def make_line(
    unit_price: str | int = "0",
    quantity: str | int = "1",
    *,
    tax_rate: str | int = "0",
    discount_percent: str | int = "0",
    description: str = "Item",
    unit: str | None = None,
) -> LineItem:
    """A LineItem from text numbers: make_line("150", "40", tax_rate="8")."""
    return LineItem(
        description=description,
        quantity=Decimal(str(quantity)),
        unit_price=Decimal(str(unit_price)),
        unit=unit,
        tax_rate=Decimal(str(tax_rate)),
        discount_percent=Decimal(str(discount_percent)),
    )


def make_draft(*items: LineItem, currency: str = "USD", **facts: object) -> InvoiceDraft:
    """An InvoiceDraft of `items`; `discount=("percent", "10")` is turned into a Discount."""
    discount = facts.pop("discount", None)
    if isinstance(discount, tuple):
        kind, value = discount
        discount = Discount(kind=kind, value=Decimal(str(value)))
    return InvoiceDraft(currency=currency, items=tuple(items), discount=discount, **facts)


def price(draft: InvoiceDraft, number: str = "INV-0001") -> Invoice:
    return price_invoice(draft, number, today=TODAY)


@pytest.fixture
def stores() -> RedisStores:
    """The Redis stores on fakeredis, for turn tests (test_store.py and test_batches.py have
    their own, on real Redis too)."""
    return stores_on(fake_redis(), session_ttl=600, job_ttl=3600, token_limit=10_000)


# --- reference arithmetic --------------------------------------------------------------------


def decimal_of(units: int, digits: int) -> Decimal:
    """`units` minor units as a Decimal with exactly `digits` places: (12345, 2) -> 123.45."""
    return Decimal(f"{units}E-{digits}")


def half_up_units(value: Fraction | Decimal | int, digits: int) -> int:
    """`value` in minor units of `digits` places, rounded half away from zero (integer maths)."""
    exact = Fraction(value)
    units = math.floor(abs(exact) * 10**digits + Fraction(1, 2))
    return -units if exact < 0 else units


def half_up(value: Fraction | Decimal | int, digits: int) -> Decimal:
    """Round half away from zero to exactly `digits` places."""
    return decimal_of(half_up_units(value, digits), digits)


def expected_line_net_units(item: LineItem, digits: int) -> int:
    """round_half_up(q × p × (1 − d/100)) in minor units: the design's line net amount."""
    q, p, d = (Fraction(x) for x in (item.quantity, item.unit_price, item.discount_percent))
    return half_up_units(q * p * (1 - d / 100), digits)


def expected_line_net(item: LineItem, digits: int) -> Decimal:
    return decimal_of(expected_line_net_units(item, digits), digits)


# --- hypothesis strategies -------------------------------------------------------------------


def decimals(max_value: int, max_places: int, *, positive: bool = False) -> st.SearchStrategy:
    """Decimals in [0, max_value] (or (0, max_value]) with up to `max_places` places."""

    def with_places(places: int) -> st.SearchStrategy:
        units = st.integers(1 if positive else 0, max_value * 10**places)
        return units.map(lambda u: Decimal(u).scaleb(-places))

    return st.integers(0, max_places).flatmap(with_places)


currencies = st.sampled_from(sorted(MINOR_DIGITS))

# Quantities in (0, 1e9] and prices in [0, 1e12] with up to 6 places: the schema's limits.
quantities = st.one_of(
    decimals(1000, 3, positive=True), decimals(10**9, 6, positive=True), st.just(Decimal(10**9))
)
unit_prices = st.one_of(
    decimals(100_000, 2), decimals(10**12, 6), st.just(Decimal(0)), st.just(Decimal(10**12))
)
# A few common rates (some written two ways, which must land in one breakdown row), or any
# rate with up to 4 places.
tax_rates = st.one_of(
    st.sampled_from([Decimal(r) for r in ("0", "5", "7.7", "8", "8.0", "8.00", "10", "20", "21")]),
    decimals(100, 4),
)
percents = st.one_of(
    st.just(Decimal(0)),
    st.sampled_from([Decimal(p) for p in ("5", "10", "12.5", "33.3333", "100")]),
    decimals(100, 4),
)
# Text as the schema keeps it: any valid Unicode but the invisible controls it drops on the
# way in (core/text.py; that dropping is tested in tests/core/test_text.py). A draft holding
# one would not survive a JSON round trip unchanged, by design; hypothesis draws one about
# once in 10,000 examples.
short_text = st.text(min_size=1, max_size=20).filter(lambda t: not INVISIBLE_CONTROLS.search(t))
optional_text = st.none() | st.text(max_size=30).filter(lambda t: not INVISIBLE_CONTROLS.search(t))

line_items = st.builds(
    LineItem,
    description=short_text,
    quantity=quantities,
    unit_price=unit_prices,
    unit=st.none() | st.sampled_from(["h", "pcs", "day", "kg"]),
    tax_rate=tax_rates,
    discount_percent=percents,
)

parties = st.builds(
    Party,
    name=short_text,
    company=optional_text,
    email=st.none() | st.sampled_from(["ap@acme.com", "billing@example.org", "a.b+c@x.co.uk"]),
    phone=st.none() | st.sampled_from(["+1 555 0100", "020 7946 0000"]),
    address=optional_text,
    tax_id=st.none() | st.sampled_from(["DE123456789", "GB999999973"]),
)


@st.composite
def drafts(draw: st.DrawFn, max_lines: int = 40) -> InvoiceDraft:
    """Any invoice draft the schema accepts and `price_invoice` can price.

    An amount discount is drawn no larger than the subtotal (computed here by the reference
    arithmetic) nor than the schema's 10^12; refusing larger ones is tested separately.
    """
    currency = draw(currencies)
    digits = MINOR_DIGITS[currency]
    items = tuple(draw(st.lists(line_items, max_size=max_lines)))
    subtotal_units = sum(expected_line_net_units(item, digits) for item in items)
    max_discount_units = min(subtotal_units, MAX_AMOUNT_UNITS * 10**digits)
    discount = draw(
        st.one_of(
            st.none(),
            st.builds(Discount, kind=st.just("percent"), value=percents),
            st.builds(
                Discount,
                kind=st.just("amount"),
                value=st.integers(0, max_discount_units).map(lambda u: decimal_of(u, digits)),
            ),
        )
    )
    issue_date = draw(st.none() | st.dates(date(2000, 1, 1), date(2100, 12, 31)))
    due_date = None
    if draw(st.booleans()):
        start = issue_date or TODAY
        due_date = start + timedelta(days=draw(st.integers(0, 120)))
    return InvoiceDraft(
        currency=currency,
        issue_date=issue_date,
        due_date=due_date,
        seller=draw(st.none() | parties),
        buyer=draw(st.none() | parties),
        items=items,
        discount=discount,
        notes=draw(optional_text),
        payment_terms=draw(st.none() | st.sampled_from(["Net 30", "Due on receipt"])),
    )
