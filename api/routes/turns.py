"""Starting turns: a new invoice, or a chat message about the current one.

Both take a JSON body, or `multipart/form-data` with `message`, `session_id` and up to
MAX_ATTACHMENTS `files` (docs/api.md, "Attachments"). Files are only sniffed here (cheap
checks: type from the content, sizes, pixels from the header, zip bombs); the worker reads
them.
"""

from __future__ import annotations

from flask import g, request, url_for
from marshmallow import ValidationError

from api.blueprint import Blueprint
from api.rate_limits import spend, turn_charge
from api.schemas import ErrorSchema, JobAcceptedSchema, TurnRequestSchema
from api.services import services
from core.attachment_store import NewAttachment, prepare_attachments
from core.attachments import AttachmentLimits
from core.errors import InvalidUpload, ValidationFailed
from core.logs import bind
from core.tokens import token_zone
from core.turns import TurnKind, start_turn

blp = Blueprint("turns", __name__, url_prefix="/api", description="Start chat turns")

ERRORS = (401, 404, 409, 413, 415, 422, 429, 503)

FORM_FIELDS = ("message", "session_id")

TURN_BODY = {
    "content": {
        "application/json": {"schema": TurnRequestSchema},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "message": {"type": "string", "description": "the chat message"},
                    "session_id": {
                        "type": "string",
                        "description": "omit to start a new session",
                    },
                    "files": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": (
                            "up to MAX_ATTACHMENTS files, each at most MAX_ATTACHMENT_BYTES: "
                            "PNG, JPEG, WebP, PDF, CSV, XLSX, UBL or CII XML (the type is "
                            "sniffed from the content)"
                        ),
                    },
                },
                "required": ["message"],
            },
            "encoding": {"files": {"contentType": "application/octet-stream"}},
        },
    }
}


UNNAMED = "(a part without a name)"  # werkzeug keys such a part None; JSON keys are strings
# one instance for every request: loading keeps no state on it, and building one per request
# cost about 0.05 ms, 4% of accepting a turn (bench/accept_breakdown.py)
TURN_REQUEST = TurnRequestSchema()


def _turn_request() -> tuple[dict, tuple[NewAttachment, ...]]:
    """The message, session id and sniffed files of a JSON or multipart request.

    Raises ValidationFailed, InvalidUpload and the attachment errors (413, 415, 422).
    """
    if request.mimetype != "multipart/form-data":
        return blp.ARGUMENTS_PARSER.parse(TURN_REQUEST, request, location="json"), ()
    settings = services().settings
    # room for the files on top of the usual limit, set before anything reads the body
    request.max_content_length = (
        settings.max_request_bytes + settings.max_attachments * settings.max_attachment_bytes
    )
    form, uploads = request.form, request.files
    if not form and not uploads and request.content_length:
        raise InvalidUpload()  # a body werkzeug could find no part in
    errors: dict[str, list[str]] = {}
    for name in form:
        if name == "files":
            errors[name] = ["Send each file as a file part (with a filename), not as text."]
        elif name not in FORM_FIELDS:
            errors[name or UNNAMED] = ["Unknown field."]
    for name in uploads:
        if name != "files":
            errors[name or UNNAMED] = ["Attach files in fields named 'files'."]
    for name in FORM_FIELDS:
        if len(form.getlist(name)) > 1:
            errors[name] = ["Give this field once."]
    fields = {name: form[name] for name in FORM_FIELDS if name in form}
    if fields.get("session_id") == "":  # a form's empty field: no session yet
        del fields["session_id"]
    try:
        args = TURN_REQUEST.load(fields)
    except ValidationError as exc:
        errors.update(exc.messages)
    if errors:
        raise ValidationFailed(details=errors)
    files = [(f.filename, f.read()) for f in uploads.getlist("files")]
    return args, prepare_attachments(files, AttachmentLimits.from_settings(settings))


def _start_turn(kind: TurnKind) -> dict:
    svc = services()
    charge = turn_charge()  # spent with the turn by its script, unless refused before
    try:
        args, attachments = _turn_request()
    except Exception:
        if charge is not None:
            spend(svc.budgets, charge)  # RateLimited replaces the refusal when over budget
        raise
    turn = start_turn(
        svc.stores.jobs,
        svc.publisher,
        owner=g.owner,
        session_id=args["session_id"],
        message=args["message"],
        kind=kind,
        request_id=g.request_id,
        attachments=attachments,
        charge=charge,
    )
    bind(session_id=turn.session_id, job_id=turn.job_id)
    return {
        "job_id": turn.job_id,
        "session_id": turn.session_id,
        "status": "queued",
        "status_url": url_for("jobs.get_job", job_id=turn.job_id),
        "attachments": [attachment_json(turn.session_id, a.meta) for a in attachments],
        "token_count": turn.token_count,
        "token_limit": svc.settings.token_limit,
        "token_zone": token_zone(turn.token_count, svc.settings.token_warn),
    }


def attachment_json(session_id: str, meta: dict) -> dict:
    """An attachment's metadata as clients see it, with the address to fetch it from."""
    url = url_for(
        "sessions.get_attachment", session_id=session_id, attachment_id=meta["attachment_id"]
    )
    return {**meta, "url": url}


def _document_errors(view):
    for status in ERRORS:
        view = blp.alt_response(status, schema=ErrorSchema, description="error")(view)
    return view


@blp.route("/generate-invoice", methods=["POST"])
@blp.doc(requestBody=TURN_BODY)
@blp.response(202, JobAcceptedSchema)
@_document_errors
def generate_invoice():
    """Start a new invoice from a message (creates a session when none is given).

    JSON, or multipart/form-data with `message`, `session_id` and up to MAX_ATTACHMENTS
    `files` (timesheets, receipts, purchase orders, PDFs, e-invoices)."""
    return _start_turn("generate")


@blp.route("/chat", methods=["POST"])
@blp.doc(requestBody=TURN_BODY)
@blp.response(202, JobAcceptedSchema)
@_document_errors
def chat():
    """Send a chat message that edits the session's invoice.

    JSON, or multipart/form-data with `message`, `session_id` and up to MAX_ATTACHMENTS
    `files`."""
    return _start_turn("chat")
