"""Helpers for the offline engine's tests: lines and drafts written shortly, one-message and
multi-turn runs as the worker makes them, and the invoices edits start from.

Every check compares the whole returned draft with the expected one — every field, so a stray
due date or a wrong client shows up — then prices it with the server's own arithmetic
(load_draft + price_invoice) and checks the total, so a wrong quantity, price, tax rate or
discount shows up twice. "Today" is fixed at 2026-11-24, a Tuesday.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

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
