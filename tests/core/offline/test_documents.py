"""The offline engine with attached files (core/providers/offline/documents.py): the files are
read here as the worker reads them (read_attachment, OCR included), then one turn is answered."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.attachments import DEFAULT_LIMITS, read_attachment
from core.invoice import price_invoice
from core.providers.base import ProviderRequest
from core.providers.offline import OfflineProvider
from core.schemas import load_draft
from tests.support.documents import (
    document_png,
    einvoices,
    printed_document,
    timesheet,
    timesheet_xlsx,
)

TODAY = date(2026, 12, 4)
HOURS = b"Date,Task,Hours\n2026-11-02,Design,2\n2026-11-03,Review,1.5\n"


def answer(message: str, *files: bytes, invoice: dict | None = None):
    documents = tuple(
        read_attachment(data, attachment=n, limits=DEFAULT_LIMITS)
        for n, data in enumerate(files, start=1)
    )
    request = ProviderRequest("", (), message, invoice, TODAY, attachments=documents)
    reply = OfflineProvider().respond(request)
    priced = price_invoice(load_draft(reply.invoice), "", today=TODAY) if reply.invoice else None
    return reply, priced


def test_every_row_of_a_timesheet_is_billed_as_stated():
    sheet = timesheet(7)

    reply, invoice = answer(
        "Bill Acme Corp for everything on this timesheet", timesheet_xlsx(sheet)
    )

    assert invoice.total == sheet.total and invoice.buyer.name == "Acme Corp"
    assert [(i.quantity, i.unit_price) for i in invoice.items] == [
        (r.hours, r.rate) for r in sheet.rows
    ]
    assert reply.reply.startswith("Read attachment 1 (Excel workbook, timesheet)")
    assert "not understand" not in reply.reply


def test_the_messages_hourly_rate_prices_the_hours():
    reply, invoice = answer("Invoice Acme Corp for this at 80 EUR per hour, 19% tax", HOURS)

    assert invoice.currency == "EUR"
    assert [(i.description, i.quantity, i.unit_price) for i in invoice.items] == [
        ("Design (2026-11-02)", Decimal(2), Decimal(80)),
        ("Review (2026-11-03)", Decimal("1.5"), Decimal(80)),
    ]
    assert invoice.total == Decimal("333.20")  # 3.5 h × 80 = 280, + 19 %
    assert "hours at €80.00" in reply.reply


def test_lines_nothing_prices_are_a_question_and_change_nothing():
    current = {
        "buyer": {"name": "Acme"},
        "items": [{"description": "X", "quantity": "1", "unit_price": "5"}],
    }

    reply, invoice = answer("Add these hours", HOURS, invoice=current)

    assert invoice is None
    assert "2 have no price" in reply.reply and "at $95/h" in reply.reply
    assert reply.reply.endswith("The invoice is unchanged.")


def test_a_receipts_tax_on_top_and_tax_included():
    for seed in (3, 4):  # 20 % on top; 19 % included (a German till receipt)
        document = printed_document(seed)

        reply, invoice = answer("Invoice Globex Ltd for this receipt", document_png(document))

        assert invoice.total == document.total, (seed, reply.reply)
        if document.tax_included:
            assert invoice.tax_total == 0 and "include 19% tax" in reply.reply


def test_an_e_invoice_is_imported_exactly_and_the_message_applies_on_top():
    exported = einvoices(facturx=False)

    reply, invoice = answer("Import this invoice", exported.cii)

    assert invoice.total == exported.invoice.total
    assert [i.description for i in invoice.items] == [i.description for i in exported.invoice.items]
    assert "CII e-invoice" in reply.reply and "exactly" in reply.reply


def test_a_file_with_nothing_to_bill_is_said_and_the_message_answered_alone():
    from PIL import Image

    from tests.support.documents import png_bytes

    blank = png_bytes(Image.new("RGB", (800, 600), "white"))

    reply, invoice = answer("Invoice Acme Corp for 2 hours of design at $100/h", blank)

    assert "found no lines to bill" in reply.reply
    assert invoice.total == Decimal("200.00")
