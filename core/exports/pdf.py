"""The invoice as a PDF/A-3b document, typeset by Typst from templates/invoice.typ.

    render_pdf(invoice, layout=None) -> bytes    what the API sends and a batch ZIP collects

`invoice` is an `Invoice` or its `InvoiceSchema` JSON; `layout` (layout.layout_for) sets the
locale of dates and amounts and the paper, by currency when not given. The texts come from
printable.py, the same the HTML view shows; they reach Typst as JSON in sys.inputs, never as
Typst source, so user and LLM text is only ever text.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from core.exports import typesetter
from core.exports.document import InvoiceInput, as_json
from core.exports.layout import Layout, layout_for
from core.exports.printable import printable

TEMPLATE = "invoice.typ"

log = logging.getLogger(__name__)


def render_pdf(invoice: InvoiceInput, layout: Layout | None = None) -> bytes:
    """The invoice as a PDF/A-3b document, ready to send or to put in a ZIP."""
    data = as_json(invoice)
    layout = layout or layout_for(data)
    texts = printable(data, layout)
    try:
        return typesetter.typeset_pdf(TEMPLATE, typst_inputs(texts, layout))
    except typesetter.Undisplayable:
        # a character every font lacks in its company (a Sinhala vowel sign on a Latin digit)
        log.warning("an invoice text has characters no font draws together; printing it plainer")
        return typesetter.typeset_pdf(TEMPLATE, typst_inputs(texts, layout, common_only=True))


def typst_inputs(
    texts: dict[str, Any], layout: Layout, *, common_only: bool = False
) -> dict[str, str]:
    """sys.inputs of the template: the printed texts as JSON, each character one of the fonts
    can draw, and the language of the text (Typst shapes CJK glyphs and breaks lines by it)."""
    region = layout.locale.territory or ""
    return {
        "invoice": json.dumps(_displayable(texts, common_only), ensure_ascii=False),
        "lang": layout.locale.language,
        "region": region if len(region) == 2 and region.isalpha() else "",
    }


def _displayable(value: Any, common_only: bool) -> Any:
    if isinstance(value, str):
        return typesetter.displayable(value, common_only=common_only)
    if isinstance(value, dict):
        return {key: _displayable(item, common_only) for key, item in value.items()}
    if isinstance(value, list):
        return [_displayable(item, common_only) for item in value]
    return value
