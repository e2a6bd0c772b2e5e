"""Attachments made by the tests themselves, from known data, so every expected value is exact.

Nothing is downloaded: images are drawn with Pillow in the DejaVu fonts Debian installs
(`fonts-dejavu-core`), PDFs are made from those images (scans, no text layer) or typeset by
Typst (a text layer), spreadsheets are written by openpyxl, e-invoices by our own export,
and the hostile files are built byte by byte.

    printed_document(seed)        a receipt or a purchase order: the truth (PrintedDocument)
    document_png(doc, noisy=…)    that document drawn as an image (noisy: rotated 2°, noise, blur)
    scanned_pdf(png)              an image-only PDF, as a scanner makes it
    text_pdf(doc)                 the same facts typeset by Typst, with a text layer
    timesheet(seed)               a timesheet: the truth (Timesheet)
    timesheet_csv / _xlsx         that timesheet written as CSV (any encoding, delimiter) or XLSX
    hostile files                 executable(), zip_bomb(), huge_png(), pdf_with_javascript(), …
"""

from __future__ import annotations

import csv
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "mono": "DejaVuSansMono.ttf",
    "mono-bold": "DejaVuSansMono-Bold.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif-bold": "DejaVuSerif-Bold.ttf",
}
CENT = Decimal("0.01")

Language = Literal["en", "de"]


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def written(value: Decimal, decimal_comma: bool, *, grouping: bool = True) -> str:
    """1234.5 -> '1,234.50' or '1.234,50' (the way the document prints amounts)."""
    text = f"{money(value):,.2f}" if grouping else f"{money(value):.2f}"
    if decimal_comma:
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def written_quantity(value: Decimal, decimal_comma: bool) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",") if decimal_comma else text


# --- receipts and purchase orders ----------------------------------------------------------


@dataclass(frozen=True)
class PrintedLine:
    """One line as printed: quantity × unit price = amount."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PrintedDocument:
    """What a receipt or purchase order says; the reader must find exactly this."""

    kind: Literal["receipt", "purchase_order"]
    language: Language
    issuer: str  # the shop (receipt) or the buyer who orders (purchase order)
    number: str
    issued: date
    currency: str
    decimal_comma: bool
    lines: tuple[PrintedLine, ...]
    tax_rate: Decimal
    tax_included: bool  # the line prices include the tax (a German till receipt)
    vendor: str | None = None  # the supplier a purchase order is addressed to
    font: str = "sans"

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def tax(self) -> Decimal:
        if self.tax_included:
            return money(self.subtotal * self.tax_rate / (100 + self.tax_rate))
        return money(self.subtotal * self.tax_rate / 100)

    @property
    def total(self) -> Decimal:
        return self.subtotal if self.tax_included else self.subtotal + self.tax


_SHOPS = {
    "en": ["Corner Hardware", "Blue Bottle Café", "Office Supply Co.", "Green Grocer"],
    "de": ["Bäckerei Müller", "Baumarkt Schröder", "Bürobedarf Weiß", "Café Übersee"],
}
_BUYERS = {
    "en": ["Acme Corp", "Globex Ltd", "Initech Inc.", "Wayne Enterprises"],
    "de": ["Müller & Söhne GmbH", "Nordwind AG", "Stadtwerke Jülich", "Weber Logistik KG"],
}
_VENDORS = {
    "en": ["Pixel Studio", "Bright Consulting LLC", "Northwind Traders"],
    "de": ["Grafikbüro Schäfer", "Technik Köhler GmbH", "Druckerei Ziegler"],
}
_ITEMS = {
    "en": [
        ("Coffee beans 1kg", "18.50"),
        ("Printer paper A4", "6.99"),
        ("Screws M4 (100 pcs)", "4.25"),
        ("Cable ties", "3.10"),
        ("Whiteboard markers", "7.80"),
        ("LED desk lamp", "34.90"),
        ("Sandwich", "5.40"),
        ("Consulting hours", "150.00"),
        ("Logo design", "800.00"),
        ("Server rack shelf", "129.00"),
        ("USB-C charger", "24.95"),
        ("Notebook, ruled", "2.49"),
    ],
    "de": [
        ("Brötchen", "0.45"),
        ("Kaffee groß", "3.20"),
        ("Schrauben M4 (100 Stk.)", "4.25"),
        ("Kabelbinder", "3.10"),
        ("Druckerpapier A4", "6.99"),
        ("Schreibtischlampe", "34.90"),
        ("Beratung (Stunden)", "120.00"),
        ("Wartung Heizung", "89.00"),
        ("Dübel 8 mm", "2.79"),
        ("Ordner breit", "3.49"),
        ("Tonerkartusche", "64.00"),
        ("Äpfel 1kg", "2.99"),
    ],
}
_CURRENCIES = {"en": ["USD", "GBP", "EUR"], "de": ["EUR", "CHF"]}
_RATES = {"en": ["0", "5", "8", "20"], "de": ["7", "19"]}


def printed_document(
    seed: int, kind: Literal["receipt", "purchase_order"] | None = None
) -> PrintedDocument:
    """A varied receipt or purchase order, the same for the same seed."""
    rng = random.Random(seed)
    kind = kind or rng.choice(["receipt", "purchase_order"])
    language: Language = rng.choice(["en", "de"])
    items = rng.sample(_ITEMS[language], rng.randint(2, 7))
    lines = []
    for description, price in items:
        quantity = Decimal(rng.choice(["1", "1", "2", "3", "4", "10", "2.5", "12"]))
        unit_price = Decimal(price)
        lines.append(PrintedLine(description, quantity, unit_price, money(quantity * unit_price)))
    issued = date(2026, 1, 1) + timedelta(days=rng.randint(0, 330))
    if kind == "receipt":
        issuer = rng.choice(_SHOPS[language])
        number = str(rng.randint(1000, 99999))
        vendor = None
    else:
        issuer = rng.choice(_BUYERS[language])
        number = f"PO-{issued.year}-{rng.randint(1, 9999):04d}"
        vendor = rng.choice(_VENDORS[language])
    return PrintedDocument(
        kind=kind,
        language=language,
        issuer=issuer,
        number=number,
        issued=issued,
        currency=rng.choice(_CURRENCIES[language]),
        decimal_comma=language == "de",
        lines=tuple(lines),
        tax_rate=Decimal(rng.choice(_RATES[language])),
        tax_included=kind == "receipt" and language == "de",
        vendor=vendor,
        font=rng.choice(["sans", "serif"] if kind == "purchase_order" else ["mono", "sans"]),
    )


_LABELS = {
    "en": {
        "receipt": "RECEIPT",
        "purchase_order": "PURCHASE ORDER",
        "number": {"receipt": "Receipt no.", "purchase_order": "PO number"},
        "date": "Date",
        "vendor": "Vendor",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price",
        "amount": "Amount",
        "subtotal": "Subtotal",
        "tax": "Tax",
        "tax_included": "incl. tax",
        "total": "Total",
        "thanks": "Thank you for your purchase!",
    },
    "de": {
        "receipt": "KASSENBON",
        "purchase_order": "BESTELLUNG",
        "number": {"receipt": "Beleg-Nr.", "purchase_order": "Bestellnummer"},
        "date": "Datum",
        "vendor": "Lieferant",
        "description": "Artikel",
        "quantity": "Menge",
        "unit_price": "Einzelpreis",
        "amount": "Betrag",
        "subtotal": "Zwischensumme",
        "tax": "MwSt.",
        "tax_included": "enthaltene MwSt.",
        "total": "Summe",
        "thanks": "Vielen Dank für Ihren Einkauf!",
    },
}


def _date_text(doc: PrintedDocument) -> str:
    return doc.issued.strftime("%d.%m.%Y" if doc.language == "de" else "%Y-%m-%d")


def _percent_text(rate: Decimal, decimal_comma: bool) -> str:
    return written_quantity(rate, decimal_comma) + "%"


def document_rows(doc: PrintedDocument) -> list[tuple[str, str]]:
    """The printed document as (left, right) text rows; a row of '' is a gap, '-' a rule."""
    labels = _LABELS[doc.language]
    dc = doc.decimal_comma
    rows: list[tuple[str, str]] = [(labels[doc.kind], ""), ("", "")]
    rows.append((doc.issuer, ""))
    rows.append(
        (f"{labels['number'][doc.kind]} {doc.number}", f"{labels['date']} {_date_text(doc)}")
    )
    if doc.vendor:
        rows.append((f"{labels['vendor']}: {doc.vendor}", ""))
    rows.append(("", ""))
    rows.append(("-", "-"))
    for line in doc.lines:
        quantity = written_quantity(line.quantity, dc)
        price = written(line.unit_price, dc)
        rows.append((f"{line.description}", f"{quantity} x {price}   {written(line.amount, dc)}"))
    rows.append(("-", "-"))
    tax_label = labels["tax_included"] if doc.tax_included else labels["tax"]
    if not doc.tax_included:
        rows.append((labels["subtotal"], written(doc.subtotal, dc)))
        rows.append((f"{tax_label} {_percent_text(doc.tax_rate, dc)}", written(doc.tax, dc)))
    rows.append((f"{labels['total']} {doc.currency}", written(doc.total, dc)))
    if doc.tax_included:
        rows.append((f"{tax_label} {_percent_text(doc.tax_rate, dc)}", written(doc.tax, dc)))
    if doc.kind == "receipt":
        rows += [("", ""), (labels["thanks"], "")]
    return rows


@cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / FONTS[name]), size)


def _draw_receipt(doc: PrintedDocument) -> Image.Image:
    size = 26
    width = 760
    font = _font(doc.font, size)
    bold = _font(f"{doc.font}-bold", size)
    rows = document_rows(doc)
    height = 80 + len(rows) * int(size * 1.6) + 60
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    y = 60
    for left, right in rows:
        if left == "-":
            draw.line((40, y + size // 2, width - 40, y + size // 2), fill=0, width=2)
        else:
            face = bold if left.startswith(_LABELS[doc.language]["total"]) else font
            draw.text((40, y), left, font=face, fill=0)
            if right:
                draw.text((width - 40, y), right, font=face, fill=0, anchor="ra")
        y += int(size * 1.6)
    return image


def _draw_purchase_order(doc: PrintedDocument) -> Image.Image:
    """An A4 page at 200 dpi with a table of lines."""
    width, height = 1654, 2339
    size = 30
    font = _font(doc.font, size)
    bold = _font(f"{doc.font}-bold", size)
    title = _font(f"{doc.font}-bold", 52)
    labels = _LABELS[doc.language]
    dc = doc.decimal_comma
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    left, right = 140, width - 140
    draw.text((left, 150), labels["purchase_order"], font=title, fill=0)
    y = 280
    draw.text((left, y), doc.issuer, font=bold, fill=0)
    draw.text(
        (right, y),
        f"{labels['number']['purchase_order']} {doc.number}",
        font=font,
        fill=0,
        anchor="ra",
    )
    y += 50
    draw.text((right, y), f"{labels['date']} {_date_text(doc)}", font=font, fill=0, anchor="ra")
    y += 50
    draw.text((left, y), f"{labels['vendor']}: {doc.vendor}", font=font, fill=0)
    y += 120
    columns = (left, 1000, 1240, right)  # description | quantity | unit price | amount
    headers = (labels["description"], labels["quantity"], labels["unit_price"], labels["amount"])
    draw.text((columns[0], y), headers[0], font=bold, fill=0)
    for x, header in zip(columns[1:], headers[1:], strict=True):
        draw.text((x, y), header, font=bold, fill=0, anchor="ra")
    y += 48
    draw.line((left, y, right, y), fill=0, width=2)
    y += 22
    for line in doc.lines:
        draw.text((columns[0], y), line.description, font=font, fill=0)
        cells = (
            written_quantity(line.quantity, dc),
            written(line.unit_price, dc),
            written(line.amount, dc),
        )
        for x, cell in zip(columns[1:], cells, strict=True):
            draw.text((x, y), cell, font=font, fill=0, anchor="ra")
        y += 52
    draw.line((left, y, right, y), fill=0, width=2)
    y += 30
    totals = [
        (labels["subtotal"], written(doc.subtotal, dc)),
        (f"{labels['tax']} {_percent_text(doc.tax_rate, dc)}", written(doc.tax, dc)),
        (f"{labels['total']} {doc.currency}", written(doc.total, dc)),
    ]
    for label, amount in totals:
        face = bold if label.startswith(labels["total"]) else font
        draw.text((columns[2], y), label, font=face, fill=0, anchor="ra")
        draw.text((right, y), amount, font=face, fill=0, anchor="ra")
        y += 52
    return image


def document_image(doc: PrintedDocument, *, noisy: bool = False, seed: int = 0) -> Image.Image:
    """The document drawn in grey levels; noisy = photographed or scanned badly."""
    image = _draw_receipt(doc) if doc.kind == "receipt" else _draw_purchase_order(doc)
    if noisy:
        image = scuffed(image, seed=seed)
    return image


def scuffed(image: Image.Image, *, seed: int = 0, angle: float = 2.0) -> Image.Image:
    """Rotated by `angle` degrees, with grain, a little blur and an uneven grey background."""
    rng = random.Random(seed)
    sign = rng.choice([-1, 1])
    rotated = image.rotate(
        sign * angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
    )
    # grain from the seeded generator (Image.effect_noise draws from C's rand, unseeded)
    noise = Image.frombytes("L", rotated.size, rng.randbytes(rotated.width * rotated.height))
    grainy = Image.blend(rotated, noise, 0.18)
    return grainy.filter(ImageFilter.GaussianBlur(1.0))


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(image: Image.Image, quality: int = 80) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def document_png(doc: PrintedDocument, *, noisy: bool = False, seed: int = 0) -> bytes:
    return png_bytes(document_image(doc, noisy=noisy, seed=seed))


def scanned_pdf(*images: Image.Image, dpi: int = 200) -> bytes:
    """An image-only PDF (no text layer), one page per image, as a scanner writes it."""
    buffer = io.BytesIO()
    first, *rest = [image.convert("L") for image in images]
    first.save(buffer, "PDF", resolution=dpi, save_all=True, append_images=rest)
    return buffer.getvalue()


# Typst (the typesetter our invoice PDFs use) lays the same facts out with a text layer; the
# data goes in through sys.inputs as JSON, so no description can become Typst markup.
_TYPST_SOURCE = rb"""
#let doc = json(bytes(sys.inputs.doc))
#set page(paper: "a4", margin: 2cm)
#set text(font: "DejaVu Sans", size: 11pt)
#text(size: 18pt, weight: "bold", doc.title)

#strong(doc.issuer)

#for line in doc.head [#line \ ]

#table(
  columns: (1fr, auto, auto, auto),
  column-gutter: 2em,
  stroke: none,
  align: (left, right, right, right),
  ..doc.header.map(strong),
  ..doc.rows.flatten(),
)
"""


def document_pdf_facts(doc: PrintedDocument) -> dict:
    """The document as the data the Typst source above lays out."""
    labels = _LABELS[doc.language]
    dc = doc.decimal_comma
    head = [f"{labels['number'][doc.kind]} {doc.number}", f"{labels['date']} {_date_text(doc)}"]
    if doc.vendor:
        head.append(f"{labels['vendor']}: {doc.vendor}")
    rows = [
        [
            line.description,
            written_quantity(line.quantity, dc),
            written(line.unit_price, dc),
            written(line.amount, dc),
        ]
        for line in doc.lines
    ]
    tax_label = labels["tax_included"] if doc.tax_included else labels["tax"]
    tax_row = ["", "", f"{tax_label} {_percent_text(doc.tax_rate, dc)}", written(doc.tax, dc)]
    total_row = ["", "", f"{labels['total']} {doc.currency}", written(doc.total, dc)]
    if doc.tax_included:
        rows += [total_row, tax_row]
    else:
        rows += [["", "", labels["subtotal"], written(doc.subtotal, dc)], tax_row, total_row]
    return {
        "title": labels[doc.kind],
        "issuer": doc.issuer,
        "head": head,
        "header": [
            labels["description"],
            labels["quantity"],
            labels["unit_price"],
            labels["amount"],
        ],
        "rows": rows,
    }


def text_pdf(doc: PrintedDocument) -> bytes:
    """The document typeset by Typst: a PDF with a text layer."""
    import json

    import typst

    return typst.compile(
        _TYPST_SOURCE,
        font_paths=[str(FONT_DIR)],
        ignore_system_fonts=True,
        sys_inputs={"doc": json.dumps(document_pdf_facts(doc))},
    )


# --- timesheets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimesheetRow:
    day: date
    task: str
    hours: Decimal
    rate: Decimal

    @property
    def amount(self) -> Decimal:
        return money(self.hours * self.rate)


@dataclass(frozen=True)
class Timesheet:
    language: Language
    currency: str
    rows: tuple[TimesheetRow, ...]

    @property
    def total_hours(self) -> Decimal:
        return sum((row.hours for row in self.rows), Decimal(0))

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), Decimal(0))


TASKS = {
    "en": ["Backend development", "Code review", "Client meeting", "Bug fixing", "Deployment"],
    "de": ["Entwicklung Backend", "Code-Review", "Besprechung Kunde", "Fehlerbehebung", "Übergabe"],
}
TIMESHEET_HEADERS = {
    "en": ("Date", "Task", "Hours", "Rate", "Amount"),
    "de": ("Datum", "Tätigkeit", "Stunden", "Stundensatz", "Betrag"),
}


def timesheet(seed: int = 0, *, language: Language | None = None, rows: int = 0) -> Timesheet:
    """A timesheet of a few weeks: hours in quarter hours, one or two rates."""
    rng = random.Random(seed)
    language = language or rng.choice(["en", "de"])
    rates = [Decimal(rng.choice(["85", "95", "120", "150.50"]))]
    if rng.random() < 0.3:
        rates.append(Decimal("60"))
    start = date(2026, 10, 1) + timedelta(days=rng.randint(0, 20))
    count = rows or rng.randint(5, 25)
    entries = tuple(
        TimesheetRow(
            day=start + timedelta(days=i),
            task=rng.choice(TASKS[language]),
            hours=Decimal(rng.randint(1, 36)) / 4,
            rate=rng.choice(rates),
        )
        for i in range(count)
    )
    return Timesheet(language, "EUR" if language == "de" else "USD", entries)


def timesheet_csv(
    sheet: Timesheet,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    decimal_comma: bool = False,
    with_total: bool = True,
    bom: bool = False,
) -> bytes:
    """The timesheet as CSV text in `encoding`, with a header row and an optional total row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(TIMESHEET_HEADERS[sheet.language])
    day_format = "%d.%m.%Y" if sheet.language == "de" else "%Y-%m-%d"
    for row in sheet.rows:
        writer.writerow(
            [
                row.day.strftime(day_format),
                row.task,
                written_quantity(row.hours, decimal_comma),
                written(row.rate, decimal_comma, grouping=False),
                written(row.amount, decimal_comma),
            ]
        )
    if with_total:
        label = "Summe" if sheet.language == "de" else "Total"
        writer.writerow(
            [
                "",
                label,
                written_quantity(sheet.total_hours, decimal_comma),
                "",
                written(sheet.total, decimal_comma),
            ]
        )
    text = buffer.getvalue()
    data = text.encode(encoding)
    if bom and encoding.lower().replace("-", "") == "utf8":
        data = b"\xef\xbb\xbf" + data
    return data


def timesheet_xlsx(sheet: Timesheet, *, formulas: bool = False, title_rows: int = 1) -> bytes:
    """The timesheet as a workbook: a title above the header, dates as dates, numbers as numbers;
    `formulas` writes the amounts as =C*D (no cached values, as openpyxl writes them)."""
    from openpyxl import Workbook

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = "Zeiterfassung" if sheet.language == "de" else "Timesheet"
    for i in range(title_rows):
        worksheet.append(
            [
                "Stundennachweis Oktober"
                if i == 0 and sheet.language == "de"
                else "Timesheet October"
                if i == 0
                else None
            ]
        )
    worksheet.append(list(TIMESHEET_HEADERS[sheet.language]))
    first = worksheet.max_row + 1
    for offset, row in enumerate(sheet.rows):
        line = first + offset
        amount: object = f"=C{line}*D{line}" if formulas else float(row.amount)
        # openpyxl stores numbers as floats; the values here are short decimals, exact in text
        worksheet.append([row.day, row.task, float(row.hours), float(row.rate), amount])
        worksheet.cell(line, 1).number_format = (
            "DD.MM.YYYY" if sheet.language == "de" else "YYYY-MM-DD"
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- hostile and odd files -------------------------------------------------------------------


def executable() -> bytes:
    """The first bytes of a Windows program (an 'MZ' header and a PE signature)."""
    header = bytearray(b"MZ" + b"\x90\x00" * 29 + b"\x00" * 2)
    header[0x3C:0x40] = struct.pack("<I", 0x80)
    header += b"\x00" * (0x80 - len(header)) + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 200
    return bytes(header)


def elf_executable() -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 200


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(width: int = 40_000, height: int = 40_000) -> bytes:
    """A tiny, valid PNG header claiming width × height pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Override PartName="/xl/workbook.xml" ContentType="{main}"/></Types>'
)
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def zip_of(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_members(data: bytes) -> dict[str, bytes]:
    """Every member of a (small, trusted) zip, by name: for taking a workbook apart."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zip_bomb(unpacked_mb: int = 120, *, entries: int = 1) -> bytes:
    """Looks like a workbook; `entries` members of zeros unpack to `unpacked_mb` MB in all."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(main=XLSX_MAIN))
        archive.writestr("xl/workbook.xml", "<workbook/>")
        chunk = b"\x00" * (1 << 20)
        per_entry = max(1, unpacked_mb // entries)
        for i in range(entries):
            with archive.open(f"xl/worksheets/sheet{i + 1}.xml", "w") as member:
                for _ in range(per_entry):
                    member.write(chunk)
    return buffer.getvalue()


def lying_zip(actual: int = 5 << 20, declared: int = 100) -> bytes:
    """A workbook-like zip whose sheet declares `declared` bytes but unpacks to `actual`."""
    content = b"<x>" + b"a" * (actual - 7) + b"</x>"
    data = bytearray(
        zip_of(
            {
                "[Content_Types].xml": _CONTENT_TYPES.format(main=XLSX_MAIN).encode(),
                "xl/workbook.xml": b"<workbook/>",
                "xl/worksheets/sheet1.xml": content,
            }
        )
    )
    size = struct.pack("<I", actual)
    # the uncompressed size appears in the local header and in the central directory entry
    start = 0
    while (at := data.find(size, start)) != -1:
        data[at : at + 4] = struct.pack("<I", declared)
        start = at + 4
    return bytes(data)


def not_a_workbook_zip() -> bytes:
    """A zip with a word-processing document in it (a DOCX), not a spreadsheet."""
    main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    return zip_of(
        {
            "[Content_Types].xml": _CONTENT_TYPES.replace("/xl/workbook.xml", "/word/document.xml")
            .format(main=main)
            .encode(),
            "word/document.xml": b"<document/>",
        }
    )


def macro_workbook() -> bytes:
    """An XLSM: a workbook with macros."""
    return zip_of(
        {
            "[Content_Types].xml": _CONTENT_TYPES.format(main=XLSM_MAIN).encode(),
            "xl/workbook.xml": b"<workbook/>",
            "xl/vbaProject.bin": b"\x00" * 64,
        }
    )


def _pdf_writer_with_page():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


def _written(writer) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_javascript() -> bytes:
    """A PDF that runs a script when opened (document-level JavaScript in the names tree)."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    writer = _pdf_writer_with_page()
    action = writer._add_object(  # an indirect object, as PDF writers store it
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('hello');"),
            }
        )
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {
            NameObject("/JavaScript"): DictionaryObject(
                {
                    NameObject("/Names"): ArrayObject([TextStringObject("hello"), action]),
                }
            )
        }
    )
    return _written(writer)


def pdf_with_javascript_link() -> bytes:
    """A PDF whose only script hides in a link annotation's action."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        TextStringObject,
    )

    writer = _pdf_writer_with_page()
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.launchURL('http://127.0.0.1/');"),
        }
    )
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(100), FloatObject(100)]
            ),
            NameObject("/A"): action,
        }
    )
    writer.add_annotation(0, annotation)
    return _written(writer)


def encrypted_pdf(
    user_password: str = "secret", pdf: bytes | None = None, algorithm: str = "AES-128"
) -> bytes:
    """A PDF that needs `user_password` to open ('' = only an owner password restricts it)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf))) if pdf else _pdf_writer_with_page()
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    return _written(writer)


def xxe_xml(url: str = "file:///etc/passwd") -> bytes:
    """A UBL-looking invoice that pulls `url` in through an external entity."""
    return (
        f'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "{url}">]>'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        "<cbc:ID>&xxe;</cbc:ID><cbc:Note>&xxe;</cbc:Note></Invoice>"
    ).encode()


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?><!DOCTYPE Invoice [' + "".join(entities) + "]>"
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'
        "<Note>&lol9;</Note></Invoice>"
    ).encode()


def other_xml() -> bytes:
    """Well-formed XML that is no e-invoice (an SVG picture)."""
    return b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'


# --- e-invoices from our own export ------------------------------------------------------------


@dataclass
class Einvoices:
    """One invoice in every form our export writes."""

    invoice: object
    ubl: bytes = b""
    cii: bytes = b""
    facturx: bytes = b""
    extra: dict[str, bytes] = field(default_factory=dict)


def einvoices(invoice=None, *, facturx: bool = True) -> Einvoices:
    """`invoice` (the sample invoice by default) as UBL, CII and a Factur-X PDF."""
    from core.exports.einvoice import cii_xml, ubl_xml
    from core.exports.factur_x import facturx_pdf
    from tests.support.samples import sample_invoice

    invoice = invoice or sample_invoice()
    return Einvoices(
        invoice=invoice,
        ubl=ubl_xml(invoice),
        cii=cii_xml(invoice),
        facturx=facturx_pdf(invoice) if facturx else b"",
    )


Maker = Callable[[], bytes]
