"""Creating an invoice in one message: the client, the lines, tax, discounts, dates, terms,
notes and both parties, as `message.read_message` reads them."""

from __future__ import annotations

from typing import Any

import pytest

from core.invoice import Party
from tests.core.offline.support import (
    UNTAXED,
    L,
    ask,
    check,
    draft,
    stored,
)

# --- creating an invoice in one message ------------------------------------------------------


def C(message: str, total: str, **expected: Any):  # noqa: N802
    return pytest.param(message, draft(**expected), total, id=message[:60])


CREATION = [
    # the client, in the ways people name one
    C(
        "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days",
        "6480.00",
        buyer="Acme Corp",
        lines=[L("Consulting", "40", "150", "hour", tax="8")],
        due="2026-12-24",
    ),
    C(
        "Invoice to Wayne Enterprises for 3 x security audit @ $1,200 each",
        "3600.00",
        buyer="Wayne Enterprises",
        lines=[L("Security audit", "3", "1200")],
    ),
    C(
        "bill Oscorp 12 widgets at 19.99 each",
        "239.88",
        buyer="Oscorp",
        lines=[L("Widgets", "12", "19.99")],
    ),
    C(
        "Charge Tyrell Corp $5,000 for replicant design",
        "5000.00",
        buyer="Tyrell Corp",
        lines=[L("Replicant design", "1", "5000")],
    ),
    C(
        "client: Pied Piper, $750 for menu design",
        "750.00",
        buyer="Pied Piper",
        lines=[L("Menu design", "1", "750")],
    ),
    C(
        "client: Pied Piper; 12 widgets at 19.99 each",
        "239.88",
        buyer="Pied Piper",
        lines=[L("Widgets", "12", "19.99")],
    ),
    C(
        "invoice acme corp 10 hrs consulting 150/hr",
        "1500.00",
        buyer="Acme Corp",
        lines=[L("Consulting", "10", "150", "hour")],
    ),
    C(
        "invoice acme corp logo design $800",
        "800.00",
        buyer="Acme Corp",
        lines=[L("Logo design", "1", "800")],
    ),
    C(
        "invoice acme logo design $800",
        "800.00",
        buyer="Acme",
        lines=[L("Logo design", "1", "800")],
    ),
    C(
        "invoice initech consulting $500",
        "500.00",
        buyer="Initech",
        lines=[L("Consulting", "1", "500")],
    ),
    C(
        "invoice stark industries design $1,500",
        "1500.00",
        buyer="Stark Industries",
        lines=[L("Design", "1", "1500")],
    ),
    C(
        "Invoice Acme Corp logo design $800",
        "800.00",
        buyer="Acme Corp",
        lines=[L("Logo design", "1", "800")],
    ),
    C(
        "bill john smith 3 hours of tutoring at $40/h",
        "120.00",
        buyer="John Smith",
        lines=[L("Tutoring", "3", "40", "hour")],
    ),
    C(
        "Invoice 3M for 10 hours of consulting at $100/h",
        "1000.00",
        buyer="3M",
        lines=[L("Consulting", "10", "100", "hour")],
    ),
    C(
        "Invoice 7-Eleven for 100 flyers at $0.40 each",
        "40.00",
        buyer="7-Eleven",
        lines=[L("Flyers", "100", "0.40")],
    ),
    C(
        "Invoice Procter & Gamble for 2 days of training at $1,000/day",
        "2000.00",
        buyer="Procter & Gamble",
        lines=[L("Training", "2", "1000", "day")],
    ),
    C(
        "Please create an invoice for Johnson and Johnson: two hours of support at $80/h",
        "160.00",
        buyer="Johnson and Johnson",
        lines=[L("Support", "2", "80", "hour")],
    ),
    C(
        "Create an invoice for Bank of America for 2 days of workshop at $2,500/day",
        "5000.00",
        buyer="Bank of America",
        lines=[L("Workshop", "2", "2500", "day")],
    ),
    C(
        "Send an invoice to Acme for 2 days of training at $900/day",
        "1800.00",
        buyer="Acme",
        lines=[L("Training", "2", "900", "day")],
    ),
    C(
        "I need to bill Acme for 3 hours of support at $90/h",
        "270.00",
        buyer="Acme",
        lines=[L("Support", "3", "90", "hour")],
    ),
    C(
        "Can you invoice Acme Corp for 10 hours of design at $120/h?",
        "1200.00",
        buyer="Acme Corp",
        lines=[L("Design", "10", "120", "hour")],
    ),
    C(
        "Hi! Please invoice Acme for design $500.",
        "500.00",
        buyer="Acme",
        lines=[L("Design", "1", "500")],
    ),
    C(
        "invoice: client Acme, 40h consulting @ $150",
        "6000.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour")],
    ),
    C(
        "Invoice Acme Inc. for 10 hours of consulting at $100/h",
        "1000.00",
        buyer="Acme Inc.",
        lines=[L("Consulting", "10", "100", "hour")],
    ),
    C(
        "40 hours of consulting at $150/h for Acme Corp",
        "6000.00",
        buyer="Acme Corp",
        lines=[L("Consulting", "40", "150", "hour")],
    ),
    C(
        "Research and development at $100/h for 10 hours, client: Umbrella Corp",
        "1000.00",
        buyer="Umbrella Corp",
        lines=[L("Research and development", "10", "100", "hour")],
    ),
    C(
        "Invoice Acme Corp — 40 hours consulting at $150/h",
        "6000.00",
        buyer="Acme Corp",
        lines=[L("Consulting", "40", "150", "hour")],
    ),
    # lines, in the ways people write them
    C("Invoice Acme $500 consulting", "500.00", buyer="Acme", lines=[L("Consulting", "1", "500")]),
    C(
        "Invoice Acme for 40 hours of consulting at 150",
        "6000.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour")],
    ),
    C(
        "Invoice Acme for consulting: 40 hours × $150",
        "6000.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour")],
    ),
    C(
        "Invoice Acme for consulting 40h x $150",
        "6000.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour")],
    ),
    C(
        "Invoice Acme for 40 hours consulting, $150/h",
        "6000.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour")],
    ),
    C(
        "Invoice Acme for consulting - 40 hours - $150/h",
        "6000.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour")],
    ),
    C(
        "Invoice Acme for consulting, 40 hours at $150/h",
        "6000.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour")],
    ),
    C(
        "Invoice Acme 40 hours consulting 150 an hour",
        "6000.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour")],
    ),
    C(
        "Invoice Acme for consulting at $150 per hour x 40",
        "6000.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour")],
    ),
    C(
        "Invoice Acme for consulting at a rate of $150/hr for 40 hours",
        "6000.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour")],
    ),
    C(
        "Invoice Globex for consulting at $150/h for 10 hours, add 20% VAT",
        "1800.00",
        buyer="Globex",
        lines=[L("Consulting", "10", "150", "hour", tax="20")],
    ),
    C(
        "Invoice Acme for 5 licenses, $99 each",
        "495.00",
        buyer="Acme",
        lines=[L("Licenses", "5", "99")],
    ),
    C(
        "Invoice Acme for 2 x $500 licenses",
        "1000.00",
        buyer="Acme",
        lines=[L("Licenses", "2", "500")],
    ),
    C(
        "Invoice Acme for a website, $3k",
        "3000.00",
        buyer="Acme",
        lines=[L("Website", "1", "3000")],
    ),
    C(
        "bill Globex $2k for website hosting",
        "2000.00",
        buyer="Globex",
        lines=[L("Website hosting", "1", "2000")],
    ),
    C(
        "Invoice Acme for consulting $1.5k",
        "1500.00",
        buyer="Acme",
        lines=[L("Consulting", "1", "1500")],
    ),
    C(
        "Invoice Acme for 1.5 hours of support at $80/h",
        "120.00",
        buyer="Acme",
        lines=[L("Support", "1.5", "80", "hour")],
    ),
    C(
        "Invoice Acme for half a day of training at $1,000/day",
        "500.00",
        buyer="Acme",
        lines=[L("Training", "0.5", "1000", "day")],
    ),
    C(
        "Invoice Acme for a dozen mugs at $8 each",
        "96.00",
        buyer="Acme",
        lines=[L("Mugs", "12", "8")],
    ),
    C(
        "Invoice Acme for twelve mugs at $8 each",
        "96.00",
        buyer="Acme",
        lines=[L("Mugs", "12", "8")],
    ),
    C(
        "Invoice Acme for ten hours consulting at $100 per hour",
        "1000.00",
        buyer="Acme",
        lines=[L("Consulting", "10", "100", "hour")],
    ),
    C(
        "Invoice Acme for web hosting for 12 months at $20/month",
        "240.00",
        buyer="Acme",
        lines=[L("Web hosting", "12", "20", "month")],
    ),
    C(
        "Invoice Acme for hosting at 20 dollars a month for 12 months",
        "240.00",
        buyer="Acme",
        lines=[L("Hosting", "12", "20", "month")],
    ),
    C(
        "Invoice Acme for 3 nights at the Hilton at $200/night",
        "600.00",
        buyer="Acme",
        lines=[L("Nights at the Hilton", "3", "200", "night")],
    ),
    C(
        "Invoice Acme for mileage, 120 miles at $0.65/mile",
        "78.00",
        buyer="Acme",
        lines=[L("Mileage", "120", "0.65", "mile")],
    ),
    C(
        "Invoice Acme for translation, 2,000 words at $0.12/word",
        "240.00",
        buyer="Acme",
        lines=[L("Translation", "2000", "0.12", "word")],
    ),
    C(
        "Invoice Acme for website design (fixed fee) $3,000",
        "3000.00",
        buyer="Acme",
        lines=[L("Website design fixed fee", "1", "3000")],
    ),
    # several lines: "and", "plus", commas, lists
    C(
        "Invoice Hooli for 40h consulting @ 150/h and logo design $800 plus $750 for menu design",
        "7550.00",
        buyer="Hooli",
        lines=[
            L("Consulting", "40", "150", "hour"),
            L("Logo design", "1", "800"),
            L("Menu design", "1", "750"),
        ],
    ),
    C(
        "Invoice Acme for 3 hours of support at $90/h and a $200 travel line, 8% tax, $50 off",
        "453.60",  # (270 + 200 - 50) × 1.08
        buyer="Acme",
        lines=[L("Support", "3", "90", "hour", tax="8"), L("Travel", "1", "200", tax="8")],
        discount=("amount", "50"),
    ),
    C(
        "Invoice Acme for consulting and travel $200",
        "200.00",
        buyer="Acme",
        lines=[L("Consulting and travel", "1", "200")],
    ),
    C(
        "Invoice Acme for design and development at $100/h for 10 hours plus 8% tax",
        "1080.00",
        buyer="Acme",
        lines=[L("Design and development", "10", "100", "hour", tax="8")],
    ),
    C(
        "Invoice Acme for design, development and testing at $100/h for 30 hours",
        "3000.00",
        buyer="Acme",
        lines=[L("Design, development and testing", "30", "100", "hour")],
    ),
    C(
        "Invoice Acme for 500 flyers at 0.40 each and delivery $25",
        "225.00",
        buyer="Acme",
        lines=[L("Flyers", "500", "0.40"), L("Delivery", "1", "25")],
    ),
    C(
        "Invoice Acme for 3 months of hosting at $20/month and setup fee $100",
        "160.00",
        buyer="Acme",
        lines=[L("Hosting", "3", "20", "month"), L("Setup fee", "1", "100")],
    ),
    C(
        "Invoice to Wayne Enterprises: 1) Security audit – $1,200 2) Pen test – $2,500",
        "3700.00",
        buyer="Wayne Enterprises",
        lines=[L("Security audit", "1", "1200"), L("Pen test", "1", "2500")],
    ),
    C(
        "Invoice Acme:\n- consulting, 40 hours at $150/h\n- travel $200\n- 8% tax",
        "6696.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour", tax="8"), L("Travel", "1", "200", tax="8")],
    ),
    C(
        "New invoice for Hooli. Items: design 10h @ 120, development 20h @ 150",
        "4200.00",
        buyer="Hooli",
        lines=[L("Design", "10", "120", "hour"), L("Development", "20", "150", "hour")],
    ),
    C(
        "invoice umbrella corp: 12 hrs dev @ 95/hr, 3 hrs qa @ 70/hr, tax 7.5%",
        "1451.25",
        buyer="Umbrella Corp",
        lines=[L("Dev", "12", "95", "hour", tax="7.5"), L("QA", "3", "70", "hour", tax="7.5")],
    ),
    C(
        "Invoice for Acme, items: design $500; hosting $20",
        "520.00",
        buyer="Acme",
        lines=[L("Design", "1", "500"), L("Hosting", "1", "20")],
    ),
    # tax, discounts, dates, terms and notes in the same message
    C(
        "Invoice Initech: 5 days of training at $900/day, tax 6.5%",
        "4792.50",
        buyer="Initech",
        lines=[L("Training", "5", "900", "day", tax="6.5")],
    ),
    C(
        "Invoice Acme for consulting $500 plus 10% tax",
        "550.00",
        buyer="Acme",
        lines=[L("Consulting", "1", "500", tax="10")],
    ),
    C(
        "Invoice Acme for 40 hours of consulting @ $150/hr + 8% tax",
        "6480.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour", tax="8")],
    ),
    C(
        "Invoice Stark Industries for 10 hours of design at $120/h, 15% discount",
        "1020.00",
        buyer="Stark Industries",
        lines=[L("Design", "10", "120", "hour")],
        discount=("percent", "15"),
    ),
    C(
        "Invoice Acme for 40 hours of consulting at $150/h with a 10% discount and 8% tax, due "
        "next Friday",
        "5832.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour", tax="8")],
        discount=("percent", "10"),
        due="2026-12-04",
    ),
    C(
        "Invoice Acme for 40 hours of consulting at $150/h, 8% sales tax, net 30, note: PO #4471",
        "6480.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour", tax="8")],
        due="2026-12-24",
        terms="Net 30",
        notes="PO #4471",
    ),
    C(
        "Invoice Wayne Enterprises for 10 hours of security review at $200 an hour, 10% VAT, "
        "5% discount, due 31/12/2026",
        "2090.00",
        buyer="Wayne Enterprises",
        lines=[L("Security review", "10", "200", "hour", tax="10")],
        discount=("percent", "5"),
        due="2026-12-31",
    ),
    C(
        "Invoice Acme for 2 days of workshop at $2,500/day with 10% discount. Note: PO 12345, "
        "thanks",
        "4500.00",
        buyer="Acme",
        lines=[L("Workshop", "2", "2500", "day")],
        discount=("percent", "10"),
        notes="PO 12345, thanks",
    ),
    C(
        "Invoice Acme for 40 hours of consulting at $150/hr, 8% tax, payment terms: 50% upfront, "
        "50% on delivery",
        "6480.00",
        buyer="Acme",
        lines=[L("Consulting", "40", "150", "hour", tax="8")],
        terms="50% upfront, 50% on delivery",
    ),
    # the client's and the seller's details
    C(
        "Invoice Acme Corp (ap@acme.com) for 10 hours of design at $120/h",
        "1200.00",
        buyer=Party("Acme Corp", email="ap@acme.com"),
        lines=[L("Design", "10", "120", "hour")],
    ),
    C(
        "Bill Initech (billing@initech.com) for 3 days of training at $1,200/day, net 15, "
        "note: Thanks!",
        "3600.00",
        buyer=Party("Initech", email="billing@initech.com"),
        lines=[L("Training", "3", "1200", "day")],
        due="2026-12-09",
        terms="Net 15",
        notes="Thanks!",
    ),
    C(
        "Invoice Acme Corp for 40 hours of consulting at $150/h. Client email ap@acme.com, "
        "address 1 Main St, Springfield. Due in 2 weeks.",
        "6000.00",
        buyer=Party("Acme Corp", email="ap@acme.com", address="1 Main St, Springfield"),
        lines=[L("Consulting", "40", "150", "hour")],
        due="2026-12-08",
    ),
    C(
        "Invoice Acme for design $500, client address: 1 Main St, Springfield, IL, due in 30 "
        "days, 8% tax",
        "540.00",
        buyer=Party("Acme", address="1 Main St, Springfield, IL"),
        lines=[L("Design", "1", "500", tax="8")],
        due="2026-12-24",
    ),
    C(
        "Invoice Acme from Pixel Studio for 10 hours of design at $80/h",
        "800.00",
        buyer="Acme",
        seller="Pixel Studio",
        lines=[L("Design", "10", "80", "hour")],
    ),
    C(
        "Invoice Acme for design $500. My company is Pixel Studio, my email is hello@pixel.studio",
        "500.00",
        buyer="Acme",
        seller=Party("Pixel Studio", email="hello@pixel.studio"),
        lines=[L("Design", "1", "500")],
    ),
    C(
        "I'm Jane Doe, jane@pixel.studio. Invoice Acme for design $500",
        "500.00",
        buyer="Acme",
        seller=Party("Jane Doe", email="jane@pixel.studio"),
        lines=[L("Design", "1", "500")],
    ),
    C(
        "Invoice Acme from Pixel Studio (hello@pixel.studio) for design $500, send it to "
        "billing@acme.com",
        "500.00",
        buyer=Party("Acme", email="billing@acme.com"),
        seller=Party("Pixel Studio", email="hello@pixel.studio"),
        lines=[L("Design", "1", "500")],
    ),
    # a tax after each line is that line's; one after the last line is every line's
    C(
        "Invoice Acme Corp for design 20 hours at €85 + 21% VAT and printing 500 pcs at €0.45 "
        "+ 9% VAT",
        "2302.25",
        buyer="Acme Corp",
        currency="EUR",
        lines=[
            L("Design", "20", "85", "hour", tax="21"),
            L("Printing", "500", "0.45", "piece", tax="9"),
        ],
    ),
    C(
        "Invoice Acme Corp: design $500 plus 20% VAT, hosting $100 plus 10% VAT, postage $10",
        "720.00",
        buyer="Acme Corp",
        lines=[
            L("Design", "1", "500", tax="20"),
            L("Hosting", "1", "100", tax="10"),
            L("Postage", "1", "10"),
        ],
    ),
    C(
        "Invoice Acme Corp for design $500 and printing $200, plus 8% tax",
        "756.00",
        buyer="Acme Corp",
        lines=[L("Design", "1", "500", tax="8"), L("Printing", "1", "200", tax="8")],
    ),
]


@pytest.mark.parametrize(("message", "expected", "total"), CREATION)
def test_creates_the_invoice_meant(message, expected, total):
    check(ask(message), expected, total)


def test_creation_reply_summarises_lines_tax_due_date_and_total():
    reply = ask("Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days")

    assert reply.reply == (
        "Created an invoice for Acme Corp with 1 line: Consulting, 40 hours × $150.00. "
        "Set tax to 8% on the line. Due Thu 24 Dec 2026 (in 30 days). Total: $6,480.00."
    )


def test_a_new_invoice_line_given_only_as_an_amount_is_billed_as_services():
    reply = ask("Make an invoice for $2,400 for Hooli")

    check(reply, draft(buyer="Hooli", lines=[L("Services", "1", "2400")]), "2400.00")
    assert "tell me what it was for" in reply.reply


def test_creation_without_a_client_asks_who_to_bill():
    reply = ask("40 hours of consulting at $150/h")

    check(reply, draft(lines=[L("Consulting", "40", "150", "hour")]), "6000.00")
    assert "Who should I bill?" in reply.reply


def test_a_new_invoice_message_replaces_the_invoice_but_keeps_the_seller():
    invoice = stored(draft(UNTAXED, seller=Party("Me Ltd", email="me@me.example")))
    reply = ask("Invoice Globex for 2 hours of support at $90/h", invoice)

    expected = draft(
        buyer="Globex",
        seller=Party("Me Ltd", email="me@me.example"),
        lines=[L("Support", "2", "90", "hour")],
    )
    check(reply, expected, "180.00")
    assert reply.reply.startswith("Created a new invoice for Globex")


def test_same_request_gives_same_answer():
    message = "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days"

    assert ask(message) == ask(message)
