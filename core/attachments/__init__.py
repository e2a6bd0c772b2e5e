"""Attached files to invoice facts: sniffing, limits, readers, e-invoices in, Bedrock blocks.

A pure package: no Flask, no Celery, no boto3, no Redis. The API sniffs uploads on the request
thread; a worker reads them; a provider turns what was read into model input.

    accept_attachments(files, limits) -> [AttachmentKind]     request thread: count, type, size,
    sniff(data, limits, attachment=N) -> AttachmentKind       pixels, zip bombs (4xx errors)
    read_attachment(data, attachment=N, limits, images, ocr)  worker: -> ExtractedDocument
    read_attachments(files, limits, images, ocr)              worker: all of one message
    bedrock_content(documents) -> [Converse content blocks]   provider: text + image blocks
    read_einvoice(xml) -> EinvoiceImport                      an e-invoice's exact draft
    AttachmentLimits.from_settings(settings)                  MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES

Errors are `core.errors.AttachmentError` subclasses (415 unsupported_attachment, 413
attachment_too_large / too_many_attachments, 422 attachment_unreadable / einvoice_invalid),
each naming the file as "Attachment N" and never by its file name. See docs/attachments.md.
"""

from core.attachments.bedrock import bedrock_content
from core.attachments.document import (
    Column,
    ColumnRole,
    DocumentFacts,
    EinvoiceImport,
    ExtractedDocument,
    ExtractedLine,
    PageImage,
    Source,
    Table,
    Totals,
)
from core.attachments.einvoice import read_einvoice
from core.attachments.kinds import AttachmentKind
from core.attachments.limits import DEFAULT_LIMITS, AttachmentLimits
from core.attachments.reader import read_attachment, read_attachments
from core.attachments.sniff import accept_attachments, sniff

__all__ = [
    "DEFAULT_LIMITS",
    "AttachmentKind",
    "AttachmentLimits",
    "Column",
    "ColumnRole",
    "DocumentFacts",
    "EinvoiceImport",
    "ExtractedDocument",
    "ExtractedLine",
    "PageImage",
    "Source",
    "Table",
    "Totals",
    "accept_attachments",
    "bedrock_content",
    "read_attachment",
    "read_attachments",
    "read_einvoice",
    "sniff",
]
