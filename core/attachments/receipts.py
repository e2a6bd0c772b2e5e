"""Receipts, purchase orders and invoices as text (OCR or a PDF text layer) to line items.

The text is read line by line, as Tesseract (`--psm 4`) and PDFium give it: a table row or a
receipt line is one line of text. What it finds:

- **the number style**: decimal comma or point, by majority of the amounts that tell;
- **totals**: lines that start with a subtotal, tax or total word (English and German) and
  end in an amount; a tax line also gives its rate ("MwSt. 19 %"), and "incl." / "enthaltene"
  marks prices that already include the tax;
- **line items**: the lines with an amount at the end between the header and the totals,
  parsed from the right (amount, then unit price, unit, quantity), in these shapes:

      Coffee beans 1kg      2 x 18.50      37.00     description, quantity × price, amount
      2 x Coffee beans      18.50          37.00     quantity × description, price, amount
      Coffee beans   2   pcs   18.50       37.00     a table row, with or without a unit
      Coffee beans                         37.00     description and amount (quantity 1)

  A shape counts only when quantity × price gives the amount (rounded half-up to the cent),
  so a digit in a description ("Screws M4 (100 pcs)") is not taken for a quantity;
- **repairs**: when one number of a line was misread (OCR gives 2,9 for 2,5), the other two
  decide, if exactly one digit-for-digit correction makes the line add up. The same for
  subtotal, tax and total against the lines. Every repair is said in `warnings` and on the
  line (`note`); what does not add up after that is said too, and left as read;
- **facts**: the kind of document, the issuer (the first line of text at the top that is not
  its title), the counterparty ("Vendor:", "Lieferant:", "Bill to:"), its number, date and
  currency.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.attachments.document import DocumentFacts, DocumentType, ExtractedLine, Totals
from core.attachments.numbers import (
    CURRENCY_CODES,
    CURRENCY_SYMBOLS,
    currency_in,
    decimal_comma_of,
    parse_date,
    parse_decimal,
)

CENT = Decimal("0.01")
UNSURE_CONFIDENCE = 60

# An amount: two decimals, optional grouping, an optional currency mark either side.
_MARK = r"(?:[$€£¥]|US\$|CHF|EUR|USD|GBP|Fr\.)"
AMOUNT = rf"[-−]?{_MARK}?\s?\d{{1,3}}(?:(?:[.,']\d{{3}})+|\d*)[.,]\d{{2}}(?![.,]?\d)(?:\s?{_MARK})?"
_AMOUNT_RE = re.compile(rf"(?<![\w.,]){AMOUNT}")
QUANTITY = r"\d+(?:[.,]\d{1,3})?"
_TRAILER = r"(?:\s+(?:[A-D]|\*|[A-D]\*))?\s*$"  # a tax class letter after the amount (A, B)
_TIMES = r"\s*[xX×*]\s*"
_UNIT_WORD = r"[A-Za-zÄÖÜäöüß.]{1,6}"

# A number OCR garbled by a digit too many ("3,190", "64,090"): tried only when no line shape
# reads with proper amounts, and kept only when a repair makes the line add up.
LOOSE_AMOUNT = rf"{_MARK}?\s?\d{{1,4}}(?:(?:[.,']\d{{3}})+|\d*)[.,]\d{{2,3}}(?!\d)(?:\s?{_MARK})?"


def _shapes(amount: str) -> tuple[re.Pattern[str], ...]:
    end = rf"(?P<amount>{amount}){_TRAILER}"
    return (
        # description, quantity × price, amount
        re.compile(rf"^(?P<desc>.+?)\s+(?P<qty>{QUANTITY}){_TIMES}(?P<price>{amount})\s+{end}"),
        # quantity × description, price, amount
        re.compile(
            rf"^(?P<qty>{QUANTITY}){_TIMES}(?P<desc>.+?)\s+(?:[@à]\s*)?(?P<price>{amount})\s+{end}"
        ),
        # a table row: description, quantity, optional unit, price, amount
        re.compile(
            rf"^(?P<desc>.+?)\s+(?P<qty>{QUANTITY})\s+(?:(?P<unit>{_UNIT_WORD})\s+)?"
            rf"(?:[@à]\s*)?(?P<price>{amount})\s+{end}"
        ),
        # description, price, amount (the quantity follows from them)
        re.compile(rf"^(?P<desc>.+?)\s+(?:[@à]\s*)?(?P<price>{amount})\s+{end}"),
        # quantity × description, amount
        re.compile(rf"^(?P<qty>{QUANTITY}){_TIMES}(?P<desc>.+?)\s+{end}"),
        # description, amount
        re.compile(rf"^(?P<desc>.+?)\s+{end}"),
    )


_SHAPES = _shapes(AMOUNT)
_LOOSE_SHAPES = _shapes(LOOSE_AMOUNT)
# a description that ends like the start of "2 x 3,10": the numbers were misread, not absent
_ENDS_IN_TIMES = re.compile(r"\d\s*[xX×*](?:\s*[\d.,:]+)?$")
_ENDS_IN_QUANTITY = re.compile(rf"\s{QUANTITY}$")
_ENDS_IN_AMOUNT = re.compile(rf"\s{AMOUNT}$")
_QUANTITY_ONLY = re.compile(rf"^(?P<qty>{QUANTITY}){_TIMES}(?P<price>{AMOUNT})\s*$")


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w%]+", " ", text).split())


_SUBTOTAL = re.compile(
    r"^(?:sub ?total|zwischensumme|net total|total net|summe netto|nettosumme|nettobetrag|"
    r"netto|net amount|total excl\w* (?:tax|vat))\b"
)
_TAX = re.compile(
    r"^(?:(?:incl\w*|inkl\w*|enthaltene|enth|darin|davon)\s+)?(?:\d+(?: \d+)? ?% ?)?"
    r"(?:sales tax|tax|vat|gst|hst|mwst|ust|mehrwertsteuer|umsatzsteuer)\b"
)
_TOTAL = re.compile(
    r"^(?:grand total|total due|amount due|balance due|total|summe|gesamtbetrag|gesamtsumme|"
    r"gesamt|endbetrag|zu zahlen|zahlbetrag|rechnungsbetrag|bruttobetrag|brutto)\b"
)
_INCLUDED = re.compile(r"\b(?:incl\w*|inkl\w*|enthalten\w*|enth|darin|davon|included)\b")
_PAYMENT = re.compile(
    r"^(?:cash|change|card|visa|mastercard|given|tendered|bar|gegeben|ruckgeld|zuruck|"
    r"ec karte|girocard|kartenzahlung|tip|trinkgeld)\b"
)
_GARBLED_AMOUNT = re.compile(r"\d[.,:]\d")
_RATE = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s?%")
_HEADER_TEXT = (
    "description qty quantity unit price amount item items total article artikel menge "
    "einzelpreis betrag bezeichnung beschreibung anzahl preis pos position rate hours"
)
_HEADER_WORDS = frozenset(_HEADER_TEXT.split(" "))
_DOCUMENT_TYPES: tuple[tuple[re.Pattern[str], DocumentType], ...] = (
    (
        re.compile(
            r"\b(?:purchase order|bestellung|bestellnummer|bestell nr|auftrag|po number|po no|"
            r"order number)\b"
        ),
        "purchase_order",
    ),
    (re.compile(r"\b(?:credit note|gutschrift)\b"), "credit_note"),
    (re.compile(r"\b(?:invoice|rechnung|facture)\b"), "invoice"),
    (re.compile(r"\b(?:receipt|kassenbon|quittung|kassenbeleg|bon|beleg)\b"), "receipt"),
)
_TITLES = frozenset(
    {
        "receipt",
        "kassenbon",
        "quittung",
        "kassenbeleg",
        "purchase order",
        "bestellung",
        "invoice",
        "rechnung",
        "credit note",
        "gutschrift",
        "order",
        "auftrag",
        "tax invoice",
    }
)
_NUMBER_LABEL = re.compile(
    r"(?:receipt|invoice|order|po|purchase order|beleg|bon|rechnungs?|bestell|auftrags?)"
    r"[\s-]*(?:no\.?|nr\.?|number|nummer|#|id)\s*[:#.]?\s*(?P<value>[A-Za-z0-9][\w\-/.]*)",
    re.IGNORECASE,
)
_COUNTERPARTY = re.compile(
    r"^(?:vendor|supplier|to|bill to|billed to|sold to|lieferant|an|rechnungsempfanger|"
    r"kunde|customer)\s*:\s*(?P<name>.+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TextLine:
    """One line of a document's text, with how sure the reader was of it (0-100)."""

    text: str
    confidence: float = 100.0


@dataclass(frozen=True)
class TextReading:
    lines: tuple[ExtractedLine, ...]
    totals: Totals | None
    facts: DocumentFacts
    warnings: tuple[str, ...]


@dataclass
class _Item:
    at: int  # index of the text line
    description: str
    quantity: Decimal
    unit: str | None
    unit_price: Decimal
    amount: Decimal
    written: dict[str, str]  # the tokens as read, for repairs
    note: str | None = None
    # repairs that each make the line add up when more than one does; the totals decide
    alternatives: tuple[_Item, ...] = ()


def read_text(lines: Sequence[TextLine], *, default_currency: str | None = None) -> TextReading:
    """Line items, totals and facts from the lines of a receipt, order or invoice."""
    texts = [_clean(line.text) for line in lines]
    amount_tokens = [m.group(0) for t in texts for m in _AMOUNT_RE.finditer(t)]
    german = any(
        re.search(r"\b(?:summe|mwst|ust|datum|menge|betrag|rechnung)\b", _key(t)) for t in texts
    )
    decimal_comma = decimal_comma_of(amount_tokens, default=german)
    warnings: list[str] = []

    kinds = [_line_kind(t) for t in texts]
    first_total = next((i for i, k in enumerate(kinds) if k in ("subtotal", "total")), None)
    header_at = next((i for i, t in enumerate(texts) if _is_table_header(t)), None)
    start = header_at + 1 if header_at is not None else 0
    end = first_total if first_total is not None and first_total >= start else len(texts)
    items: list[_Item] = []
    for i in range(start, end):
        if kinds[i] is not None:
            continue
        item = _item(texts[i], i, decimal_comma)
        if item is None:
            item = _item_over_two_lines(texts, i, decimal_comma, items)
        if item is not None:
            items.append(item)
        elif items and _GARBLED_AMOUNT.search(texts[i]) and re.search(r"[^\W\d_]{3}", texts[i]):
            warnings.append(
                f"Text line {i + 1} looks like an item but its numbers could not be read: "
                f"{_short(texts[i], 60)!r}."
            )
    for number, item in enumerate(items, start=1):
        if lines[item.at].confidence < UNSURE_CONFIDENCE:
            item.note = _join(item.note, "hard to read")
            warnings.append(f"Line {number} ({_short(item.description)}) was hard to read.")
    totals = _totals(texts, kinds, decimal_comma, start)
    totals, items = _reconcile(totals, items, warnings)
    facts = _facts(
        texts,
        lines,
        header_at if header_at is not None else _first_item_at(items, end),
        default_currency,
    )
    extracted = tuple(
        ExtractedLine(
            description=item.description,
            quantity=item.quantity,
            unit=item.unit,
            unit_price=item.unit_price,
            amount=item.amount,
            tax_rate=totals.tax_rate if totals else None,
            source_ref=f"line {item.at + 1}",
            note=item.note,
        )
        for item in items
    )
    if not extracted:
        warnings.append("No line items with amounts were found.")
    return TextReading(extracted, totals, facts, tuple(warnings))


# --- lines --------------------------------------------------------------------------------------


_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1"})


def _clean(text: str) -> str:
    text = text.replace("×", "x").replace("—", "-").replace("–", "-")
    # single spaces inside a column, three between columns (as ocr.py and PDFium give them)
    text = "   ".join(" ".join(part.split()) for part in re.split(r"\s{3,}", text.strip()))

    # OCR's letters inside numbers: "1O.5O" -> "10.50", "l2,00" -> "12,00"
    def digits(match: re.Match[str]) -> str:
        return match.group(0).translate(_OCR_DIGITS)

    text = re.sub(r"(?<![A-Za-z])[\dOolI|]*\d[\dOolI|]*[.,][\dOolI|]{2}(?![\w])", digits, text)
    # "l1 x 150.00": the quantity before a times sign is digits, whatever OCR saw
    text = re.sub(
        r"(?<![\w.,])[\dlI|]*[\d|lI][\dlI|]*(?=\s*[xX×*]\s*\d)",
        lambda match: match.group(0).translate(_OCR_DIGITS),
        text,
    )
    # "lkg", "l00 g": an l or I before a unit is a 1 (no word starts like that)
    return re.sub(r"(?<![\w])[lI](\d*\s?(?:kg|g|mg|ml|cl|mm|cm|pcs|stk))\b", r"1\1", text)


def _line_kind(text: str) -> str | None:
    """subtotal, tax, total or payment for a line that starts with such a word and has a
    number (an amount, or digits OCR garbled: "39,904"); None for any other line."""
    key = _key(text)
    if not _AMOUNT_RE.search(text) and not _GARBLED_AMOUNT.search(text):
        return None
    if _SUBTOTAL.match(key):
        return "subtotal"
    if _TAX.match(key):
        return "tax"
    if _TOTAL.match(key):
        return "total"
    if _PAYMENT.match(key):
        return "payment"
    return None


def _is_table_header(text: str) -> bool:
    if _AMOUNT_RE.search(text):
        return False
    words = set(_key(text).split())
    return len(words & _HEADER_WORDS) >= 2


def _item(text: str, at: int, decimal_comma: bool) -> _Item | None:
    """The first shape that reads `text` as a line whose numbers add up; else the one repair
    that makes it add up; else the first reading, with a note that it does not add up."""
    candidates = _readings(text, at, decimal_comma, _SHAPES)
    for item in candidates:
        if _adds_up(item):
            return item
    for item in candidates:
        if repaired := _repair(item):
            return repaired
    for item in _readings(text, at, decimal_comma, _LOOSE_SHAPES):
        if repaired := _repair(item):
            return repaired
    if candidates:
        item = next((c for c in candidates if c.alternatives), candidates[0])
        item.note = (
            f"{_number(item.quantity)} × {_money(item.unit_price)} is "
            f"{_money(_cents(item.quantity * item.unit_price))}, not {_money(item.amount)}"
        )
        return item
    return None


def _readings(
    text: str, at: int, decimal_comma: bool, shapes: Sequence[re.Pattern[str]]
) -> list[_Item]:
    """Every way the line shapes read `text` (the first that adds up ends the list)."""
    readings: list[_Item] = []
    for shape in shapes:
        match = shape.match(text)
        if not match:
            continue
        parts = match.groupdict()
        amount = parse_decimal(parts["amount"], decimal_comma=decimal_comma)
        description = _description(parts["desc"])
        if amount is None or not description or not re.search(r"[^\W\d_]", description):
            continue
        if not parts.get("qty"):
            # "Dübel 8 mm 2,9 2,79 6,98": the 2,9 is a misread quantity, not description
            ends_in = _ENDS_IN_QUANTITY if parts.get("price") else _ENDS_IN_AMOUNT
            raw = parts["desc"].strip()
            if ends_in.search(raw) or _ENDS_IN_TIMES.search(raw):
                continue
        quantity = parse_decimal(parts.get("qty"), decimal_comma=decimal_comma)
        price = parse_decimal(parts.get("price"), decimal_comma=decimal_comma)
        if quantity is None and price is None:
            quantity, price = Decimal(1), amount
        elif quantity is None:
            quantity = _exact_quotient(amount, price, places=2)
        elif price is None:
            price = _exact_quotient(amount, quantity, places=2)
        if quantity is None or price is None:
            continue
        written = {k: v for k, v in parts.items() if v and k in ("qty", "price", "amount")}
        item = _Item(at, description, quantity, parts.get("unit"), price, amount, written)
        readings.append(item)
        if _adds_up(item):
            break
    return readings


def _item_over_two_lines(
    texts: Sequence[str], at: int, decimal_comma: bool, items: list[_Item]
) -> _Item | None:
    """'2 x 0,45' on its own line completes the item line above it ('Brötchen 0,90')."""
    match = _QUANTITY_ONLY.match(texts[at])
    if not match or not items or items[-1].at != at - 1:
        return None
    previous = items[-1]
    quantity = parse_decimal(match["qty"], decimal_comma=decimal_comma)
    price = parse_decimal(match["price"], decimal_comma=decimal_comma)
    if quantity and price is not None and _cents(quantity * price) == previous.amount:
        previous.quantity, previous.unit_price = quantity, price
    return None


def _description(text: str) -> str:
    # OCR rows keep wide gaps as three spaces: what stands alone after the description, with
    # no word of three letters, is specks of dirt read as text ("ik", "2:83:18")
    first, *others = re.split(r"\s{3,}", text.strip())
    kept = [first, *(part for part in others if re.search(r"[^\W\d_]{3}", part))]
    text = " ".join(kept)
    text = re.sub(r"^\s*(?:\d{1,3}[.)]?\s+)(?=[^\W\d])", "", text)  # a leading position number
    if "(" in text and ")" not in text:  # OCR's } or ] for the closing parenthesis
        text = re.sub(r"[}\]](?=[^(]*$)", ")", text)
    return " ".join(text.split()).strip(" .:-@|")


def _adds_up(item: _Item) -> bool:
    return _cents(item.quantity * item.unit_price) == item.amount and item.quantity > 0


def _repair(item: _Item) -> _Item | None:
    """The one-token correction that makes quantity × price = amount, if exactly one exists.

    When several do ("l1 x 150.00  150.00": quantity 1, or amount 1,650.00), the line is kept
    as read with the candidates in `alternatives`, for the totals to decide (`_reconcile`).
    """
    options = []
    quantity = _exact_quotient(item.amount, item.unit_price)
    if quantity is not None and "qty" in item.written and _one_digit_apart(quantity, item.quantity):
        options.append(_repaired(item, "quantity", quantity=quantity))
    price = _exact_quotient(item.amount, item.quantity, places=2)
    if price is not None and "price" in item.written and _one_digit_apart(price, item.unit_price):
        options.append(_repaired(item, "unit price", unit_price=price.quantize(CENT)))
    amount = _cents(item.quantity * item.unit_price)
    if _one_digit_apart(amount, item.amount):
        options.append(_repaired(item, "amount", amount=amount))
    if len(options) == 1:
        return options[0]
    if options:
        item.alternatives = tuple(options)
    return None


def _repaired(item: _Item, what: str, **change: Decimal) -> _Item:
    field_name, new = next(iter(change.items()))
    old = getattr(item, field_name)
    text = _number if field_name == "quantity" else _money
    note = f"{what} read as {text(old)}, taken as {text(new)} so the line adds up"
    return replace(item, note=note, alternatives=(), **change)


def _one_digit_apart(value: Decimal | None, read: Decimal | None) -> bool:
    """True when `value` is what was read with one digit wrong, missing or extra, as OCR errs
    ("2,9" for 2,5; "190.63" for 10.63; "25" for 2.5 counts too: only the digits compare)."""
    if value is None or read is None or value <= 0 or value == read:
        return False
    places = max(_places(read), _places(value.normalize()))
    old = f"{read:.{places}f}".replace(".", "").lstrip("0")
    new = f"{value:.{places}f}".replace(".", "").lstrip("0")
    return _edit_distance_at_most_one(old, new)


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _edit_distance_at_most_one(first: str, second: str) -> bool:
    if abs(len(first) - len(second)) > 1:
        return False
    if len(first) == len(second):
        return sum(a != b for a, b in zip(first, second, strict=True)) <= 1
    longer, shorter = (first, second) if len(first) > len(second) else (second, first)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _exact_quotient(amount: Decimal, divisor: Decimal, places: int = 3) -> Decimal | None:
    """The plainest number (fewest decimals, at most `places`) that times `divisor` gives
    `amount` to the cent: 6.98 ÷ 2.79 is 2.5, not 2.502."""
    if not divisor:
        return None
    try:
        exact = amount / divisor
    except InvalidOperation:
        return None
    for digits in range(places + 1):
        quotient = exact.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
        if quotient > 0 and _cents(quotient * divisor) == amount:
            return quotient.normalize() if digits else quotient
    return None


# --- totals --------------------------------------------------------------------------------------


def _last_amount(text: str, decimal_comma: bool) -> Decimal | None:
    found = list(_AMOUNT_RE.finditer(text))
    return parse_decimal(found[-1].group(0), decimal_comma=decimal_comma) if found else None


def _totals(
    texts: Sequence[str], kinds: Sequence[str | None], decimal_comma: bool, start: int
) -> Totals | None:
    subtotal = total = None
    taxes: list[Decimal] = []
    rates: list[Decimal] = []
    included = False
    for text, kind in zip(texts, kinds, strict=True):
        if kind is None or kind == "payment":
            continue
        amount = _last_amount(text, decimal_comma)
        if kind == "subtotal" and subtotal is None:
            subtotal = amount
        elif kind == "total" and total is None:
            total = amount
        elif kind == "tax":
            if amount is not None:
                taxes.append(amount)
            if _INCLUDED.search(_key(text)):
                included = True
            if rate := _RATE.search(text):
                rates.append(
                    parse_decimal(rate.group(1), decimal_comma=decimal_comma) or Decimal(0)
                )
    if subtotal is None and total is None and not taxes and not rates:
        return None
    return Totals(
        subtotal=subtotal,
        tax_total=sum(taxes, Decimal(0)) if taxes else None,
        total=total,
        tax_rate=rates[0] if len(set(rates)) == 1 else None,
        tax_included=included,
    )


def _reconcile(
    totals: Totals | None, items: list[_Item], warnings: list[str]
) -> tuple[Totals | None, list[_Item]]:
    """Check the lines against the totals; repair one misread figure when that settles it."""
    if totals is not None:
        items = _settle_alternatives(totals, items)
    for number, item in enumerate(items, start=1):
        if item.note and "so the line adds up" in item.note:
            warnings.append(f"Line {number} ({_short(item.description)}): {item.note}.")
        elif item.note and " is " in item.note:
            warnings.append(
                f"Line {number} ({_short(item.description)}) does not add up: {item.note}."
            )
    if totals is None:
        if items:
            warnings.append("No total was found to check the lines against.")
        return None, items
    lines_sum = sum((item.amount for item in items), Decimal(0)) if items else None
    if totals.tax_included:
        figures = _included(totals, lines_sum, warnings)
    else:
        figures = _excluded(totals, lines_sum, warnings)
    subtotal, tax, total = figures
    checks = []
    if lines_sum is not None and total is not None:
        checks.append(lines_sum == (total if totals.tax_included else subtotal))
    if subtotal is not None and tax is not None and total is not None:
        checks.append(subtotal + tax == total)
    consistent = all(checks) if checks else None
    if consistent is False:
        warnings.append(
            f"The lines and totals do not add up: lines {_money(lines_sum)}, subtotal "
            f"{_money(subtotal)}, tax {_money(tax)}, total {_money(total)}."
        )
    return (
        replace(totals, subtotal=subtotal, tax_total=tax, total=total, consistent=consistent),
        items,
    )


def _settle_alternatives(totals: Totals, items: list[_Item]) -> list[_Item]:
    """For a line that two repairs could fix, the one with which the lines make the total."""
    target = totals.total if totals.tax_included else totals.subtotal
    if target is None:
        return items
    settled = list(items)
    for index, item in enumerate(items):
        if not item.alternatives:
            continue
        others = sum((i.amount for n, i in enumerate(settled) if n != index), Decimal(0))
        fitting = [a for a in item.alternatives if others + a.amount == target]
        if len(fitting) == 1:
            settled[index] = replace(fitting[0], note=f"{fitting[0].note}, as the total confirms")
    return settled


Figures = tuple[Decimal | None, Decimal | None, Decimal | None]  # subtotal, tax, total


def _expected_tax(base: Decimal, rate: Decimal | None, included: bool) -> Decimal | None:
    if rate is None:
        return None
    return _cents(base * rate / (100 + rate) if included else base * rate / 100)


def _included(totals: Totals, lines_sum: Decimal | None, warnings: list[str]) -> Figures:
    """Prices include the tax: the lines add up to the total, the tax is a part of it."""
    tax = totals.tax_total
    total = totals.total if totals.total is not None else totals.subtotal
    if tax is None and total is not None and totals.tax_rate is not None:
        tax = _expected_tax(total, totals.tax_rate, True)
        warnings.append(
            f"The tax amount could not be read; {_money(tax)} is the {_number(totals.tax_rate)}% "
            "contained in the total."
        )
    if total is not None and lines_sum is not None and lines_sum != total:
        confirmed = _expected_tax(lines_sum, totals.tax_rate, True) == tax
        if _one_digit_apart(lines_sum, total) and confirmed:
            warnings.append(
                f"Total read as {_money(total)}, taken as {_money(lines_sum)} (the sum of the "
                "lines, which the tax confirms)."
            )
            total = lines_sum
    return None, tax, total


def _excluded(totals: Totals, lines_sum: Decimal | None, warnings: list[str]) -> Figures:
    """Tax on top: lines = subtotal, subtotal + tax = total."""
    subtotal, tax, total = totals.subtotal, totals.tax_total, totals.total
    rate = totals.tax_rate
    if lines_sum is not None:
        sums_agree = tax is not None and total is not None and lines_sum + tax == total
        if subtotal is None and (tax is None or total is None or sums_agree):
            subtotal = lines_sum
        elif subtotal is not None and subtotal != lines_sum:
            confirmed = _one_digit_apart(lines_sum, subtotal) and (
                _expected_tax(lines_sum, rate, False) == tax
            )
            if sums_agree or confirmed:
                warnings.append(
                    f"Subtotal read as {_money(subtotal)}, taken as {_money(lines_sum)} (the "
                    "sum of the lines)."
                )
                subtotal = lines_sum
    if subtotal is not None and tax is not None and total is not None and subtotal + tax != total:
        expected = _expected_tax(subtotal, rate, False)
        if (
            expected is not None
            and subtotal + expected == total
            and _one_digit_apart(expected, tax)
        ):
            warnings.append(
                f"Tax read as {_money(tax)}, taken as {_money(expected)} (total − subtotal)."
            )
            tax = expected
        elif _one_digit_apart(subtotal + tax, total):
            warnings.append(
                f"Total read as {_money(total)}, taken as {_money(subtotal + tax)} (subtotal + "
                "tax)."
            )
            total = subtotal + tax
    if tax is None and subtotal is not None and total is not None and total >= subtotal:
        tax = total - subtotal
        if rate is not None:
            warnings.append(
                f"The tax amount could not be read; taken as total − subtotal = {_money(tax)}."
            )
    return subtotal, tax, total


# --- facts ----------------------------------------------------------------------------------------


def _facts(
    texts: Sequence[str], lines: Sequence[TextLine], items_start: int, default_currency: str | None
) -> DocumentFacts:
    head = texts[:items_start] if items_start else texts[:8]
    document_type: DocumentType = "unknown"
    for text in texts[:12]:
        key = _key(text)
        found = next((kind for pattern, kind in _DOCUMENT_TYPES if pattern.search(key)), None)
        if found:
            document_type = found
            break
    number = None
    for text in head:
        match = _NUMBER_LABEL.search(text)
        if match and any(c.isdigit() for c in match["value"]):
            number = match["value"].rstrip(".")
            break
    counterparty = None
    for text in head:
        if match := _COUNTERPARTY.match(text.strip()):
            counterparty = re.split(r"\s{3,}", match["name"].strip())[0]
            break
    issuer = None
    for text in head:
        candidate = _issuer_candidate(text)
        if candidate:
            issuer = candidate
            break
    joined = "\n".join(texts)
    currency = _currency(joined) or default_currency
    issued = _issue_date(head or texts[:10], currency)
    return DocumentFacts(
        document_type=document_type,
        issuer=issuer,
        counterparty=counterparty,
        number=number,
        issued=issued,
        currency=currency,
    )


_DATE_LABEL = re.compile(r"\b(?:date|datum|dated|issued)\b\s*:?", re.IGNORECASE)


def _issuer_candidate(text: str) -> str | None:
    """The name on a header line, without a number or date printed beside it."""
    text = text.strip()
    if _COUNTERPARTY.match(text) or _AMOUNT_RE.search(text):
        return None
    for label in (_NUMBER_LABEL, _DATE_LABEL):
        if match := label.search(text):
            text = text[: match.start()]
    text = re.split(r"\s{3,}", text.strip())[0].strip(" ,;:")
    key = _key(text)
    if not key or key in _TITLES or parse_date(text) is not None:
        return None
    if not re.search(r"[^\W\d_]{2}", text):
        return None
    return text


def _currency(text: str) -> str | None:
    codes = re.findall(r"\b(" + "|".join(sorted(CURRENCY_CODES)) + r")\b", text)
    if codes:
        return max(set(codes), key=codes.count)
    for symbol, code in CURRENCY_SYMBOLS.items():
        if len(symbol) == 1 and symbol in text:
            return code
    return currency_in(text) or _misread_code(text)


def _letters_apart(first: str, second: str) -> int:
    return sum(a != b for a, b in zip(first, second, strict=True))


def _misread_code(text: str) -> str | None:
    """'Summe FUR': a code after the total word one letter off exactly one known code."""
    for line in text.splitlines():
        if not _TOTAL.match(_key(line)):
            continue
        for word in re.findall(r"\b[A-Z]{3}\b", line):
            near = [c for c in CURRENCY_CODES if _letters_apart(c, word) == 1]
            if len(near) == 1:
                return near[0]
    return None


def _issue_date(texts: Sequence[str], currency: str | None) -> date | None:
    month_first = currency == "USD"
    for text in texts:
        found = parse_date(text, day_first=not month_first)
        if found:
            return found
    return None


def _first_item_at(items: Sequence[_Item], end: int) -> int:
    return items[0].at if items else end


# --- small helpers -------------------------------------------------------------------------------


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _number(value: Decimal | None) -> str:
    """A quantity or rate as written plainly: 2.50 -> '2.5'."""
    if value is None:
        return "?"
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0E-0") else text


def _money(value: Decimal | None) -> str:
    """An amount with at least two decimals: 21 -> '21.00'."""
    if value is None:
        return "?"
    exponent = value.as_tuple().exponent
    return format(value if isinstance(exponent, int) and exponent < -2 else _cents(value), "f")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _join(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second
