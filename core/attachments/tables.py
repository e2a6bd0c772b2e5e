"""Timesheets and item lists from CSV (and, through xlsx.py, from sheets), read deterministically.

1. The header is the first of the top 20 rows in which at least two cells name a known column
   (below, English and German) and one of them is a number column (hours/quantity, rate/price
   or amount). Rows above it (a title, a period) are skipped.
2. Each row below it with a description or a date and at least one number is a line; a row
   whose text says Total / Summe / Gesamt is the table's stated total instead, and an empty
   row ends nothing (timesheets have gaps).
3. Numbers are read in the style the table uses (decimal comma or point, decided from all its
   number cells: `numbers.decimal_comma_of`), hours also as 7:30; dates day- or month-first
   as the table's unambiguous dates show.
4. Checks, reported as warnings rather than silently fixed: quantity × price against the
   amount of each line, and the lines against the stated total.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from core.attachments.document import (
    CellValue,
    Column,
    ColumnRole,
    DocumentFacts,
    ExtractedLine,
    Table,
    Totals,
)
from core.attachments.limits import AttachmentLimits
from core.attachments.numbers import (
    currency_in,
    day_first_of,
    decimal_comma_of,
    parse_date,
    parse_decimal,
    parse_hours,
)
from core.attachments.sniff import find_delimiter
from core.attachments.text import decode_text
from core.errors import AttachmentTooLarge, AttachmentUnreadable

HEADER_SEARCH_ROWS = 20
MAX_CELL_CHARS = 1000

# Header words, compared case-, accent- and punctuation-insensitively. Within a role the
# earlier word is the stronger: a table with both "Item" (a number) and "Description" takes the
# description from "Description".
HEADER_WORDS: dict[ColumnRole, tuple[str, ...]] = {
    ColumnRole.DATE: (
        "date",
        "work date",
        "service date",
        "datum",
        "leistungsdatum",
        "day",
        "tag",
        "arbeitstag",
    ),
    ColumnRole.DESCRIPTION: (
        "description",
        "task",
        "activity",
        "item description",
        "service",
        "details",
        "beschreibung",
        "tatigkeit",
        "taetigkeit",
        "leistungsbeschreibung",
        "leistung",
        "artikelbezeichnung",
        "bezeichnung",
        "aufgabe",
        "artikel",
        "product",
        "produkt",
        "article",
        "item",
        "work",
        "project",
        "projekt",
        "text",
        "name",
        "position",
    ),
    ColumnRole.QUANTITY: (
        "hours",
        "hrs",
        "h",
        "hours worked",
        "total hours",
        "time spent",
        "amount of hours",
        "stunden",
        "std",
        "gesamtstunden",
        "arbeitszeit",
        "qty",
        "quantity",
        "menge",
        "anzahl",
        "duration",
        "dauer",
        "time",
        "zeit",
        "units",
        "stk",
        "stuck",
        "count",
    ),
    ColumnRole.UNIT: ("unit", "uom", "einheit", "me"),
    ColumnRole.UNIT_PRICE: (
        "rate",
        "hourly rate",
        "unit price",
        "price per unit",
        "price",
        "unit cost",
        "stundensatz",
        "einzelpreis",
        "preis je einheit",
        "verrechnungssatz",
        "stundenlohn",
        "e preis",
        "ep",
        "satz",
        "preis",
        "cost",
    ),
    ColumnRole.AMOUNT: (
        "amount",
        "line total",
        "net amount",
        "betrag",
        "nettobetrag",
        "gesamtbetrag",
        "gesamtpreis",
        "total",
        "sum",
        "summe",
        "gesamt",
        "gp",
        "netto",
        "value",
        "wert",
    ),
    ColumnRole.TAX_RATE: ("tax rate", "vat rate", "steuersatz", "tax", "vat", "mwst", "ust"),
}
_NUMBER_ROLES = (ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE, ColumnRole.AMOUNT)
_HOURS_WORDS = frozenset(
    {
        "hours",
        "hrs",
        "h",
        "duration",
        "time",
        "hours worked",
        "total hours",
        "time spent",
        "amount of hours",
        "stunden",
        "std",
        "gesamtstunden",
        "dauer",
        "zeit",
        "arbeitszeit",
    }
)
_TOTAL_WORDS = re.compile(
    r"^(?:grand\s+)?(?:total|totals|sum|summe|gesamt|gesamtsumme|insgesamt|endsumme)\b",
    re.IGNORECASE,
)


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", text)  # "Rate (EUR)" -> "rate"
    return " ".join(re.sub(r"[^\w]+", " ", text).replace("_", " ").split())


_WORD_ROLE = {
    _key(word): (role, rank)
    for role, words in HEADER_WORDS.items()
    for rank, word in enumerate(words)
}


def header_role(text: str) -> ColumnRole | None:
    """The role a header cell names: 'Hours' -> QUANTITY, 'Stundensatz (€)' -> UNIT_PRICE."""
    found = _header_match(text)
    return found[0] if found else None


def _header_match(text: str) -> tuple[ColumnRole, int] | None:
    """(role, rank) of the longest known phrase in a header ("Hourly rate EUR" -> rate)."""
    words = _key(text).split()
    for size in range(len(words), 0, -1):
        matches = [
            _WORD_ROLE[phrase]
            for start in range(len(words) - size + 1)
            if (phrase := " ".join(words[start : start + size])) in _WORD_ROLE
        ]
        if matches:
            return min(matches, key=lambda match: match[1])
    return None


@dataclass(frozen=True)
class TableReading:
    """What a table gave: the table, its lines and stated totals, facts and warnings."""

    table: Table
    lines: tuple[ExtractedLine, ...]
    totals: Totals | None
    facts: DocumentFacts
    warnings: tuple[str, ...]
    text: str


def read_csv(data: bytes, limits: AttachmentLimits) -> TableReading:
    """A CSV file's table (any of the encodings in text.py; delimiter , ; tab or |).

    Raises AttachmentUnreadable or AttachmentTooLarge (more than max_rows rows).
    """
    decoded = decode_text(data)
    if decoded is None:
        raise AttachmentUnreadable("This CSV file is not text.", reason="corrupt")
    text, encoding = decoded
    delimiter = find_delimiter(text)
    if delimiter is None:
        raise AttachmentUnreadable("No columns were found in this CSV file.", reason="no_table")
    rows: list[tuple[CellValue, ...]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            cells = tuple(cell.strip()[:MAX_CELL_CHARS] for cell in row[: limits.max_columns])
            if any(cells):
                rows.append(cells)
                if len(rows) > limits.max_rows + 1:
                    raise too_many_rows(limits)
            else:
                rows.append(())
    except csv.Error:
        raise AttachmentUnreadable("This CSV file is damaged.", reason="corrupt") from None
    return read_rows(
        rows, default_decimal_comma=delimiter == ";", encoding=encoding, delimiter=delimiter
    )


def too_many_rows(limits: AttachmentLimits) -> AttachmentTooLarge:
    return AttachmentTooLarge(
        f"This table has more than {limits.max_rows:,} rows; split it, or attach a summary.",
        reason="rows",
        details={"limit": limits.max_rows},
    )


def read_rows(
    rows: Sequence[tuple[CellValue, ...]],
    *,
    default_decimal_comma: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    extra_warnings: Sequence[str] = (),
) -> TableReading:
    """The table in `rows` (cells as text, or already typed by a spreadsheet)."""
    header_at, columns = _find_header(rows)
    warnings = list(extra_warnings)
    if header_at is None:
        raise AttachmentUnreadable(
            "No header row naming the columns (for example Date, Description, Hours, Rate, "
            "Amount) was found in the first rows of this table.",
            reason="no_header",
        )
    body = [row for row in rows[header_at + 1 :]]
    texts = [c for row in body for c in row if isinstance(c, str)]
    number_cells = [
        c
        for row in body
        for col in columns
        if col.role in _NUMBER_ROLES
        and col.index < len(row)
        and isinstance(c := row[col.index], str)
    ]
    decimal_comma = decimal_comma_of(number_cells, default=default_decimal_comma)
    date_col = _role(columns, ColumnRole.DATE)
    date_texts = [
        row[date_col.index]
        for row in body
        if date_col and date_col.index < len(row) and isinstance(row[date_col.index], str)
    ]
    day_first = day_first_of([t for t in date_texts if isinstance(t, str)], default=None)
    if day_first is None:
        day_first = decimal_comma or delimiter == ";"
        if any(_ambiguous_date(t) for t in date_texts if isinstance(t, str)):
            warnings.append(
                "Dates like 03/04 could be read day-first or month-first; they were read "
                + ("day-first (3 April)." if day_first else "month-first (March 4).")
            )
    hours_column = _is_hours_column(columns)
    has_amounts = _role(columns, ColumnRole.AMOUNT) is not None
    currency = next((c for c in (currency_in(col.header) for col in columns) if c), None)
    if currency is None:
        currency = next((c for c in map(currency_in, texts[:200]) if c), None)

    lines: list[ExtractedLine] = []
    stated: Totals | None = None
    kept_rows: list[tuple[CellValue, ...]] = []
    for offset, row in enumerate(body):
        if not any(row):
            continue
        kept_rows.append(row)
        row_number = header_at + 2 + offset
        cell = _cell_reader(row, columns)
        description = cell(ColumnRole.DESCRIPTION)
        day_value = cell(ColumnRole.DATE)
        first_text = next((c for c in row if isinstance(c, str) and c.strip()), "")
        quantity = (parse_hours if hours_column else _decimal)(
            cell(ColumnRole.QUANTITY), decimal_comma=decimal_comma
        )
        unit_price = _decimal(cell(ColumnRole.UNIT_PRICE), decimal_comma=decimal_comma)
        amount = _decimal(cell(ColumnRole.AMOUNT), decimal_comma=decimal_comma)
        tax_rate = _decimal(cell(ColumnRole.TAX_RATE), decimal_comma=decimal_comma)
        numbers = [n for n in (quantity, unit_price, amount) if n is not None]
        label = description if isinstance(description, str) and description else first_text
        day = parse_date(day_value, day_first=day_first) if day_value else None
        if _TOTAL_WORDS.match(str(label).strip()) and day is None:
            stated = Totals(total=amount, quantity=quantity)
            continue
        if not numbers:
            continue
        text = str(description).strip() if description else ""
        if not text and day is None:
            continue
        note = None
        if amount is None and has_amounts and quantity is not None and unit_price is not None:
            amount = _half_up(quantity * unit_price)
            note = "no amount in the file (a formula without a saved value?); quantity × rate"
        elif (
            amount is not None
            and quantity is not None
            and unit_price is not None
            and _half_up(quantity * unit_price) != _half_up(amount)
        ):
            product = _half_up(quantity * unit_price)
            note = (
                f"{_plain(quantity)} × {_plain(unit_price)} is {_money(product)}, but the "
                f"amount says {_money(amount)}"
            )
            warnings.append(f"Row {row_number}: {note}.")
        lines.append(
            ExtractedLine(
                description=text,
                quantity=quantity,
                unit="hours" if hours_column and quantity is not None else _unit(cell),
                unit_price=unit_price,
                amount=amount,
                day=day,
                tax_rate=tax_rate,
                source_ref=f"row {row_number}",
                note=note,
            )
        )
    totals = _totals(lines, stated, warnings)
    table = Table(
        columns=tuple(columns),
        rows=tuple(kept_rows),
        header_row=header_at + 1,
        decimal_comma=decimal_comma,
        encoding=encoding,
        delimiter=delimiter,
    )
    if not lines:
        warnings.append("The table has a header but no rows with numbers below it.")
    facts = DocumentFacts(document_type="timesheet" if hours_column else "table", currency=currency)
    return TableReading(table, tuple(lines), totals, facts, tuple(warnings), table_text(table))


def _find_header(rows: Sequence[tuple[CellValue, ...]]) -> tuple[int | None, list[Column]]:
    for at, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        matches = {
            index: match
            for index, value in enumerate(row)
            if isinstance(value, str) and (match := _header_match(value))
        }
        best: dict[ColumnRole, int] = {}  # role -> the column that names it most strongly
        for index, (role, rank) in matches.items():
            if role not in best or rank < matches[best[role]][1]:
                best[role] = index
        if len(best) >= 2 and set(best) & set(_NUMBER_ROLES):
            chosen = {index: role for role, index in best.items()}
            columns = [
                Column(index, value if isinstance(value, str) else "", chosen.get(index))
                for index, value in enumerate(row)
            ]
            return at, columns
    return None, []


def _role(columns: Sequence[Column], role: ColumnRole) -> Column | None:
    return next((c for c in columns if c.role == role), None)


def _is_hours_column(columns: Sequence[Column]) -> bool:
    quantity = _role(columns, ColumnRole.QUANTITY)
    return quantity is not None and bool(_HOURS_WORDS & set(_phrases(_key(quantity.header))))


def _phrases(key: str) -> list[str]:
    words = key.split()
    return [" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)]


def _cell_reader(row: tuple[CellValue, ...], columns: Sequence[Column]):
    def cell(role: ColumnRole) -> CellValue:
        column = _role(columns, role)
        if column is None or column.index >= len(row):
            return None
        value = row[column.index]
        return value.strip() if isinstance(value, str) else value

    return cell


def _decimal(value: CellValue, *, decimal_comma: bool) -> Decimal | None:
    if value is None or isinstance(value, date):
        return None
    return parse_decimal(value, decimal_comma=decimal_comma)


def _unit(cell) -> str | None:
    unit = cell(ColumnRole.UNIT)
    return unit if isinstance(unit, str) and unit else None


def _ambiguous_date(text: str) -> bool:
    from core.attachments.numbers import NUMERIC_DATE

    match = NUMERIC_DATE.search(text)
    return (
        bool(match)
        and match.group(2) != "."
        and int(match.group(1)) <= 12
        and int(match.group(3)) <= 12
        and match.group(1) != match.group(3)
    )


def _totals(
    lines: Sequence[ExtractedLine], stated: Totals | None, warnings: list[str]
) -> Totals | None:
    if stated is None:
        return None
    consistent = True
    amounts = [line.amount for line in lines if line.amount is not None]
    if stated.total is not None and amounts:
        summed = sum(amounts, Decimal(0))
        if _half_up(summed) != _half_up(stated.total):
            consistent = False
            warnings.append(
                f"The rows add up to {_money(summed)}, but the total row says "
                f"{_money(stated.total)}."
            )
    quantities = [line.quantity for line in lines if line.quantity is not None]
    if stated.quantity is not None and quantities:
        summed = sum(quantities, Decimal(0))
        if summed != stated.quantity:
            consistent = False
            warnings.append(
                f"The rows add up to {_plain(summed)} hours or units, but the total row says "
                f"{_plain(stated.quantity)}."
            )
    return Totals(total=stated.total, quantity=stated.quantity, consistent=consistent)


def _half_up(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> str:
    """An amount with at least two decimals: 250 -> '250.00'."""
    exponent = value.as_tuple().exponent
    return format(value if isinstance(exponent, int) and exponent < -2 else _half_up(value), "f")


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0E-0") else text


def table_text(table: Table, limit: int = 100_000) -> str:
    """The table as pipe-separated text, header first, for a model or a person to read."""

    def show(value: CellValue) -> str:
        if value is None:
            return ""
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return _plain(value)
        return " ".join(str(value).replace("|", "/").split())

    lines = ["| " + " | ".join(show(c.header) for c in table.columns) + " |"]
    size = len(lines[0])
    for row in table.rows:
        line = "| " + " | ".join(show(v) for v in row) + " |"
        size += len(line) + 1
        if size > limit:
            lines.append(f"… ({len(table.rows) - len(lines) + 1} more rows)")
            break
        lines.append(line)
    return "\n".join(lines)
