"""Sample invoices for the export tests and the benchmark (bench/exports.py), and for trying the
exports out by hand:
`render_pdf(sample_invoice(lines=60))` is a three-page invoice.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from core.invoice import Discount, Invoice, InvoiceDraft, LineItem, Party, price_invoice

SELLER = Party(
    name="Ingrid Sørensen",
    company="Nordlys Studio ApS",
    email="billing@nordlys.example",
    phone="+45 33 12 34 56",
    address="Vesterbrogade 12, 1620 København V, Denmark",
    tax_id="DK13585628",
)
BUYER = Party(
    name="Jean Dupont",
    company="Acme Corp SAS",
    email="ap@acme.example",
    address="12 Rue de la Paix\n75002 Paris\nFrance",
    tax_id="FR40303265045",
)
FIVE_PERCENT = Discount("percent", Decimal("5"))
_SERVICES = (
    ("Discovery workshop", "1", "day", "1200.00"),
    ("Consulting — architecture review", "40", "hours", "150.00"),
    ("Design system: components & tokens", "12.5", "hours", "135.00"),
    ("Cloud hosting (monthly)", "3", "months", "89.90"),
    ("Travel: Copenhagen → Paris", "1", None, "245.60"),
    ("Licence, per seat", "25", "units", "19.99"),
)


def sample_draft(
    lines: int = 6,
    *,
    currency: str = "EUR",
    seller: Party | None = SELLER,
    buyer: Party | None = BUYER,
    discount: Discount | None = FIVE_PERCENT,
    issue_date: date = date(2026, 3, 2),
) -> InvoiceDraft:
    """A realistic draft with `lines` items cycling through a few services and two tax rates."""
    items = []
    for i in range(lines):
        description, quantity, unit, price = _SERVICES[i % len(_SERVICES)]
        if i >= len(_SERVICES):
            description = f"{description} (phase {i // len(_SERVICES) + 1})"
        items.append(
            LineItem(
                description=description,
                quantity=Decimal(quantity),
                unit=unit,
                unit_price=Decimal(price),
                tax_rate=Decimal("25") if i % 4 else Decimal("0"),
                discount_percent=Decimal("10") if i % 5 == 3 else Decimal(0),
            )
        )
    return InvoiceDraft(
        currency=currency,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=30),
        seller=seller,
        buyer=buyer,
        items=tuple(items),
        discount=discount,
        notes="Thank you for your business.\nQuestions? Write to billing@nordlys.example.",
        payment_terms="Bank transfer within 30 days to IBAN DK50 0040 0440 1162 43.",
    )


def sample_invoice(lines: int = 6, *, number: str = "INV-0042", **draft_options) -> Invoice:
    """`sample_draft`, priced by the core."""
    draft = sample_draft(lines, **draft_options)
    return price_invoice(draft, number, today=draft.issue_date or date(2026, 3, 2))
