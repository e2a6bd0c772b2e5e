"""Starting turns: a new invoice, or a chat message about the current one."""

from __future__ import annotations

from flask import g, url_for

from api.blueprint import Blueprint
from api.schemas import ErrorSchema, JobAcceptedSchema, TurnRequestSchema
from api.services import services
from core.logs import bind
from core.tokens import token_zone
from core.turns import TurnKind, start_turn

blp = Blueprint("turns", __name__, url_prefix="/api", description="Start chat turns")

ERRORS = (401, 404, 409, 413, 422, 429, 503)


def _start_turn(args: dict, kind: TurnKind) -> dict:
    svc = services()
    turn = start_turn(
        svc.stores.jobs,
        svc.publisher,
        owner=g.owner,
        session_id=args["session_id"],
        message=args["message"],
        kind=kind,
        request_id=g.request_id,
    )
    bind(session_id=turn.session_id, job_id=turn.job_id)
    return {
        "job_id": turn.job_id,
        "session_id": turn.session_id,
        "status": "queued",
        "status_url": url_for("jobs.get_job", job_id=turn.job_id),
        "token_count": turn.token_count,
        "token_limit": svc.settings.token_limit,
        "token_zone": token_zone(turn.token_count, svc.settings.token_warn),
    }


def _document_errors(view):
    for status in ERRORS:
        view = blp.alt_response(status, schema=ErrorSchema, description="error")(view)
    return view


@blp.route("/generate-invoice", methods=["POST"])
@blp.arguments(TurnRequestSchema)
@blp.response(202, JobAcceptedSchema)
@_document_errors
def generate_invoice(args):
    """Start a new invoice from a message (creates a session when none is given)."""
    return _start_turn(args, "generate")


@blp.route("/chat", methods=["POST"])
@blp.arguments(TurnRequestSchema)
@blp.response(202, JobAcceptedSchema)
@_document_errors
def chat(args):
    """Send a chat message that edits the session's invoice."""
    return _start_turn(args, "chat")
