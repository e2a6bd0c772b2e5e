"""Batches: many generate-invoice turns submitted as one, with counts, pages and results.

Each item is an ordinary turn — its own session and job, stored by the same BEGIN_TURN
script a chat message uses — so the worker runs it like any other. What a batch adds:

    batch:{id}          hash  batch_id, owner, created_at, total, cancelled_at,
                              queued / running / succeeded / failed / cancelled counts;
                              with "issue": true also issue, issue_state, issue_claimed_at,
                              issued (core/batch_records.py)
    batch:{id}:items    list  {"reference", "job_id", "session_id"} per item, in order
    batch:{id}:issued   hash  item position -> {"number"} | {"error"}: what issuing did

The job scripts (core/jobs.py) move the counts when a job of the batch changes status, so
reading a batch never scans its jobs. Everything of a batch is written in one pipelined round
trip; its items then wait in their owner's queue (core/batch_queue.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from core.batch_queue import FairBatchQueue
from core.clock import isoformat
from core.errors import BatchNotFound, TokenLimitExceeded, ValidationFailed
from core.ids import new_id
from core.jobs import JOB_MOVES, AcceptedTurn, JobStore, NewTurn
from core.redis_model import (
    ACTIVE_SESSIONS,
    QUEUED_JOBS,
    JobStatus,
    batch_issued_key,
    batch_items_key,
    batch_key,
    job_key,
    lua,
    messages_key,
    session_key,
)
from core.tokens import count_tokens

STATUSES = tuple(status.value for status in JobStatus)
ITEM_FIELDS = ("status", "result", "error")
MAX_REFERENCE_CHARS = 200
ISSUE_STALE_SECONDS = 60  # an issuing task this long without progress is taken over

# KEYS: batch   ARGV: now, stale_seconds, claim ("1": take it; "0": only say whether it is due)
# A batch asked to issue is due once every item is final, until its issuing is done, unless a
# task has claimed it and made progress within stale_seconds. Returns the owner when due (and
# claimed, with claim "1"), else false.
_ISSUE_DUE = lua("""
local batch = KEYS[1]
local now, stale = tonumber(ARGV[1]), tonumber(ARGV[2])
local fields = redis.call("HMGET", batch, "issue", "issue_state", "issue_claimed_at", "total",
                          "succeeded", "failed", "cancelled", "owner")
if fields[1] ~= "1" or fields[2] == "done" then return false end
local finished = tonumber(fields[5] or 0) + tonumber(fields[6] or 0) + tonumber(fields[7] or 0)
if finished < tonumber(fields[4]) then return false end
if fields[2] == "issuing" and now - tonumber(fields[3] or "0") < stale then return false end
if ARGV[3] == "1" then
  redis.call("HSET", batch, "issue_state", "issuing", "issue_claimed_at", now)
end
return fields[8]
""")

# KEYS: issued, batch   ARGV: position, outcome_json, is_number ("1"), now, ttl
# An item's outcome is written once; the issued count moves with it; the claim made progress.
_RECORD_ISSUED = lua("""
if redis.call("HSETNX", KEYS[1], ARGV[1], ARGV[2]) == 1 and ARGV[3] == "1" then
  redis.call("HINCRBY", KEYS[2], "issued", 1)
end
redis.call("EXPIRE", KEYS[1], tonumber(ARGV[5]))
redis.call("HSET", KEYS[2], "issue_claimed_at", ARGV[4])
return 1
""")

# KEYS: batch, then every job of the batch   ARGV: now
# Cancels the jobs still queued (running ones finish); frees their sessions. Returns how many.
_CANCEL_BATCH = lua(
    JOB_MOVES
    + """
local batch, now = KEYS[1], ARGV[1]
local pending = "$BATCH_PENDING_PREFIX" .. redis.call("HGET", batch, "owner")
local cancelled = 0
for i = 2, #KEYS do
  local job = KEYS[i]
  if redis.call("HGET", job, "status") == "$STATUS_QUEUED" then
    local job_id = string.sub(job, $JOB_PREFIX_LENGTH + 1)
    redis.call("HSET", job, "status", "$STATUS_CANCELLED", "finished_at", now)
    move_batch_count(job, "$STATUS_QUEUED", "$STATUS_CANCELLED")
    not_queued(job)
    finished(job)
    redis.call("ZREM", pending, job_id)
    count("jobs_cancelled")
    local session_id = redis.call("HGET", job, "session_id")
    local session = "$SESSION_PREFIX" .. session_id
    redis.call("DEL", session, session .. ":messages")  -- created for this item, never used
    redis.call("ZREM", "$ACTIVE_SESSIONS", session_id)
    redis.call("PUBLISH", "$FINISHED_CHANNEL", job_id)
    cancelled = cancelled + 1
  end
end
redis.call("HSET", batch, "cancelled_at", now)
return cancelled
"""
)


@dataclass(frozen=True)
class BatchItemRequest:
    message: str
    reference: str | None = None


@dataclass(frozen=True)
class BatchInvoice:
    """A succeeded item's invoice: its draft and, once the batch issued it, its number."""

    position: int  # the item's place in the batch, from 0
    session_id: str
    invoice: dict[str, Any]
    number: str | None = None
    issue_error: dict[str, Any] | None = None  # why the records would not issue it

    @property
    def name(self) -> str:
        """What its file is called in the batch's ZIP: the issued number, else
        draft-<item position from 1> (a draft has no number; the position names the item)."""
        return self.number or f"draft-{self.position + 1}"


@dataclass(frozen=True)
class BatchCreated:
    batch_id: str
    owner: str
    total: int
    turns: tuple[AcceptedTurn, ...]


def parse_csv(data: bytes, *, max_items: int, max_message_chars: int) -> list[BatchItemRequest]:
    """Rows of a CSV with a `message` column and an optional `reference` column.

    UTF-8, with or without a byte-order mark; blank rows are skipped. Raises ValidationFailed
    listing every bad row by the number a spreadsheet shows (the header is row 1).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            "The CSV file is not UTF-8 text.",
            details={"file": ["Save the file as UTF-8 (CSV UTF-8 in spreadsheet programs)."]},
        ) from None
    rows = csv.reader(io.StringIO(text, newline=""))
    header = [column.strip().lower() for column in next(rows, [])]
    if "message" not in header:
        raise ValidationFailed(
            "The CSV file needs a 'message' column.",
            details={"file": ["The first row must name the columns: message[,reference]."]},
        )
    message_at = header.index("message")
    reference_at = header.index("reference") if "reference" in header else None
    numbered: dict[int, BatchItemRequest] = {}
    try:
        for number, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue  # blank rows are not items
            cell = dict(enumerate(row))
            reference = cell.get(reference_at, "").strip() if reference_at is not None else ""
            numbered[number] = BatchItemRequest(cell.get(message_at, "").strip(), reference or None)
    except csv.Error as exc:
        raise ValidationFailed(f"The CSV file cannot be read: {exc}.") from None
    validate_items(numbered, max_items=max_items, max_message_chars=max_message_chars)
    return list(numbered.values())


def validate_items(
    items: list[BatchItemRequest] | dict[int, BatchItemRequest],
    *,
    max_items: int,
    max_message_chars: int,
) -> None:
    """Raises ValidationFailed with every bad row's number and reasons; nothing is stored.

    Rows are numbered by their position in a JSON list (from 0), or by the numbers given.
    """
    numbered = items if isinstance(items, dict) else dict(enumerate(items))
    if not numbered:
        raise ValidationFailed("The batch has no items.", details={"items": ["Add at least one."]})
    if len(numbered) > max_items:
        raise ValidationFailed(
            f"A batch takes at most {max_items} items; this one has {len(numbered)}.",
            details={"items": [f"At most {max_items} items."]},
        )
    bad_rows: dict[str, list[str]] = {}
    for number, item in numbered.items():
        problems = []
        if not item.message.strip():
            problems.append("The message is empty.")
        elif len(item.message) > max_message_chars:
            problems.append(f"The message is longer than {max_message_chars} characters.")
        if item.reference is not None and len(item.reference) > MAX_REFERENCE_CHARS:
            problems.append(f"The reference is longer than {MAX_REFERENCE_CHARS} characters.")
        if problems:
            bad_rows[str(number)] = problems
    if bad_rows:
        raise ValidationFailed(
            f"{len(bad_rows)} row(s) of the batch are not valid; nothing was submitted.",
            details={"rows": bad_rows},
        )


class BatchStore:
    """Batches on the session store's Redis."""

    def __init__(self, jobs: JobStore, queue: FairBatchQueue):
        self.jobs = jobs
        self.queue = queue
        self.redis = jobs.redis
        self._cancel_batch = self.redis.register_script(_CANCEL_BATCH)
        self._issue_due = self.redis.register_script(_ISSUE_DUE)
        self._record_issued = self.redis.register_script(_RECORD_ISSUED)

    def create(
        self,
        owner: str,
        items: list[BatchItemRequest],
        *,
        request_id: str = "",
        issue: bool = False,
    ) -> BatchCreated:
        """Store the batch and one generate-invoice turn per item, queued in the owner's
        batch queue (the caller dispatches: `queue.dispatch`). With `issue`, the succeeded
        items' invoices are issued once every item is final (core/batch_records.py).

        Raises TokenLimitExceeded (an item alone is over the budget), RateLimited (the owner
        has too many items waiting already), Unavailable.
        """
        batch_id = new_id()
        turns = [
            NewTurn(owner=owner, session_id=None, new_session_id=new_id(), job_id=new_id(),
                    kind="generate", message=item.message,
                    message_tokens=count_tokens(item.message), request_id=request_id,
                    batch_id=batch_id)
            for item in items
        ]  # fmt: skip
        too_long = {
            str(n): ["The message alone is over the session's token limit."]
            for n, turn in enumerate(turns)
            if turn.message_tokens > self.jobs.token_limit
        }
        if too_long:
            raise TokenLimitExceeded(
                details={"rows": too_long, "token_limit": self.jobs.token_limit}
            )

        self.queue.enqueue(owner, [turn.job_id for turn in turns])
        counts = dict.fromkeys(STATUSES, 0) | {JobStatus.QUEUED.value: len(items)}
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(batch_key(batch_id), mapping={
                "batch_id": batch_id, "owner": owner, "total": len(items),
                "created_at": isoformat(self.jobs.clock()), **counts,
                **({"issue": "1", "issued": 0} if issue else {}),
            })  # fmt: skip
            pipe.rpush(batch_items_key(batch_id), *(
                json.dumps({"reference": item.reference, "job_id": turn.job_id,
                            "session_id": turn.new_session_id})
                for item, turn in zip(items, turns, strict=True)
            ))  # fmt: skip
            pipe.expire(batch_key(batch_id), self.jobs.job_ttl)
            pipe.expire(batch_items_key(batch_id), self.jobs.job_ttl)
            first_turn = len(pipe)
            for turn in turns:
                self.jobs.begin_turn(turn, pipeline=pipe)
            self.jobs.replica_wait.queue(pipe)
            answers = self.jobs.replica_wait.check(pipe.execute(), f"batch {batch_id}")
            answers = answers[first_turn:]
        accepted = tuple(
            self.jobs.accepted_turn(answer, turn)
            for answer, turn in zip(answers, turns, strict=True)
        )
        return BatchCreated(batch_id, owner, len(items), accepted)

    def discard(self, created: BatchCreated) -> None:
        """Remove a batch whose jobs could not be enqueued: nothing half-written stays."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.delete(
                batch_key(created.batch_id),
                batch_items_key(created.batch_id),
                batch_issued_key(created.batch_id),
            )
            for turn in created.turns:
                pipe.delete(
                    job_key(turn.job_id),
                    session_key(turn.session_id),
                    messages_key(turn.session_id),
                )
            job_ids = [turn.job_id for turn in created.turns]
            pipe.zrem(ACTIVE_SESSIONS, *(turn.session_id for turn in created.turns))
            pipe.zrem(QUEUED_JOBS, *job_ids)
            pipe.execute()
        self.queue.withdraw(created.owner, job_ids)

    def summary(self, batch_id: str, owner: str) -> dict[str, Any]:
        """The batch's status and counts. Raises BatchNotFound (also for another owner's)."""
        fields = self.redis.hgetall(batch_key(batch_id))
        if not fields or fields.get("owner") != owner:
            raise BatchNotFound()
        counts = {status: int(fields.get(status, 0)) for status in STATUSES}
        total = int(fields["total"])
        finished = counts["succeeded"] + counts["failed"] + counts["cancelled"]
        issue = fields.get("issue") == "1"
        issuing = issue and fields.get("issue_state") != "done"
        if fields.get("cancelled_at"):
            status = "cancelled"
        elif finished == total and not issuing:
            status = "completed"  # with "issue": once every succeeded item's invoice is issued
        elif counts["queued"] == total:
            status = "queued"
        else:
            status = "running"
        return {
            "batch_id": batch_id,
            "status": status,
            "total": total,
            "counts": counts,
            "created_at": fields["created_at"],
            "issue": issue,
            "issued": int(fields.get("issued", 0)),
            "issuing": issuing and finished == total,
        }

    def items(self, batch_id: str, *, start: int = 0, stop: int = -1) -> list[dict[str, Any]]:
        """Items `start`..`stop` (inclusive) with each job's outcome, in two round trips."""
        raw_items = self.redis.lrange(batch_items_key(batch_id), start, stop)
        with self.redis.pipeline(transaction=False) as pipe:
            entries = [json.loads(raw) for raw in raw_items]
            for entry in entries:
                pipe.hmget(job_key(entry["job_id"]), *ITEM_FIELDS)
            positions = [str(start + n) for n in range(len(entries))]
            pipe.hmget(batch_issued_key(batch_id), positions or ["0"])
            *outcomes, issued = pipe.execute()
        return [
            _item_view(entry, *outcome, issued=json.loads(done) if done else None)
            for entry, outcome, done in zip(entries, outcomes, issued, strict=False)
        ]

    def invoices(self, batch_id: str, *, page_size: int = 100) -> Iterator[BatchInvoice]:
        """The invoice of every succeeded item, in item order, read a page at a time.

        The item count is read now, so a Redis outage is raised here (503) rather than in the
        middle of a response that has started.
        """
        total = self.redis.llen(batch_items_key(batch_id))
        return self._invoices(batch_id, total, page_size)

    def _invoices(self, batch_id: str, total: int, page_size: int) -> Iterator[BatchInvoice]:
        for start in range(0, total, page_size):
            entries = [
                json.loads(r)
                for r in self.redis.lrange(batch_items_key(batch_id), start, start + page_size - 1)
            ]
            with self.redis.pipeline(transaction=False) as pipe:
                for entry in entries:
                    pipe.hget(job_key(entry["job_id"]), "result")
                positions = [str(start + n) for n in range(len(entries))]
                pipe.hmget(batch_issued_key(batch_id), positions or ["0"])
                *results, issued = pipe.execute()
            for position, (entry, result, done) in enumerate(
                zip(entries, results, issued, strict=False), start
            ):
                invoice = (json.loads(result) if result else {}).get("invoice")
                if invoice:
                    outcome = json.loads(done) if done else {}
                    yield BatchInvoice(
                        position,
                        entry["session_id"],
                        invoice,
                        outcome.get("number"),
                        outcome.get("error"),
                    )

    # -- issuing (core/batch_records.py) --------------------------------------------------

    def owner(self, batch_id: str) -> str:
        """Whose batch it is. Raises BatchNotFound when it is gone."""
        owner = self.redis.hget(batch_key(batch_id), "owner")
        if owner is None:
            raise BatchNotFound()
        return owner

    def issue_due(self, batch_id: str) -> bool:
        """The batch asked to issue, every item is final, and no live task is issuing it."""
        due = self._issue_due(
            keys=[batch_key(batch_id)], args=[time.time(), ISSUE_STALE_SECONDS, "0"]
        )
        return due is not None

    def claim_issue(self, batch_id: str) -> str | None:
        """Claim the batch's issuing for this task: its owner, or None when it is not due
        (not final yet, done, or another task holds a fresh claim)."""
        return self._issue_due(
            keys=[batch_key(batch_id)], args=[time.time(), ISSUE_STALE_SECONDS, "1"]
        )

    def record_issued(
        self,
        batch_id: str,
        position: int,
        *,
        number: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """What issuing the item at `position` gave: its number, or the records' refusal.
        Counts as the claim's progress."""
        outcome = {"number": number} if number else {"error": error}
        self._record_issued(
            keys=[batch_issued_key(batch_id), batch_key(batch_id)],
            args=[position, json.dumps(outcome), "1" if number else "0", time.time(),
                  self.jobs.job_ttl],
        )  # fmt: skip

    def release_issue(self, batch_id: str) -> None:
        """Give up the claim (a failure): the next task may take it at once."""
        self.redis.hset(batch_key(batch_id), mapping={"issue_state": "", "issue_claimed_at": 0})

    def finish_issue(self, batch_id: str) -> None:
        """Every succeeded item is issued (or refused): the batch is completed."""
        self.redis.hset(batch_key(batch_id), "issue_state", "done")

    def cancel(self, batch_id: str, owner: str) -> int:
        """Cancel the items not yet started; running ones finish. Returns how many."""
        self.summary(batch_id, owner)  # raises BatchNotFound
        entries = [json.loads(raw) for raw in self.redis.lrange(batch_items_key(batch_id), 0, -1)]
        return int(
            self._cancel_batch(
                keys=[batch_key(batch_id), *(job_key(e["job_id"]) for e in entries)],
                args=[isoformat(self.jobs.clock())],
            )
        )


def _item_view(
    entry: dict[str, Any],
    status: str | None,
    result: str | None,
    error: str | None,
    *,
    issued: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An item as the API shows it: a draft has no number; an issued item has the number the
    batch drew for it, and an item the records refused to issue has their error."""
    invoice = (json.loads(result) if result else {}).get("invoice") or {}
    buyer = invoice.get("buyer") or {}
    issued = issued or {}
    return {
        "reference": entry["reference"],
        "job_id": entry["job_id"],
        "session_id": entry["session_id"],
        "status": status or "expired",
        "invoice_number": issued.get("number") or invoice.get("number"),
        "buyer": buyer.get("name"),
        "currency": invoice.get("currency"),
        "total": invoice.get("total"),
        "error": json.loads(error) if error else issued.get("error"),
    }


RESULT_COLUMNS = (
    "reference",
    "status",
    "invoice_number",
    "buyer",
    "currency",
    "total",
    "error_code",
    "error_message",
    "session_id",
    "job_id",
)


def results_csv(items: list[dict[str, Any]]) -> str:
    """The items as a spreadsheet: one row per item, amounts as exact decimal text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RESULT_COLUMNS)
    for item in items:
        error = item["error"] or {}
        writer.writerow(
            [
                _spreadsheet_safe(item["reference"]),
                item["status"],
                item["invoice_number"],
                _spreadsheet_safe(item["buyer"]),
                item["currency"],
                item["total"],
                error.get("code"),
                _spreadsheet_safe(error.get("message")),
                item["session_id"],
                item["job_id"],
            ]
        )
    return out.getvalue()


# Spreadsheets run a cell that starts with = + - @ as a formula, and a program that splits on
# ";" or "|" (or a tab) where we wrote "," sees a new cell after each of them.
_CELL_START = re.compile(r"(^|[,;|])(\s*)(?=[=+\-@])")
_CONTROLS = re.compile("[\x00-\x1f\x7f]+")


def _spreadsheet_safe(text: str | None) -> str | None:
    """Text no spreadsheet runs as a formula (CSV injection), however it splits the line:
    control characters (NUL, tab, newlines) become a space, and a quote goes before every
    = + - @ that starts the text or follows a separator: 'safe;=1+1' -> "safe;'=1+1"."""
    if not text:
        return text
    return _CELL_START.sub(r"\1\2'", _CONTROLS.sub(" ", text))
