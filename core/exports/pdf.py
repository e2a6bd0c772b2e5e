"""The invoice as a printable document: HTML for the browser, PDF/A-3b for sending.

One Jinja template (templates/invoice.html.j2, with invoice.css inlined) serves both; the
browser gets its screen styles, WeasyPrint its print styles. User and LLM text is only ever
text: autoescaping is on, and WeasyPrint gets a URL fetcher that refuses every URL (http, file,
data …), so nothing in an invoice can make the server fetch or read anything. The template
references no external resource; fonts come from fontconfig (Debian's fonts-dejavu-core).

    render_pdf(invoice) -> bytes      what a batch ZIP or the API sends (`invoice` is an
                                      Invoice or its InvoiceSchema JSON)
    render_html(invoice) -> str       the same document for a browser
    print_document(invoice)           the markup and stylesheet a PDF is typeset from

Dates and amounts are formatted with Babel for the locale (default: by currency, see
formatting.py); the paper is US Letter or A4 by the locale's territory unless the caller
says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
from babel import Locale

from core.exports.document import InvoiceInput, as_json, xml_text
from core.exports.einvoice import vat_identifier
from core.exports.formatting import (
    PAGE_SIZES,
    PageSize,
    default_locale,
    get_locale,
    long_date,
    money,
    page_size_for,
    percent,
    quantity,
)

TEMPLATES = Path(__file__).parent / "templates"

# The items table is laid out with fixed column widths (several times faster than auto), so
# the two amount columns are widened here when their longest text would not fit: widths in mm,
# text estimated at 0.66 em a character (0.72 bold; DejaVu Sans digits are 0.636 and 0.696)
# in the table's 8.6 pt, plus the cell's padding.
COLUMN_MM = {"qty": 24.0, "price": 26.0, "disc": 14.0, "tax": 14.0, "amount": 27.0}
_MM_PER_EM = 8.6 * 25.4 / 72
_PADDING_MM = 4.5
_WIDEST_AMOUNT_MM = 60.0


@dataclass(frozen=True)
class Layout:
    """How a document is laid out: the locale for dates and numbers, and the paper."""

    locale: Locale
    page_size: PageSize

    @property
    def lang(self) -> str:
        """The BCP 47 tag of the locale: 'en-US'."""
        return str(self.locale).replace("_", "-")


def layout_for(
    invoice: InvoiceInput, locale: str | Locale | None = None, page_size: str | None = None
) -> Layout:
    """The layout for an invoice: the given locale and paper, or defaults by currency.

    Raises formatting.UnknownLocale for an unknown locale and ValueError for a paper size
    other than A4 or Letter.
    """
    if isinstance(locale, Locale):
        chosen = locale
    elif locale:
        chosen = get_locale(locale)
    else:
        chosen = default_locale(as_json(invoice)["currency"])
    if page_size is None:
        return Layout(chosen, page_size_for(chosen))
    for size in PAGE_SIZES:
        if page_size.casefold() == size.casefold():
            return Layout(chosen, size)
    raise ValueError(f"paper must be one of {', '.join(PAGE_SIZES)}")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value is escaped, whatever the file name
        finalize=_printable,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _printable(value: Any) -> Any:
    """Every value the template prints loses what XML cannot carry, so the page is well-formed
    XHTML as well as HTML (typesetter.own_markup parses it as XML). A string comes back as a
    plain str, so even `Markup` (`|safe`) is escaped: the template prints no markup it is given.
    """
    return xml_text(value) if isinstance(value, str) else value


def render_html(
    invoice: InvoiceInput, *, locale: str | Locale | None = None, page_size: str | None = None
) -> str:
    """The invoice as a self-contained HTML page (styles inline, no external resource)."""
    data = as_json(invoice)
    return _document_html(data, layout_for(data, locale, page_size), inline_styles=True)


class PrintDocument(NamedTuple):
    """What WeasyPrint typesets: the template's print markup (well-formed XHTML as well as
    HTML) and its stylesheet, parsed once per process."""

    markup: str
    stylesheet: Any


def print_document(
    invoice: InvoiceInput, *, locale: str | Locale | None = None, page_size: str | None = None
) -> PrintDocument:
    """The invoice's print markup and stylesheet, before typesetting."""
    data = as_json(invoice)
    layout = layout_for(data, locale, page_size)
    markup = _document_html(data, layout, inline_styles=False)
    return PrintDocument(markup, _print_stylesheet(layout.page_size))


def render_pdf(
    invoice: InvoiceInput, *, locale: str | Locale | None = None, page_size: str | None = None
) -> bytes:
    """The invoice as a PDF/A-3b document, ready to send or to put in a ZIP."""
    from core.exports import typesetter  # WeasyPrint loads with the first PDF, not at start-up

    markup, stylesheet = print_document(invoice, locale=locale, page_size=page_size)
    return typesetter.write_pdf(typesetter.own_markup(markup), (stylesheet,))


def _document_html(data: dict[str, Any], layout: Layout, *, inline_styles: bool) -> str:
    context = {**_context(data, layout), "inline_styles": inline_styles}
    return _environment().get_template("invoice.html.j2").render(context)


@cache
def _print_stylesheet(page_size: PageSize):
    """page.css + invoice.css for `page_size`, parsed once: the PDF's only stylesheet."""
    from core.exports import typesetter

    environment = _environment()
    text = "\n".join(
        environment.get_template(name).render(page_size=page_size)
        for name in ("page.css", "invoice.css")
    )
    return typesetter.stylesheet(text)


def _context(data: dict[str, Any], layout: Layout) -> dict[str, Any]:
    locale = layout.locale
    currency = data["currency"]

    def amount(value: str | Decimal) -> str:
        return money(value, currency, locale)

    items = [
        {
            "description": item["description"],
            "quantity": quantity(item["quantity"], locale),
            "unit": item.get("unit") or "",
            "unit_price": amount(item["unit_price"]),
            "discount": percent(item["discount_percent"], locale)
            if Decimal(item.get("discount_percent") or 0)
            else "",
            "tax_rate": percent(item["tax_rate"], locale),
            "net_amount": amount(item["net_amount"]),
        }
        for item in data.get("items") or []
    ]
    discount = data.get("discount") or None
    discount_label = "Discount"
    if discount and discount.get("kind") == "percent":
        discount_label = f"Discount ({percent(discount['value'], locale)})"
    seller, buyer = _party(data.get("seller")), _party(data.get("buyer"))
    return {
        "lang": layout.lang,
        "heading": _heading(data.get("number") or "", seller, buyer),
        "page_size": layout.page_size,
        "number": data.get("number") or "",
        "currency": currency,
        "issue_date": long_date(data.get("issue_date"), locale),
        "due_date": long_date(data.get("due_date"), locale),
        "seller": seller,
        "buyer": buyer,
        "items": items,
        "show_discounts": any(item["discount"] for item in items),
        "columns": _column_widths(items),
        "subtotal": amount(data["subtotal"]),
        "discount_total": amount(data["discount_total"]) if Decimal(data["discount_total"]) else "",
        "discount_label": discount_label,
        "taxes": [
            {
                "rate": percent(row["rate"], locale),
                "base": amount(row["base"]),
                "tax": amount(row["tax"]),
            }
            for row in data.get("tax_breakdown") or []
        ],
        "tax_total": amount(data["tax_total"]),
        "total": amount(data["total"]),
        "notes": data.get("notes") or "",
        "payment_terms": data.get("payment_terms") or "",
    }


def _column_widths(items: list[dict[str, Any]]) -> dict[str, float]:
    """COLUMN_MM, with the unit price and amount columns as wide as their longest text needs."""

    def fitted(texts: list[str], em_per_character: float, default: float) -> float:
        longest = max((len(text) for text in texts), default=0)
        needed = round(longest * em_per_character * _MM_PER_EM + _PADDING_MM, 1)
        return max(default, min(needed, _WIDEST_AMOUNT_MM))

    return {
        **COLUMN_MM,
        "price": fitted([i["unit_price"] for i in items], 0.66, COLUMN_MM["price"]),
        "amount": fitted([i["net_amount"] for i in items], 0.72, COLUMN_MM["amount"]),
    }


def _heading(number: str, seller: dict | None, buyer: dict | None) -> dict[str, str]:
    """The one-line texts of the document's metadata and page furniture. They go into
    attributes, where XML and HTML parsers read tabs and newlines differently, so they have none:
    'INV-0042 · Nordlys Studio ApS'."""

    def one_line(text: str) -> str:
        return " ".join(text.split())

    number = one_line(number)
    sender = one_line(seller["display_name"]) if seller else ""
    recipient = one_line(buyer["display_name"]) if buyer else ""
    return {
        "number": number,
        "title": f"Invoice {number}" + (f" · {sender}" if sender else ""),
        "author": sender,
        "description": f"Invoice {number}" + (f" to {recipient}" if recipient else ""),
        "footer": number + (f" · {sender}" if sender else ""),
    }


def _party(party: dict[str, Any] | None) -> dict[str, Any] | None:
    if not party:
        return None
    company = party.get("company") or ""
    name = party.get("name") or ""
    tax_id = party.get("tax_id") or ""
    return {
        "display_name": company or name,
        "contact": name if company and name != company else "",
        "address": party.get("address") or "",
        # e-mail and phone share a line: one line fewer to typeset, and a reader reads them so
        "reach": " · ".join(value for value in (party.get("email"), party.get("phone")) if value),
        "tax_id": tax_id,
        "tax_label": "VAT no." if tax_id and vat_identifier(tax_id) else "Tax ID",
    }
