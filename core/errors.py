"""The exception tree of the service. Every error a client can see is one of these.

    InvoiceAgentError             code, message, details, http_status
    ├── ConfigurationError        a setting cannot be used (raised at start-up)
    ├── InvalidJson               400 invalid_json
    ├── InvalidUpload             400 invalid_upload (a multipart body that cannot be read)
    ├── ValidationFailed          422 validation_error (details: one message list per field)
    ├── EinvoiceIncomplete        422 einvoice_incomplete (details.missing: what to add)
    ├── Unauthorized              401 unauthorized
    ├── NotFound                  404
    │   ├── SessionNotFound       session_not_found (unknown, expired, or another key's)
    │   ├── JobNotFound           job_not_found
    │   ├── BatchNotFound         batch_not_found
    │   ├── NoInvoice             no_invoice
    │   ├── InvoiceNotFound       invoice_not_found (no issued invoice of that number here)
    │   ├── ClientNotFound        client_not_found
    │   └── AttachmentNotFound    attachment_not_found (unknown; its session gone or another's)
    ├── MethodNotAllowed          405 method_not_allowed
    ├── TurnInProgress            409 turn_in_progress (details.job_id)
    ├── InvoiceIssued             409 invoice_issued (details.number): issued already
    ├── TokenLimitExceeded        413 token_limit_exceeded (details: token_count, token_limit)
    ├── PayloadTooLarge           413 payload_too_large
    ├── RateLimited               429 rate_limited
    ├── Unavailable               503 unavailable (Redis, the broker or the records database
    │                             cannot be reached)
    └── TurnFailed                a turn could not produce a valid invoice; becomes a job's error
        ├── InvalidDraft          invalid_invoice: the provider's invoice did not validate
        ├── ProviderError         provider_error: the LLM provider failed for good
        │   └── ProviderTransient provider_unavailable: throttled or transient; retried
        ├── TurnTimedOut          turn_timeout: the turn ran past JOB_TIME_LIMIT
        ├── NoInvoiceProduced     no_invoice_produced: a batch item's request made no invoice
        ├── TurnInterrupted       turn_interrupted: its workers died under it, again and again
        └── SessionGone           session_not_found: the session was deleted during the turn
    AttachmentError               a file attached to a turn cannot be used (details.attachment:
    │                             its 1-based position; details.reason: a stable word, below)
    ├── UnsupportedAttachment     415 unsupported_attachment: not a type we read (sniffed from
    │                             the bytes: a program, another zip, other XML, plain text)
    ├── AttachmentTooLarge        413 attachment_too_large: over a limit (bytes, pixels, rows,
    │                             unpacked size: a zip bomb); details.limit
    ├── TooManyAttachments        413 too_many_attachments: more files than MAX_ATTACHMENTS
    ├── AttachmentUnreadable      422 attachment_unreadable: damaged, encrypted, or carrying what
    │                             we refuse to open (JavaScript in a PDF, a DTD in XML)
    └── EinvoiceInvalid           422 einvoice_invalid: an attached e-invoice breaks its schema
                                  (details.errors: [{rule, message}])

Attachment errors are raised where the file is looked at: the checks on upload (`sniff`) give
the 4xx above; the same errors raised while a worker reads the file become the job's error.

Lower-level errors (redis, kombu, botocore, SQLAlchemy) are translated into these at the
boundary where they occur, so callers above `core` never import those libraries to catch
their errors.
"""

from __future__ import annotations

from typing import Any


class InvoiceAgentError(Exception):
    """Base class: carries a stable snake_case code, a message for a person, and details."""

    code = "internal_error"
    http_status = 500
    default_message = "Something went wrong on our side."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ConfigurationError(InvoiceAgentError):
    """A setting is missing or cannot be used."""

    code = "configuration_error"


class InvalidJson(InvoiceAgentError):
    """The request body is not JSON."""

    code = "invalid_json"
    http_status = 400
    default_message = "The request body is not valid JSON."


class InvalidUpload(InvoiceAgentError):
    """The body says multipart/form-data but cannot be read as such."""

    code = "invalid_upload"
    http_status = 400
    default_message = (
        "The upload could not be read. Send the file as multipart/form-data, in a field named "
        "'file'."
    )


class MethodNotAllowed(InvoiceAgentError):
    """The address exists, but not for this HTTP method."""

    code = "method_not_allowed"
    http_status = 405
    default_message = "This method is not allowed here."


class ValidationFailed(InvoiceAgentError):
    """Fields of the request are wrong; details maps each field to its messages."""

    code = "validation_error"
    http_status = 422
    default_message = "Some fields are not valid."


class EinvoiceIncomplete(InvoiceAgentError):
    """The invoice lacks what an e-invoice standard requires; details.missing lists it."""

    code = "einvoice_incomplete"
    http_status = 422
    default_message = "The invoice lacks information the e-invoice standard requires."


class Unauthorized(InvoiceAgentError):
    """Auth is on and the API key is missing or unknown."""

    code = "unauthorized"
    http_status = 401
    default_message = "A valid API key is required (header X-API-Key or Authorization: Bearer)."


class NotFound(InvoiceAgentError):
    """Base for 404s."""

    code = "not_found"
    http_status = 404
    default_message = "Not found."


class SessionNotFound(NotFound):
    """The session is unknown, expired, or belongs to another API key."""

    code = "session_not_found"
    default_message = (
        "This session does not exist or has expired. Start a new session by sending your "
        "message without a session_id."
    )


class AttachmentNotFound(NotFound):
    """The attachment is unknown, or its session is unknown, expired or another key's."""

    code = "attachment_not_found"
    default_message = "This attachment does not exist, or its session has expired."


class JobNotFound(NotFound):
    """The job is unknown, expired, or belongs to another API key."""

    code = "job_not_found"
    default_message = "This job does not exist or has expired."


class BatchNotFound(NotFound):
    """The batch is unknown, expired, or belongs to another API key."""

    code = "batch_not_found"
    default_message = "This batch does not exist or has expired."


class NoInvoice(NotFound):
    """The session has no invoice yet."""

    code = "no_invoice"
    default_message = "This session has no invoice yet. Describe one in the chat first."


class TurnInProgress(InvoiceAgentError):
    """A turn for this session is still queued or running."""

    code = "turn_in_progress"
    http_status = 409
    default_message = (
        "The previous message of this session is still being processed. Wait for its job to "
        "finish, then send again."
    )


class TokenLimitExceeded(InvoiceAgentError):
    """The message would take the session past its token budget."""

    code = "token_limit_exceeded"
    http_status = 413
    default_message = (
        "This message would take the conversation past its token limit. Start a new session "
        "to continue."
    )


class PayloadTooLarge(InvoiceAgentError):
    """The request body is over MAX_REQUEST_BYTES."""

    code = "payload_too_large"
    http_status = 413
    default_message = "The request body is too large."


class RateLimited(InvoiceAgentError):
    """Too many requests for this API key (or address); `retry_after` seconds to wait."""

    code = "rate_limited"
    http_status = 429
    default_message = "Too many requests. Retry after the time given in the Retry-After header."

    def __init__(self, message: str | None = None, *, retry_after: int = 1, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(InvoiceAgentError):
    """Redis or the broker cannot be reached."""

    code = "unavailable"
    http_status = 503
    default_message = "The service is temporarily unavailable. Please retry in a moment."


class TurnFailed(InvoiceAgentError):
    """A turn ended without a usable result; stored as the job's error."""

    code = "turn_failed"
    default_message = "The assistant could not complete this turn."


class InvalidDraft(TurnFailed):
    """The provider returned an invoice that does not validate."""

    code = "invalid_invoice"
    default_message = "The assistant produced an invoice that is not valid; nothing was changed."


class ProviderError(TurnFailed):
    """The LLM provider failed and retrying will not help."""

    code = "provider_error"
    default_message = "The language model could not answer this turn."


class ProviderTransient(ProviderError):
    """The LLM provider is throttled or briefly unavailable; the turn is retried."""

    code = "provider_unavailable"
    default_message = "The language model is busy; the turn was retried and still failed."


class TurnTimedOut(TurnFailed):
    """The turn ran past its time limit and was stopped."""

    code = "turn_timeout"
    default_message = (
        "The assistant took too long to answer, so the turn was stopped; nothing was changed. "
        "Please try again."
    )


class NoInvoiceProduced(TurnFailed):
    """A batch item ended without an invoice; the message is the assistant's reply."""

    code = "no_invoice_produced"
    default_message = "The request did not produce an invoice."


class TurnInterrupted(TurnFailed):
    """Every worker that started the turn died under it: given up rather than tried forever."""

    code = "turn_interrupted"
    default_message = (
        "This turn was interrupted several times (the workers running it stopped), so it was "
        "given up; nothing was changed. Please send the message again."
    )


class SessionGone(TurnFailed):
    """The session was deleted or expired while the turn ran; nothing was written."""

    code = "session_not_found"
    default_message = "The session was deleted or expired while this turn was running."


class InvoiceNotFound(NotFound):
    """No issued invoice of this number belongs to the caller."""

    code = "invoice_not_found"
    default_message = "There is no issued invoice with this number."


class ClientNotFound(NotFound):
    """The client is unknown, deleted, or belongs to another API key."""

    code = "client_not_found"
    default_message = "There is no client with this id."


class InvoiceIssued(InvoiceAgentError):
    """The session's invoice was issued already; details.number is its number."""

    code = "invoice_issued"
    http_status = 409
    default_message = (
        "This invoice has been issued and can no longer change. Create a credit note to "
        "cancel it, or a copy to start a new invoice from it."
    )


class AttachmentError(InvoiceAgentError):
    """An attached file cannot be used; details name it by position, never by file name."""

    code = "attachment_error"
    http_status = 422
    default_message = "An attached file cannot be used."

    def __init__(
        self,
        message: str | None = None,
        *,
        attachment: int | None = None,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ):
        merged = dict(details or {})
        if attachment is not None:
            merged["attachment"] = attachment
        if reason is not None:
            merged["reason"] = reason
        super().__init__(message, details=merged or None)
        self.attachment = attachment
        self.reason = reason

    def at(self, attachment: int) -> AttachmentError:
        """This error, naming the file by its position: "Attachment 2: …" (idempotent)."""
        if self.attachment is not None:
            return self
        error = type(self)(
            f"Attachment {attachment}: {self.message}",
            attachment=attachment,
            reason=self.reason,
            details={k: v for k, v in (self.details or {}).items() if k != "reason"},
        )
        return error


class UnsupportedAttachment(AttachmentError):
    """The file is not one of the types we read (judged from its content, not its name)."""

    code = "unsupported_attachment"
    http_status = 415
    default_message = (
        "This file type is not supported. Attach a PNG, JPEG or WebP image, a PDF, a CSV or "
        "XLSX spreadsheet, or a UBL or CII e-invoice."
    )


class AttachmentTooLarge(AttachmentError):
    """The file is over a limit: bytes, pixels, rows or unpacked size."""

    code = "attachment_too_large"
    http_status = 413
    default_message = "The attached file is too large."


class TooManyAttachments(AttachmentError):
    """More files than MAX_ATTACHMENTS were attached to one message."""

    code = "too_many_attachments"
    http_status = 413
    default_message = "Too many files are attached to this message."


class AttachmentUnreadable(AttachmentError):
    """The file is damaged, encrypted, or carries content we refuse to open."""

    code = "attachment_unreadable"
    http_status = 422
    default_message = "The attached file could not be read."


class EinvoiceInvalid(AttachmentError):
    """An attached e-invoice does not pass its XML Schema; details.errors lists what broke."""

    code = "einvoice_invalid"
    http_status = 422
    default_message = "The attached e-invoice is not valid."
