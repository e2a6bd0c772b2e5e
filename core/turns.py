"""A chat turn from acceptance to result: the use cases behind both the API and the worker.

    API:     start_turn()   -> job stored, session marked busy -> published (or undone)
             start_batch()  -> a batch's jobs stored -> the first ones dispatched and published
    worker:  TurnRunner.run(job_id) -> provider -> validated draft -> priced invoice -> applied

With records (core/owner_records.py) the runner reads the owner's profile and the stored
clients the message names before asking the provider, fills a new draft's seller and payment
details from the profile when the provider left them out, and writes the profile update the
user asked for ("save it to my profile").

The provider states facts; `price_invoice` computes every amount. A reply that does not
validate fails the job with `invalid_invoice` and the session keeps its last good invoice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from marshmallow import ValidationError

from core.attachment_store import AttachmentStore, NewAttachment
from core.attachments import DEFAULT_LIMITS, AttachmentLimits, ExtractedDocument, read_attachments
from core.batch_queue import dispatch_window
from core.batches import BatchCreated, BatchItemRequest, BatchStore
from core.clock import parse_time, utc_today
from core.errors import (
    InvalidDraft,
    InvoiceAgentError,
    NoInvoiceProduced,
    ProviderTransient,
    SessionGone,
    TurnInterrupted,
    Unavailable,
    ValidationFailed,
)
from core.ids import new_id
from core.invoice import InvoiceRuleError, price_invoice
from core.jobs import AcceptedTurn, JobRecord, JobStore, NewTurn, TurnContext, TurnResult
from core.llm_rate import LlmRateLimiter, SlotNotAvailable, parse_rate
from core.logs import bind, log_context
from core.metrics import Figures
from core.owner_records import TurnRecords, with_profile
from core.prompts import SYSTEM_PROMPT
from core.providers.base import Provider, ProviderRequest
from core.queue import BATCH_QUEUE, INTERACTIVE_QUEUE, Publisher, queue_for
from core.redis_model import TurnOutcome
from core.request_budgets import Charge
from core.schemas import dump_invoice, load_draft
from core.settings import Settings
from core.stores import RedisStores
from core.tokens import count_tokens, token_warning, token_zone
from core.workers import WorkerRegistry

log = logging.getLogger(__name__)

TurnKind = Literal["generate", "chat"]


def start_turn(
    jobs: JobStore,
    publisher: Publisher,
    *,
    owner: str,
    session_id: str | None,
    message: str,
    kind: TurnKind,
    request_id: str = "",
    attachments: tuple[NewAttachment, ...] = (),
    charge: Charge | None = None,
) -> AcceptedTurn:
    """Count the message's tokens, store the turn (and its sniffed files, with the session)
    and publish it; undone when it cannot be published, so nothing half-written stays behind.
    With `charge`, the turn is first charged to the caller's turn budget, in the same script.

    Raises RateLimited (over the budget: nothing stored), SessionNotFound, InvoiceIssued,
    TurnInProgress, TokenLimitExceeded, AttachmentTooLarge (the session's files would pass
    MAX_SESSION_ATTACHMENT_BYTES), Unavailable.
    """
    accepted = jobs.begin_turn(
        NewTurn(
            owner=owner,
            session_id=session_id,
            new_session_id=new_id(),
            job_id=new_id(),
            kind=kind,
            message=message,
            message_tokens=count_tokens(message),
            request_id=request_id,
            attachments=attachments,
            charge=charge,
        )
    )
    try:
        publisher.publish([accepted.job_id], INTERACTIVE_QUEUE, request_id=request_id)
    except Unavailable:
        jobs.cancel_turn(accepted)
        raise
    return accepted


def start_batch(
    batches: BatchStore,
    workers: WorkerRegistry,
    publisher: Publisher,
    *,
    owner: str,
    items: list[BatchItemRequest],
    default_slots: int,
    request_id: str = "",
    issue: bool = False,
) -> BatchCreated:
    """Store a batch and publish its first items (the rest follow as workers finish items:
    dispatch_batch_items); the whole batch is removed when it cannot be published.

    Raises TokenLimitExceeded, RateLimited (too many items waiting), Unavailable.
    """
    created = batches.create(owner, items, request_id=request_id, issue=issue)
    try:
        dispatch_batch_items(batches, workers, publisher, default_slots=default_slots)
    except Unavailable:
        batches.discard(created)
        raise
    return created


def dispatch_batch_items(
    batches: BatchStore, workers: WorkerRegistry, publisher: Publisher, *, default_slots: int
) -> int:
    """Publish the batch items whose turn it is (core/batch_queue.py); how many. Raises
    Unavailable: an item taken off its owner's queue but not published is re-sent by the
    worker's sweep (jobs:queued)."""
    window = dispatch_window(workers.live_slots(), default_slots=default_slots)
    job_ids = batches.queue.dispatch(window)
    publisher.publish(job_ids, BATCH_QUEUE)
    return len(job_ids)


def valid_unicode(text: str) -> str:
    """`text` with lone surrogates (a model can send "\\ud800") replaced by U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


MAX_REPORTED_LINES = 20


def _bounded(messages: dict) -> dict:
    """Validation messages with at most MAX_REPORTED_LINES lines' worth: a 10,000-line draft's
    errors would otherwise make a megabyte-sized job record, sent on every poll."""
    items = messages.get("items") if isinstance(messages, dict) else None
    if not isinstance(items, dict) or len(items) <= MAX_REPORTED_LINES:
        return messages
    kept = dict(list(items.items())[:MAX_REPORTED_LINES])
    kept["more"] = [f"{len(items) - MAX_REPORTED_LINES} more lines have errors."]
    return {**messages, "items": kept}


def _field_problems(details: object, path: str = "") -> list[str]:
    """ "seller email: Not a valid email address." for each field of a validation error."""
    if isinstance(details, dict):
        return [
            problem
            for name, value in details.items()
            for problem in _field_problems(value, f"{path} {name}".strip())
        ]
    if isinstance(details, list):
        return [
            f"{path.replace('_', ' ')}: {message}"
            for message in details
            if isinstance(message, str)
        ]
    return []


@dataclass
class TurnRunner:
    """Runs one queued turn: reads the session, asks the provider, writes the result."""

    jobs: JobStore
    figures: Figures
    provider: Provider
    history_turns: int
    token_warn: int
    token_limit: int
    today: Callable[[], date] = utc_today
    llm_limiter: LlmRateLimiter | None = None
    sleep: Callable[[float], None] = time.sleep  # cooperative under the gevent pool
    max_slot_wait: float = 2.0  # longer waits go back to the queue instead of holding a slot
    max_lines: int = 500  # MAX_INVOICE_LINES: bounds what any export of the invoice costs
    worker: str = ""  # who runs the turns (a worker process's id): its heartbeat holds them
    max_handbacks: int = 5  # a turn whose worker was lost this often is given up (poison)
    attachments: AttachmentStore | None = None  # the turns' files (None: turns have none)
    attachment_limits: AttachmentLimits = DEFAULT_LIMITS
    records: TurnRecords | None = None  # profiles and clients; None: turns without records

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        stores: RedisStores,
        provider: Provider,
        *,
        worker: str = "",
        records: TurnRecords | None = None,
    ) -> TurnRunner:
        spacing = parse_rate(settings.llm_rate_limit)
        return cls(
            records=records,
            worker=worker,
            jobs=stores.jobs,
            figures=stores.figures,
            provider=provider,
            history_turns=settings.llm_history_turns,
            token_warn=settings.token_warn,
            token_limit=settings.token_limit,
            max_lines=settings.max_invoice_lines,
            llm_limiter=LlmRateLimiter(stores.redis, spacing) if spacing else None,
            attachments=stores.attachments,
            attachment_limits=AttachmentLimits.from_settings(settings),
        )

    def run(self, job_id: str, *, final_attempt: bool = True) -> TurnOutcome:
        """Run the job and record its outcome; returns what happened, for logs and tests.

        APPLIED | ALREADY or SKIPPED (finished before: a redelivery) | FAILED | SESSION_GONE.
        ProviderTransient is re-raised unless this is the final attempt, so
        the queue can retry it later; on the final attempt it fails the job like any error.
        Raises SlotNotAvailable when the shared LLM rate has no slot soon: run it again later.
        """
        with log_context(job_id=job_id):
            if self.llm_limiter is not None:
                peeked = self.jobs.get_job(job_id)
                if peeked is None or peeked.is_final:
                    return TurnOutcome.SKIPPED
                self._wait_for_llm_slot(queue_for(peeked.batch_id))
            started = self.jobs.start_turn(job_id, self.history_turns, worker=self.worker)
            if started is None:
                return TurnOutcome.SKIPPED
            job, context = started
            if job.handbacks >= self.max_handbacks:  # a poison turn: its workers keep dying
                return self._fail(job, TurnInterrupted())
            bind(session_id=job.session_id, request_id=job.request_id, batch_id=job.batch_id)
            started = time.monotonic()
            result = self._run_started(job, context, final_attempt)
            self._record_timings(job, time.monotonic() - started, result)
            return result

    def _run_started(
        self, job: JobRecord, context: TurnContext | None, final_attempt: bool
    ) -> TurnOutcome:
        try:
            outcome = self._compute(job, context)
        except ProviderTransient:
            if not final_attempt:
                raise
            return self._fail(job, ProviderTransient())
        except InvoiceAgentError as error:
            return self._fail(job, error)
        except Exception:
            log.exception("turn crashed")
            return self._fail(job, InvoiceAgentError())
        return self.jobs.apply_turn(job, outcome)

    def _record_timings(self, job: JobRecord, run_seconds: float, result: TurnOutcome) -> None:
        """Queue wait and run time into /metrics histograms, and one log line per turn."""
        queued_seconds = (datetime.now(UTC) - parse_time(job.created_at)).total_seconds()
        queued_seconds = max(0.0, queued_seconds - run_seconds)
        log.info(
            "turn finished",
            extra={
                "outcome": result.value,
                "attempt": job.attempts,
                "run_ms": round(run_seconds * 1000),
                "queued_ms": round(queued_seconds * 1000),
            },
        )
        try:
            durations = {"run_seconds": run_seconds}
            if job.attempts == 1:  # a redelivery's wait would count the dead worker's time
                durations["queue_wait_seconds"] = queued_seconds
            self.figures.observe(**durations)
        except InvoiceAgentError:
            log.warning("could not record turn timings")

    def _wait_for_llm_slot(self, queue: str) -> None:
        reservation = self.llm_limiter.reserve(self.max_slot_wait)
        if not reservation.reserved:
            raise SlotNotAvailable(reservation.seconds, queue)
        if reservation.seconds > 0:
            self.sleep(reservation.seconds)

    def _fail(self, job: JobRecord, error: InvoiceAgentError) -> TurnOutcome:
        self.jobs.fail_job(job.job_id, job.session_id, error)
        return TurnOutcome.FAILED

    def _compute(self, job: JobRecord, context: TurnContext | None) -> TurnResult:
        """Provider call and pricing, no writes. Raises TurnFailed subclasses (SessionGone when
        the session was deleted or expired before the turn started)."""
        if context is None:
            raise SessionGone()
        starts_new_invoice = job.kind == "generate"
        current = None if starts_new_invoice else context.invoice
        today = self.today()
        profile, known_clients = self._owner_records(job)
        answer = self.provider.respond(
            ProviderRequest(
                system_prompt=SYSTEM_PROMPT,
                history=context.history,
                message=job.message,
                invoice=current,
                today=today,
                previous_invoice=None if starts_new_invoice else context.previous_invoice,
                profile=profile,
                known_clients=known_clients,
                attachments=self._read_attachments(job),
            )
        )
        draft = answer.invoice
        if current is None and isinstance(draft, dict) and profile:
            draft = with_profile(draft, profile)  # a new invoice starts with the profile
        invoice_json = self._price(draft, today)
        reply = valid_unicode(answer.reply)
        if answer.profile_update:
            reply = self._update_profile(job, answer.profile_update, reply)
        if invoice_json is None and job.batch_id:
            # a batch item exists to make an invoice: one that made none has failed, and the
            # assistant's reply says why ("which client?", "what price?")
            raise NoInvoiceProduced(reply)
        reply_tokens = count_tokens(reply)
        token_count = context.token_count + job.message_tokens + reply_tokens
        return TurnResult(
            reply=reply,
            reply_tokens=reply_tokens,
            invoice=invoice_json,
            usage=answer.usage,
            result={
                "reply": reply,
                "invoice": invoice_json if invoice_json is not None else current,
                "token_count": token_count,
                "token_zone": token_zone(token_count, self.token_warn),
                "warning": token_warning(token_count, self.token_warn, self.token_limit),
            },
        )

    def _owner_records(self, job: JobRecord) -> tuple[dict | None, tuple[dict, ...]]:
        """The owner's profile and the stored clients the message names; (None, ()) without
        records, or when the database cannot be reached (the turn goes on without them)."""
        if self.records is None:
            return None, ()
        try:
            profile, known = self.records.for_message(job.owner, job.message)
        except Unavailable:
            log.warning("records unavailable: the turn goes on without the profile")
            return None, ()
        return profile, tuple(known)

    def _update_profile(self, job: JobRecord, patch: dict, reply: str) -> str:
        """Write the profile update the provider was asked for; the reply, with why not when
        it could not be written. Writing the same patch twice (a redelivered turn) is
        harmless."""
        if self.records is None:
            return f"{reply} (Saving to a profile is not available here.)"
        try:
            self.records.update_profile(job.owner, patch)
        except ValidationFailed as error:
            problems = "; ".join(_field_problems(error.details))
            return f"I couldn't save it to your profile: {problems or error.message}"
        except Unavailable:
            return "I couldn't reach your profile just now; nothing was saved. Try again soon."
        return reply

    def _read_attachments(self, job: JobRecord) -> tuple[ExtractedDocument, ...]:
        """The turn's files, read here in the worker: to text (tables, text layers, OCR) for
        the offline engine, to pictures plus text for a provider that `reads_images`.
        Raises an AttachmentError (the job's error: the session keeps its last good invoice
        and the turn's files are removed) or SessionGone (the files went with the session)."""
        if not job.attachments:
            return ()
        if self.attachments is None:
            raise InvoiceAgentError("This worker cannot read attached files.")
        ids = [meta["attachment_id"] for meta in job.attachments]
        files = self.attachments.load(job.session_id, ids)
        images = bool(getattr(self.provider, "reads_images", False))
        documents = read_attachments(
            files, limits=self.attachment_limits, images=images, ocr=not images
        )
        return tuple(documents)

    def _price(self, draft_json: object, today: date) -> dict | None:
        """Validate and price the provider's draft; None when it changed nothing. A draft has
        no number: numbers are drawn only when an invoice is issued (core/records)."""
        if draft_json is None:
            return None
        items = draft_json.get("items") if isinstance(draft_json, dict) else None
        if isinstance(items, list) and len(items) > self.max_lines:
            message = (
                f"An invoice can have at most {self.max_lines:,} lines; this one would have "
                f"{len(items):,}. Split it into several invoices. Nothing was changed."
            )
            raise InvalidDraft(message, details={"fields": {"items": [message]}})
        try:
            draft = load_draft(draft_json)
        except ValidationError as exc:
            raise InvalidDraft(details={"fields": _bounded(exc.messages)}) from None
        try:
            invoice = price_invoice(draft, None, today=today)
        except InvoiceRuleError as exc:
            raise InvalidDraft(
                f"The assistant's invoice breaks a rule: {exc.message} Nothing was changed.",
                details={"fields": {exc.field: [exc.message]}},
            ) from None
        return dump_invoice(invoice)
