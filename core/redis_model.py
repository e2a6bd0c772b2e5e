"""The Redis data model: every key, channel and status the service writes, in one place.

Python builds keys with the functions below; Lua scripts get the same names through `lua()`,
which fills `$NAME` placeholders from LUA_NAMES, so no name is spelled twice.

    session:{id}                  hash  owner, timestamps, token_count, usage_*, invoice JSON,
                                        previous_invoice (for undo), pending_job_id,
                                        issued_number (once its invoice is issued: turns
                                        are refused, reads show the issued invoice)
    session:{id}:messages         list  one JSON object per message, appended with RPUSH
    session:{id}:files            hash  the session's attached files (binary): data:{file id}
                                        -> bytes, meta:{file id} -> JSON (core/attachment_store.py);
                                        the session's field attachment_bytes is their total
    sessions:active               sorted set  session id -> last activity, for /metrics
    job:{id}                      hash  session_id, owner, kind, status, message, timestamps,
                                        result / error JSON, batch_id; TTL JOB_TTL_SECONDS
    jobs:queued                   sorted set  queued job id -> when queued or dispatched (the
                                        sweep re-sends jobs lost on the way to a worker)
    jobs:running                  hash  running job id -> the worker running it (its heartbeat
                                        going stale hands the job back: core/jobs.py)
    jobs:finished                 channel  a finished job's id (wakes long-polls)
    batch:{id}                    hash  owner, total, created_at, cancelled_at, and the counts
                                        by status (moved by the job scripts); issue ("1"),
                                        issue_state (issuing | done), issue_claimed_at, issued
    batch:{id}:items              list  {"reference", "job_id", "session_id"} per item
    batch:{id}:issued             hash  item position -> {"number"} or {"error"}, for a batch
                                        asked to issue its invoices (core/batch_records.py)
    export:{batch_id}             hash  a batch's ZIP of PDFs: status, progress
                                        (core/batch_exports.py)
    export:{batch_id}:zip         list  that ZIP's chunks (binary)
    batchq:pending:{owner}        sorted set  job id -> arrival order: the owner's waiting items
    batchq:open:{owner}           sorted set  job id -> when accepted, until final: what
                                        BATCH_MAX_QUEUED_ITEMS counts
    batchq:owners                 sorted set  owner -> when last served
    batchq:served, batchq:arrivals  counters  the rotation's clock; the arrival order
    batchq:inflight               sorted set  job id -> when dispatched, until final
    metrics:counters              hash  jobs by outcome and LLM tokens (the job scripts count)
    metrics:histogram:{name}      hash  bucket counts and the sum of a duration histogram
    workers:heartbeat             sorted set  worker name -> last heartbeat (unix time)
    workers:slots                 hash  worker name -> turns it runs at once
    workers:running:{worker}      set   the jobs that worker is running now (its heartbeat)
    llm:rate:next_slot            string  the shared LLM schedule (core/llm_rate.py)
    exports:rendering:{owner}     sorted set  renders in progress (core/concurrency.py)
    LIMITS/…                      the `limits` library's rate-limit windows (api/rate_limits.py)

Who writes what: sessions (core/sessions.py), turn jobs (core/jobs.py), batches
(core/batches.py, core/batch_queue.py), workers and figures (core/workers.py, core/metrics.py).
"""

from __future__ import annotations

from enum import StrEnum
from string import Template


class JobStatus(StrEnum):
    """Where a turn job is; the last three are final."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


class TurnOutcome(StrEnum):
    """What running (or trying to run) a turn job did."""

    APPLIED = "applied"  # its result was written to the session
    ALREADY = "already"  # it was final already: a redelivery
    SKIPPED = "skipped"  # missing or final before it started: a redelivery
    FAILED = "failed"  # it ended with an error; the session is unchanged
    SESSION_GONE = "session_gone"  # the session was deleted or expired meanwhile
    DEFERRED = "deferred"  # the LLM rate had no slot: back to its queue


SESSION_PREFIX = "session:"
ATTACHMENTS_SUFFIX = ":files"
JOB_PREFIX = "job:"
BATCH_PREFIX = "batch:"
ACTIVE_SESSIONS = "sessions:active"
QUEUED_JOBS = "jobs:queued"
RUNNING_JOBS = "jobs:running"
FINISHED_CHANNEL = "jobs:finished"
COUNTERS = "metrics:counters"
HISTOGRAM_PREFIX = "metrics:histogram:"
HEARTBEATS = "workers:heartbeat"
WORKER_SLOTS = "workers:slots"
WORKER_RUNNING_PREFIX = "workers:running:"
BATCH_PENDING_PREFIX = "batchq:pending:"
BATCH_OPEN_PREFIX = "batchq:open:"
BATCH_OWNERS = "batchq:owners"
BATCH_SERVED = "batchq:served"
BATCH_ARRIVALS = "batchq:arrivals"
BATCH_INFLIGHT = "batchq:inflight"
LLM_SCHEDULE = "llm:rate:next_slot"
RENDERING_PREFIX = "exports:rendering:"
RATE_WINDOW_PREFIX = "rate:"


def session_key(session_id: str) -> str:
    return f"{SESSION_PREFIX}{session_id}"


def messages_key(session_id: str) -> str:
    return f"{SESSION_PREFIX}{session_id}:messages"


def attachments_key(session_id: str) -> str:
    return f"{SESSION_PREFIX}{session_id}{ATTACHMENTS_SUFFIX}"


def job_key(job_id: str) -> str:
    return f"{JOB_PREFIX}{job_id}"


def batch_key(batch_id: str) -> str:
    return f"{BATCH_PREFIX}{batch_id}"


def batch_items_key(batch_id: str) -> str:
    return f"{BATCH_PREFIX}{batch_id}:items"


def batch_issued_key(batch_id: str) -> str:
    return f"{BATCH_PREFIX}{batch_id}:issued"


def batch_export_key(batch_id: str) -> str:
    return f"export:{batch_id}"


def batch_zip_key(batch_id: str) -> str:
    return f"export:{batch_id}:zip"


def batch_pending_key(owner: str) -> str:
    return f"{BATCH_PENDING_PREFIX}{owner}"


def batch_open_key(owner: str) -> str:
    return f"{BATCH_OPEN_PREFIX}{owner}"


def worker_running_key(worker: str) -> str:
    return f"{WORKER_RUNNING_PREFIX}{worker}"


def histogram_key(name: str) -> str:
    return f"{HISTOGRAM_PREFIX}{name}"


def rendering_key(owner: str) -> str:
    return f"{RENDERING_PREFIX}{owner}"


def rate_window_key(budget: str, caller: str) -> str:
    return f"{RATE_WINDOW_PREFIX}{budget}:{caller}"


LUA_NAMES = {
    "SESSION_PREFIX": SESSION_PREFIX,
    "ATTACHMENTS_SUFFIX": ATTACHMENTS_SUFFIX,
    "JOB_PREFIX": JOB_PREFIX,
    "JOB_PREFIX_LENGTH": str(len(JOB_PREFIX)),
    "BATCH_PREFIX": BATCH_PREFIX,
    "ACTIVE_SESSIONS": ACTIVE_SESSIONS,
    "QUEUED_JOBS": QUEUED_JOBS,
    "RUNNING_JOBS": RUNNING_JOBS,
    "HEARTBEATS": HEARTBEATS,
    "WORKER_RUNNING_PREFIX": WORKER_RUNNING_PREFIX,
    "FINISHED_CHANNEL": FINISHED_CHANNEL,
    "COUNTERS": COUNTERS,
    "BATCH_PENDING_PREFIX": BATCH_PENDING_PREFIX,
    "BATCH_OPEN_PREFIX": BATCH_OPEN_PREFIX,
    "BATCH_INFLIGHT": BATCH_INFLIGHT,
    **{f"STATUS_{status.name}": status.value for status in JobStatus},
    **{f"OUTCOME_{outcome.name}": outcome.value for outcome in TurnOutcome},
}


def lua(source: str) -> str:
    """A Lua script with `$NAME` placeholders filled from LUA_NAMES (KeyError if unknown)."""
    return Template(source).substitute(LUA_NAMES)
