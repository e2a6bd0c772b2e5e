"""An invoice as documents: PDF, print HTML, and EN 16931 e-invoices.

    GET /api/session/{id}/invoice.pdf           application/pdf (PDF/A-3b)
    GET /api/session/{id}/invoice.html          text/html, the same document for a browser
    GET /api/session/{id}/invoice.ubl.xml       application/xml, UBL 2.1 (Invoice or CreditNote),
        ?profile=en16931 (default) | xrechnung | peppol
    GET /api/session/{id}/invoice.cii.xml       application/xml, UN/CEFACT CII,
        ?profile=en16931 (default) | xrechnung
    GET /api/session/{id}/invoice.facturx.pdf   application/pdf, Factur-X (PDF/A-3 + CII, EN 16931)

The issued invoices' exports (`/api/invoices/{number}.pdf` …, api/routes/invoices.py) are
made by the same views: `add_export_routes` registers the five formats for any way of finding
an invoice, so both take the same arguments and answer the same errors.

A session's invoice is its draft until it is issued, then the issued invoice (read from the
records). A draft's PDF and HTML say DRAFT where the number would be; its e-invoices answer
422 einvoice_incomplete with BT-1 among what is missing ("issue the invoice first"). The
e-invoices answer 422 einvoice_incomplete listing, for the profile asked, what it still needs
(with the rule ids), and 422 validation_error for a profile that does not exist for that
syntax. A session's exports answer 404 session_not_found / no_invoice like its JSON invoice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
from core.sessions import SessionView

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


def session_invoice(session: SessionView) -> dict[str, Any]:
    """The session's invoice: the issued one (from the records, with its status) once it is
    issued, else the draft. Raises NoInvoice before the first one, InvoiceNotFound /
    Unavailable from the records."""
    if session.issued_number:
        return services().records.invoice(g.owner, session.issued_number)
    if session.invoice is None:
        raise NoInvoice()
    return session.invoice


def _invoice(session_id: str) -> dict[str, Any]:
    return session_invoice(services().stores.sessions.read_session(session_id, g.owner))


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


_INCOMPLETE = (
    "einvoice_incomplete (details.profile, details.missing: [{field, term, message, rule}]), "
    "or validation_error for an unknown profile"
)
_BUSY = "rate_limited: this key's exports busy"
_LAYOUT_ERROR = "validation_error (locale, paper)"


@dataclass(frozen=True)
class ExportFormat:
    """One document an invoice is exported as, and how its view is described."""

    suffix: str  # after the invoice's path: ".pdf"
    mimetype: str
    args: type[Schema]
    make: Callable[[dict[str, Any], dict[str, Any]], bytes | str]  # (invoice, args) -> body
    summary: str  # the view's OpenAPI summary ("{what}": "The invoice", "The issued invoice")
    body: dict[str, Any]
    description: str
    errors: str = _LAYOUT_ERROR
    attachment: bool = True  # a download (or inline on ?inline=true); HTML is always shown

    def response(self, invoice: dict[str, Any], args: dict[str, Any]) -> Response:
        """The rendered document with its file name and headers."""
        body = _render(self.make, invoice, args)
        inline = args.get("inline", False) if self.attachment else True
        response = _document(
            body, self.mimetype, document.filename(invoice, self.suffix), inline=inline
        )
        if self.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = HTML_POLICY
        return response


FORMATS = (
    ExportFormat(
        ".pdf", "application/pdf", PdfArgs,
        lambda invoice, args: pdf.render_pdf(invoice, _layout(invoice, args)),
        "{what} as a PDF (PDF/A-3b), A4 or US Letter.", _FILE, "PDF/A-3b",
    ),
    ExportFormat(
        ".html", "text/html", LayoutArgs,
        lambda invoice, args: html_view.render_html(invoice, _layout(invoice, args)),
        "{what} as a self-contained HTML page, for viewing and printing in a browser.",
        _TEXT, "the printable invoice", attachment=False,
    ),
    ExportFormat(
        ".ubl.xml", "application/xml", UblArgs,
        lambda invoice, args: einvoice.ubl_xml(invoice, profile=args["profile"]),
        "{what} as a UBL 2.1 e-invoice (EN 16931, XRechnung or Peppol BIS), validated.",
        _TEXT, "UBL 2.1", _INCOMPLETE,
    ),
    ExportFormat(
        ".cii.xml", "application/xml", CiiArgs,
        lambda invoice, args: einvoice.cii_xml(invoice, profile=args["profile"]),
        "{what} as a UN/CEFACT CII e-invoice (EN 16931 or XRechnung), validated.",
        _TEXT, "CII D16B", _INCOMPLETE,
    ),
    ExportFormat(
        ".facturx.pdf", "application/pdf", PdfArgs,
        lambda invoice, args: factur_x.facturx_pdf(invoice, _layout(invoice, args)),
        "{what} as a Factur-X PDF: the PDF/A-3 document with its validated CII inside.",
        _FILE, "Factur-X", "einvoice_incomplete (details.missing), " + _LAYOUT_ERROR,
    ),
)  # fmt: skip


def add_export_routes(
    blueprint: Blueprint,
    rule: str,
    find: Callable[..., dict[str, Any]],
    *,
    what: str,
    not_found: str,
    endpoint: str,
) -> None:
    """Register the five export views of the invoice at `rule` (`rule` + ".pdf", …): `find`
    takes the rule's variables and returns the invoice JSON (or raises)."""
    for export in FORMATS:
        _add_export_route(blueprint, rule, find, export, what, not_found, endpoint)


def _add_export_route(blueprint, rule, find, export, what, not_found, endpoint) -> None:
    def view(args: dict[str, Any], **ids: str) -> Response:
        return export.response(find(**ids), args)

    name = f"{endpoint}_{export.suffix.strip('.').replace('.', '_')}"
    view.__name__ = view.__qualname__ = name
    view.__doc__ = export.summary.format(what=what)
    headers = _DISPOSITION if export.attachment else None
    view = blueprint.alt_response(422, schema=ErrorSchema, description=export.errors)(view)
    view = blueprint.alt_response(429, schema=ErrorSchema, description=_BUSY)(view)
    view = blueprint.alt_response(404, schema=ErrorSchema, description=not_found)(view)
    view = blueprint.response(
        200, export.body, content_type=export.mimetype, description=export.description,
        headers=headers,
    )(view)  # fmt: skip
    view = blueprint.arguments(export.args, location="query")(view)
    blueprint.route(f"{rule}{export.suffix}", endpoint=name)(view)


add_export_routes(
    blp,
    SESSION_INVOICE,
    _invoice,
    what="The invoice",
    not_found="session_not_found or no_invoice",
    endpoint="invoice",
)
