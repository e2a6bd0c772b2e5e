"""Reading and deleting sessions, and their current invoice."""

from __future__ import annotations

from flask import Response, g

from api.blueprint import Blueprint
from api.routes.exports import session_invoice
from api.routes.turns import attachment_json
from api.schemas import ErrorSchema, SessionSchema
from api.services import services
from core.schemas import InvoiceSchema
from core.tokens import token_zone

blp = Blueprint("sessions", __name__, url_prefix="/api", description="Sessions and invoices")


@blp.route("/session/<session_id>")
@blp.response(200, SessionSchema)
@blp.alt_response(404, schema=ErrorSchema, description="session_not_found")
def get_session(session_id):
    """The whole conversation, the invoice and the token budget; refreshes the TTL."""
    svc = services()
    session = svc.stores.sessions.read_session(session_id, g.owner)
    invoice = session_invoice(session) if session.issued_number else session.invoice
    return {
        **vars(session),
        "invoice": invoice,
        "messages": [
            {**vars(m), "attachments": [attachment_json(session_id, a) for a in m.attachments]}
            for m in session.messages
        ],
        "token_limit": svc.settings.token_limit,
        "token_warn": svc.settings.token_warn,
        "token_zone": token_zone(session.token_count, svc.settings.token_warn),
    }


@blp.route("/session/<session_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(404, schema=ErrorSchema, description="session_not_found")
def delete_session(session_id):
    """Delete a session; a turn still running for it will not bring it back."""
    services().stores.sessions.delete_session(session_id, g.owner)


@blp.route("/session/<session_id>/invoice")
@blp.alt_response(200, schema=InvoiceSchema, description="the invoice, stored already serialised")
@blp.alt_response(404, schema=ErrorSchema, description="session_not_found or no_invoice")
def get_invoice(session_id):
    """The session's current invoice as JSON: its draft, or the invoice issued from it."""
    return session_invoice(services().stores.sessions.read_session(session_id, g.owner))


@blp.route("/session/<session_id>/attachments/<attachment_id>")
@blp.alt_response(200, description="the file as uploaded, with its sniffed Content-Type")
@blp.alt_response(404, schema=ErrorSchema, description="attachment_not_found")
def get_attachment(session_id, attachment_id):
    """A file sent with a message (thumbnails, chips): images inline, other kinds as a download.

    Served with `X-Content-Type-Options: nosniff` and a sandboxing CSP; not activity (the
    session's TTL stays)."""
    stored = services().stores.attachments.get(session_id, g.owner, attachment_id)
    kind = stored.kind
    response = Response(stored.data, content_type=kind.media_type)  # no charset: as uploaded
    disposition = "inline" if kind.is_image else "attachment"
    response.headers.set("Content-Disposition", disposition, filename=stored.meta["name"])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
