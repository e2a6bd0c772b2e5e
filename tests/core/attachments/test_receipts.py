"""Receipts and purchase orders: text to lines and totals (fast, no OCR), then a few real
images, scans and PDFs through Tesseract and PDFium end to end.

The benchmark (bench/attachments.py) measures accuracy over dozens of generated documents;
these tests pin the behaviour: every line shape, every repair and what is said about it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from PIL import Image

from core.attachments import AttachmentLimits, Source, read_attachment
from core.attachments.images import otsu_threshold, prepare_for_ocr, skew_angle
from core.attachments.receipts import TextLine, read_text
from tests.support import documents


def _read(text: str):
    return read_text([TextLine(line) for line in text.strip().splitlines()])


def _lines(reading):
    return [(i.description, i.quantity, i.unit_price, i.amount) for i in reading.lines]


def D(text: str) -> Decimal:  # noqa: N802 - reads like a literal
    return Decimal(text)


# --- shapes ---------------------------------------------------------------------------------


def test_receipt_lines_in_every_shape():
    reading = _read(
        """
        RECEIPT
        Corner Hardware
        Receipt no. 4711   Date 2026-03-02
        Coffee beans 1kg   2 x 18.50   37.00
        3 x Cable ties   3.10   9.30
        Screws M4 (100 pcs)   4.25   4.25
        Notebook   2   pcs   2.49   4.98
        Delivery   5.00
        Subtotal   60.53
        Tax 8%   4.84
        Total USD   65.37
        Cash   70.00
        Change   4.63
        """
    )
    assert _lines(reading) == [
        ("Coffee beans 1kg", D("2"), D("18.50"), D("37.00")),
        ("Cable ties", D("3"), D("3.10"), D("9.30")),
        ("Screws M4 (100 pcs)", D("1"), D("4.25"), D("4.25")),
        ("Notebook", D("2"), D("2.49"), D("4.98")),
        ("Delivery", D("1"), D("5.00"), D("5.00")),
    ]
    assert reading.lines[3].unit == "pcs"
    totals = reading.totals
    assert (totals.subtotal, totals.tax_total, totals.total, totals.tax_rate) == (
        D("60.53"),
        D("4.84"),
        D("65.37"),
        D("8"),
    )
    assert totals.consistent is True and not totals.tax_included
    facts = reading.facts
    assert (facts.document_type, facts.issuer, facts.number, facts.currency) == (
        "receipt",
        "Corner Hardware",
        "4711",
        "USD",
    )
    assert str(facts.issued) == "2026-03-02"
    assert reading.warnings == ()


def test_a_german_till_receipt_with_tax_included():
    reading = _read(
        """
        KASSENBON
        Bäckerei Müller
        Beleg-Nr. 815   Datum 02.11.2026
        Brötchen   6 x 0,45   2,70
        Kaffee groß   1 x 3,20   3,20
        Summe EUR   5,90
        enthaltene MwSt. 7%   0,39
        """
    )
    assert _lines(reading) == [
        ("Brötchen", D("6"), D("0.45"), D("2.70")),
        ("Kaffee groß", D("1"), D("3.20"), D("3.20")),
    ]
    totals = reading.totals
    assert totals.tax_included and totals.subtotal is None
    assert (totals.tax_total, totals.total, totals.tax_rate) == (D("0.39"), D("5.90"), D("7"))
    assert totals.consistent
    assert reading.facts.issuer == "Bäckerei Müller"
    assert str(reading.facts.issued) == "2026-11-02"


def test_a_purchase_order_table_with_thousands():
    reading = _read(
        """
        BESTELLUNG
        Nordwind AG   Bestellnummer PO-2026-0815
        Datum 05.06.2026
        Lieferant: Grafikbüro Schäfer
        Artikel   Menge   Einzelpreis   Betrag
        Beratung (Stunden)   12,5   120,00   1.500,00
        Dübel 8 mm   2,5   2,79   6,98
        Zwischensumme   1.506,98
        MwSt. 19%   286,33
        Summe EUR   1.793,31
        """
    )
    assert _lines(reading) == [
        ("Beratung (Stunden)", D("12.5"), D("120.00"), D("1500.00")),
        ("Dübel 8 mm", D("2.5"), D("2.79"), D("6.98")),
    ]
    facts = reading.facts
    assert (facts.document_type, facts.issuer, facts.counterparty, facts.number) == (
        "purchase_order",
        "Nordwind AG",
        "Grafikbüro Schäfer",
        "PO-2026-0815",
    )
    assert reading.totals.consistent


# --- repairs and what is said -----------------------------------------------------------------


def test_a_misread_quantity_is_repaired_from_price_and_amount_and_said():
    reading = _read(
        """
        Artikel   Menge   Einzelpreis   Betrag
        Dübel 8 mm   2,9   2,79   6,98
        Zwischensumme   6,98
        """
    )
    assert _lines(reading) == [("Dübel 8 mm", D("2.5"), D("2.79"), D("6.98"))]
    assert "quantity read as 2.9, taken as 2.5" in reading.lines[0].note
    assert any("quantity read as 2.9" in w for w in reading.warnings)


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Sandwich   12 x 5.49   64.80", ("Sandwich", D("12"), D("5.40"), D("64.80"))),
        ("Screws   2.5 x 4.25   190.63", ("Screws", D("2.5"), D("4.25"), D("10.63"))),
        ("Logo design   12 x 3800.00   9,600.00", ("Logo design", D("12"), D("800"), D("9600.00"))),
        ("Kabelbinder   4 x 3,190   12,40", ("Kabelbinder", D("4"), D("3.10"), D("12.40"))),
    ],
)
def test_one_digit_wrong_missing_or_extra_is_repaired(line, expected):
    reading = _read(line)
    got = reading.lines[0]
    assert (got.description, got.quantity, got.unit_price, got.amount) == expected
    assert "so the line adds up" in got.note


def test_when_two_repairs_fit_the_total_decides():
    reading = _read(
        """
        Consulting hours   l1 x 150.00   150.00
        Cable ties   3 x 3.10   9.30
        Subtotal   159.30
        Total   159.30
        """
    )
    assert _lines(reading)[0] == ("Consulting hours", D("1"), D("150.00"), D("150.00"))
    assert "as the total confirms" in reading.lines[0].note


def test_lines_that_do_not_add_up_are_kept_as_read_and_said():
    reading = _read(
        """
        Widget   3 x 7.00   50.00
        Total   50.00
        """
    )
    assert _lines(reading) == [("Widget", D("3"), D("7.00"), D("50.00"))]
    assert reading.lines[0].note == "3 × 7.00 is 21.00, not 50.00"
    assert any("does not add up" in w for w in reading.warnings)


def test_totals_that_disagree_with_the_lines_are_said():
    reading = _read(
        """
        Widget   2 x 5.00   10.00
        Gadget   1 x 4.00   4.00
        Subtotal   14.00
        Tax 10%   1.40
        Total   99.99
        """
    )
    assert reading.totals.consistent is False
    assert any("do not add up" in w for w in reading.warnings)


def test_a_misread_subtotal_is_taken_from_the_lines_when_the_total_agrees():
    reading = _read(
        """
        Widget   2 x 5.00   10.00
        Subtotal   18.00
        Tax 10%   1.00
        Total   11.00
        """
    )
    assert reading.totals.subtotal == D("10.00") and reading.totals.consistent
    assert any("Subtotal read as 18.00" in w for w in reading.warnings)


def test_an_unreadable_tax_amount_is_computed_from_the_rate_and_said():
    reading = _read(
        """
        Kaffee   3 x 3,20   9,60
        Summe EUR   9,60
        enthaltene MwSt. 19%   1,5:3
        """
    )
    assert reading.totals.tax_total == D("1.53")
    assert any("could not be read" in w for w in reading.warnings)


def test_unsure_ocr_lines_are_flagged():
    lines = [TextLine("Widget   2 x 5.00   10.00", 31.0), TextLine("Total   10.00", 95.0)]
    reading = read_text(lines)
    assert reading.lines[0].note == "hard to read"
    assert reading.warnings[0].startswith("Line 1 (Widget) was hard to read")


def test_no_items_is_said():
    assert _read("Hello\nNothing to see").warnings == ("No line items with amounts were found.",)


# --- image preparation ------------------------------------------------------------------------


def test_a_page_scanned_askew_is_turned_level():
    doc = documents.printed_document(3, kind="purchase_order")
    level = documents.document_image(doc)
    assert skew_angle(level) == 0.0
    for angle in (2.0, -2.0, 3.5):
        tilted = level.rotate(angle, expand=True, fillcolor=255)
        assert abs(skew_angle(tilted) + angle) <= 0.5, angle


def test_the_threshold_separates_ink_from_paper():
    page = Image.new("L", (100, 100), 230)
    page.paste(40, (10, 10, 60, 20))
    threshold = otsu_threshold(page)
    assert 40 <= threshold < 230
    prepared, _ = prepare_for_ocr(page, deskew=False)
    assert {level for level, count in enumerate(prepared.histogram()) if count} == {0, 255}


# --- end to end through Tesseract and PDFium ----------------------------------------------------


def _facts_and_lines(document):
    facts = document.facts
    return (
        facts.issuer,
        facts.number,
        facts.issued,
        facts.currency,
        [(i.description, i.quantity, i.unit_price, i.amount) for i in document.lines],
        (document.totals.tax_total, document.totals.total),
    )


def _truth(doc):
    return (
        doc.issuer,
        doc.number,
        doc.issued,
        doc.currency,
        [(i.description, i.quantity, i.unit_price, i.amount) for i in doc.lines],
        (doc.tax, doc.total),
    )


@pytest.mark.parametrize("seed", [3, 22])
def test_a_rendered_receipt_or_order_is_read_exactly_by_ocr(seed):
    doc = documents.printed_document(seed)
    document = read_attachment(documents.document_png(doc))
    assert document.source == Source.OCR
    assert _facts_and_lines(document) == _truth(doc)
    assert document.facts.document_type == doc.kind


def test_a_scuffed_photo_as_jpeg_is_read_exactly():
    doc = documents.printed_document(5, kind="receipt")
    photo = documents.document_image(doc, noisy=True, seed=5)
    document = read_attachment(documents.jpeg_bytes(photo, quality=85))
    assert document.kind == "jpeg"
    assert _facts_and_lines(document) == _truth(doc)


def test_a_scanned_pdf_is_rendered_and_read_by_ocr():
    doc = documents.printed_document(12, kind="purchase_order")
    document = read_attachment(documents.scanned_pdf(documents.document_image(doc)))
    assert document.source == Source.OCR
    assert _facts_and_lines(document) == _truth(doc)


def test_a_pdf_with_a_text_layer_is_read_without_ocr():
    doc = documents.printed_document(12, kind="purchase_order")
    document = read_attachment(documents.text_pdf(doc), ocr=False)
    assert document.source == Source.TEXT_LAYER
    assert _facts_and_lines(document) == _truth(doc)


def test_only_the_first_pages_are_read_and_that_is_said():
    blank = Image.new("L", (200, 280), 255)
    data = documents.scanned_pdf(*[blank] * 4)
    document = read_attachment(data, limits=AttachmentLimits(max_pdf_pages=2), ocr=False)
    assert (document.pages, document.pages_read) == (4, 2)
    assert "only the first 2 were read" in document.warnings[0]


def test_pages_for_a_vision_model_are_rendered_on_request():
    doc = documents.printed_document(12, kind="purchase_order")
    document = read_attachment(documents.text_pdf(doc), images=True, ocr=False)
    assert len(document.images) == 1
    page = document.images[0]
    assert page.format == "png" and page.data.startswith(b"\x89PNG")
    assert 1500 < page.height < 2500  # A4 at 200 dpi
    assert document.lines  # the text layer is read all the same
