"""core.schemas: what a provider may state (load_draft) and what the API returns (dump_invoice)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from marshmallow import ValidationError

from core.invoice import Discount, ElectronicAddress, InvoiceDraft, LineItem, Party
from core.schemas import dump_invoice, load_draft
from tests.core.conftest import (
    MINOR_DIGITS,
    PROPERTY_SETTINGS,
    drafts,
    make_draft,
    make_line,
    price,
)

MONEY_KEYS = {
    "net_amount",
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
    "base",
    "tax",
    "amount_due",
}
NUMBER_KEYS = MONEY_KEYS | {
    "quantity",
    "unit_price",
    "tax_rate",
    "discount_percent",
    "rate",
    "value",
}


def item(**fields: Any) -> dict[str, Any]:
    """A valid line item as JSON, with `fields` changed (None removes a key)."""
    data = {"description": "Consulting", "quantity": "40", "unit_price": "150", "tax_rate": "8"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def errors_of(payload: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        load_draft(payload)
    return caught.value.messages


def walk(value: Any, key: str | None = None):
    """Every (key, leaf) pair of a JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v, key)
    else:
        yield key, value


# --- load_draft ------------------------------------------------------------------------------


def test_load_draft_builds_the_draft_with_defaults():
    draft = load_draft({"items": [{"description": "Widget", "unit_price": "2.50"}]})
    assert draft == InvoiceDraft(
        currency="USD",
        items=(LineItem(description="Widget", quantity=Decimal(1), unit_price=Decimal("2.50")),),
    )
    line = draft.items[0]
    assert (line.tax_rate, line.discount_percent, line.unit) == (0, 0, None)
    assert isinstance(draft.items, tuple)


def test_load_draft_reads_every_field():
    draft = load_draft(
        {
            "currency": "eur",
            "issue_date": "2026-03-01",
            "due_date": "2026-03-31",
            "seller": {"name": "Ann Lee", "company": "Lee Consulting", "tax_id": "DE123456789"},
            "buyer": {"name": "Acme Corp", "email": "ap@acme.com", "address": "1 Main St"},
            "items": [item(unit="h", discount_percent="5")],
            "discount": {"kind": "percent", "value": "10"},
            "notes": "Thank you",
            "payment_terms": "Net 30",
        }
    )
    assert draft == InvoiceDraft(
        currency="EUR",
        issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31),
        seller=Party(name="Ann Lee", company="Lee Consulting", tax_id="DE123456789"),
        buyer=Party(name="Acme Corp", email="ap@acme.com", address="1 Main St"),
        items=(
            LineItem(
                description="Consulting",
                quantity=Decimal(40),
                unit_price=Decimal(150),
                unit="h",
                tax_rate=Decimal(8),
                discount_percent=Decimal(5),
            ),
        ),
        discount=Discount(kind="percent", value=Decimal(10)),
        notes="Thank you",
        payment_terms="Net 30",
    )


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"items": [item(description=None)]}, ("items", 0, "description")),
        ({"items": [item(unit_price=None)]}, ("items", 0, "unit_price")),
        ({"items": [item(), item(description=None)]}, ("items", 1, "description")),
        ({"seller": {"email": "a@b.co"}}, ("seller", "name")),
        ({"buyer": {"company": "Acme"}}, ("buyer", "name")),
        ({"discount": {"value": "10"}}, ("discount", "kind")),
        ({"discount": {"kind": "percent"}}, ("discount", "value")),
    ],
)
def test_required_fields_are_named_in_the_errors(payload, path):
    errors: Any = errors_of(payload)
    for key in path:
        errors = errors[key]
    assert errors == ["Missing data for required field."]


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("quantity", "0", False),  # must be positive
        ("quantity", "-1", False),
        ("quantity", "0.000001", True),
        ("quantity", "1000000000", True),
        ("quantity", "1000000000.000001", False),
        ("unit_price", "-0.01", False),
        ("unit_price", "0", True),  # a free line is fine
        ("unit_price", "1000000000000", True),
        ("unit_price", "1000000000000.01", False),
        ("tax_rate", "-1", False),
        ("tax_rate", "0", True),
        ("tax_rate", "100", True),
        ("tax_rate", "100.0001", False),
        ("discount_percent", "-0.5", False),
        ("discount_percent", "100", True),
        ("discount_percent", "101", False),
        ("description", "", False),
        ("description", "x" * 500, True),
        ("description", "x" * 501, False),
        ("unit", "x" * 30, True),
        ("unit", "x" * 31, False),
    ],
)
def test_line_item_ranges(field, value, valid):
    payload = {"items": [item(**{field: value})]}
    if valid:
        assert getattr(load_draft(payload).items[0], field) == (
            value if field in {"description", "unit"} else Decimal(value)
        )
    else:
        assert field in errors_of(payload)["items"][0]


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("quantity", "1.123456", True),
        ("quantity", "1.1234567", False),
        ("quantity", "1.5000000", True),  # trailing zeros are not places
        ("unit_price", "0.000001", True),
        ("unit_price", "0.0000001", False),
        ("unit_price", "1E-7", False),
        ("unit_price", "1.5E+3", True),
        ("tax_rate", "7.6875", True),
        ("tax_rate", "7.68751", False),
        ("discount_percent", "12.34567", False),
    ],
)
def test_maximum_decimal_places(field, value, valid):
    payload = {"items": [item(**{field: value})]}
    if valid:
        assert getattr(load_draft(payload).items[0], field) == Decimal(value)
    else:
        [message] = errors_of(payload)["items"][0][field]
        assert "decimal places" in message


@pytest.mark.parametrize(
    ("discount", "valid"),
    [
        ({"kind": "percent", "value": "100"}, True),
        ({"kind": "percent", "value": "12.5"}, True),
        ({"kind": "percent", "value": "100.5"}, False),
        ({"kind": "amount", "value": "250"}, True),  # an amount may exceed 100
        ({"kind": "amount", "value": "-5"}, False),
        ({"kind": "amount", "value": "1.1234567"}, False),
        ({"kind": "fixed", "value": "5"}, False),
    ],
)
def test_invoice_discount(discount, valid):
    payload = {"items": [item()], "discount": discount}
    if valid:
        loaded = load_draft(payload).discount
        assert loaded == Discount(kind=discount["kind"], value=Decimal(discount["value"]))
    else:
        assert "discount" in errors_of(payload)


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", "-Infinity", True, [], {}, "1,5"])
def test_non_numbers_are_refused(bad):
    errors = errors_of({"items": [item(unit_price=bad)]})
    assert "unit_price" in errors["items"][0]


def test_unknown_keys_and_stated_totals_are_ignored():
    stated = {
        "currency": "USD",
        "number": "INV-9999",
        "subtotal": "1.00",
        "tax_total": "0.00",
        "total": "1.00",
        "tax_breakdown": [{"rate": "8", "base": "1.00", "tax": "0.00"}],
        "items": [item(net_amount="1.00", colour="blue")],
        "buyer": {"name": "Acme Corp", "vip": True},
        "discount": {"kind": "amount", "value": "5", "reason": "loyalty"},
        "whatever": {"nested": [1, 2]},
    }
    clean = {
        "currency": "USD",
        "items": [item()],
        "buyer": {"name": "Acme Corp"},
        "discount": {"kind": "amount", "value": "5"},
    }
    draft = load_draft(stated)
    assert draft == load_draft(clean)
    # the server's own arithmetic wins: 40 × 150 = 6000, − 5 = 5995, + 8% = 6474.60
    assert str(price(draft).total) == "6474.60"


@pytest.mark.parametrize(
    ("given_code", "stored"),
    [("usd", "USD"), ("jpy", "JPY"), ("Bhd", "BHD"), ("CLF", "CLF"), (None, "USD")],
)
def test_currency_is_upper_cased(given_code, stored):
    payload = {"items": [item()]}
    if given_code is not None:
        payload["currency"] = given_code
    assert load_draft(payload).currency == stored


@pytest.mark.parametrize("bad", ["XAU", "XTS", "ZZZ", "US", "USDX", "", "U$D", 840, None])
def test_unknown_currencies_are_refused(bad):
    assert "currency" in errors_of({"currency": bad, "items": [item()]})


def test_json_floats_become_the_decimals_they_were_written_as():
    payload = json.loads(
        '{"items": [{"description": "Book", "quantity": 3, "unit_price": 19.99, "tax_rate": 7.7,'
        ' "discount_percent": 0.5}], "discount": {"kind": "amount", "value": 0.1}}'
    )
    draft = load_draft(payload)
    line = draft.items[0]
    # Decimal(19.99) would be 19.989999999999998436805981327779591083526611328125
    assert str(line.unit_price) == "19.99"
    assert str(line.tax_rate) == "7.7"
    assert str(line.discount_percent) == "0.5"
    assert str(line.quantity) == "3"
    assert str(draft.discount.value) == "0.1"
    # 3 × 19.99 × 0.995 = 59.67015 → 59.67
    assert str(price(draft).items[0].net_amount) == "59.67"


def test_a_float_that_is_not_what_it_looks_like_is_refused():
    # 0.1 + 0.2 is 0.30000000000000004 as a double: 17 places, more than 6
    errors = errors_of({"items": [item(unit_price=0.1 + 0.2)]})
    assert "unit_price" in errors["items"][0]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"issue_date": "2026-02-30"}, "issue_date"),
        ({"due_date": "31/03/2026"}, "due_date"),
        ({"buyer": {"name": "Acme", "email": "not-an-email"}}, "buyer"),
        ({"buyer": {"name": ""}}, "buyer"),
        ({"notes": "x" * 2001}, "notes"),
        ({"payment_terms": "x" * 501}, "payment_terms"),
        ({"items": None}, "items"),
        ({"items": {"description": "x"}}, "items"),
        ({"items": [item()] * 1001}, "items"),
    ],
)
def test_other_invalid_fields(payload, field):
    assert field in errors_of(payload)


def test_a_thousand_items_and_null_optionals_are_accepted():
    draft = load_draft(
        {
            "items": [item()] * 1000,
            "issue_date": None,
            "due_date": None,
            "seller": None,
            "discount": None,
            "notes": None,
        }
    )
    assert len(draft.items) == 1000
    assert draft.seller is None and draft.discount is None and draft.issue_date is None


# --- dump_invoice ----------------------------------------------------------------------------


def zero_rated(base: str, tax: str) -> dict:
    return {"tax_category": "Z", "rate": "0", "base": base, "tax": tax, "exemption_reason": None}


def test_dump_invoice_shape():
    invoice = price(
        make_draft(
            make_line("150", "40", tax_rate="8", description="Consulting", unit="h"),
            make_line("200", tax_rate="0", description="Travel"),
            issue_date=date(2026, 3, 1),
            due_date=date(2026, 3, 31),
            buyer=Party(name="Acme Corp", email="ap@acme.com"),
            discount=("percent", "10"),
            payment_terms="Net 30",
        ),
        number="INV-0042",
    )
    # subtotal 6200.00; discount 620.00 split 200 : 6000 → 20.00 and 600.00
    # bases 180.00 (0%) and 5400.00 (8% → 432.00); total 6200 − 620 + 432 = 6012.00
    assert dump_invoice(invoice) == {
        "number": "INV-0042",
        "currency": "USD",
        "issue_date": "2026-03-01",
        "due_date": "2026-03-31",
        "seller": None,
        "buyer": {
            "name": "Acme Corp",
            "company": None,
            "email": "ap@acme.com",
            "phone": None,
            "address": None,
            "tax_id": None,
            "contact": None,
            "electronic_address": None,
        },
        "discount": {"kind": "percent", "value": "10"},
        "notes": None,
        "payment_terms": "Net 30",
        "buyer_reference": None,
        "purchase_order": None,
        "delivery_date": None,
        "prepaid_amount": None,
        "payment": None,
        "preceding_invoice": None,
        "status": "draft",
        "type": "invoice",
        "items": [
            {
                "description": "Consulting",
                "quantity": "40",
                "unit": "h",
                "unit_price": "150.00",
                "tax_rate": "8",
                "discount_percent": "0",
                "tax_category": "S",
                "exemption_reason": None,
                "net_amount": "6000.00",
            },
            {
                "description": "Travel",
                "quantity": "1",
                "unit": None,
                "unit_price": "200.00",
                "tax_rate": "0",
                "discount_percent": "0",
                "tax_category": "Z",
                "exemption_reason": None,
                "net_amount": "200.00",
            },
        ],
        "subtotal": "6200.00",
        "discount_total": "620.00",
        "tax_total": "432.00",
        "total": "6012.00",
        "tax_breakdown": [
            zero_rated("180.00", "0.00"),
            {
                "tax_category": "S",
                "rate": "8",
                "base": "5400.00",
                "tax": "432.00",
                "exemption_reason": None,
            },
        ],
        "amount_due": "6012.00",
    }


@pytest.mark.parametrize(
    ("currency", "unit_price", "shown"),
    [
        ("USD", "150", "150.00"),
        ("USD", "19.5", "19.50"),
        ("USD", "150.000000", "150.00"),
        ("USD", "1.5E+3", "1500.00"),
        ("USD", "0.125", "0.125"),  # more places than the currency: kept, not rounded
        ("USD", "0", "0.00"),
        ("JPY", "1500", "1500"),
        ("JPY", "2.5", "2.5"),
        ("BHD", "12.5", "12.500"),
        ("CLF", "1", "1.0000"),
    ],
)
def test_unit_price_is_shown_with_at_least_the_minor_digits(currency, unit_price, shown):
    dumped = dump_invoice(price(make_draft(make_line(unit_price), currency=currency)))
    assert dumped["items"][0]["unit_price"] == shown


@pytest.mark.parametrize(
    ("currency", "unit_price", "amount", "zero"),
    [
        ("USD", "19.99", "19.99", "0.00"),
        ("JPY", "2.5", "3", "0"),
        ("BHD", "0.3335", "0.334", "0.000"),
        ("CLF", "7", "7.0000", "0.0000"),
    ],
)
def test_amounts_are_dumped_with_exactly_the_minor_digits(currency, unit_price, amount, zero):
    dumped = dump_invoice(price(make_draft(make_line(unit_price), currency=currency)))
    assert dumped["items"][0]["net_amount"] == amount
    assert dumped["subtotal"] == dumped["total"] == amount
    assert dumped["discount_total"] == dumped["tax_total"] == zero
    assert dumped["tax_breakdown"] == [zero_rated(amount, zero)]


def test_quantities_and_rates_are_dumped_plain():
    invoice = price(
        make_draft(make_line("10", "40.000", tax_rate="20.00", discount_percent="2.50"))
    )
    [line] = dump_invoice(invoice)["items"]
    assert (line["quantity"], line["tax_rate"], line["discount_percent"]) == ("40", "20", "2.5")
    assert dump_invoice(invoice)["tax_breakdown"][0]["rate"] == "20"  # not "2E+1"


# --- JSON round trip -------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(draft=drafts())
def test_json_round_trip_is_lossless(draft):
    invoice = price(draft)
    dumped = dump_invoice(invoice)
    document = json.loads(json.dumps(dumped))
    digits = MINOR_DIGITS[invoice.currency]

    for key, leaf in walk(document):
        assert not isinstance(leaf, (int, float)), (key, leaf)  # no JSON numbers at all
        if key in NUMBER_KEYS:
            assert isinstance(leaf, str)
            assert "E" not in leaf.upper()
            assert Decimal(leaf) >= 0
        if key in MONEY_KEYS:
            assert Decimal(leaf).as_tuple().exponent == -digits, (key, leaf)

    reloaded = load_draft(document)
    assert reloaded == invoice.to_draft()
    assert dump_invoice(price(reloaded, number=invoice.number)) == dumped


# --- e-invoice fields ----------------------------------------------------------------------------


def einvoice_draft(**changes) -> dict:
    return {
        "seller": {"name": "Anna", "tax_id": "DE811907980"},
        "buyer": {"name": "Muster AG", "tax_id": "BE0403019261"},
        "items": [{"description": "Beratung", "unit_price": "100", "tax_rate": "19"}],
        **changes,
    }


def test_every_einvoice_field_loads():
    draft = load_draft(
        einvoice_draft(
            seller={
                "name": "Anna",
                "contact": {"name": "Anna Schmidt", "phone": "+49 30 1234567", "email": "a@x.de"},
                "electronic_address": {"scheme": " 9930", "value": "DE811907980"},
            },
            buyer_reference="991-33333TEST-33",
            purchase_order="PO 4711",
            delivery_date="2026-02-27",
            prepaid_amount="100.00",
            payment={
                "iban": "de89 3704 0044 0532 0130 00",
                "bic": "cobadeffxxx",
                "reference": "R1",
            },
            preceding_invoice={"number": "2026-0001", "issue_date": "2026-01-02"},
            items=[{"description": "x", "unit_price": "1", "tax_category": "ae"}],
        )
    )
    assert draft.seller.contact.phone == "+49 30 1234567"
    assert draft.seller.electronic_address == ElectronicAddress("9930", "DE811907980")
    assert draft.payment.iban == "DE89370400440532013000" and draft.payment.bic == "COBADEFFXXX"
    assert draft.items[0].tax_category == "AE"
    assert draft.prepaid_amount == Decimal("100.00")
    assert draft.preceding_invoice.issue_date == date(2026, 1, 2)


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"payment": {"iban": "DE89370400440532013001"}}, ("payment", "iban"), "check digits"),
        ({"payment": {"bic": "COBA"}}, ("payment", "bic"), "not a valid BIC"),
        ({"payment": {"means_code": "59"}}, ("payment", "means_code"), "Must be one of"),
        (
            {"seller": {"name": "A", "electronic_address": {"scheme": "9999", "value": "1"}}},
            ("seller", "electronic_address", "scheme"),
            "EAS code list",
        ),
        (
            {"buyer": {"name": "B", "electronic_address": {"scheme": "0208", "value": "123"}}},
            ("buyer", "electronic_address", "value"),
            "Belgian enterprise number",
        ),
        (
            {
                "buyer": {
                    "name": "B",
                    "electronic_address": {"scheme": "0204", "value": "04011000-12345-67"},
                }
            },
            ("buyer", "electronic_address", "value"),
            "Leitweg-ID",
        ),
        (
            {"items": [{"description": "x", "unit_price": "1", "tax_category": "E"}]},
            ("items", 0, "exemption_reason"),
            "say why",
        ),
        (
            {
                "items": [
                    {"description": "x", "unit_price": "1", "tax_rate": "19", "tax_category": "AE"}
                ]
            },
            ("items", 0, "tax_rate"),
            "must be 0",
        ),
        (
            {"items": [{"description": "x", "unit_price": "1", "tax_category": "X"}]},
            ("items", 0, "tax_category"),
            "Must be one of",
        ),
        (
            {
                "items": [
                    {
                        "description": "x",
                        "unit_price": "1",
                        "tax_category": "E",
                        "exemption_reason": {"code": "VATEX-XX-1"},
                    }
                ]
            },
            ("items", 0, "exemption_reason", "code"),
            "VATEX",
        ),
        ({"prepaid_amount": "-1"}, ("prepaid_amount",), "greater than or equal"),
        (
            {"preceding_invoice": {"issue_date": "2026-01-01"}},
            ("preceding_invoice", "number"),
            "required",
        ),
    ],
)
def test_bad_einvoice_fields_are_refused_naming_the_field(changes, path, words):
    with pytest.raises(ValidationError) as caught:
        load_draft(einvoice_draft(**changes))
    messages = caught.value.messages
    for key in path:
        messages = messages[key]
    assert any(words in message for message in messages), messages


def test_stored_invoices_without_the_new_fields_still_load():
    old = {
        "number": "INV-0001",
        "currency": "EUR",
        "seller": {"name": "A", "tax_id": "DK13585628"},
        "items": [
            {"description": "x", "unit_price": "1.00", "tax_rate": "25", "net_amount": "1.00"}
        ],
        "tax_breakdown": [{"rate": "25", "base": "1.00", "tax": "0.25"}],
        "total": "1.25",
    }
    draft = load_draft(old)
    assert draft.seller.contact is None and draft.payment is None
    assert draft.items[0].tax_category is None
