"""Factur-X: the printed invoice (PDF/A-3b) with its validated CII inside.

    facturx_pdf(invoice, layout=None) -> bytes

The visible document is `pdf.render_pdf`'s; the XML is `einvoice.cii_xml`'s (EN 16931 profile,
checked by XSD and Schematron); the two are made side by side in two threads. The factur-x
library (pinned) attaches the XML as `factur-x.xml` with AFRelationship /Data and writes the XMP
metadata Factur-X asks for (PDF/A-3 identification plus the fx: extension schema); it works on
any PDF/A-3, ours included.
"""

from __future__ import annotations

import io
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core.exports.document import InvoiceInput, as_json
from core.exports.einvoice import cii_xml, incomplete, required_terms
from core.exports.layout import Layout, layout_for
from core.exports.parties import party_name
from core.exports.pdf import render_pdf
from core.exports.printable import document_title

FACTURX_LEVEL = "en16931"


def facturx_pdf(invoice: InvoiceInput, layout: Layout | None = None) -> bytes:
    """A Factur-X (EN 16931 profile) PDF: the PDF/A-3b invoice with its validated CII inside.

    `layout` lays out the visible document as for `render_pdf` (default: by currency).
    Raises EinvoiceIncomplete when something the standard requires is missing.
    """
    data = as_json(invoice)
    missing = required_terms(data)
    if missing:  # refused before anything is typeset
        raise incomplete(missing)
    layout = layout or layout_for(data)
    # Typst releases the GIL while it typesets, so the PDF is made in a second thread while this
    # one writes and validates the CII: the two take about as long as each other.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="facturx-pdf") as typesetting:
        pdf = typesetting.submit(render_pdf, data, layout)
        xml = cii_xml(data)
        return attach_cii(pdf.result(), xml, data, layout)


def attach_cii(pdf: bytes, xml: bytes, invoice: InvoiceInput, layout: Layout) -> bytes:
    """`pdf` (a PDF/A-3) with the CII `xml` embedded and Factur-X's XMP metadata."""
    from facturx import generate_from_file  # pypdf and lxml load with the first Factur-X

    data = as_json(invoice)
    seller_name = party_name(data.get("seller") or {})
    title = document_title(data)
    # The library's generate_from_binary writes the new PDF into the temporary file it read the
    # old one from, starting where reading stopped: its result keeps the start of the old PDF
    # in front of the new one (twice the bytes, and no clean PDF/A file). Written to a file of
    # its own, the result is exactly the new PDF, and comes 40% faster.
    with tempfile.TemporaryDirectory(prefix="facturx-") as folder:
        written = Path(folder) / "factur-x.pdf"
        generate_from_file(
            io.BytesIO(pdf),
            xml,
            output_pdf_file=str(written),
            flavor="factur-x",
            level=FACTURX_LEVEL,
            check_xsd=False,  # cii_xml validated it, Schematron included
            check_schematron=False,  # the library's check would POST to an HTTP Saxon server
            pdf_metadata={
                "author": seller_name,
                "keywords": "Factur-X, Invoice",
                "title": f"{seller_name}: {title}",
                "subject": f"Factur-X {title} dated {data['issue_date']} issued by {seller_name}",
            },
            lang=layout.lang,
        )
        return written.read_bytes()
