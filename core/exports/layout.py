"""How a printed invoice is laid out: the locale of its dates and amounts, and its paper.

The API reads `locale` and `paper` from the query, builds one `Layout` with `layout_for`, and
hands it to the renderers (`pdf.render_pdf`, `html_view.render_html`, `factur_x.facturx_pdf`),
which never work it out again.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale

from core.exports.document import InvoiceInput, as_json
from core.exports.formatting import (
    PAGE_SIZES,
    PageSize,
    default_locale,
    get_locale,
    page_size_for,
)


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
