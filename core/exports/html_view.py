"""The invoice as a self-contained HTML page: the HTML view, for reading and printing in a browser.

    render_html(invoice, layout=None) -> str

It prints the texts of printable.py, the same the PDF shows, through templates/invoice.html.j2
with invoice.css inline (and invoice-screen.css for the screen). Autoescaping is on for every
value, so user and LLM text is only ever text; the page references no external resource.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from core.exports.document import InvoiceInput, as_json
from core.exports.layout import Layout, layout_for
from core.exports.printable import printable

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value is escaped, whatever the file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(invoice: InvoiceInput, layout: Layout | None = None) -> str:
    """The invoice as a self-contained HTML page (styles inline, no external resource)."""
    data = as_json(invoice)
    layout = layout or layout_for(data)
    return _environment().get_template("invoice.html.j2").render(printable(data, layout))
