"""What a file is, from its content alone: magic bytes, headers and structure, never the name.

`sniff` is cheap enough for the request thread (it decodes no pixels and reads no page), so an
upload can be answered 413/415/422 at once; `read_attachment` repeats it in the worker and
does the deep work. What it checks, in order:

    size             over AttachmentLimits.max_bytes                  413 attachment_too_large
    programs         MZ (Windows), ELF, Mach-O, "#!" scripts, Java     415 unsupported_attachment
    PNG              IHDR width × height, before any decoding          413 when over max_pixels
    JPEG, WebP       the header Pillow reads without decoding          413 when over max_pixels
    PDF              "%PDF-" in the first KiB; password to open         422 attachment_unreadable
    ZIP              entries, declared unpacked sizes and ratios        413 (a zip bomb)
                     [Content_Types].xml names an OOXML workbook        415 for DOCX, ODS, XLSM…
    XML              hardened parse, no DOCTYPE; root is a UBL          422 for a DTD, 415 for any
                     Invoice/CreditNote or a CII CrossIndustryInvoice   other XML
    text             decodes (UTF-8, UTF-16, cp1252/Latin-1) and has    415 for plain text
                     a delimiter (, ; tab |) that splits most lines
    anything else    GIF, TIFF, HEIC, archives, Office 97 …            415, naming what it is
"""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from collections.abc import Sequence

from core.attachments.images import image_size
from core.attachments.kinds import AttachmentKind
from core.attachments.limits import DEFAULT_LIMITS, MIB, AttachmentLimits, check_pixels
from core.attachments.text import decode_text
from core.attachments.xmlsafe import parse_xml
from core.errors import (
    AttachmentError,
    AttachmentTooLarge,
    AttachmentUnreadable,
    TooManyAttachments,
    UnsupportedAttachment,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
UBL_INVOICE = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
UBL_CREDIT_NOTE = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
CII_INVOICE = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroenabled.main+xml"
_CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
CSV_DELIMITERS = (",", ";", "\t", "|")

# Signatures of files we do not read, so the error can say what the file is.
_KNOWN_OTHERS: tuple[tuple[int, bytes, str], ...] = (
    (0, b"MZ", "a Windows program"),
    (0, b"\x7fELF", "a Linux program"),
    (0, b"\xcf\xfa\xed\xfe", "a macOS program"),
    (0, b"\xfe\xed\xfa\xcf", "a macOS program"),
    (0, b"\xca\xfe\xba\xbe", "a program (Java class or macOS universal binary)"),
    (0, b"#!", "a script"),
    (0, b"GIF8", "a GIF image (save it as PNG)"),
    (0, b"II*\x00", "a TIFF image (save it as PNG or PDF)"),
    (0, b"MM\x00*", "a TIFF image (save it as PNG or PDF)"),
    (0, b"BM", "a BMP image (save it as PNG)"),
    (4, b"ftypheic", "a HEIC photo (share it as JPEG)"),
    (4, b"ftypheix", "a HEIC photo (share it as JPEG)"),
    (4, b"ftypmif1", "a HEIF photo (share it as JPEG)"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office 97 file (save it as XLSX or PDF)"),
    (0, b"Rar!", "a RAR archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (0, b"\x1f\x8b", "a gzip archive"),
    (0, b"{\\rtf", "an RTF document (save it as PDF)"),
)


def accept_attachments(
    files: Sequence[bytes], limits: AttachmentLimits = DEFAULT_LIMITS
) -> list[AttachmentKind]:
    """The kind of each file of one message, checking the count first.

    Raises TooManyAttachments, or the first file's AttachmentError (details.attachment says
    which).
    """
    if len(files) > limits.max_files:
        raise TooManyAttachments(
            f"{len(files)} files are attached; at most {limits.max_files} can go with one message.",
            reason="count",
            details={"limit": limits.max_files, "count": len(files)},
        )
    return [sniff(data, limits, attachment=i) for i, data in enumerate(files, start=1)]


def sniff(
    data: bytes, limits: AttachmentLimits = DEFAULT_LIMITS, *, attachment: int = 1
) -> AttachmentKind:
    """What `data` is, from its content (see the module docstring for the checks).

    Raises UnsupportedAttachment, AttachmentTooLarge or AttachmentUnreadable; the message
    names the file as "Attachment N".
    """
    try:
        return _sniff(data, limits)
    except AttachmentError as error:
        raise error.at(attachment) from None


def _sniff(data: bytes, limits: AttachmentLimits) -> AttachmentKind:
    if not data:
        raise UnsupportedAttachment("This file is empty.", reason="empty")
    if len(data) > limits.max_bytes:
        raise AttachmentTooLarge(
            f"This file is {_size(len(data))}; the limit is {_size(limits.max_bytes)}.",
            reason="bytes",
            details={"limit": limits.max_bytes, "size": len(data)},
        )
    if data.startswith(PNG_MAGIC):
        check_png_header(data, limits)
        return AttachmentKind.PNG
    if data.startswith(b"\xff\xd8\xff"):
        check_image_header(data, limits, "JPEG")
        return AttachmentKind.JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        check_image_header(data, limits, "WEBP")
        return AttachmentKind.WEBP
    if b"%PDF-" in data[:1024]:
        from core.attachments.pdf import check_can_open

        check_can_open(data)
        return AttachmentKind.PDF
    if data.startswith(b"PK\x03\x04"):
        check_workbook_zip(data, limits)
        return AttachmentKind.XLSX
    for offset, magic, what in _KNOWN_OTHERS:
        if data[offset : offset + len(magic)] == magic:
            raise UnsupportedAttachment(
                f"This file is {what}, not a document we can read.", reason=_reason(what)
            )
    decoded = decode_text(data)
    if decoded is None:
        raise UnsupportedAttachment(reason="unknown")
    text, _ = decoded
    if text.lstrip().startswith("<"):
        return xml_kind(data)
    if find_delimiter(text) is None:
        raise UnsupportedAttachment(
            "This file is plain text, not a table or a document we read; paste its text into "
            "the message instead.",
            reason="plain_text",
        )
    return AttachmentKind.CSV


def _reason(what: str) -> str:
    if "program" in what or "script" in what:
        return "program"
    if "archive" in what:
        return "archive"
    return "other_format"


def _size(count: int) -> str:
    return f"{count / MIB:.1f} MB" if count >= MIB // 10 else f"{count:,} bytes"


# --- images -------------------------------------------------------------------------------


def check_png_header(data: bytes, limits: AttachmentLimits) -> tuple[int, int]:
    """Width and height from the IHDR chunk, checked before anything is decoded."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise AttachmentUnreadable("This PNG image is damaged (no header).", reason="corrupt")
    width, height = struct.unpack(">II", data[16:24])
    check_pixels(width, height, limits)
    return width, height


def check_image_header(data: bytes, limits: AttachmentLimits, expected: str) -> tuple[int, int]:
    """Width and height as Pillow reads them from the header (Image.open decodes nothing)."""
    width, height, found = image_size(data)
    if found != expected:
        raise AttachmentUnreadable(f"This {expected} image is damaged.", reason="corrupt")
    check_pixels(width, height, limits)
    return width, height


# --- zip: only an OOXML workbook, and only when it unpacks to a sane size ---------------------


def check_workbook_zip(data: bytes, limits: AttachmentLimits) -> zipfile.ZipFile:
    """The zip, when it is an XLSX that its declared sizes show to be no zip bomb.

    The declared sizes are checked here; `xlsx.read_xlsx` counts the actual bytes while it
    unpacks (zipfile also stops at the declared size and checks the CRC).
    Raises AttachmentTooLarge, UnsupportedAttachment or AttachmentUnreadable.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, OSError):
        raise AttachmentUnreadable("This zip file is damaged.", reason="corrupt") from None
    if len(members) > limits.max_zip_entries:
        raise AttachmentTooLarge(
            f"This zip file holds {len(members):,} files; a workbook has far fewer.",
            reason="zip_entries",
            details={"limit": limits.max_zip_entries},
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.max_unpacked_bytes:
        raise AttachmentTooLarge(
            f"This zip file would unpack to {_size(unpacked)} (limit "
            f"{_size(limits.max_unpacked_bytes)}); it was not opened.",
            reason="unpacked_size",
            details={"limit": limits.max_unpacked_bytes},
        )
    for member in members:
        if member.flag_bits & 0x1:
            raise AttachmentUnreadable(
                "This workbook is password-protected; remove the password and attach it again.",
                reason="encrypted",
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > MIB and ratio > limits.max_compression_ratio:
            raise AttachmentTooLarge(
                f"A part of this zip file is compressed {ratio:,.0f} to 1, as zip bombs are; "
                "it was not opened.",
                reason="compression_ratio",
                details={"limit": limits.max_compression_ratio},
            )
    main = _workbook_content_type(archive)
    if main == XLSX_MAIN:
        return archive
    if main == XLSM_MAIN:
        raise UnsupportedAttachment(
            "This workbook contains macros (XLSM); save it as a plain XLSX workbook.",
            reason="macros",
        )
    if "mimetype" in archive.namelist():
        raise UnsupportedAttachment(
            "This is an OpenDocument file; save it as XLSX or CSV.", reason="other_format"
        )
    raise UnsupportedAttachment(
        "This zip file is not an Excel workbook (XLSX); other archives are not read.",
        reason="archive",
    )


def _workbook_content_type(archive: zipfile.ZipFile) -> str | None:
    try:
        info = archive.getinfo("[Content_Types].xml")
    except KeyError:
        return None
    if info.file_size > MIB:
        return None
    try:
        root = parse_xml(archive.read(info))
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
        raise AttachmentUnreadable("This zip file is damaged.", reason="corrupt") from None
    for override in root.iter(f"{_CONTENT_TYPES_NS}Override"):
        content_type = (override.get("ContentType") or "").lower()
        if content_type in (XLSX_MAIN, XLSM_MAIN):
            return content_type
    return None


# --- XML and CSV -------------------------------------------------------------------------------


def xml_kind(data: bytes) -> AttachmentKind:
    """UBL or CII, from the root element of a hardened parse.

    Raises AttachmentUnreadable (a DTD, not well-formed) or UnsupportedAttachment (other XML).
    """
    root = parse_xml(data)
    if root.tag in (UBL_INVOICE, UBL_CREDIT_NOTE):
        return AttachmentKind.UBL
    if root.tag == CII_INVOICE:
        return AttachmentKind.CII
    raise UnsupportedAttachment(
        "This XML file is not an e-invoice we read (a UBL Invoice or CreditNote, or a CII "
        "CrossIndustryInvoice).",
        reason="other_xml",
    )


def find_delimiter(text: str) -> str | None:
    """The delimiter that splits most of the first lines into the same number (≥ 2) of cells."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return None
    best_score, best = 0.0, None
    for delimiter in CSV_DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        common = max(set(widths), key=widths.count)
        share = widths.count(common) / len(widths)
        score = share + common / 1000  # on a tie, the delimiter giving more columns
        if common >= 2 and share >= 0.6 and score > best_score:
            best_score, best = score, delimiter
    return best
