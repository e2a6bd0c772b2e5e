"""The kinds of file we read, as judged from their content."""

from __future__ import annotations

from enum import StrEnum


class AttachmentKind(StrEnum):
    """What a file is, judged from its bytes (`sniff`), never from its name."""

    PNG = "png"
    JPEG = "jpeg"
    WEBP = "webp"
    PDF = "pdf"  # with or without a text layer; may carry a Factur-X / ZUGFeRD invoice
    CSV = "csv"
    XLSX = "xlsx"
    UBL = "ubl"  # UBL 2.1 Invoice or CreditNote
    CII = "cii"  # UN/CEFACT CrossIndustryInvoice (Factur-X, ZUGFeRD 2, XRechnung CII)

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def is_image(self) -> bool:
        return self in (AttachmentKind.PNG, AttachmentKind.JPEG, AttachmentKind.WEBP)

    @property
    def is_einvoice(self) -> bool:
        return self in (AttachmentKind.UBL, AttachmentKind.CII)

    @property
    def label(self) -> str:
        """How a person (or a model) would call it: 'PNG image', 'UBL e-invoice'."""
        return _LABELS[self]


_MEDIA_TYPES = {
    AttachmentKind.PNG: "image/png",
    AttachmentKind.JPEG: "image/jpeg",
    AttachmentKind.WEBP: "image/webp",
    AttachmentKind.PDF: "application/pdf",
    AttachmentKind.CSV: "text/csv",
    AttachmentKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    AttachmentKind.UBL: "application/xml",
    AttachmentKind.CII: "application/xml",
}
_LABELS = {
    AttachmentKind.PNG: "PNG image",
    AttachmentKind.JPEG: "JPEG image",
    AttachmentKind.WEBP: "WebP image",
    AttachmentKind.PDF: "PDF",
    AttachmentKind.CSV: "CSV table",
    AttachmentKind.XLSX: "Excel workbook",
    AttachmentKind.UBL: "UBL e-invoice",
    AttachmentKind.CII: "CII e-invoice",
}
