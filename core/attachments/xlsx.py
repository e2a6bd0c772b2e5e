"""XLSX workbooks with openpyxl (read-only, cached values), after the zip has proved harmless.

`sniff` has checked the declared sizes and ratios of the zip; here every member is unpacked
once more while counting the actual bytes against the same limit (zipfile also stops at a
member's declared size and fails on a wrong CRC), before openpyxl reads anything. openpyxl
parses the sheet XML through defusedxml when it is installed (it is a dependency of ours), so a
DTD in a sheet is refused too.

The first sheet with a recognisable header row is read (tables.py); the others are mentioned
in a warning. Cells keep their types: numbers become Decimal with the 15 significant digits
Excel keeps, dates stay dates, times and durations become hours.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from core.attachments.document import CellValue
from core.attachments.limits import AttachmentLimits
from core.attachments.numbers import float_decimal, hours_of
from core.attachments.sniff import check_workbook_zip
from core.attachments.tables import MAX_CELL_CHARS, TableReading, read_rows, too_many_rows
from core.errors import AttachmentError, AttachmentTooLarge, AttachmentUnreadable

MAX_SHEETS = 20
EMPTY_ROWS_BEFORE_STOP = 1000  # formatted but empty rows at the end of a sheet are not data
_CHUNK = 1 << 16


def check_unpacked_size(data: bytes, limits: AttachmentLimits) -> None:
    """Unpack every member, counting actual bytes; raises AttachmentTooLarge past the limit."""
    archive = check_workbook_zip(data, limits)
    total = 0
    try:
        for member in archive.infolist():
            with archive.open(member) as stream:
                while chunk := stream.read(_CHUNK):
                    total += len(chunk)
                    if total > limits.max_unpacked_bytes:
                        raise AttachmentTooLarge(
                            "This workbook unpacks to more than its parts declare; it was not "
                            "read.",
                            reason="unpacked_size",
                            details={"limit": limits.max_unpacked_bytes},
                        )
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, ValueError):
        # zipfile stops at a member's declared size and then checks the CRC: a member that
        # unpacks to more (or other) bytes than declared ends here
        raise AttachmentUnreadable("This workbook is damaged.", reason="corrupt") from None


def read_xlsx(data: bytes, limits: AttachmentLimits) -> TableReading:
    """The first table found in the workbook's sheets.

    Raises AttachmentTooLarge, AttachmentUnreadable or UnsupportedAttachment.
    """
    check_unpacked_size(data, limits)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except AttachmentError:
        raise
    except Exception:  # openpyxl raises many kinds (KeyError, defusedxml's, zipfile's …)
        raise AttachmentUnreadable("This workbook could not be opened.", reason="corrupt") from None
    try:
        sheets = workbook.worksheets[:MAX_SHEETS]
        first_error: AttachmentError | None = None
        for number, sheet in enumerate(sheets, start=1):
            rows = _rows(sheet, limits)
            try:
                reading = read_rows(rows)
            except AttachmentUnreadable as error:
                first_error = first_error or error
                continue
            if len(workbook.worksheets) > 1:
                reading = _with_warning(
                    reading,
                    f"The workbook has {len(workbook.worksheets)} sheets; sheet {number} was "
                    "read (the first with a table).",
                )
            return reading
    except AttachmentError:
        raise
    except Exception:
        raise AttachmentUnreadable("This workbook could not be read.", reason="corrupt") from None
    finally:
        workbook.close()
    raise first_error or AttachmentUnreadable("This workbook has no sheets.", reason="no_table")


def _rows(sheet, limits: AttachmentLimits) -> list[tuple[CellValue, ...]]:
    rows: list[tuple[CellValue, ...]] = []
    filled = empty_run = 0
    for values in sheet.iter_rows(max_col=limits.max_columns, values_only=True):
        cells = tuple(cell_value(v) for v in values)
        if any(c not in (None, "") for c in cells):
            filled += 1
            if filled > limits.max_rows + 1:
                raise too_many_rows(limits)
            rows.extend([()] * empty_run)
            empty_run = 0
            rows.append(cells)
        else:
            empty_run += 1
            if empty_run >= EMPTY_ROWS_BEFORE_STOP:
                break
    return rows


def cell_value(value: object) -> CellValue:
    """A spreadsheet value as the tables read it: text, Decimal, date, or None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return float_decimal(value)
    if isinstance(value, datetime):
        return value.date()  # a timesheet's day; a time of day beside it is not billed
    if isinstance(value, date):
        return value
    if isinstance(value, time | timedelta):
        return hours_of(value)
    return str(value).strip()[:MAX_CELL_CHARS]


def _with_warning(reading: TableReading, warning: str) -> TableReading:
    from dataclasses import replace

    return replace(reading, warnings=(*reading.warnings, warning))
