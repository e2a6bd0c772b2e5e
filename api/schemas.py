"""Request and response schemas of the HTTP API (they generate /openapi.json)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from core.schemas import ContactSchema, ElectronicAddressSchema, InvoiceSchema, Text

# \Z, not $: "$" also matches before a trailing newline, and "<id>\n" is not an id
SESSION_ID = validate.Regexp(r"\A[0-9a-f]{32}\Z", error="Not a valid session id.")


class StoredInvoice(fields.Nested):
    """An invoice already serialised by InvoiceSchema when it was stored: passed through as is.

    Declared as Nested(InvoiceSchema) so the OpenAPI document shows the invoice's shape.
    """

    def __init__(self, **kwargs: Any):
        super().__init__(InvoiceSchema, allow_none=True, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None or isinstance(value, dict):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class TurnRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    message = Text(
        required=True,
        metadata={
            "example": (
                "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days"
            )
        },
    )
    session_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=SESSION_ID,
        metadata={"description": "omit to start a new session"},
    )

    @validates("message")
    def message_fits(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("The message is empty.")
        limit = current_app.config["INVOICE_SETTINGS"].max_message_chars
        if len(value) > limit:
            raise ValidationError(f"The message is longer than {limit} characters.")


class AttachmentSchema(Schema):
    """A file sent with a message (docs/api.md, "Attachments"); never its bytes."""

    attachment_id = fields.String()
    kind = fields.String(
        metadata={"enum": ["png", "jpeg", "webp", "pdf", "csv", "xlsx", "ubl", "cii"]}
    )
    content_type = fields.String(metadata={"example": "text/csv"})
    size = fields.Integer(metadata={"description": "bytes"})
    name = fields.String(
        metadata={"description": "for display only; never shown to a model", "example": "a.csv"}
    )
    url = fields.String(metadata={"description": "GET it here (owner only)"})


class JobAcceptedSchema(Schema):
    job_id = fields.String()
    session_id = fields.String()
    status = fields.String(metadata={"example": "queued"})
    status_url = fields.String()
    attachments = fields.List(fields.Nested(AttachmentSchema))
    token_count = fields.Integer()
    token_limit = fields.Integer()
    token_zone = fields.String(metadata={"enum": ["green", "red"]})


class JobWaitSchema(Schema):
    wait = fields.Float(
        load_default=0,
        validate=validate.Range(min=0, max=30),
        metadata={"description": "seconds to wait for the job to finish (long-poll)"},
    )


class TurnResultSchema(Schema):
    reply = fields.String()
    invoice = StoredInvoice()
    token_count = fields.Integer()
    token_zone = fields.String()
    warning = fields.String(allow_none=True)


class ErrorBodySchema(Schema):
    """What went wrong: the same fields in an error response and in a failed job."""

    code = fields.String()
    message = fields.String()
    details = fields.Dict()


class JobSchema(Schema):
    job_id = fields.String()
    session_id = fields.String()
    status = fields.String(metadata={"enum": ["queued", "running", "succeeded", "failed"]})
    created_at = fields.String()
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    result = fields.Nested(TurnResultSchema, allow_none=True)
    error = fields.Nested(ErrorBodySchema, allow_none=True)


class MessageSchema(Schema):
    role = fields.String(metadata={"enum": ["user", "assistant"]})
    content = fields.String()
    created_at = fields.String()
    tokens = fields.Integer()
    attachments = fields.List(fields.Nested(AttachmentSchema))


class UsageSchema(Schema):
    input_tokens = fields.Integer()
    output_tokens = fields.Integer()
    cache_read_tokens = fields.Integer()
    cache_write_tokens = fields.Integer()


class SessionSchema(Schema):
    session_id = fields.String()
    created_at = fields.String()
    last_activity = fields.String()
    expires_at = fields.String()
    messages = fields.List(fields.Nested(MessageSchema))
    invoice = StoredInvoice()
    token_count = fields.Integer()
    token_limit = fields.Integer()
    token_warn = fields.Integer()
    token_zone = fields.String(metadata={"enum": ["green", "red"]})
    pending_job_id = fields.String(allow_none=True)
    usage = fields.Nested(UsageSchema)


class TurnsOnHandSchema(Schema):
    queued = fields.Integer(metadata={"description": "chat turns and batch items waiting"})
    running = fields.Integer(metadata={"description": "turns workers run now"})
    on_hand = fields.Integer(metadata={"description": "queued + running: what workers scale on"})


class HealthSchema(Schema):
    status = fields.String(metadata={"enum": ["healthy", "unhealthy"]})
    redis = fields.String(metadata={"enum": ["connected", "disconnected"]})
    broker = fields.String(metadata={"enum": ["connected", "disconnected"]})
    database = fields.String(
        metadata={
            "enum": ["connected", "disconnected"],
            "description": "the records database (DATABASE_URL): reachable and migrated",
        }
    )
    workers = fields.Integer()
    llm_provider = fields.String()
    turns = fields.Nested(TurnsOnHandSchema)
    timestamp = fields.String()
    configuration = fields.String(
        metadata={"description": "what the settings cannot do, when something (then unhealthy)"}
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema)


class BatchItemSchema(Schema):
    class Meta:
        unknown = RAISE

    message = Text(required=True)
    reference = Text(load_default=None, allow_none=True)


class BatchRequestSchema(Schema):
    """A JSON batch. A CSV upload works too: multipart field `file`, columns message[,reference]."""

    class Meta:
        unknown = RAISE

    items = fields.List(fields.Nested(BatchItemSchema), required=True)
    issue = fields.Boolean(
        load_default=False,
        metadata={
            "description": "issue the invoice of every succeeded item, numbered in item order, "
            "once all items are final (a CSV upload: form field issue=true)"
        },
    )


class BatchPageSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class BatchCountsSchema(Schema):
    queued = fields.Integer()
    running = fields.Integer()
    succeeded = fields.Integer()
    failed = fields.Integer()
    cancelled = fields.Integer()


class BatchItemResultSchema(Schema):
    reference = fields.String(allow_none=True)
    job_id = fields.String()
    session_id = fields.String()
    status = fields.String(
        metadata={"enum": ["queued", "running", "succeeded", "failed", "cancelled", "expired"]}
    )
    invoice_number = fields.String(allow_none=True)
    buyer = fields.String(allow_none=True)
    currency = fields.String(allow_none=True)
    total = fields.String(allow_none=True, metadata={"description": "decimal string"})
    error = fields.Nested(ErrorBodySchema, allow_none=True)


class BatchSchema(Schema):
    batch_id = fields.String()
    status = fields.String(metadata={"enum": ["queued", "running", "completed", "cancelled"]})
    total = fields.Integer()
    counts = fields.Nested(BatchCountsSchema)
    created_at = fields.String()
    items = fields.List(fields.Nested(BatchItemResultSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()
    status_url = fields.String()
    results_url = fields.String()
    invoices_url = fields.String(metadata={"description": "a ZIP of the invoices as PDFs"})
    issue = fields.Boolean(metadata={"description": "the batch issues its invoices"})
    issued = fields.Integer(metadata={"description": "items issued so far"})
    issuing = fields.Boolean(
        metadata={"description": "every item is final and the invoices are being issued "
                  "(status stays running until they are)"}
    )  # fmt: skip


class ZipProgressSchema(Schema):
    """A batch's ZIP of PDFs while a worker makes it."""

    status = fields.String(metadata={"enum": ["building"]})
    done = fields.Integer(metadata={"description": "PDFs in the ZIP so far"})
    total = fields.Integer(metadata={"description": "PDFs it will hold"})
    status_url = fields.String(metadata={"description": "ask here again; 200 is the ZIP"})


# --- records: profile, clients, issued invoices (core/records) ------------------------------
# The profile's and a client's own schemas live in core/records/schemas.py: the service
# validates with them too, whoever calls it.


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ClientListArgsSchema(PageArgsSchema):
    q = Text(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "part of a name, company, e-mail or VAT ID"},
    )


class ClientSchema(Schema):
    """A client: the buyer's details, remembered from issued invoices or saved."""

    client_id = fields.String()
    name = fields.String()
    company = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    tax_id = fields.String(allow_none=True)
    contact = fields.Nested(ContactSchema, allow_none=True)
    electronic_address = fields.Nested(
        ElectronicAddressSchema, allow_none=True, metadata={"description": "BT-49 for a buyer"}
    )
    invoice_count = fields.Integer()
    last_invoice_number = fields.String(allow_none=True)
    last_invoiced_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class ClientPageSchema(Schema):
    items = fields.List(fields.Nested(ClientSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class IdempotencyHeadersSchema(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        load_default=None,
        validate=validate.Regexp(
            r"\A[\x21-\x7e]{1,255}\Z", error="Use 1 to 255 printable ASCII characters."
        ),
        metadata={"description": "the same key never issues twice: a retry gets the first result"},
    )


STATUSES = ["issued", "paid", "credited"]


class InvoiceListArgsSchema(PageArgsSchema):
    client_id = fields.String(load_default=None, validate=validate.Length(max=32))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    date_from = fields.Date(
        data_key="from", load_default=None, metadata={"description": "issue date on or after"}
    )
    date_to = fields.Date(
        data_key="to", load_default=None, metadata={"description": "issue date on or before"}
    )
    q = Text(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "words of the number, the buyer or the lines"},
    )


class InvoiceSummarySchema(Schema):
    number = fields.String(metadata={"example": "2026-0001"})
    type = fields.String(metadata={"enum": ["invoice", "credit_note"]})
    status = fields.String(metadata={"enum": STATUSES})
    issue_date = fields.String(metadata={"format": "date"})
    due_date = fields.String(allow_none=True, metadata={"format": "date"})
    buyer = fields.String(allow_none=True, metadata={"description": "company, else name"})
    client_id = fields.String(allow_none=True)
    currency = fields.String()
    total = fields.String(metadata={"description": "decimal string"})
    issued_at = fields.String(metadata={"format": "date-time"})
    paid_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class InvoicePageSchema(Schema):
    items = fields.List(fields.Nested(InvoiceSummarySchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class IssuedInvoiceSchema(InvoiceSchema):
    """An issued invoice or credit note as kept: the invoice JSON and its record fields."""

    issued_at = fields.String(metadata={"format": "date-time"})
    paid_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    credit_note_numbers = fields.List(fields.String())
    credits = fields.String(allow_none=True, metadata={"description": "the invoice it credits"})
    client_id = fields.String(allow_none=True)


class InvoicePaymentSchema(Schema):
    """The one change an issued invoice takes: it was paid."""

    class Meta:
        unknown = RAISE

    status = fields.String(required=True, validate=validate.OneOf(["paid"]))
    paid_at = fields.AwareDateTime(
        load_default=None, default_timezone=None, metadata={"description": "default: now"}
    )


class NewSessionSchema(Schema):
    session_id = fields.String()
