"""Invoices that leave the system: PDF, print HTML, and EN 16931 e-invoices.

    pdf.render_pdf(invoice, layout) -> bytes         PDF/A-3b, typeset by Typst
    html_view.render_html(invoice, layout) -> str    the same document for a browser
    einvoice.ubl_xml(invoice, profile=) -> bytes     UBL 2.1: en16931, xrechnung, peppol; validated
    einvoice.cii_xml(invoice, profile=) -> bytes     UN/CEFACT CII: en16931, xrechnung; validated
    factur_x.facturx_pdf(invoice, layout) -> bytes   Factur-X: the PDF/A-3 with the CII inside
    validation.validate(xml, syntax)                 XSD + EN 16931 Schematron, offline

`invoice` is an `Invoice` or the `InvoiceSchema` JSON of one; `layout` (layout.layout_for:
locale and paper) is optional, by currency when not given. The printed texts of the PDF and
the HTML view come from one place, printable.py. E-invoice exports raise
`core.errors.EinvoiceIncomplete` (422 einvoice_incomplete) listing what the profile still
needs, rule by rule (rules/). Imports go one way: document, formatting, layout, parties,
address, profiles → rules → printable, einvoice, validation → pdf, html_view → factur_x,
archive. See docs/exports.md.
"""
