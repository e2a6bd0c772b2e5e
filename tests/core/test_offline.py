"""The offline provider: creation phrasings, edits, currencies, dates and declines.

Every case asks the provider one message and checks the draft it returns field by field, then
prices that draft with the server's own arithmetic (load_draft + price_invoice) to check the
total, so a wrong quantity, price, tax rate or discount shows up as a wrong total too.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from core.invoice import Discount, InvoiceDraft, LineItem, Party, price_invoice
from core.providers.base import ProviderReply, ProviderRequest
from core.providers.offline import OfflineProvider
from core.schemas import dump_invoice, load_draft

TODAY = date(2026, 11, 24)
COMPUTED_KEYS = {"number", "subtotal", "discount_total", "tax_total", "total", "tax_breakdown"}


def ask(message: str, invoice: dict[str, Any] | None = None) -> ProviderReply:
    request = ProviderRequest(
        system_prompt="", history=(), message=message, invoice=invoice, today=TODAY
    )
    return OfflineProvider().respond(request)


def line(description: str, quantity: str, unit_price: str, unit: str | None = None, tax="0"):
    return LineItem(description, Decimal(quantity), Decimal(unit_price), unit, Decimal(tax))


def stored_invoice(*items: LineItem, **facts: Any) -> dict[str, Any]:
    """An invoice as the session stores it: a draft priced and dumped, computed fields included."""
    facts.setdefault("buyer", Party("Acme Corp"))
    draft = InvoiceDraft(issue_date=TODAY, items=items, **facts)
    return dump_invoice(price_invoice(draft, "INV-0007", today=TODAY))


def total(draft: dict[str, Any]) -> str:
    return format(price_invoice(load_draft(draft), "INV-0001", today=TODAY).total, "f")


def lines(draft: dict[str, Any]) -> list[tuple[str, str, str | None, str, str]]:
    return [
        (i["description"], i["quantity"], i["unit"], i["unit_price"], i["tax_rate"])
        for i in draft["items"]
    ]


ONE_LINE = stored_invoice(line("Consulting", "40", "150", "hour", tax="8"))
TWO_LINES = stored_invoice(
    line("Consulting", "40", "150", "hour", tax="8"),
    line("Travel", "1", "200", tax="8"),
    due_date=date(2026, 12, 24),
)  # subtotal 6200.00, tax 496.00, total 6696.00
UNTAXED = stored_invoice(line("Consulting", "40", "150", "hour"))
TWO_UNTAXED = stored_invoice(line("Consulting", "40", "150", "hour"), line("Travel", "1", "200"))


# --- creating an invoice in one message -------------------------------------------------------

CREATION = [
    (
        "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days",
        "Acme Corp",
        [("Consulting", "40", "hour", "150", "8")],
        "6480.00",
    ),
    (
        "Invoice to Wayne Enterprises for 3 x security audit @ $1,200 each",
        "Wayne Enterprises",
        [("Security audit", "3", None, "1200", "0")],
        "3600.00",
    ),
    (
        "bill Oscorp 12 widgets at 19.99 each",
        "Oscorp",
        [("Widgets", "12", None, "19.99", "0")],
        "239.88",
    ),
    (
        "client: Pied Piper, $750 for menu design",
        "Pied Piper",
        [("Menu design", "1", None, "750", "0")],
        "750.00",
    ),
    (
        "Invoice Acme Corp logo design $800",
        "Acme Corp",
        [("Logo design", "1", None, "800", "0")],
        "800.00",
    ),
    (
        "Invoice Hooli for 40h consulting @ 150/h and logo design $800 plus $750 for menu design",
        "Hooli",
        [
            ("Consulting", "40", "hour", "150", "0"),
            ("Logo design", "1", None, "800", "0"),
            ("Menu design", "1", None, "750", "0"),
        ],
        "7550.00",
    ),
    (
        "Create an invoice for Bank of America for 2 days of workshop at $2,500/day",
        "Bank of America",
        [("Workshop", "2", "day", "2500", "0")],
        "5000.00",
    ),
    (
        "Invoice Globex for consulting at $150/h for 10 hours, add 20% VAT",
        "Globex",
        [("Consulting", "10", "hour", "150", "20")],
        "1800.00",
    ),
    (
        "Invoice Initech: 5 days of training at $900/day, tax 6.5%",
        "Initech",
        [("Training", "5", "day", "900", "6.5")],
        "4792.50",
    ),
    (
        "Research and development at $100/h for 10 hours, client: Umbrella Corp",
        "Umbrella Corp",
        [("Research and development", "10", "hour", "100", "0")],
        "1000.00",
    ),
    (
        "Invoice Acme Corp for consulting, 40 hours at $150/h",
        "Acme Corp",
        [("Consulting", "40", "hour", "150", "0")],
        "6000.00",
    ),
    (
        "Invoice Stark Industries for 10 hours of design at $120/h, 10% discount",
        "Stark Industries",
        [("Design", "10", "hour", "120", "0")],
        "1080.00",
    ),
    (
        "Invoice Acme for 3 hours of support at $90/h and a $200 travel line, 8% tax, $50 off",
        "Acme",
        [("Support", "3", "hour", "90", "8"), ("Travel", "1", None, "200", "8")],
        "453.60",  # (270 + 200 - 50) × 1.08
    ),
    (
        "40 hours of consulting at $150/h for Acme Corp",
        "Acme Corp",
        [("Consulting", "40", "hour", "150", "0")],
        "6000.00",
    ),
    (
        "bill Globex $2k for website hosting",
        "Globex",
        [("Website hosting", "1", None, "2000", "0")],
        "2000.00",
    ),
    (
        "Please create an invoice for Johnson and Johnson: two hours of support at $80/h",
        "Johnson and Johnson",
        [("Support", "2", "hour", "80", "0")],
        "160.00",
    ),
]


@pytest.mark.parametrize(("message", "client", "expected_lines", "expected_total"), CREATION)
def test_creates_invoice_from_one_message(message, client, expected_lines, expected_total):
    reply = ask(message)

    assert reply.invoice is not None, reply.reply
    assert reply.invoice["buyer"]["name"] == client
    assert lines(reply.invoice) == expected_lines
    assert reply.invoice["issue_date"] == "2026-11-24"
    assert total(reply.invoice) == expected_total
    assert reply.reply.startswith(f"Created an invoice for {client} with {len(expected_lines)}")


def test_creation_reply_summarises_lines_tax_due_date_and_total():
    reply = ask("Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days")

    assert reply.reply == (
        "Created an invoice for Acme Corp with 1 line: Consulting, 40 hours × $150.00. "
        "Set tax to 8% on the line. Due 2026-12-24 (in 30 days). Total: $6,480.00."
    )


def test_creation_without_client_leaves_buyer_empty_and_says_so():
    reply = ask("40 hours of consulting at $150/h")

    assert reply.invoice is not None
    assert reply.invoice["buyer"] is None
    assert lines(reply.invoice) == [("Consulting", "40", "hour", "150", "0")]
    assert "client is missing" in reply.reply


def test_client_email_anywhere_in_creation_text_goes_to_buyer():
    reply = ask("Invoice Acme Corp (ap@acme.com) for 10 hours of design at $120/h")

    assert reply.invoice is not None
    assert reply.invoice["buyer"] == {
        "name": "Acme Corp",
        "company": None,
        "email": "ap@acme.com",
        "phone": None,
        "address": None,
        "tax_id": None,
    }


def test_notes_and_discount_are_read_at_creation():
    reply = ask(
        "Invoice Acme for 2 days of workshop at $2,500/day with 10% discount. "
        "Note: PO 12345, thanks"
    )

    assert reply.invoice is not None
    assert reply.invoice["discount"] == {"kind": "percent", "value": "10"}
    assert reply.invoice["notes"] == "PO 12345, thanks"
    assert total(reply.invoice) == "4500.00"


def test_returned_draft_is_decimal_strings_without_computed_fields():
    reply = ask("Invoice Acme for 12 widgets at 19.99 each, 8% tax, $5 off")

    assert reply.invoice is not None
    assert not COMPUTED_KEYS & reply.invoice.keys()
    assert "net_amount" not in reply.invoice["items"][0]

    def walk(value: Any) -> None:
        assert not isinstance(value, float)
        for child in value.values() if isinstance(value, dict) else value or ():
            if isinstance(child, dict | list):
                walk(child)
            else:
                assert not isinstance(child, float)

    walk(reply.invoice)
    assert reply.invoice["discount"] == {"kind": "amount", "value": "5"}


# --- edits on an existing invoice -------------------------------------------------------------

LINE_EDITS = [
    (
        TWO_LINES,
        "add 2 hours of support at $90/h",
        [
            ("Consulting", "40", "hour", "150", "8"),
            ("Travel", "1", None, "200", "8"),
            ("Support", "2", "hour", "90", "8"),
        ],
        "6890.40",
    ),
    (
        TWO_LINES,
        "add a $50 parking line",
        [
            ("Consulting", "40", "hour", "150", "8"),
            ("Travel", "1", None, "200", "8"),
            ("Parking", "1", None, "50", "8"),
        ],
        "6750.00",
    ),
    (TWO_LINES, "remove the travel line", [("Consulting", "40", "hour", "150", "8")], "6480.00"),
    (TWO_LINES, "remove line 1", [("Travel", "1", None, "200", "8")], "216.00"),
    (TWO_LINES, "delete the last line", [("Consulting", "40", "hour", "150", "8")], "6480.00"),
    (
        TWO_LINES,
        "change the consulting rate to $175",
        [("Consulting", "40", "hour", "175", "8"), ("Travel", "1", None, "200", "8")],
        "7776.00",
    ),
    (
        TWO_LINES,
        "make consulting 45 hours",
        [("Consulting", "45", "hour", "150", "8"), ("Travel", "1", None, "200", "8")],
        "7506.00",
    ),
    (
        TWO_LINES,
        "set travel to $250",
        [("Consulting", "40", "hour", "150", "8"), ("Travel", "1", None, "250", "8")],
        "6750.00",
    ),
    (
        TWO_LINES,
        "rename line 2 to Travel expenses",
        [("Consulting", "40", "hour", "150", "8"), ("Travel expenses", "1", None, "200", "8")],
        "6696.00",
    ),
    (ONE_LINE, "change the rate to $175", [("Consulting", "40", "hour", "175", "8")], "7560.00"),
    (ONE_LINE, "make it 45 hours", [("Consulting", "45", "hour", "150", "8")], "7290.00"),
    (ONE_LINE, "$160/h instead", [("Consulting", "40", "hour", "160", "8")], "6912.00"),
    (
        TWO_LINES,
        "set tax to 7%",
        [("Consulting", "40", "hour", "150", "7"), ("Travel", "1", None, "200", "7")],
        "6634.00",
    ),
    (
        TWO_LINES,
        "no tax",
        [("Consulting", "40", "hour", "150", "0"), ("Travel", "1", None, "200", "0")],
        "6200.00",
    ),
    (
        TWO_UNTAXED,
        "8% tax on travel",  # only the travel line
        [("Consulting", "40", "hour", "150", "0"), ("Travel", "1", None, "200", "8")],
        "6216.00",
    ),
]


@pytest.mark.parametrize(("invoice", "message", "expected_lines", "expected_total"), LINE_EDITS)
def test_edits_lines_of_existing_invoice(invoice, message, expected_lines, expected_total):
    reply = ask(message, invoice)

    assert reply.invoice is not None, reply.reply
    assert lines(reply.invoice) == expected_lines
    assert total(reply.invoice) == expected_total
    assert reply.invoice["buyer"]["name"] == "Acme Corp"  # the rest is kept


EDIT_REPLIES = [
    (UNTAXED, "add a $200 travel line", "Added Travel, 1 × $200.00. Total: $6,200.00."),
    (
        ONE_LINE,
        "add a $200 travel line",
        "Added Travel, 1 × $200.00 with 8% tax. Total: $6,696.00.",
    ),
    (TWO_LINES, "remove line 2", "Removed line 2 (Travel). Total: $6,480.00."),
    (TWO_LINES, "no tax", "Removed tax from all lines. Total: $6,200.00."),
    (
        ONE_LINE,
        "make it 45 hours",
        "Updated line 1: Consulting, 45 hours × $150.00. Total: $7,290.00.",
    ),
    (TWO_LINES, "client email is ap@acme.com", "Client email: ap@acme.com. Total: $6,696.00."),
    (TWO_LINES, "net 15", "Payment terms: Net 15, due 2026-12-09. Total: $6,696.00."),
]


@pytest.mark.parametrize(("invoice", "message", "expected_reply"), EDIT_REPLIES)
def test_edit_reply_says_what_changed(invoice, message, expected_reply):
    reply = ask(message, invoice)

    assert reply.invoice is not None
    assert reply.reply == expected_reply


DISCOUNTS = [
    ("10% discount", {"kind": "percent", "value": "10"}, "6026.40"),
    ("$200 off", {"kind": "amount", "value": "200"}, "6480.00"),
    ("add a discount of 5%", {"kind": "percent", "value": "5"}, "6361.20"),
]


@pytest.mark.parametrize(("message", "discount", "expected_total"), DISCOUNTS)
def test_sets_invoice_discount(message, discount, expected_total):
    reply = ask(message, TWO_LINES)

    assert reply.invoice is not None, reply.reply
    assert reply.invoice["discount"] == discount
    assert total(reply.invoice) == expected_total


def test_line_discount_applies_to_named_line_only():
    reply = ask("10% off the travel line", TWO_LINES)

    assert reply.invoice is not None
    assert [i["discount_percent"] for i in reply.invoice["items"]] == ["0", "10"]
    assert reply.invoice["discount"] is None
    assert total(reply.invoice) == "6674.40"


def test_removes_the_discount():
    invoice = stored_invoice(
        line("Consulting", "40", "150", "hour", tax="8"),
        discount=Discount("percent", Decimal(10)),
        notes="Thanks!",
    )
    reply = ask("remove the discount and the notes", invoice)

    assert reply.invoice is not None, reply.reply
    assert reply.invoice["discount"] is None
    assert reply.invoice["notes"] is None
    assert total(reply.invoice) == "6480.00"


FIELD_EDITS = [
    ("client email is ap@acme.com", ("buyer", "email"), "ap@acme.com"),
    ("change client to Initech", ("buyer", "name"), "Initech"),
    ("client phone is +1 555 0100", ("buyer", "phone"), "+1 555 0100"),
    ("client address is 1 Main St, Springfield", ("buyer", "address"), "1 Main St, Springfield"),
    ("change currency to EUR", ("currency",), "EUR"),
    ("due in 45 days", ("due_date",), "2027-01-08"),
    ("net 15", ("payment_terms",), "Net 15"),
    ("note: thanks for your business", ("notes",), "thanks for your business"),
    ("payment terms: 50% upfront, rest later", ("payment_terms",), "50% upfront, rest later"),
    ("issue date 2026-11-20", ("issue_date",), "2026-11-20"),
]


@pytest.mark.parametrize(("message", "path", "expected"), FIELD_EDITS)
def test_edits_invoice_fields(message, path, expected):
    reply = ask(message, TWO_LINES)

    assert reply.invoice is not None, reply.reply
    value: Any = reply.invoice
    for key in path:
        value = value[key]
    assert value == expected
    assert lines(reply.invoice) == [  # lines untouched
        ("Consulting", "40", "hour", "150", "8"),
        ("Travel", "1", None, "200", "8"),
    ]
    assert total(reply.invoice) == "6696.00"


def test_currency_change_keeps_amounts_and_says_so():
    reply = ask("change currency to EUR", TWO_LINES)

    assert reply.invoice is not None
    assert reply.invoice["items"][0]["unit_price"] == "150"
    assert "not converted" in reply.reply
    assert "€6,696.00" in reply.reply


def test_new_invoice_message_replaces_existing_invoice_but_keeps_seller():
    invoice = stored_invoice(line("Consulting", "40", "150", "hour"), seller=Party("Me Ltd"))
    reply = ask("Invoice Globex for 2 hours of support at $90/h", invoice)

    assert reply.invoice is not None
    assert reply.invoice["buyer"]["name"] == "Globex"
    assert reply.invoice["seller"]["name"] == "Me Ltd"
    assert lines(reply.invoice) == [("Support", "2", "hour", "90", "0")]


# --- currencies -------------------------------------------------------------------------------

CURRENCIES = [
    ("Invoice Acme for 10 hours of consulting at €150/h", "EUR", "150", "1500.00"),
    ("Invoice Acme for 10 hours of consulting at 150 EUR/h", "EUR", "150", "1500.00"),
    ("Invoice Acme for design 800€", "EUR", "800", "800.00"),
    ("Invoice Acme for a workshop £1,250.50", "GBP", "1250.5", "1250.50"),
    ("Invoice Acme for 2 licenses at ¥50,000 each", "JPY", "50000", "100000"),
    ("Invoice Acme for consulting CHF 1,200", "CHF", "1200", "1200.00"),
    ("Invoice Acme for 3 hours of support at C$90/h", "CAD", "90", "270.00"),
    ("Invoice Acme for hosting A$300", "AUD", "300", "300.00"),
    ("Invoice Acme for translation ₹5,000", "INR", "5000", "5000.00"),
    ("Invoice Acme for 10 hours of consulting at USD 150/h", "USD", "150", "1500.00"),
    ("Invoice Acme for 4 hours of consulting at 200 euros per hour", "EUR", "200", "800.00"),
    ("Invoice Acme for hosting at 20 dollars a month for 12 months", "USD", "20", "240.00"),
]


@pytest.mark.parametrize(("message", "currency", "unit_price", "expected_total"), CURRENCIES)
def test_reads_currency_symbols_and_codes(message, currency, unit_price, expected_total):
    reply = ask(message)

    assert reply.invoice is not None, reply.reply
    assert reply.invoice["currency"] == currency
    assert reply.invoice["items"][0]["unit_price"] == unit_price
    assert total(reply.invoice) == expected_total


def test_dollar_sign_keeps_a_canadian_invoice_in_cad():
    invoice = stored_invoice(line("Consulting", "10", "90", "hour"), currency="CAD")
    reply = ask("add travel $200", invoice)

    assert reply.invoice is not None
    assert reply.invoice["currency"] == "CAD"
    assert total(reply.invoice) == "1100.00"


# --- dates, relative to a fixed today (2026-11-24) --------------------------------------------

DATES = [
    ("due in 30 days", "2026-12-24", None),
    ("due in 2 weeks", "2026-12-08", None),
    ("due in 1 month", "2026-12-24", None),
    ("net 15", "2026-12-09", "Net 15"),
    ("due 2026-12-31", "2026-12-31", None),
    ("due December 31", "2026-12-31", None),
    ("due Jan 15", "2027-01-15", None),
    ("due 15/01/2027", "2027-01-15", None),
    ("due tomorrow", "2026-11-25", None),
    ("due on receipt", "2026-11-24", "Due on receipt"),
]


@pytest.mark.parametrize(("phrase", "due_date", "terms"), DATES)
def test_due_dates(phrase, due_date, terms):
    reply = ask(f"Invoice Acme for consulting $500, {phrase}")

    assert reply.invoice is not None, reply.reply
    assert reply.invoice["issue_date"] == "2026-11-24"
    assert reply.invoice["due_date"] == due_date
    assert reply.invoice["payment_terms"] == terms
    assert total(reply.invoice) == "500.00"


def test_issue_date_moves_net_terms_due_date():
    invoice = ask("Invoice Acme for consulting $500, net 30").invoice
    reply = ask("dated 2026-12-01", invoice)

    assert reply.invoice is not None
    assert reply.invoice["issue_date"] == "2026-12-01"
    assert reply.invoice["due_date"] == "2026-12-31"


# --- declines: a question or a help text, and the invoice unchanged ---------------------------

DECLINES = [
    ("Invoice Acme for consulting", None, "How much should I charge for consulting"),
    ("40 hours of consulting", None, "How much should I charge"),
    ("add hosting", TWO_LINES, "How much should I charge for hosting"),
    ("Invoice Acme for consulting and 2 hours of support at $90/h", None, "for consulting"),
    ("hello there", None, "didn't understand"),
    ("thanks!", TWO_LINES, "Happy to help"),
    ("what's the weather like?", TWO_LINES, "didn't understand"),
    ("create an invoice", None, "Tell me the client"),
    ("10% discount", None, "no invoice yet"),
    ("remove the hotel line", TWO_LINES, "couldn't find a line"),
    ("remove line 5", TWO_LINES, "no line 5"),
    ("change the rate to $180", TWO_LINES, "Which line"),
    ("make it 45", ONE_LINE, "quantity or the price"),
    ("make it 0 hours", ONE_LINE, "line 1 quantity"),
    ("add travel €200", TWO_LINES, "This invoice is in USD"),
    ("40 hours consulting at €150/h and travel $200", None, "one currency"),
    ("set the total to $5000", TWO_LINES, "total is computed"),
    ("due 2026-11-01", TWO_LINES, "before the issue date"),
    ("$10,000 off", TWO_LINES, "larger than the subtotal"),
    ("set tax to 150%", TWO_LINES, "more than 100%"),
    ("8% tax", TWO_LINES, "Nothing to change"),
    ("client email is ap@acme.com", stored_invoice(line("X", "1", "1"), buyer=None), "who is"),
]


@pytest.mark.parametrize(("message", "invoice", "expected_reply"), DECLINES)
def test_declines_leave_invoice_unchanged(message, invoice, expected_reply):
    reply = ask(message, invoice)

    assert reply.invoice is None
    assert expected_reply in reply.reply


def test_not_understood_reply_says_what_it_can_do():
    reply = ask("sing me a song", TWO_LINES)

    assert reply.invoice is None
    assert "add a $200 travel line" in reply.reply
    assert "unchanged" in reply.reply


def test_understood_parts_apply_and_the_rest_is_reported():
    reply = ask("due in 45 days, and sing me a song", TWO_LINES)

    assert reply.invoice is not None
    assert reply.invoice["due_date"] == "2027-01-08"
    assert "didn't understand “sing me a song”" in reply.reply


# --- determinism --------------------------------------------------------------------------


def test_same_request_gives_same_answer():
    message = "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days"

    assert ask(message) == ask(message)
