"""Invoices that leave the system: PDF, print HTML, and EN 16931 e-invoices.

    pdf.render_pdf(invoice) -> bytes           PDF/A-3b (what a batch ZIP collects)
    pdf.render_html(invoice) -> str            the same document for a browser
    einvoice.ubl_xml(invoice) -> bytes         UBL 2.1, EN 16931, validated
    einvoice.cii_xml(invoice) -> bytes         UN/CEFACT CII, EN 16931, validated
    einvoice.facturx_pdf(invoice) -> bytes     Factur-X: the PDF/A-3 with the CII inside
    validation.validate(xml, syntax)           XSD + EN 16931 Schematron, offline

`invoice` is an `Invoice` or the `InvoiceSchema` JSON of one. E-invoice exports raise
`core.errors.EinvoiceIncomplete` (422 einvoice_incomplete) listing what the standard still
needs. See docs/exports.md.
"""
