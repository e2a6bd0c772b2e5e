"""The session's invoice as documents: PDF, print HTML, and EN 16931 e-invoices.

    GET /api/session/{id}/invoice.pdf           application/pdf (PDF/A-3b)
    GET /api/session/{id}/invoice.html          text/html, the same document for a browser
    GET /api/session/{id}/invoice.ubl.xml       application/xml, UBL 2.1 (Invoice or CreditNote),
        ?profile=en16931 (default) | xrechnung | peppol
    GET /api/session/{id}/invoice.cii.xml       application/xml, UN/CEFACT CII,
        ?profile=en16931 (default) | xrechnung
    GET /api/session/{id}/invoice.facturx.pdf   application/pdf, Factur-X (PDF/A-3 + CII, EN 16931)

Each answers 404 session_not_found / no_invoice like the JSON invoice; the e-invoices answer
422 einvoice_incomplete listing, for the profile asked, what it still needs (with the rule
ids), and 422 validation_error for a profile that does not exist for that syntax.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g
from marshmallow import Schema, ValidationError, fields, validate

from api.blueprint import Blueprint
from api.schemas import ErrorSchema
from api.services import services
from core.errors import NoInvoice, ValidationFailed
from core.exports import document, einvoice, factur_x, formatting, html_view, pdf
from core.exports.layout import Layout, layout_for
from core.exports.profiles import EN16931, PROFILES, profiles_for

blp = Blueprint(
    "exports",
    __name__,
    url_prefix="/api",
    description="The invoice as PDF, HTML and EN 16931 e-invoices",
)

SESSION_INVOICE = "/session/<session_id>/invoice"
# The HTML view carries its styles inline and needs nothing else: no script, no fetch.
HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def _known_locale(value: str) -> None:
    if not formatting.is_known_locale(value):
        raise ValidationError("Not a known locale; use one like en_US, en_GB, de_DE or fr_FR.")


class LayoutArgs(Schema):
    """How a printable document is laid out."""

    locale = fields.String(
        load_default=None,
        validate=[validate.Length(max=35), _known_locale],
        metadata={
            "description": "locale for dates and amounts, e.g. en_US, de_DE, fr-FR "
            "(default: by the invoice's currency)",
        },
    )
    paper = fields.String(
        load_default=None,
        validate=validate.OneOf(["A4", "Letter", "a4", "letter"]),
        metadata={"description": "A4 or Letter (default: by the locale)"},
    )


class PdfArgs(LayoutArgs):
    inline = fields.Boolean(
        load_default=False,
        metadata={"description": "show in the browser instead of downloading"},
    )


def _profile_args(syntax: str) -> type[Schema]:
    """The query of an e-invoice export: which profile, among those the syntax is offered in."""
    offered = profiles_for(syntax)
    described = "; ".join(f"{name}: {PROFILES[name].title}" for name in offered)

    class ProfileArgs(Schema):
        profile = fields.String(
            load_default=EN16931,
            validate=validate.OneOf(offered, error="Use one of: {choices}."),
            metadata={"description": f"the e-invoice profile ({described}); default en16931"},
        )

    ProfileArgs.__name__ = f"{syntax.upper()}ProfileArgs"
    return ProfileArgs


UblArgs = _profile_args("ubl")
CiiArgs = _profile_args("cii")


def _invoice(session_id: str) -> dict[str, Any]:
    session = services().stores.sessions.read_session(session_id, g.owner)
    if session.invoice is None:
        raise NoInvoice()
    return session.invoice


def _render(function, /, *args: Any, **kwargs: Any) -> Any:
    """Typeset or validate within the caller's export slots: 429 when they are all busy, so
    one key cannot take every process's time from the others.

    The work runs on the request's own greenlet, but for Typst's compile, which a native
    thread runs (core/exports/typesetter.py): the event loop stays free for the other
    requests. Nothing else may go to native threads: under gevent, Python's locks (logging's,
    Babel's, the renderers') are gevent locks, and two native threads contending for one hang
    the process (seen with WeasyPrint, before Typst). A render is bounded: MAX_INVOICE_LINES,
    and EXPORT_CONCURRENCY per key.
    """
    busy = (
        "Your other exports are still being made; this one can start as soon as one of them "
        "is done. Please retry in a moment."
    )
    with services().stores.renders.slot(g.owner, busy_message=busy):
        return function(*args, **kwargs)


def _layout(invoice: dict[str, Any], args: dict[str, Any]) -> Layout:
    try:
        return layout_for(invoice, args.get("locale"), args.get("paper"))
    except (formatting.UnknownLocale, ValueError) as exc:  # the schema checked; belt and braces
        raise ValidationFailed(details={"locale": [str(exc)]}) from None


def _document(body: bytes | str, mimetype: str, name: str, *, inline: bool) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers.set("Content-Disposition", "inline" if inline else "attachment", filename=name)
    response.headers["Cache-Control"] = "private, no-store"  # it changes with every turn
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


_FILE = {"type": "string", "format": "binary"}
_TEXT = {"type": "string"}
_DISPOSITION = {
    "Content-Disposition": {
        "description": "attachment (or inline) with the file name, e.g. INV-0001.pdf",
        "schema": {"type": "string"},
    }
}


@blp.route(f"{SESSION_INVOICE}.pdf")
@blp.arguments(PdfArgs, location="query")
@blp.response(
    200, _FILE, content_type="application/pdf", description="PDF/A-3b", headers=_DISPOSITION
)
@blp.alt_response(404, schema=ErrorSchema, description="session_not_found or no_invoice")
@blp.alt_response(429, schema=ErrorSchema, description="rate_limited: this key's exports busy")
@blp.alt_response(422, schema=ErrorSchema, description="validation_error (locale, paper)")
def invoice_pdf(args, session_id):
    """The invoice as a PDF (PDF/A-3b), A4 or US Letter."""
    invoice = _invoice(session_id)
    body = _render(pdf.render_pdf, invoice, _layout(invoice, args))
    return _document(
        body, "application/pdf", document.filename(invoice, ".pdf"), inline=args["inline"]
    )


@blp.route(f"{SESSION_INVOICE}.html")
@blp.arguments(LayoutArgs, location="query")
@blp.response(200, _TEXT, content_type="text/html", description="the printable invoice")
@blp.alt_response(404, schema=ErrorSchema, description="session_not_found or no_invoice")
@blp.alt_response(429, schema=ErrorSchema, description="rate_limited: this key's exports busy")
@blp.alt_response(422, schema=ErrorSchema, description="validation_error (locale, paper)")
def invoice_html(args, session_id):
    """The invoice as a self-contained HTML page, for viewing and printing in a browser."""
    invoice = _invoice(session_id)
    body = _render(html_view.render_html, invoice, _layout(invoice, args))
    response = _document(body, "text/html", document.filename(invoice, ".html"), inline=True)
    response.headers["Content-Security-Policy"] = HTML_POLICY
    return response


_INCOMPLETE = (
    "einvoice_incomplete (details.profile, details.missing: [{field, term, message, rule}]), "
    "or validation_error for an unknown profile"
)


@blp.route(f"{SESSION_INVOICE}.ubl.xml")
@blp.arguments(UblArgs, location="query")
@blp.response(
    200, _TEXT, content_type="application/xml", description="UBL 2.1", headers=_DISPOSITION
)
@blp.alt_response(404, schema=ErrorSchema, description="session_not_found or no_invoice")
@blp.alt_response(429, schema=ErrorSchema, description="rate_limited: this key's exports busy")
@blp.alt_response(422, schema=ErrorSchema, description=_INCOMPLETE)
def invoice_ubl(args, session_id):
    """The invoice as a UBL 2.1 e-invoice (EN 16931, XRechnung or Peppol BIS), validated."""
    invoice = _invoice(session_id)
    return _document(
        _render(einvoice.ubl_xml, invoice, profile=args["profile"]),
        "application/xml",
        document.filename(invoice, ".ubl.xml"),
        inline=False,
    )


@blp.route(f"{SESSION_INVOICE}.cii.xml")
@blp.arguments(CiiArgs, location="query")
@blp.response(
    200, _TEXT, content_type="application/xml", description="CII D16B", headers=_DISPOSITION
)
@blp.alt_response(404, schema=ErrorSchema, description="session_not_found or no_invoice")
@blp.alt_response(429, schema=ErrorSchema, description="rate_limited: this key's exports busy")
@blp.alt_response(422, schema=ErrorSchema, description=_INCOMPLETE)
def invoice_cii(args, session_id):
    """The invoice as a UN/CEFACT CII e-invoice (EN 16931 or XRechnung), validated."""
    invoice = _invoice(session_id)
    return _document(
        _render(einvoice.cii_xml, invoice, profile=args["profile"]),
        "application/xml",
        document.filename(invoice, ".cii.xml"),
        inline=False,
    )


@blp.route(f"{SESSION_INVOICE}.facturx.pdf")
@blp.arguments(PdfArgs, location="query")
@blp.response(
    200, _FILE, content_type="application/pdf", description="Factur-X", headers=_DISPOSITION
)
@blp.alt_response(404, schema=ErrorSchema, description="session_not_found or no_invoice")
@blp.alt_response(429, schema=ErrorSchema, description="rate_limited: this key's exports busy")
@blp.alt_response(
    422, schema=ErrorSchema, description="einvoice_incomplete (details.missing), validation_error"
)
def invoice_facturx(args, session_id):
    """The invoice as a Factur-X PDF: the PDF/A-3 document with its validated CII inside."""
    invoice = _invoice(session_id)
    body = _render(factur_x.facturx_pdf, invoice, _layout(invoice, args))
    return _document(
        body,
        "application/pdf",
        document.filename(invoice, ".facturx.pdf"),
        inline=args["inline"],
    )
