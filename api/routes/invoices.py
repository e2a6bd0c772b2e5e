"""Issued invoices: issuing a session's draft, finding, paying, crediting, copying, exporting.

    POST  /api/session/{id}/issue              201 the issued invoice (Idempotency-Key)
    GET   /api/invoices?client_id=&status=&from=&to=&q=&page=&per_page=   newest first
    GET   /api/invoices/{number}               the invoice as issued, with its status
    PATCH /api/invoices/{number}               {"status": "paid", "paid_at"?}; nothing else
    POST  /api/invoices/{number}/credit-note   201 a credit note reversing it in full
    POST  /api/invoices/{number}/copy          201 {"session_id"}: a new draft session
    GET   /api/invoices/{number}.pdf|.html|.ubl.xml|.cii.xml|.facturx.pdf  (?profile= for
          UBL and CII, ?locale=&paper= for the printable ones)

The exports are the session exports' views (api/routes/exports.py: `add_export_routes`),
behind the same per-key render slots; an issued invoice is kept for good, whatever became of
its session. Issuing marks the session (`SessionStore.mark_issued`): its turns answer 409
invoice_issued from then on, and its reads show the issued invoice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from flask import g

from api.blueprint import Blueprint
from api.routes.exports import add_export_routes
from api.schemas import (
    ErrorSchema,
    IdempotencyHeadersSchema,
    InvoiceListArgsSchema,
    InvoicePageSchema,
    InvoicePaymentSchema,
    IssuedInvoiceSchema,
    NewSessionSchema,
)
from api.services import services
from core.errors import InvoiceIssued, TurnInProgress
from core.records import Issued

blp = Blueprint(
    "invoices", __name__, url_prefix="/api", description="Issued invoices and credit notes"
)

INVOICE = "/invoices/<number>"
UNAVAILABLE = "unavailable: the records database (or Redis) cannot be reached"
NOT_FOUND = "invoice_not_found (unknown, or another key's)"


def _created(issued: Issued) -> tuple[dict[str, Any], int, dict[str, str]]:
    headers = {"Location": f"/api/invoices/{issued.invoice['number']}"}
    if issued.replayed:
        headers["Idempotent-Replayed"] = "true"
    return issued.invoice, 201, headers


@blp.route("/session/<session_id>/issue", methods=["POST"])
@blp.arguments(IdempotencyHeadersSchema, location="headers")
@blp.alt_response(
    201, schema=IssuedInvoiceSchema, description="issued (or the first result of this key)"
)
@blp.alt_response(404, schema=ErrorSchema, description="session_not_found")
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="invoice_issued (details.number), or turn_in_progress (details.job_id)",
)
@blp.alt_response(
    422,
    schema=ErrorSchema,
    description="validation_error: nothing to issue, or what the invoice misses (details)",
)
@blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
def issue_invoice(headers, session_id):
    """Issue the session's invoice: its number is drawn and the invoice kept for good."""
    svc = services()
    key = headers["idempotency_key"]
    with _marking_issued(session_id):
        earlier = svc.records.already_issued(g.owner, idempotency_key=key, session_id=session_id)
        if earlier is not None:  # a retry: the session may even have expired since
            _mark_issued(session_id, earlier.invoice["number"])
            return _created(earlier)
        session = svc.stores.sessions.read_session(session_id, g.owner)
        if session.pending_job_id:  # the invoice is about to change: issue what the turn makes
            job = svc.stores.jobs.get_job(session.pending_job_id)
            if job is not None and not job.is_final:
                raise TurnInProgress(details={"job_id": job.job_id})
        issued = svc.records.issue(
            g.owner, session.invoice, session_id=session_id, idempotency_key=key
        )
        _mark_issued(session_id, issued.invoice["number"])
        return _created(issued)


def _mark_issued(session_id: str, number: str) -> None:
    """From now on the session's turns are refused and its reads show the issued invoice.
    Raises Unavailable (Redis away): the invoice is issued all the same, and a retry (with
    the same Idempotency-Key, or without: 409 invoice_issued) marks the session."""
    services().stores.sessions.mark_issued(session_id, g.owner, number)


@contextmanager
def _marking_issued(session_id: str) -> Iterator[None]:
    """A session found issued already (409 invoice_issued) is marked on the way out too."""
    try:
        yield
    except InvoiceIssued as issued:
        number = (issued.details or {}).get("number")
        if number:
            _mark_issued(session_id, number)
        raise


@blp.route("/invoices")
@blp.arguments(InvoiceListArgsSchema, location="query")
@blp.response(200, InvoicePageSchema)
@blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
def list_invoices(args):
    """Issued invoices and credit notes, newest first; filter by client, status, dates, text."""
    return asdict(services().records.list_invoices(g.owner, **args))


@blp.route(INVOICE)
@blp.alt_response(200, schema=IssuedInvoiceSchema, description="the invoice as issued")
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
def get_invoice(number):
    """An issued invoice: as issued, with its status, payment and credit notes."""
    return services().records.invoice(g.owner, number)


@blp.route(INVOICE, methods=["PATCH"])
@blp.arguments(InvoicePaymentSchema)
@blp.alt_response(200, schema=IssuedInvoiceSchema, description="marked paid")
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@blp.alt_response(
    422,
    schema=ErrorSchema,
    description="validation_error: only {status: paid, paid_at} may change; "
    "a credit note or a credited invoice is not paid",
)
@blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
def mark_paid(payment, number):
    """Mark an invoice paid (at `paid_at`, default now); nothing else of it can change."""
    return services().records.mark_paid(g.owner, number, payment["paid_at"])


@blp.route(f"{INVOICE}/credit-note", methods=["POST"])
@blp.arguments(IdempotencyHeadersSchema, location="headers")
@blp.alt_response(201, schema=IssuedInvoiceSchema, description="the credit note")
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@blp.alt_response(
    422, schema=ErrorSchema, description="validation_error: a credit note, or credited already"
)
@blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
def credit_note(headers, number):
    """Issue a credit note that reverses the invoice in full; the invoice becomes credited."""
    return _created(
        services().records.credit_note(g.owner, number, idempotency_key=headers["idempotency_key"])
    )


@blp.route(f"{INVOICE}/copy", methods=["POST"])
@blp.response(201, NewSessionSchema)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
def copy_invoice(number):
    """Start a new draft session from this invoice: same buyer and lines, today's dates."""
    svc = services()
    draft = svc.records.copy_draft(g.owner, number)
    return {"session_id": svc.stores.sessions.create_session_with_invoice(g.owner, draft)}


# -- exports: the same views as a session's (api/routes/exports.py) ------------------------


def _issued(number: str) -> dict[str, Any]:
    return services().records.invoice(g.owner, number)


add_export_routes(
    blp, INVOICE, _issued, what="The issued invoice", not_found=NOT_FOUND, endpoint="issued"
)
