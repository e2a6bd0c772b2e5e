"""Editing the current invoice: each change of `changes.py` as people ask for it, and the
reply that says what changed."""

from __future__ import annotations

from typing import Any

import pytest

from core.invoice import Contact, InvoiceDraft, Party
from tests.core.offline.support import (
    ACME,
    CONSULTING,
    DETAILED,
    ONE_LINE,
    THREE_UNTAXED,
    TRAVEL,
    TWO_LINES,
    UNTAXED,
    L,
    ask,
    check,
    draft,
    stored,
)

# --- editing the current invoice -------------------------------------------------------------


def E(start: InvoiceDraft, message: str, total: str, **changes: Any):  # noqa: N802
    """An edit of `start`: the expected draft is `start` with `changes`."""
    return pytest.param(start, message, draft(start, **changes), total, id=message[:60])


TRAVEL_250 = L("Travel", "1", "250", tax="8")
ACME_AP = Party("Acme Corp", email="ap@acme.com")
EDITS = [
    # adding lines (a new line takes the tax rate all lines share)
    E(TWO_LINES, "add 2 hours of support at $90/h", "6890.40",
      lines=[CONSULTING, TRAVEL, L("Support", "2", "90", "hour", tax="8")]),
    E(TWO_LINES, "add a $50 parking line", "6750.00",
      lines=[CONSULTING, TRAVEL, L("Parking", "1", "50", tax="8")]),
    E(TWO_LINES, "add parking $50", "6750.00",
      lines=[CONSULTING, TRAVEL, L("Parking", "1", "50", tax="8")]),
    E(TWO_LINES, "plus $50 for parking", "6750.00",
      lines=[CONSULTING, TRAVEL, L("Parking", "1", "50", tax="8")]),
    E(TWO_LINES, "also add 2 hours of support at $90/h please", "6890.40",
      lines=[CONSULTING, TRAVEL, L("Support", "2", "90", "hour", tax="8")]),
    E(UNTAXED, "add travel $200 and parking $50", "6250.00",
      lines=[*UNTAXED.items, L("Travel", "1", "200"), L("Parking", "1", "50")]),
    E(UNTAXED, "add a line for printing: 500 flyers at 0.40 each", "6200.00",
      lines=[*UNTAXED.items, L("Printing flyers", "500", "0.40")]),
    # quantities
    E(ONE_LINE, "make it 45 hours", "7290.00",
      lines=[L("Consulting", "45", "150", "hour", tax="8")]),
    E(TWO_LINES, "make consulting 45 hours", "7506.00",
      lines=[L("Consulting", "45", "150", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "change the quantity of consulting to 45", "7506.00",
      lines=[L("Consulting", "45", "150", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "consulting should be 45 hours", "7506.00",
      lines=[L("Consulting", "45", "150", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "change hours to 45", "7506.00",
      lines=[L("Consulting", "45", "150", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "45 hours instead of 40", "7506.00",
      lines=[L("Consulting", "45", "150", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "actually it was 45 hours", "7506.00",
      lines=[L("Consulting", "45", "150", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "add 5 more hours", "7506.00",
      lines=[L("Consulting", "45", "150", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "add 2 hours to consulting", "7020.00",
      lines=[L("Consulting", "42", "150", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "remove 5 hours from consulting", "5886.00",
      lines=[L("Consulting", "35", "150", "hour", tax="8"), TRAVEL]),
    # prices
    E(ONE_LINE, "change the rate to $175", "7560.00",
      lines=[L("Consulting", "40", "175", "hour", tax="8")]),
    E(ONE_LINE, "$160/h instead", "6912.00", lines=[L("Consulting", "40", "160", "hour", tax="8")]),
    E(TWO_LINES, "change the consulting rate to $175", "7776.00",
      lines=[L("Consulting", "40", "175", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "consulting rate is $175/h", "7776.00",
      lines=[L("Consulting", "40", "175", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "raise the consulting rate to 175", "7776.00",
      lines=[L("Consulting", "40", "175", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "set travel to $250", "6750.00", lines=[CONSULTING, TRAVEL_250]),
    E(TWO_LINES, "travel should be $250", "6750.00", lines=[CONSULTING, TRAVEL_250]),
    E(TWO_LINES, "travel is $250", "6750.00", lines=[CONSULTING, TRAVEL_250]),
    E(TWO_LINES, "make travel $250", "6750.00", lines=[CONSULTING, TRAVEL_250]),
    E(TWO_LINES, "change the price of travel to $250", "6750.00", lines=[CONSULTING, TRAVEL_250]),
    E(TWO_LINES, "change the price of line 2 to $250", "6750.00", lines=[CONSULTING, TRAVEL_250]),
    # descriptions
    E(TWO_LINES, "rename line 2 to Travel expenses", "6696.00",
      lines=[CONSULTING, L("Travel expenses", "1", "200", tax="8")]),
    E(TWO_LINES, "rename travel to Flights", "6696.00",
      lines=[CONSULTING, L("Flights", "1", "200", tax="8")]),
    E(TWO_LINES, "change the description of line 2 to Flights", "6696.00",
      lines=[CONSULTING, L("Flights", "1", "200", tax="8")]),
    E(TWO_LINES, 'call the travel line "Flights"', "6696.00",
      lines=[CONSULTING, L("Flights", "1", "200", tax="8")]),
    E(TWO_LINES, "change travel to flights", "6696.00",
      lines=[CONSULTING, L("Flights", "1", "200", tax="8")]),
    # removing lines, by description or position (positions as the message was sent)
    E(TWO_LINES, "remove the travel line", "6480.00", lines=[CONSULTING]),
    E(TWO_LINES, "remove travel", "6480.00", lines=[CONSULTING]),
    E(TWO_LINES, "get rid of the travel line", "6480.00", lines=[CONSULTING]),
    E(TWO_LINES, "take off the travel line", "6480.00", lines=[CONSULTING]),
    E(TWO_LINES, "remove line 1", "216.00", lines=[TRAVEL]),
    E(TWO_LINES, "delete the last line", "6480.00", lines=[CONSULTING]),
    E(TWO_LINES, "drop the second item", "6480.00", lines=[CONSULTING]),
    E(THREE_UNTAXED, "remove line 1 and line 2", "50.00", lines=[L("Parking", "1", "50")]),
    E(THREE_UNTAXED, "remove lines 1 and 3", "200.00", lines=[L("Travel", "1", "200")]),
    E(THREE_UNTAXED, "remove lines 2-3", "6000.00", lines=[L("Consulting", "40", "150", "hour")]),
    E(THREE_UNTAXED, "remove the travel and parking lines", "6000.00",
      lines=[L("Consulting", "40", "150", "hour")]),
    E(THREE_UNTAXED, "delete the last two lines", "6000.00",
      lines=[L("Consulting", "40", "150", "hour")]),
    E(THREE_UNTAXED, "remove all lines", "0.00", lines=[]),
    E(THREE_UNTAXED, "remove line 3 and add hotel $120", "6320.00",
      lines=[*THREE_UNTAXED.items[:2], L("Hotel", "1", "120")]),
    # tax
    E(TWO_LINES, "set tax to 7%", "6634.00",
      lines=[L("Consulting", "40", "150", "hour", tax="7"), L("Travel", "1", "200", tax="7")]),
    E(TWO_LINES, "make the tax 7%", "6634.00",
      lines=[L("Consulting", "40", "150", "hour", tax="7"), L("Travel", "1", "200", tax="7")]),
    E(TWO_LINES, "change VAT to 21%", "7502.00",
      lines=[L("Consulting", "40", "150", "hour", tax="21"), L("Travel", "1", "200", tax="21")]),
    E(TWO_LINES, "no tax", "6200.00",
      lines=[L("Consulting", "40", "150", "hour"), L("Travel", "1", "200")]),
    E(TWO_LINES, "tax-exempt", "6200.00",
      lines=[L("Consulting", "40", "150", "hour"), L("Travel", "1", "200")]),
    E(TWO_LINES, "remove tax from travel", "6680.00", lines=[CONSULTING, L("Travel", "1", "200")]),
    E(THREE_UNTAXED, "8% tax on travel only", "6266.00",
      lines=[L("Consulting", "40", "150", "hour"), L("Travel", "1", "200", tax="8"),
             L("Parking", "1", "50")]),
    # discounts
    E(TWO_LINES, "10% discount", "6026.40", discount=("percent", "10")),
    E(TWO_LINES, "$200 off", "6480.00", discount=("amount", "200")),
    E(TWO_LINES, "give them 15% off", "5691.60", discount=("percent", "15")),
    E(TWO_LINES, "add a discount of 5%", "6361.20", discount=("percent", "5")),
    E(TWO_LINES, "10% off the total", "6026.40", discount=("percent", "10")),
    E(TWO_LINES, "apply a 10% early-payment discount", "6026.40", discount=("percent", "10")),
    E(TWO_LINES, "10% off the travel line", "6674.40",
      lines=[CONSULTING, L("Travel", "1", "200", tax="8", discount="10")]),
    E(DETAILED, "remove the discount", "6696.00", discount=None),
    E(DETAILED, "remove the discount and the notes", "6696.00", discount=None, notes=None),
    # currency (amounts are kept, not converted)
    E(TWO_LINES, "change currency to EUR", "6696.00", currency="EUR"),
    E(TWO_LINES, "make it euros", "6696.00", currency="EUR"),
    E(TWO_LINES, "switch to pounds", "6696.00", currency="GBP"),
    E(TWO_LINES, "currency: JPY", "6696", currency="JPY"),
    # the client
    E(TWO_LINES, "change client to Initech", "6696.00", buyer="Initech"),
    E(TWO_LINES, "bill Initech instead", "6696.00", buyer="Initech"),
    E(DETAILED, "client name is Acme Corporation", "6026.40",
      buyer=Party("Acme Corporation", email="ap@acme.com", address="1 Main St")),
    E(TWO_LINES, "client email is ap@acme.com", "6696.00", buyer=ACME_AP),
    E(TWO_LINES, "their email is ap@acme.com", "6696.00", buyer=ACME_AP),
    E(TWO_LINES, "send it to billing@acme.com", "6696.00",
      buyer=Party("Acme Corp", email="billing@acme.com")),
    E(TWO_LINES, "client phone is +1 555 0100", "6696.00",
      buyer=Party("Acme Corp", phone="+1 555 0100")),
    E(TWO_LINES, "client address: 1 Main St, Springfield, IL 62701", "6696.00",
      buyer=Party("Acme Corp", address="1 Main St, Springfield, IL 62701")),
    E(TWO_LINES, "client VAT number GB123456789", "6696.00",
      buyer=Party("Acme Corp", tax_id="GB123456789")),
    E(DETAILED, "remove the client's address", "6026.40", buyer=ACME_AP),
    # the seller: the person typing
    E(TWO_LINES, "my company is Pixel Studio", "6696.00", seller="Pixel Studio"),
    E(TWO_LINES, "from: Pixel Studio LLC", "6696.00", seller="Pixel Studio LLC"),
    E(TWO_LINES, "my name is Jane Doe", "6696.00", seller="Jane Doe"),
    E(DETAILED, "my company is Pixel Studio Ltd", "6026.40",
      seller=Party("Pixel Studio Ltd", email="hello@pixel.studio")),
    E(DETAILED, "my email is jane@pixel.studio", "6026.40",
      seller=Party("Pixel Studio", email="jane@pixel.studio")),
    E(DETAILED, "my address is 5 High St, London", "6026.40",
      seller=Party("Pixel Studio", email="hello@pixel.studio", address="5 High St, London")),
    E(DETAILED, "our VAT number is GB999999973", "6026.40",
      seller=Party("Pixel Studio", email="hello@pixel.studio", tax_id="GB999999973")),
    E(TWO_LINES, "I'm Jane Doe, my email is jane@doe.example", "6696.00",
      seller=Party("Jane Doe", email="jane@doe.example")),
    # dates, terms, notes
    E(TWO_LINES, "due in 45 days", "6696.00", due="2027-01-08"),
    E(TWO_LINES, "due next Friday", "6696.00", due="2026-12-04"),
    E(TWO_LINES, "remove the due date", "6696.00", due=None),
    E(TWO_LINES, "net 15", "6696.00", due="2026-12-09", terms="Net 15"),
    E(TWO_LINES, "terms: net 15", "6696.00", due="2026-12-09", terms="Net 15"),
    E(TWO_LINES, "payment terms: 50% upfront, rest later", "6696.00",
      terms="50% upfront, rest later"),
    E(TWO_LINES, "issue date 2026-11-20", "6696.00", issue="2026-11-20"),
    E(TWO_LINES, "dated yesterday", "6696.00", issue="2026-11-23"),
    E(DETAILED, "dated Nov 20", "6026.40", issue="2026-11-20", due="2026-12-20"),  # Net 30 moves
    E(TWO_LINES, "note: thanks for your business", "6696.00", notes="thanks for your business"),
    E(TWO_LINES, "add a note: PO 123", "6696.00", notes="PO 123"),
    E(DETAILED, "remove the notes", "6026.40", notes=None),
    E(DETAILED, "remove the payment terms", "6026.40", terms=None),
    # several edits in one message
    E(TWO_LINES, "add parking $50, remove travel and set tax to 10%", "6655.00",
      lines=[L("Consulting", "40", "150", "hour", tax="10"), L("Parking", "1", "50", tax="10")]),
    E(TWO_LINES, "remove line 2, 10% discount and due in 15 days", "5832.00",
      lines=[CONSULTING], discount=("percent", "10"), due="2026-12-09"),
    E(UNTAXED, "client is Initech, email ap@initech.com, 8% tax", "6480.00",
      buyer=Party("Initech", email="ap@initech.com"),
      lines=[L("Consulting", "40", "150", "hour", tax="8")]),
    E(TWO_LINES, "start over", "0.00", buyer=None, lines=[], due=None),
    # as people say it
    E(TWO_LINES, "give them a 10% discount on the consulting", "6048.00",
      lines=[L("Consulting", "40", "150", "hour", tax="8", discount="10"), TRAVEL]),
    E(TWO_LINES, "make the travel line tax free", "6680.00",
      lines=[CONSULTING, L("Travel", "1", "200")]),
    E(TWO_LINES, "apply 20% VAT to everything", "7440.00",
      lines=[L("Consulting", "40", "150", "hour", tax="20"), L("Travel", "1", "200", tax="20")]),
    E(TWO_LINES, "the hourly rate should be $160", "7128.00",
      lines=[L("Consulting", "40", "160", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "I worked 42 hours, not 40", "7020.00",
      lines=[L("Consulting", "42", "150", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "make the consulting 42 hours at $160", "7473.60",
      lines=[L("Consulting", "42", "160", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "set quantity of travel to 2", "6912.00",
      lines=[CONSULTING, L("Travel", "2", "200", tax="8")]),
    E(TWO_LINES, "update travel to $180 and add a $30 parking fee", "6706.80",
      lines=[CONSULTING, L("Travel", "1", "180", tax="8"), L("Parking fee", "1", "30", tax="8")]),
    E(TWO_LINES, "Add a line: Software license, 2 @ $49.99", "6803.98",
      lines=[CONSULTING, TRAVEL, L("Software license", "2", "49.99", tax="8")]),
    E(TWO_LINES, "charge them for 2 software licenses at $49.99 each", "6803.98",
      lines=[CONSULTING, TRAVEL, L("Software licenses", "2", "49.99", tax="8")]),
    E(TWO_LINES, "client email is ap@acme.com and their address is 1 Main St, Springfield",
      "6696.00", buyer=Party("Acme Corp", email="ap@acme.com", address="1 Main St, Springfield")),
    E(TWO_LINES, "client is ACME Corporation, 123 Main Street, Springfield, IL 62701", "6696.00",
      buyer=Party("ACME Corporation", address="123 Main Street, Springfield, IL 62701")),
    E(TWO_LINES, "can you change the client to Globex Inc.?", "6696.00", buyer="Globex Inc"),
    E(TWO_LINES, "change the due date to Dec 15", "6696.00", due="2026-12-15"),
    E(TWO_LINES, "move the due date to next Friday", "6696.00", due="2026-12-04"),
    E(TWO_LINES, "push the due date back a week", "6696.00", due="2026-12-31"),
    E(TWO_LINES, "payment due within 10 days", "6696.00", due="2026-12-04"),
    E(TWO_LINES, "invoice date is yesterday", "6696.00", issue="2026-11-23"),
    E(DETAILED, "add our PO number 4471 to the notes", "6026.40", notes="Thanks!\nPO number 4471"),
    # corrections: the value that was wrong names the line and what to change
    E(TWO_LINES, "no wait, it was 45 hours, not 40", "7506.00",
      lines=[L("Consulting", "45", "150", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "sorry the travel was 250 not 200", "6750.00", lines=[CONSULTING, TRAVEL_250]),
    E(TWO_LINES, "the rate is 160 not 150", "7128.00",
      lines=[L("Consulting", "40", "160", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "no, 45 hours", "7506.00",
      lines=[L("Consulting", "45", "150", "hour", tax="8"), TRAVEL]),
    E(TWO_LINES, "the travel was actually 250", "6750.00", lines=[CONSULTING, TRAVEL_250]),
    # a line named by what it counts, split, one fewer
    E(draft(buyer=ACME, lines=[L("Posters", "20", "4")]), "change the posters to 30", "120.00",
      lines=[L("Posters", "30", "4")]),
    E(draft(buyer=ACME, lines=[L("Leaflets", "500", "0.25")]), "make it 800 leaflets", "200.00",
      lines=[L("Leaflets", "800", "0.25")]),
    E(draft(buyer=ACME, lines=[L("Videos", "4", "900")]), "remove one video", "2700.00",
      lines=[L("Videos", "3", "900")]),
    E(draft(buyer=ACME, lines=[L("Rug repair", "2", "120")]), "one more rug actually, so 3",
      "360.00", lines=[L("Rug repair", "3", "120")]),
    E(draft(buyer=ACME, lines=[L("Guitar setup", "1", "90")]), "there were 4 guitars, so make it 4",
      "360.00", lines=[L("Guitar setup", "4", "90")]),
    E(UNTAXED, "split that into 30 hours of consulting and 10 hours of design", "6000.00",
      lines=[L("Consulting", "30", "150", "hour"), L("Design", "10", "150", "hour")]),
    E(UNTAXED, "split line 1 into 30 hours of consulting and 10 hours of design at $120/h",
      "5700.00",
      lines=[L("Consulting", "30", "150", "hour"), L("Design", "10", "120", "hour")]),
    E(THREE_UNTAXED, "travel 250", "6300.00",  # a line that is there: its price
      lines=[L("Consulting", "40", "150", "hour"), L("Travel", "1", "250"),
             L("Parking", "1", "50")]),
    # the client and the currency, as people say it
    E(DETAILED, "rename the client to Acme Holdings", "6026.40",
      buyer=Party("Acme Holdings", email="ap@acme.com", address="1 Main St")),
    E(TWO_LINES, "the client is actually Globex", "6696.00", buyer="Globex"),
    E(TWO_LINES, "move it to euros", "6696.00", currency="EUR"),
    # tax by line, exempt clients, discount reasons
    E(TWO_LINES, "the client is tax exempt", "6200.00",
      lines=[L("Consulting", "40", "150", "hour"), L("Travel", "1", "200")]),
    E(TWO_LINES, "travel is zero-rated, remove the VAT from it", "6680.00",
      lines=[CONSULTING, L("Travel", "1", "200")]),
    E(TWO_LINES, "take the tax off the travel, it's a pass-through cost", "6680.00",
      lines=[CONSULTING, L("Travel", "1", "200")]),
    E(UNTAXED, "10% off for being a repeat client", "5400.00", discount=("percent", "10")),
    E(UNTAXED, "minus $150 as a goodwill discount", "5850.00", discount=("amount", "150")),
    # the purchase order (BT-13) and the client's contact person (BT-56)
    E(TWO_LINES, "PO number 33019", "6696.00", purchase_order="33019"),
    E(DETAILED, "contact person is Dana Whitfield", "6026.40",
      buyer=Party("Acme Corp", email="ap@acme.com", address="1 Main St",
                  contact=Contact("Dana Whitfield"))),
]  # fmt: skip


@pytest.mark.parametrize(("start", "message", "expected", "total"), EDITS)
def test_edits_the_current_invoice(start, message, expected, total):
    check(ask(message, stored(start)), expected, total)


EDIT_REPLIES = [
    (UNTAXED, "add a $200 travel line", "Added Travel, 1 × $200.00. Total is now $6,200.00."),
    (ONE_LINE, "add a $200 travel line",
     "Added Travel, 1 × $200.00 with 8% tax. Total is now $6,696.00."),
    (TWO_LINES, "remove line 2", "Removed line 2 (Travel). Total is now $6,480.00."),
    (TWO_LINES, "no tax", "Removed tax from all lines. Total is now $6,200.00."),
    (ONE_LINE, "make it 45 hours",
     "Updated line 1: Consulting, 45 hours × $150.00. Total is now $7,290.00."),
    (TWO_LINES, "client email is ap@acme.com", "Client email: ap@acme.com."),
    (TWO_LINES, "net 15", "Payment terms: Net 15, due Wed 9 Dec 2026."),
    (TWO_LINES, "due next Friday", "Due Fri 4 Dec 2026."),
    (TWO_LINES, "10% discount", "Applied a 10% discount. Total is now $6,026.40."),
    (
        TWO_LINES,
        "change currency to EUR",
        "Changed the currency to EUR; the amounts were kept, not converted. "
        "Total is now €6,696.00.",
    ),
    (THREE_UNTAXED, "remove lines 1 and 2",
     "Removed line 1 (Consulting). Removed line 2 (Travel). Total is now $50.00."),
]  # fmt: skip


@pytest.mark.parametrize(("start", "message", "expected_reply"), EDIT_REPLIES)
def test_the_reply_says_what_changed(start, message, expected_reply):
    reply = ask(message, stored(start))

    assert reply.invoice is not None, reply.reply
    assert reply.reply == expected_reply
