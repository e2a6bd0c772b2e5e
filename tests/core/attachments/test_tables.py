"""Timesheets and item lists from CSV and XLSX: headers found, every number exact, checks said."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.attachments import AttachmentLimits, ColumnRole, read_attachment
from core.attachments.numbers import (
    decimal_comma_of,
    float_decimal,
    parse_date,
    parse_decimal,
    parse_hours,
)
from core.attachments.tables import header_role
from core.errors import AttachmentTooLarge, AttachmentUnreadable
from tests.support import documents


def _expected(sheet: documents.Timesheet):
    return [(row.day, row.task, row.hours, row.rate, row.amount) for row in sheet.rows]


def _read(document):
    return [
        (line.day, line.description, line.quantity, line.unit_price, line.amount)
        for line in document.lines
    ]


@pytest.mark.parametrize("seed", range(6))
def test_a_utf8_timesheet_reads_exactly(seed):
    sheet = documents.timesheet(seed, language="en")
    document = read_attachment(documents.timesheet_csv(sheet))
    assert _read(document) == _expected(sheet)
    assert {line.unit for line in document.lines} == {"hours"}
    assert document.facts.document_type == "timesheet"
    assert document.totals.total == sheet.total
    assert document.totals.quantity == sheet.total_hours
    assert document.totals.consistent is True
    assert document.warnings == ()
    assert document.table.encoding == "utf-8"


def test_a_latin1_timesheet_with_semicolons_and_decimal_commas_reads_exactly():
    sheet = documents.timesheet(11, language="de")
    data = documents.timesheet_csv(sheet, encoding="latin-1", delimiter=";", decimal_comma=True)
    assert "Tätigkeit".encode("latin-1") in data and b"\xc3" not in data  # really Latin-1
    document = read_attachment(data)
    assert _read(document) == _expected(sheet)
    assert document.table.columns[1].header == "Tätigkeit"  # ä read as ä, not Ã¤
    assert {line.description for line in document.lines} <= set(documents.TASKS["de"])
    assert document.table.delimiter == ";" and document.table.decimal_comma
    assert document.table.encoding in ("cp1252", "latin-1")


@pytest.mark.parametrize(
    "encoding, bom, delimiter",
    [
        ("utf-8", True, ","),
        ("utf-16", False, "\t"),
        ("utf-16-le", False, ";"),
        ("cp1252", False, ";"),
    ],
)
def test_other_encodings_and_delimiters(encoding, bom, delimiter):
    sheet = documents.timesheet(5, language="de")
    data = documents.timesheet_csv(
        sheet, encoding=encoding, bom=bom, delimiter=delimiter, decimal_comma=delimiter == ";"
    )
    assert _read(read_attachment(data)) == _expected(sheet)


def test_thousands_in_amounts_are_read_in_the_tables_style():
    rows = [
        "Datum;Beschreibung;Menge;Einzelpreis;Betrag",
        "01.10.2026;Server;2;1.234,50;2.469,00",
        "02.10.2026;Wartung;1;1.000;1.000",
    ]
    document = read_attachment("\n".join(rows).encode())
    assert [(line.unit_price, line.amount) for line in document.lines] == [
        (Decimal("1234.50"), Decimal("2469.00")),
        (Decimal("1000"), Decimal("1000")),
    ]
    assert document.facts.document_type == "table"


def test_hours_as_hh_mm_and_a_title_above_the_header():
    rows = [
        "Timesheet October 2026,,,",
        ",,,",
        "Date,Activity,Time spent,Hourly rate (USD)",
        "2026-10-01,Code review,7:30,95",
        "2026-10-02,Meeting,0:45,95",
    ]
    document = read_attachment("\n".join(rows).encode())
    assert document.table.header_row == 3
    assert [line.quantity for line in document.lines] == [Decimal("7.5"), Decimal("0.75")]
    assert document.facts.currency == "USD"
    assert [line.amount for line in document.lines] == [None, None]  # not stated, not invented


def test_a_row_that_does_not_add_up_is_said():
    rows = ["Date,Task,Hours,Rate,Amount", "2026-10-01,Review,2,100,250.00"]
    document = read_attachment("\n".join(rows).encode())
    assert document.lines[0].amount == Decimal("250.00")  # as written
    assert "2 × 100 is 200" in document.lines[0].note
    assert document.warnings == ("Row 2: 2 × 100 is 200.00, but the amount says 250.00.",)


def test_a_wrong_total_row_is_said():
    sheet = documents.timesheet(3, language="en")
    data = documents.timesheet_csv(sheet).replace(
        str(documents.written(sheet.total, False)).encode(), b"1.00"
    )
    document = read_attachment(data)
    assert document.totals.consistent is False
    assert any("total row says" in warning for warning in document.warnings)


def test_ambiguous_dates_are_read_by_the_tables_own_dates_and_said_otherwise():
    unambiguous = "Date,Task,Hours\n03/04/2026,A,1\n13/04/2026,B,2\n"
    assert [line.day for line in read_attachment(unambiguous.encode()).lines] == [
        date(2026, 4, 3),
        date(2026, 4, 13),
    ]
    ambiguous = read_attachment(b"Date,Task,Hours\n03/04/2026,A,1\n")
    assert any("day-first or month-first" in w for w in ambiguous.warnings)


def test_no_header_is_a_clear_error():
    with pytest.raises(AttachmentUnreadable) as caught:
        read_attachment(b"a,b,c\n1,2,3\n4,5,6\n", attachment=2)
    assert caught.value.details == {"attachment": 2, "reason": "no_header"}


def test_more_rows_than_the_limit_are_refused_not_cut():
    sheet = documents.timesheet(1, language="en", rows=30)
    limits = AttachmentLimits(max_rows=20)
    with pytest.raises(AttachmentTooLarge) as caught:
        read_attachment(documents.timesheet_csv(sheet), limits=limits)
    assert caught.value.details["reason"] == "rows"
    with pytest.raises(AttachmentTooLarge):
        read_attachment(documents.timesheet_xlsx(sheet), limits=limits)


# --- XLSX ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "de"])
def test_an_xlsx_timesheet_reads_exactly(language):
    sheet = documents.timesheet(21, language=language)
    document = read_attachment(documents.timesheet_xlsx(sheet))
    assert _read(document) == _expected(sheet)
    assert document.table.header_row == 2  # below the title row
    assert document.kind == "xlsx"


def test_amounts_written_as_formulas_without_saved_values_are_computed_and_said():
    sheet = documents.timesheet(8, language="en")
    document = read_attachment(documents.timesheet_xlsx(sheet, formulas=True))
    assert _read(document) == _expected(sheet)
    assert all("formula" in line.note for line in document.lines)


def test_spreadsheet_floats_come_back_as_the_typed_decimals():
    assert float_decimal(1234.5699999999999) == Decimal("1234.57")
    assert float_decimal(0.1 + 0.2) == Decimal("0.3")
    assert float_decimal(150.5) == Decimal("150.5")
    assert float_decimal(1e-7) == Decimal("1E-7")


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, decimal_comma, value",
    [
        ("1234.5", False, "1234.5"),
        ("1,234.50", False, "1234.50"),
        ("1.234,50", False, "1234.50"),  # decides itself: both separators
        ("1 234,50", False, "1234.50"),
        ("1\u00a0234,50 €", False, "1234.50"),
        ("1'234.50", False, "1234.50"),
        ("€ 12", False, "12"),
        ("12,00 €", False, "12.00"),
        ("USD 1,200", False, "1200"),
        ("-12.00", False, "-12.00"),
        ("(12.00)", False, "-12.00"),
        ("12.00-", False, "-12.00"),
        ("1.234", True, "1234"),
        ("1.234", False, "1.234"),
        ("1,234", True, "1.234"),
        ("7,5 h", False, "7.5"),
        ("19%", False, "19"),
        ("1.234.567,89", False, "1234567.89"),
        ("1,234,567", False, "1234567"),
    ],
)
def test_amounts_in_every_common_style(text, decimal_comma, value):
    assert parse_decimal(text, decimal_comma=decimal_comma) == Decimal(value)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3,4,5", "12 apples", "--5"])
def test_what_is_not_a_number(text):
    assert parse_decimal(text) is None


def test_the_style_of_a_column_is_decided_by_the_numbers_that_tell():
    assert decimal_comma_of(["1.234", "12,50", "3"]) is True
    assert decimal_comma_of(["1,234", "12.50"]) is False
    assert decimal_comma_of(["1,234"], default=True) is True


def test_hours_and_dates():
    assert parse_hours("7:20") == Decimal("7.333333")
    assert parse_hours("1:00:30") == Decimal("1.008333")
    assert parse_date("31.12.2026") == date(2026, 12, 31)
    assert parse_date("12/31/2026", day_first=True) == date(2026, 12, 31)
    assert parse_date("01/02/2026", day_first=False) == date(2026, 1, 2)
    assert parse_date("01/02/2026", day_first=None) is None
    assert parse_date("Datum 5. März 2026") == date(2026, 3, 5)
    assert parse_date("Nov 3, 2026") == date(2026, 11, 3)


@pytest.mark.parametrize(
    "header, role",
    [
        ("Hours", ColumnRole.QUANTITY),
        ("Stundensatz (€)", ColumnRole.UNIT_PRICE),
        ("Hourly rate EUR", ColumnRole.UNIT_PRICE),
        ("Total hours", ColumnRole.QUANTITY),
        ("Betrag netto", ColumnRole.AMOUNT),
        ("Tätigkeit", ColumnRole.DESCRIPTION),
        ("Leistungsdatum", ColumnRole.DATE),
        ("Einzelpreis", ColumnRole.UNIT_PRICE),
        ("MwSt.", ColumnRole.TAX_RATE),
        ("Colour", None),
    ],
)
def test_header_words_in_english_and_german(header, role):
    assert header_role(header) == role


def test_an_item_column_and_a_description_column_take_the_description():
    rows = "Item,Description,Qty,Unit price,Amount\n1,Logo design,1,800.00,800.00\n"
    document = read_attachment(rows.encode())
    assert document.lines[0].description == "Logo design"
    assert document.lines[0].unit is None
