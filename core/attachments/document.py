"""What reading one attached file gives: an `ExtractedDocument`.

One shape for every kind of file, so a provider (or the offline engine) needs no branch per
type. Which parts are filled depends on the file:

    part        CSV / XLSX        PDF with text     scan / photo (OCR)   e-invoice (XML, Factur-X)
    text        the table         the text layer    the OCR text         a summary of the invoice
    table       rows + columns    -                 -                    -
    lines       one per row       items found       items found          -  (see einvoice.draft)
    totals      stated total row  subtotal/tax/…    subtotal/tax/…       -  (see einvoice.stated)
    facts       currency          number, date, …   number, date, …      number, date, currency
    images      -                 pages (asked for) the image (asked)    pages (asked for)
    einvoice    -                 Factur-X inside   -                    the exact draft

Everything here is data for the caller to judge: `warnings` says, in words a person can read,
what was unsure, repaired or left out, and names the file only as "attachment N" (never by its
file name, which is user-controlled text). Amounts are Decimal; `to_dict` gives JSON-ready
values (decimal strings, ISO dates) without the image bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from core.attachments.kinds import AttachmentKind


class Source(StrEnum):
    """Where the text and facts of a document came from."""

    TABLE = "table"  # a CSV or a sheet, read cell by cell
    TEXT_LAYER = "text_layer"  # the text a PDF carries
    OCR = "ocr"  # Tesseract read the pixels (an image, or PDF pages without text)
    EINVOICE = "einvoice"  # structured XML (UBL, CII, or the CII inside a Factur-X PDF)
    IMAGES = "images"  # not read here: the pixels are for a vision model (ocr=False)


class ColumnRole(StrEnum):
    """What a column of a table holds, recognised from its header."""

    DATE = "date"
    DESCRIPTION = "description"
    QUANTITY = "quantity"  # hours on a timesheet
    UNIT = "unit"
    UNIT_PRICE = "unit_price"  # a rate on a timesheet
    AMOUNT = "amount"
    TAX_RATE = "tax_rate"


@dataclass(frozen=True)
class Column:
    """One column of a table: its position, its header as written, and what it holds."""

    index: int
    header: str
    role: ColumnRole | None = None


CellValue = str | Decimal | date | None


@dataclass(frozen=True)
class Table:
    """The rows of a CSV or a sheet below the detected header row, cells as read."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[CellValue, ...], ...]
    header_row: int  # 1-based row number of the header in the file (0: no header found)
    decimal_comma: bool  # numbers are written 1.234,50
    encoding: str | None = None  # CSV only: utf-8, utf-8-sig, utf-16, cp1252, latin-1
    delimiter: str | None = None  # CSV only

    def column(self, role: ColumnRole) -> Column | None:
        return next((c for c in self.columns if c.role == role), None)


@dataclass(frozen=True)
class ExtractedLine:
    """One billable line as the document states it; None where the document does not say.

    `source_ref` points back into the document ("row 7", "line 12") for questions about it;
    `note` says what was unsure or repaired on this line.
    """

    description: str
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    amount: Decimal | None = None
    day: date | None = None
    tax_rate: Decimal | None = None
    source_ref: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Totals:
    """The sums the document states. `tax_included`: line prices already contain the tax."""

    subtotal: Decimal | None = None
    tax_total: Decimal | None = None
    total: Decimal | None = None
    tax_rate: Decimal | None = None
    tax_included: bool = False
    quantity: Decimal | None = None  # a timesheet's total hours, when stated
    consistent: bool | None = None  # the lines add up to these (None: nothing to check)


DocumentType = Literal[
    "receipt", "purchase_order", "invoice", "credit_note", "timesheet", "table", "unknown"
]


@dataclass(frozen=True)
class DocumentFacts:
    """Header facts found in the document (None when not found)."""

    document_type: DocumentType = "unknown"
    issuer: str | None = None  # the shop on a receipt, the buyer on a purchase order
    counterparty: str | None = None  # the vendor a purchase order is addressed to
    number: str | None = None
    issued: date | None = None
    currency: str | None = None


@dataclass(frozen=True)
class PageImage:
    """A picture for a vision model: the uploaded image, or one rendered PDF page."""

    data: bytes = field(repr=False)
    format: Literal["png", "jpeg", "webp"]
    width: int
    height: int
    page: int = 1


@dataclass(frozen=True)
class EinvoiceImport:
    """An e-invoice read exactly: the InvoiceDraft JSON `core.schemas.load_draft` accepts.

    `stated` holds the document's own totals (decimal strings keyed subtotal, discount_total,
    charge_total, tax_exclusive, tax_total, total, prepaid, amount_due); `priced` the same
    figures as our core computes them from `draft`, so a caller can show both when they
    differ. `valid` is False when the EN 16931 business rules (Schematron) found errors;
    `problems` lists them in words. A file that breaks the XML Schema is not read at all
    (EinvoiceInvalid).
    """

    syntax: Literal["ubl", "cii"]
    document: Literal["invoice", "credit_note"]
    container: Literal["xml", "facturx"]
    draft: dict[str, Any]
    number: str | None
    type_code: str | None
    stated: dict[str, str]
    priced: dict[str, str]
    valid: bool
    problems: tuple[str, ...] = ()

    @property
    def totals_match(self) -> bool:
        keys = ("tax_exclusive", "tax_total", "total", "amount_due")
        return all(self.stated.get(k) == self.priced.get(k) for k in keys if k in self.stated)


@dataclass(frozen=True)
class ExtractedDocument:
    """Everything read from one attached file (see the module docstring for which parts)."""

    attachment: int  # 1-based position among the message's files: "attachment 1"
    kind: AttachmentKind
    source: Source
    text: str = ""
    pages: int = 1  # pages in the file (1 for images and tables)
    pages_read: int = 1
    table: Table | None = None
    lines: tuple[ExtractedLine, ...] = ()
    totals: Totals | None = None
    facts: DocumentFacts = field(default_factory=DocumentFacts)
    images: tuple[PageImage, ...] = ()
    einvoice: EinvoiceImport | None = None
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """How to refer to this file in any text: never its file name."""
        return f"attachment {self.attachment}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: Decimal as text, dates ISO, enums as values; image bytes left out."""
        return _jsonable(self)


def _jsonable(value: Any) -> Any:
    if isinstance(value, PageImage):
        return {
            "format": value.format,
            "width": value.width,
            "height": value.height,
            "page": value.page,
        }
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
