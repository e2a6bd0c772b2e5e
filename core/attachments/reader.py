"""Reading one attached file into an `ExtractedDocument`: the entry point for the worker.

    read_attachment(data, attachment=N, limits=…, images=False, ocr=True)

`ocr=True, images=False` is what the offline engine needs (text, lines, totals, facts);
`images=True, ocr=False` is what a vision model needs (the picture or rendered PDF pages, and
any text layer). Both may be asked for. OCR and rendering are CPU work for a worker, never for
a request thread; `sniff` is the part a request thread may run.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from PIL import Image

from core.attachments import pdf
from core.attachments.document import (
    DocumentFacts,
    ExtractedDocument,
    PageImage,
    Source,
)
from core.attachments.einvoice import read_einvoice
from core.attachments.images import encode_png, open_image, pillow_format, prepare_for_ocr
from core.attachments.kinds import AttachmentKind
from core.attachments.limits import DEFAULT_LIMITS, AttachmentLimits
from core.attachments.ocr import ocr_image
from core.attachments.receipts import TextLine, read_text
from core.attachments.sniff import sniff
from core.attachments.tables import TableReading, read_csv
from core.attachments.xlsx import read_xlsx
from core.errors import AttachmentError, TooManyAttachments

log = logging.getLogger(__name__)


def read_attachments(
    files: Sequence[bytes],
    *,
    limits: AttachmentLimits = DEFAULT_LIMITS,
    images: bool = False,
    ocr: bool = True,
) -> list[ExtractedDocument]:
    """Every file of one message, numbered from 1 in the order given.

    Raises TooManyAttachments, or the first file's AttachmentError.
    """
    if len(files) > limits.max_files:
        raise TooManyAttachments(
            f"{len(files)} files are attached; at most {limits.max_files} can go with one message.",
            reason="count",
            details={"limit": limits.max_files, "count": len(files)},
        )
    return [
        read_attachment(data, attachment=i, limits=limits, images=images, ocr=ocr)
        for i, data in enumerate(files, start=1)
    ]


def read_attachment(
    data: bytes,
    *,
    attachment: int = 1,
    limits: AttachmentLimits = DEFAULT_LIMITS,
    images: bool = False,
    ocr: bool = True,
) -> ExtractedDocument:
    """What the file says (see core/attachments/document.py for which parts get filled).

    Raises an AttachmentError naming the file "Attachment N" (UnsupportedAttachment,
    AttachmentTooLarge, AttachmentUnreadable, EinvoiceInvalid), or ConfigurationError when
    OCR is needed and Tesseract is not installed.
    """
    kind = sniff(data, limits, attachment=attachment)
    try:
        document = _read(kind, data, attachment, limits, images=images, ocr=ocr)
    except AttachmentError as error:
        raise error.at(attachment) from None
    return _bounded(document, limits)


def _read(
    kind: AttachmentKind,
    data: bytes,
    attachment: int,
    limits: AttachmentLimits,
    *,
    images: bool,
    ocr: bool,
) -> ExtractedDocument:
    if kind in (AttachmentKind.CSV, AttachmentKind.XLSX):
        reading = read_csv(data, limits) if kind == AttachmentKind.CSV else read_xlsx(data, limits)
        return _from_table(attachment, kind, reading)
    if kind.is_einvoice:
        return _from_einvoice(attachment, kind, data, container="xml")
    if kind.is_image:
        return _from_image(attachment, kind, data, limits, images=images, ocr=ocr)
    return _from_pdf(attachment, data, limits, images=images, ocr=ocr)


def _from_table(attachment: int, kind: AttachmentKind, reading: TableReading) -> ExtractedDocument:
    return ExtractedDocument(
        attachment=attachment,
        kind=kind,
        source=Source.TABLE,
        text=reading.text,
        table=reading.table,
        lines=reading.lines,
        totals=reading.totals,
        facts=reading.facts,
        warnings=reading.warnings,
    )


def _from_einvoice(
    attachment: int, kind: AttachmentKind, xml: bytes, *, container: str, text_layer: str = ""
) -> ExtractedDocument:
    imported = read_einvoice(xml, container=container)  # type: ignore[arg-type]
    draft = imported.draft
    facts = DocumentFacts(
        document_type="credit_note" if imported.document == "credit_note" else "invoice",
        issuer=_party_name(draft.get("seller")),
        counterparty=_party_name(draft.get("buyer")),
        number=imported.number,
        issued=_iso_date(draft.get("issue_date")),
        currency=draft.get("currency"),
    )
    warnings = list(imported.problems)
    if not imported.valid:
        warnings.insert(
            0, "The e-invoice breaks EN 16931 business rules (listed below); it was read as it is."
        )
    summary = einvoice_summary(imported)
    if text_layer.strip():
        summary += "\n\nText of the PDF:\n" + text_layer
    return ExtractedDocument(
        attachment=attachment,
        kind=kind,
        source=Source.EINVOICE,
        text=summary,
        facts=facts,
        einvoice=imported,
        warnings=tuple(warnings),
    )


def einvoice_summary(imported) -> str:
    """The e-invoice in a few lines of text, with the exact draft as JSON."""
    label = "credit note" if imported.document == "credit_note" else "invoice"
    head = (
        f"{imported.syntax.upper()} e-{label} {imported.number or '(no number)'}"
        + (" (inside a Factur-X PDF)" if imported.container == "facturx" else "")
        + f"; total {imported.stated.get('total', '?')} {imported.draft.get('currency', '')}."
    )
    body = json.dumps(imported.draft, ensure_ascii=False, indent=1)
    return f"{head}\nExact invoice data read from it (InvoiceDraft JSON):\n{body}"


def _party_name(party: dict | None) -> str | None:
    if not party:
        return None
    return party.get("company") or party.get("name")


def _iso_date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _from_image(
    attachment: int,
    kind: AttachmentKind,
    data: bytes,
    limits: AttachmentLimits,
    *,
    images: bool,
    ocr: bool,
) -> ExtractedDocument:
    image = open_image(data, limits)
    pictures: tuple[PageImage, ...] = ()
    if images:
        pictures = (_picture(data, image),)
    if not ocr:
        return ExtractedDocument(
            attachment=attachment, kind=kind, source=Source.IMAGES, images=pictures
        )
    prepared, _ = prepare_for_ocr(image)
    page = ocr_image(prepared, timeout=limits.ocr_seconds)
    reading = read_text([TextLine(line.text, line.confidence) for line in page.lines])
    return ExtractedDocument(
        attachment=attachment,
        kind=kind,
        source=Source.OCR,
        text=page.text,
        lines=reading.lines,
        totals=reading.totals,
        facts=reading.facts,
        images=pictures,
        warnings=reading.warnings,
    )


def _picture(data: bytes, upright: Image.Image) -> PageImage:
    """The upload itself, or, when its EXIF orientation turns it, re-encoded upright."""
    with Image.open(io.BytesIO(data)) as original:
        orientation = original.getexif().get(0x0112, 1)
    if orientation in (None, 1):
        fmt = pillow_format(data)
        return PageImage(data, fmt, upright.width, upright.height)  # type: ignore[arg-type]
    return PageImage(encode_png(upright), "png", upright.width, upright.height)


def _from_pdf(
    attachment: int,
    data: bytes,
    limits: AttachmentLimits,
    *,
    images: bool,
    ocr: bool,
) -> ExtractedDocument:
    inspection = pdf.inspect_pdf(data)
    render = "all" if images else ("scanned" if ocr else "none")
    pages, count = pdf.read_pages(data, limits, render=render)
    warnings: list[str] = []
    if count > len(pages):
        warnings.append(f"The PDF has {count} pages; only the first {len(pages)} were read.")
    text_lines: list[TextLine] = []
    page_texts: list[str] = []
    ocr_used = False
    for page in pages:
        if page.scanned and ocr and page.image is not None:
            prepared, _ = prepare_for_ocr(page.image)
            result = ocr_image(prepared, timeout=limits.ocr_seconds)
            lines = [TextLine(line.text, line.confidence) for line in result.lines]
            ocr_used = True
        else:
            lines = [TextLine(t) for t in page.text.splitlines() if t.strip()]
        text_lines += lines
        page_texts.append("\n".join(line.text for line in lines))
    text = _join_pages(page_texts)
    pictures = tuple(
        PageImage(encode_png(page.image), "png", page.image.width, page.image.height, page.number)
        for page in pages
        if images and page.image is not None
    )
    if inspection.einvoice_xml is not None:
        document = _from_einvoice(
            attachment,
            AttachmentKind.PDF,
            inspection.einvoice_xml,
            container="facturx",
            text_layer=text,
        )
        return replace(
            document,
            pages=count,
            pages_read=len(pages),
            images=pictures,
            warnings=(*document.warnings, *warnings),
        )
    reading = read_text(text_lines)
    if not any(t.strip() for t in page_texts) and not ocr:
        source = Source.IMAGES
    else:
        source = Source.OCR if ocr_used else Source.TEXT_LAYER
    return ExtractedDocument(
        attachment=attachment,
        kind=AttachmentKind.PDF,
        source=source,
        text=text,
        pages=count,
        pages_read=len(pages),
        lines=reading.lines,
        totals=reading.totals,
        facts=reading.facts,
        images=pictures,
        warnings=(*warnings, *reading.warnings),
    )


def _join_pages(texts: Sequence[str]) -> str:
    if len(texts) == 1:
        return texts[0]
    return "\n\n".join(f"--- page {i} ---\n{text}" for i, text in enumerate(texts, start=1))


def _bounded(document: ExtractedDocument, limits: AttachmentLimits) -> ExtractedDocument:
    if len(document.text) <= limits.max_text_chars:
        return document
    return replace(
        document,
        text=document.text[: limits.max_text_chars],
        warnings=(
            *document.warnings,
            f"The text was cut after {limits.max_text_chars:,} characters.",
        ),
    )
