"""What every export takes: an `Invoice`, or the JSON `InvoiceSchema` made of one.

Exports read the invoice as that JSON — the same text Redis stores and the API returns — so
an exported amount is, character for character, the amount the core computed. Nothing here
prices an invoice again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.invoice import Invoice
from core.schemas import dump_invoice
from core.text import visible_text

InvoiceInput = Invoice | Mapping[str, Any]

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
# Characters XML 1.0 cannot carry (C0 controls but tab and newlines, U+FFFE, U+FFFF): no
# document shows them, so every export drops them from user and LLM text.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def as_json(invoice: InvoiceInput) -> dict[str, Any]:
    """The invoice as `InvoiceSchema` JSON: an `Invoice` is dumped, a mapping is used as is."""
    if isinstance(invoice, Invoice):
        return dump_invoice(invoice)
    return dict(invoice)


def filename(invoice: InvoiceInput, extension: str) -> str:
    """'INV-0001' + '.pdf' -> 'INV-0001.pdf'; anything odd in the number becomes '-'."""
    number = as_json(invoice).get("number") or "invoice"
    stem = _UNSAFE_FILENAME.sub("-", str(number)).strip("-.") or "invoice"
    return f"{stem}{extension}"


def xml_text(value: Any) -> str:
    """`value` as text that XML can carry and a reader sees as it is: control characters,
    bidi overrides and zero-width spaces dropped ('Acme\\x01 Corp' -> 'Acme Corp')."""
    return visible_text(_NOT_XML.sub("", str(value)))
