"""Attached files in the offline engine: what the worker read from them becomes invoice facts.

The worker reads each file before the provider runs (core/turns.py: tables deterministically,
PDF text layers, OCR for images and scans, e-invoices exactly) and hands over
`ExtractedDocument`s; no file name is among them. Here, with no model:

- an **e-invoice** (UBL, CII, Factur-X) becomes the draft exactly as read (the first one when
  several are attached); what the message says on top ("bill it to Acme GmbH", "8% tax") is
  applied to it; its business-rule problems and totals that differ are said in the reply;
- the **lines** of tables, receipts, purchase orders and PDFs become invoice lines: quantity,
  unit and unit price as the document states them; a rate in the message ("at $95/h") prices
  lines counted in hours (and any line without a price); a line with neither is a question;
- the message's own changes (client, tax, due date, discount, more lines) go through the
  engine as for any message; the parts that only point at the files ("everything on this
  timesheet") are not reported as not understood;
- what was unsure in a file (its warnings, a line that does not add up, totals the lines do
  not reach) is said after the result, as "Please check".

A file that gives neither lines nor an e-invoice is said, and the message is answered as usual.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from marshmallow import ValidationError

from core.invoice import InvoiceDraft, InvoiceRuleError, price_invoice
from core.providers.base import ProviderReply, ProviderRequest
from core.providers.offline.amounts import Money, find_price
from core.providers.offline.changes import AddLine, Context, Question, apply_changes
from core.providers.offline.message import read_message
from core.providers.offline.reply_text import format_money
from core.schemas import invoice_draft_schema, load_draft

if TYPE_CHECKING:
    from core.attachments import ExtractedDocument, ExtractedLine

HOUR_UNITS = {"h", "hr", "hrs", "hour", "hours", "std", "stunde", "stunden"}
# parts of a message that only point at the files: not "not understood"
_POINTING = re.compile(
    r"\b(?:attach\w*|timesheet\w*|sheet|spreadsheet|table|file|files|document\w*|receipt\w*"
    r"|pdf|csv|xlsx|scan\w*|photo\w*|image\w*|picture\w*|invoice|e-?invoice|order|po|items?"
    r"|lines?|rows?|everything|all|these|this|it|them|import|re-?bill|supplier\w*|stundenzettel"
    r"|beleg\w*|rechnung\w*|anhang)\b",
    re.I,
)
MAX_CHECKS = 8  # warnings quoted in one reply; the rest are counted


def respond_to_documents(
    request: ProviderRequest,
    current: InvoiceDraft | None,
    fallback: Callable[[ProviderRequest], ProviderReply],
) -> ProviderReply:
    """Answer a turn that came with files. `fallback` answers the message alone (used when
    the files give nothing to bill)."""
    documents = request.attachments
    einvoices = [d for d in documents if d.einvoice is not None]
    if einvoices:
        return _from_einvoice(request, einvoices[0], documents)
    billable = [d for d in documents if d.lines]
    if not billable:
        found = "; ".join(_nothing_found(d) for d in documents)
        answer = fallback(request)
        return ProviderReply(f"{found} {answer.reply}".strip(), answer.invoice, answer.usage)
    return _from_lines(request, current, billable, documents)


# --- e-invoices -------------------------------------------------------------------------------


def _from_einvoice(
    request: ProviderRequest, document: ExtractedDocument, documents: Sequence[ExtractedDocument]
) -> ProviderReply:
    imported = document.einvoice
    try:
        draft = load_draft(imported.draft)
    except ValidationError as error:
        fields = ", ".join(sorted(error.messages)) if isinstance(error.messages, dict) else ""
        return ProviderReply(
            f"I read {document.name}, an e-invoice, but its content does not fit an invoice "
            f"here ({fields or 'invalid fields'}), so nothing was changed.",
            None,
        )
    what = _einvoice_label(document)
    parts = [f"Imported {document.name}, {what}, exactly as it is"]
    reading = read_message(request.message, request.today, current=draft)
    messages: list[str] = []
    if reading.changes and not reading.questions:
        try:
            draft, messages = apply_changes(
                draft, list(reading.changes), Context(request.today, creating=False)
            )
        except Question as question:
            messages = [f"I did not apply the rest of your message: {question}"]
    try:
        priced = price_invoice(draft, "DRAFT", today=request.today)
    except InvoiceRuleError as error:
        return ProviderReply(
            f"I read {document.name}, {what}, but it breaks a rule: {error.message} Nothing "
            "was changed.",
            None,
        )
    count = len(draft.items)
    parts[0] += f": {count} line{'s' if count != 1 else ''}"
    if draft.buyer:
        parts[0] += f" to {draft.buyer.company or draft.buyer.name}"
    parts[0] += f", total {format_money(priced.total, draft.currency)}."
    parts += messages
    checks = []
    if not imported.valid:
        checks.append("it does not meet every EN 16931 rule")
    if not imported.totals_match:
        stated = imported.stated.get("total")
        checks.append(f"the document states a total of {stated}; ours is computed from its lines")
    checks += list(imported.problems)
    checks += _warnings(documents)
    others = len(
        [d for d in documents if d.einvoice is not None and d.attachment != document.attachment]
    )
    if others:
        checks.append(f"{others} more e-invoice(s) attached; only {document.name} was imported")
    return ProviderReply(_with_checks(" ".join(parts), checks), invoice_draft_schema.dump(draft))


def _einvoice_label(document: ExtractedDocument) -> str:
    imported = document.einvoice
    kind = "credit note" if imported.document == "credit_note" else "invoice"
    container = "Factur-X PDF" if imported.container == "facturx" else imported.syntax.upper()
    label = f"a {container} e-{kind}"
    if imported.number:
        label += f" numbered {_quoted(imported.number)}"
    return label


# --- lines from tables, receipts, orders ------------------------------------------------------


def _from_lines(
    request: ProviderRequest,
    current: InvoiceDraft | None,
    billable: Sequence[ExtractedDocument],
    documents: Sequence[ExtractedDocument],
) -> ProviderReply:
    rate = find_price(request.message)
    hourly = rate if rate is not None and (rate.per or rate.unit) else None
    lines: list[AddLine] = []
    unpriced: list[str] = []
    for document in billable:
        currency = document.facts.currency
        totals = document.totals
        gross = bool(totals and totals.tax_included)  # prices with the tax in: billed as is
        tax_rate = totals.tax_rate if totals and not gross else None
        for line in document.lines:
            if gross:
                line = replace(line, tax_rate=None)
            added = _line(line, currency, hourly, tax_rate)
            if added is None:
                unpriced.append(f"{document.name}, {line.source_ref or line.description}")
            else:
                lines.append(added)
    if unpriced:
        shown = "; ".join(unpriced[:5]) + (
            f" and {len(unpriced) - 5} more" if len(unpriced) > 5 else ""
        )
        return ProviderReply(
            f"I read {len(lines) + len(unpriced)} lines from the attached files, but "
            f"{len(unpriced)} have no price ({shown}). Send the files again with the rate, "
            "for example “bill everything at $95/h”."
            + (" The invoice is unchanged." if current is not None else ""),
            None,
        )
    reading = read_message(request.message, request.today, current=current)
    changes = [
        c
        for c in reading.changes
        if not (hourly and isinstance(c, AddLine) and _is_rate(c, hourly))
    ]
    creating = current is None
    try:
        draft, messages = apply_changes(
            current, [*changes, *lines], Context(request.today, creating=creating)
        )
        data = invoice_draft_schema.dump(draft)
        priced = price_invoice(load_draft(data), "DRAFT", today=request.today)
    except Question as question:
        return ProviderReply(f"{question}" + _unchanged(current), None)
    except (ValidationError, InvoiceRuleError):
        return ProviderReply(
            "The lines read from the attached files do not make a valid invoice (a description, "
            "quantity or price out of range), so nothing was changed." + _unchanged(current),
            None,
        )
    read = "; ".join(_read_summary(d) for d in billable)
    verb = "Created an invoice" if creating else "Added them to the invoice"
    if creating and draft.buyer:
        verb += f" for {draft.buyer.name}"
    parts = [f"Read {read}.", f"{verb} with {len(lines)} line{'s' if len(lines) != 1 else ''}"]
    if hourly is not None:
        parts[-1] += f", hours at {format_money(hourly.money.amount, draft.currency)}"
    parts[-1] += "."
    parts += [m for m in messages if not m.startswith("Added ")]
    parts.append(f"Total: {format_money(priced.total, draft.currency)}.")
    if creating and draft.buyer is None:
        parts.append("Who should I bill? Tell me the client, e.g. “client: Acme Corp”.")
    not_understood = [f for f in reading.not_understood if not _POINTING.search(f)]
    if not_understood:
        parts.append("I did not understand: " + "; ".join(f"“{f}”" for f in not_understood) + ".")
    without = [d for d in documents if not d.lines and d.einvoice is None]
    parts += [_nothing_found(d) for d in without]
    checks = _warnings(billable)
    for document in billable:
        totals = document.totals
        if totals is not None and totals.tax_included and totals.tax_rate:
            checks.append(
                f"the prices on {document.name} include {totals.tax_rate}% tax; they are billed "
                "as they are, with no tax on top"
            )
        if document.totals is not None and document.totals.consistent is False:
            checks.append(f"the lines of {document.name} do not add up to its stated totals")
        checks += [
            f"{document.name}, {line.source_ref or line.description}: {line.note}"
            for line in document.lines
            if line.note
        ]
    return ProviderReply(_with_checks(" ".join(parts), checks), data)


def _line(
    line: ExtractedLine, currency: str | None, hourly, tax_rate: Decimal | None
) -> AddLine | None:
    """An invoice line for `line` (taxed at its own rate, else the document's tax on top),
    or None when nothing gives its price."""
    quantity = line.quantity if line.quantity is not None and line.quantity > 0 else Decimal(1)
    unit = line.unit
    in_hours = (unit or "").lower().rstrip(".") in HOUR_UNITS
    if hourly is not None and (in_hours or line.unit_price is None):
        price = hourly.money
        unit = unit or hourly.unit
    elif line.unit_price is not None:
        price = Money(line.unit_price, currency)
    elif line.amount is not None and quantity == 1:
        price = Money(line.amount, currency)
    elif line.amount is not None and (line.amount / quantity).as_tuple().exponent >= -4:
        price = Money(line.amount / quantity, currency)
    else:
        return None
    description = line.description
    if line.day is not None:
        description = f"{description} ({line.day.isoformat()})"
    rate = line.tax_rate if line.tax_rate is not None else tax_rate
    return AddLine(description, quantity, unit, price, rate)


def _is_rate(change: AddLine, hourly) -> bool:
    """The message's "at $95/h" read as a line of its own ("95 hours"?): it is the rate."""
    return change.price == hourly.money


def _read_summary(document: ExtractedDocument) -> str:
    kind = document.kind.label
    what = document.facts.document_type
    if what in ("unknown", "table"):
        what = ""
    count = len(document.lines)
    summary = f"{document.name} ({kind}{', ' + what.replace('_', ' ') if what else ''}): "
    summary += f"{count} line{'s' if count != 1 else ''}"
    if document.totals and document.totals.quantity is not None:
        summary += f", {document.totals.quantity} hours"
    return summary


def _nothing_found(document: ExtractedDocument) -> str:
    how = {"ocr": " by OCR", "text_layer": " from its text"}.get(document.source.value, "")
    return f"I read {document.name} ({document.kind.label}){how} but found no lines to bill in it."


def _warnings(documents: Sequence[ExtractedDocument]) -> list[str]:
    return [f"{d.name}: {w}" for d in documents for w in d.warnings]


def _with_checks(reply: str, checks: list[str]) -> str:
    if not checks:
        return reply
    shown = checks[:MAX_CHECKS]
    more = len(checks) - len(shown)
    text = " Please check: " + "; ".join(c.rstrip(".") for c in shown)
    if more:
        text += f"; and {more} more"
    return reply + text + "."


def _unchanged(current: InvoiceDraft | None) -> str:
    return " The invoice is unchanged." if current is not None else ""


def _quoted(text: str) -> str:
    return "“" + text[:60] + "”"
