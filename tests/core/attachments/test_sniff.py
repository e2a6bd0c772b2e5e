"""Sniffing: the type comes from the bytes, never the name; hostile files get a clear error.

Every file here is made by tests/support/documents.py. The errors must carry the code and
status documented in core/errors.py, name the file only as "Attachment N", and stop before
anything large is decoded or anything at all is fetched.
"""

from __future__ import annotations

import http.server
import io
import threading
import time

import pytest
from PIL import Image

from core.attachments import (
    AttachmentKind,
    AttachmentLimits,
    accept_attachments,
    read_attachment,
    sniff,
)
from core.errors import (
    AttachmentTooLarge,
    AttachmentUnreadable,
    TooManyAttachments,
    UnsupportedAttachment,
)
from core.settings import Settings
from tests.support import documents


def _image(fmt: str, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def einvoices():
    return documents.einvoices()


# --- what each accepted file is -------------------------------------------------------------


def test_each_accepted_type_is_recognised_from_its_bytes(einvoices):
    sheet = documents.timesheet(1)
    cases = {
        AttachmentKind.PNG: _image("PNG"),
        AttachmentKind.JPEG: _image("JPEG"),
        AttachmentKind.WEBP: _image("WEBP"),
        AttachmentKind.PDF: documents.scanned_pdf(Image.new("L", (50, 50), 255)),
        AttachmentKind.CSV: documents.timesheet_csv(sheet),
        AttachmentKind.XLSX: documents.timesheet_xlsx(sheet),
        AttachmentKind.UBL: einvoices.ubl,
        AttachmentKind.CII: einvoices.cii,
    }
    for kind, data in cases.items():
        assert sniff(data) == kind, kind
    assert sniff(einvoices.facturx) == AttachmentKind.PDF
    assert accept_attachments(list(cases.values())[:5]) == list(cases)[:5]


@pytest.mark.parametrize(
    "encoding, delimiter, bom",
    [
        ("utf-8", ",", False),
        ("utf-8", ",", True),
        ("latin-1", ";", False),
        ("utf-16", "\t", False),
        ("cp1252", ";", False),
    ],
)
def test_csv_in_any_common_encoding_and_delimiter(encoding, delimiter, bom):
    data = documents.timesheet_csv(
        documents.timesheet(2, language="de"), encoding=encoding, delimiter=delimiter, bom=bom
    )
    assert sniff(data) == AttachmentKind.CSV


def test_plain_text_is_not_a_table():
    with pytest.raises(UnsupportedAttachment) as caught:
        sniff(b"Dear Sir,\nplease find my hours attached.\nBest regards\n")
    assert caught.value.details["reason"] == "plain_text"


# --- programs, other formats, other zips, other XML ------------------------------------------


@pytest.mark.parametrize(
    "data, reason",
    [
        (documents.executable(), "program"),
        (documents.elf_executable(), "program"),
        (b"#!/bin/sh\nrm -rf /\n", "program"),
        (b"GIF89a" + b"\x00" * 40, "other_format"),
        (b"\x00\x01\x02\x03" * 100, "unknown"),
        (b"", "empty"),
    ],
)
def test_what_we_do_not_read_is_415(data, reason):
    with pytest.raises(UnsupportedAttachment) as caught:
        sniff(data, attachment=3)
    error = caught.value
    assert (error.http_status, error.code) == (415, "unsupported_attachment")
    assert error.details == {"attachment": 3, "reason": reason}
    assert error.message.startswith("Attachment 3: ")


def test_a_renamed_program_is_refused_whatever_its_name_says():
    # there is no name to trust: only the bytes reach sniff, and they say "MZ"
    with pytest.raises(UnsupportedAttachment, match="Windows program"):
        sniff(documents.executable())


@pytest.mark.parametrize(
    "make, reason",
    [
        (documents.not_a_workbook_zip, "archive"),
        (documents.macro_workbook, "macros"),
        (lambda: documents.zip_of({"notes.txt": b"hello"}), "archive"),
    ],
)
def test_only_an_ooxml_workbook_zip_is_accepted(make, reason):
    with pytest.raises(UnsupportedAttachment) as caught:
        sniff(make())
    assert caught.value.details["reason"] == reason


def test_other_xml_is_refused():
    with pytest.raises(UnsupportedAttachment) as caught:
        sniff(documents.other_xml())
    assert caught.value.details["reason"] == "other_xml"


# --- bombs and limits -----------------------------------------------------------------------


def test_a_40000_by_40000_png_is_refused_from_its_header():
    data = documents.huge_png()
    assert len(data) < 200  # nothing to decode: the header alone gives it away
    began = time.perf_counter()
    with pytest.raises(AttachmentTooLarge) as caught:
        sniff(data)
    assert time.perf_counter() - began < 5  # generous: this is a smoke check, not a benchmark
    assert caught.value.details["reason"] == "pixels"
    assert caught.value.details["width"] == 40_000
    with pytest.raises(AttachmentTooLarge):
        read_attachment(data)


def test_pillows_own_bomb_guard_is_an_attachment_error_too():
    # a JPEG header claiming more pixels than Pillow's MAX_IMAGE_PIXELS allows twice over
    limits = AttachmentLimits(max_pixels=10**12, max_side=10**6)
    huge = _image("JPEG", (64, 64))
    at = huge.index(b"\xff\xc0")  # baseline frame header: height and width follow
    patched = huge[: at + 5] + (40000).to_bytes(2, "big") * 2 + huge[at + 9 :]
    with pytest.raises(AttachmentTooLarge):
        sniff(patched, limits)


def test_the_pixel_limit_is_a_setting_of_the_limits():
    data = _image("PNG", (300, 200))
    assert sniff(data, AttachmentLimits(max_pixels=60_000)) == AttachmentKind.PNG
    with pytest.raises(AttachmentTooLarge):
        sniff(data, AttachmentLimits(max_pixels=59_999))


def test_a_file_over_max_bytes_is_413_before_anything_else():
    limits = AttachmentLimits(max_bytes=1000)
    with pytest.raises(AttachmentTooLarge) as caught:
        sniff(documents.executable() + b"\x00" * 1000, limits)
    assert (caught.value.http_status, caught.value.code) == (413, "attachment_too_large")
    assert caught.value.details["limit"] == 1000


def test_a_zip_bomb_is_refused_from_its_declared_sizes():
    bomb = documents.zip_bomb(unpacked_mb=120)
    assert len(bomb) < 1_000_000
    with pytest.raises(AttachmentTooLarge) as caught:
        sniff(bomb)
    assert caught.value.details["reason"] == "unpacked_size"


def test_a_small_zip_bomb_is_refused_by_its_compression_ratio():
    bomb = documents.zip_bomb(unpacked_mb=20)
    with pytest.raises(AttachmentTooLarge) as caught:
        sniff(bomb)
    assert caught.value.details["reason"] == "compression_ratio"


def test_a_zip_that_lies_about_its_sizes_is_not_read():
    data = documents.lying_zip()
    sniff(data)  # the declared sizes look harmless …
    with pytest.raises((AttachmentUnreadable, AttachmentTooLarge)):
        read_attachment(data)  # … but unpacking does not match them


def test_more_files_than_max_attachments_is_413():
    limits = AttachmentLimits.from_settings(Settings(max_attachments=2))
    with pytest.raises(TooManyAttachments) as caught:
        accept_attachments([_image("PNG")] * 3, limits)
    assert (caught.value.http_status, caught.value.code) == (413, "too_many_attachments")
    assert caught.value.details == {"reason": "count", "limit": 2, "count": 3}


def test_limits_come_from_the_settings():
    limits = AttachmentLimits.from_settings(
        Settings.from_env(
            {"MAX_ATTACHMENTS": "3", "MAX_ATTACHMENT_BYTES": "2048"}, dotenv_path=None
        )
    )
    assert (limits.max_files, limits.max_bytes) == (3, 2048)
    assert AttachmentLimits.from_settings(Settings()).max_bytes == 10_485_760


# --- PDFs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_a_pdf_that_needs_a_password_is_refused(algorithm):
    with pytest.raises(AttachmentUnreadable) as caught:
        sniff(documents.encrypted_pdf("secret", algorithm=algorithm))
    assert caught.value.details["reason"] == "encrypted"
    assert caught.value.http_status == 422


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_a_pdf_encrypted_only_against_editing_is_read(algorithm):
    doc = documents.printed_document(7)
    data = documents.encrypted_pdf("", pdf=documents.text_pdf(doc), algorithm=algorithm)
    document = read_attachment(data)
    assert [line.description for line in document.lines] == [line.description for line in doc.lines]


@pytest.mark.parametrize(
    "make", [documents.pdf_with_javascript, documents.pdf_with_javascript_link]
)
def test_a_pdf_with_javascript_is_refused(make):
    data = make()
    assert sniff(data) == AttachmentKind.PDF  # the type is fine …
    with pytest.raises(AttachmentUnreadable) as caught:
        read_attachment(data)  # … what it carries is not
    assert caught.value.details == {"attachment": 1, "reason": "javascript"}


def test_a_damaged_pdf_is_unreadable():
    with pytest.raises(AttachmentUnreadable):
        read_attachment(b"%PDF-1.7\n" + b"garbage " * 100)


# --- XML: no entities, no DTD, nothing fetched ----------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"leaked")

    def log_message(self, *args):
        pass


@pytest.fixture
def listening_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.hits = []
    yield f"http://127.0.0.1:{server.server_address[1]}/xxe"
    server.shutdown()
    server.server_close()


def test_xxe_is_refused_and_nothing_is_fetched(listening_server):
    for url in (listening_server, "file:///etc/passwd"):
        data = documents.xxe_xml(url)
        with pytest.raises(AttachmentUnreadable) as caught:
            sniff(data)
        assert caught.value.details["reason"] == "dtd"
        with pytest.raises(AttachmentUnreadable):
            read_attachment(data)
        assert "root:" not in caught.value.message
    assert _Recorder.hits == []


def test_billion_laughs_is_refused_at_once():
    began = time.perf_counter()
    with pytest.raises(AttachmentUnreadable) as caught:
        read_attachment(documents.billion_laughs())
    assert time.perf_counter() - began < 5
    assert caught.value.details["reason"] == "dtd"


def test_a_workbook_whose_sheet_declares_entities_is_not_expanded():
    sheet = documents.timesheet_xlsx(documents.timesheet(1))
    archive = documents.zip_members(sheet)
    archive["xl/worksheets/sheet1.xml"] = documents.billion_laughs()
    with pytest.raises(AttachmentUnreadable):
        read_attachment(documents.zip_of(archive))
