"""The offline engine's corpus: creation phrasings, edits, currencies and dates.

Every case sends one message (or a conversation) and compares the whole returned draft with
the draft it should be — every field, so a stray due date or a wrong client shows up — then
prices it with the server's own arithmetic (load_draft + price_invoice) and checks the total,
so a wrong quantity, price, tax rate or discount shows up twice. "Today" is fixed at
2026-11-24, a Tuesday. Declines and multi-turn conversations are in test_offline_turns.py;
bench/offline_engine.py times every message of both files.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from core.invoice import Discount, InvoiceDraft, LineItem, Party, price_invoice
from core.providers.base import ChatMessage, ProviderReply, ProviderRequest
from core.providers.offline import OfflineProvider
from core.schemas import dump_invoice, invoice_draft_schema, load_draft

TODAY = date(2026, 11, 24)
COMPUTED_KEYS = {"number", "subtotal", "discount_total", "tax_total", "total", "tax_breakdown"}


# --- helpers ---------------------------------------------------------------------------------


def L(description, quantity, unit_price, unit=None, tax="0", discount="0") -> LineItem:  # noqa: N802
    """A line: L("Consulting", "40", "150", "hour", tax="8")."""
    return LineItem(
        description, Decimal(quantity), Decimal(unit_price), unit, Decimal(tax), Decimal(discount)
    )


def stored(draft: InvoiceDraft) -> dict[str, Any]:
    """An invoice as the session stores it: priced and dumped, computed fields included."""
    return dump_invoice(price_invoice(draft, "INV-0007", today=TODAY))


def total_of(data: dict[str, Any]) -> str:
    return format(price_invoice(load_draft(data), "INV-0001", today=TODAY).total, "f")


def facts(data: dict[str, Any]) -> dict[str, Any]:
    """A draft (or stored invoice) as the draft schema writes it: facts only."""
    return invoice_draft_schema.dump(load_draft(data))


def draft(base: InvoiceDraft | None = None, **changes: Any) -> InvoiceDraft:
    """`base` (a new invoice issued today by default) with `changes`, written shortly:
    buyer="Acme" or a Party, lines=[L(...)], due="2026-12-24", discount=("percent", "10"),
    terms=…, notes=…, currency=…, issue=…, seller=…."""
    base = base or InvoiceDraft(issue_date=TODAY)
    fields_: dict[str, Any] = {}
    for key, value in changes.items():
        if key in {"buyer", "seller"} and isinstance(value, str):
            value = Party(value)
        if key == "lines":
            key, value = "items", tuple(value)
        if key in {"due", "issue"}:
            key = {"due": "due_date", "issue": "issue_date"}[key]
            value = date.fromisoformat(value) if value else None
        if key == "terms":
            key = "payment_terms"
        if key == "discount" and value is not None:
            value = Discount(value[0], Decimal(value[1]))
        fields_[key] = value
    return replace(base, **fields_)


def ask(message: str, invoice: dict[str, Any] | None = None, **request: Any) -> ProviderReply:
    return OfflineProvider().respond(
        ProviderRequest(
            system_prompt="", history=(), message=message, invoice=invoice, today=TODAY, **request
        )
    )


@dataclass
class Conversation:
    """Turns as the worker runs them: the stored invoice, the one before its last change (for
    undo) and the history go with every message; a returned draft is priced and stored."""

    invoice: dict[str, Any] | None = None
    previous: dict[str, Any] | None = None
    history: list[ChatMessage] = field(default_factory=list)
    provider: Any = field(default_factory=OfflineProvider)

    def say(self, message: str) -> ProviderReply:
        reply = self.provider.respond(
            ProviderRequest(
                system_prompt="",
                history=tuple(self.history[-40:]),
                message=message,
                invoice=self.invoice,
                today=TODAY,
                previous_invoice=self.previous,
            )
        )
        if reply.invoice is not None:
            if self.invoice is not None:
                self.previous = self.invoice
            self.invoice = stored(load_draft(reply.invoice))
        self.history += [ChatMessage("user", message), ChatMessage("assistant", reply.reply)]
        return reply


def check(reply: ProviderReply, expected: InvoiceDraft, total: str) -> None:
    assert reply.invoice is not None, reply.reply
    assert not COMPUTED_KEYS & reply.invoice.keys()  # the server computes amounts
    assert facts(reply.invoice) == invoice_draft_schema.dump(expected), reply.reply
    assert total_of(reply.invoice) == total


# --- the invoices the edits start from -------------------------------------------------------

ACME = Party("Acme Corp")
CONSULTING = L("Consulting", "40", "150", "hour", tax="8")
TRAVEL = L("Travel", "1", "200", tax="8")
ONE_LINE = draft(buyer=ACME, lines=[CONSULTING])  # 6480.00
TWO_LINES = draft(buyer=ACME, lines=[CONSULTING, TRAVEL], due="2026-12-24")  # 6696.00
UNTAXED = draft(buyer=ACME, lines=[L("Consulting", "40", "150", "hour")])  # 6000.00
THREE_UNTAXED = draft(
    buyer=ACME,
    lines=[L("Consulting", "40", "150", "hour"), L("Travel", "1", "200"), L("Parking", "1", "50")],
)  # 6250.00
DETAILED = draft(
    TWO_LINES,
    buyer=Party("Acme Corp", email="ap@acme.com", address="1 Main St"),
    seller=Party("Pixel Studio", email="hello@pixel.studio"),
    discount=("percent", "10"),
    notes="Thanks!",
    terms="Net 30",
)  # 6026.40


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
        lines=[L("Dev", "12", "95", "hour", tax="7.5"), L("Qa", "3", "70", "hour", tax="7.5")],
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


# --- dates, relative to a fixed today (Tuesday 2026-11-24) -----------------------------------

DATES = [
    ("due in 30 days", "2026-12-24", None),
    ("due in two weeks", "2026-12-08", None),
    ("due in a week", "2026-12-01", None),
    ("due in 1 month", "2026-12-24", None),
    ("due next month", "2026-12-24", None),
    ("payable within 14 days", "2026-12-08", None),
    ("net 15", "2026-12-09", "Net 15"),
    ("Net-30", "2026-12-24", "Net 30"),
    ("30 day terms", "2026-12-24", "Net 30"),
    ("due on receipt", "2026-11-24", "Due on receipt"),
    ("due 2026-12-31", "2026-12-31", None),
    ("due December 31", "2026-12-31", None),
    ("due Dec 31st, 2026", "2026-12-31", None),
    ("due 31 December", "2026-12-31", None),
    ("due Jan 15", "2027-01-15", None),  # the nearest Jan 15 is next year's
    ("due 15/01/2027", "2027-01-15", None),
    ("due 12/31", "2026-12-31", None),
    ("due 31.12.2026", "2026-12-31", None),
    ("due tomorrow", "2026-11-25", None),
    ("due Friday", "2026-11-27", None),
    ("due this Friday", "2026-11-27", None),
    ("due next Friday", "2026-12-04", None),  # Friday of next week
    ("due next Tuesday", "2026-12-01", None),
    ("due Monday next week", "2026-11-30", None),
    ("due by the end of the month", "2026-11-30", None),
    ("due end of next month", "2026-12-31", None),
    ("due the 15th", "2026-12-15", None),
    ("payment deadline: Dec 1", "2026-12-01", None),
]


@pytest.mark.parametrize(("phrase", "due_date", "terms"), DATES)
def test_due_dates(phrase, due_date, terms):
    reply = ask(f"Invoice Acme for consulting $500, {phrase}")

    expected = draft(buyer="Acme", lines=[L("Consulting", "1", "500")], due=due_date, terms=terms)
    check(reply, expected, "500.00")


def test_an_issue_date_moves_a_net_terms_due_date():
    invoice = ask("Invoice Acme for consulting $500, net 30").invoice
    assert invoice is not None
    reply = ask("dated 2026-12-01", stored(load_draft(invoice)))

    expected = draft(
        buyer="Acme",
        lines=[L("Consulting", "1", "500")],
        issue="2026-12-01",
        due="2026-12-31",
        terms="Net 30",
    )
    check(reply, expected, "500.00")


def test_a_fixed_due_date_replaces_net_terms():
    reply = ask("due Dec 31", stored(DETAILED))

    check(reply, draft(DETAILED, due="2026-12-31", terms=None), "6026.40")
