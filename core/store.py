"""Sessions, their messages and turn jobs in Redis.

Keys (all namespaced; a session's keys always share one TTL, refreshed together):

    session:{id}             hash  owner, timestamps, token_count, usage_*, invoice JSON,
                                   invoice_number, pending_job_id
    session:{id}:messages    list  one JSON object per message, appended with RPUSH
    job:{id}                 hash  session_id, owner, kind, status, message, timestamps,
                                   result / error JSON; TTL JOB_TTL_SECONDS (outlives sessions)
    batch:{id}               hash  owner, total, counts by status (moved by the job scripts)
    batch:{id}:items         list  one JSON object per item: reference, job_id, session_id
    jobs:finished            pub/sub channel  a finished job's id, for long-polls
                                   (core/job_events.py)
    invoice:sequence         counter behind INV-0001, INV-0002, … (never reused)
    sessions:active          sorted set  session id -> last activity, for /metrics
    jobs:queued              sorted set  queued job id -> when queued (a janitor re-sends
                                   jobs lost on the way to a worker)
    metrics:counters         hash  jobs by outcome and LLM tokens, counted by the job scripts
    workers:heartbeat        sorted set  worker name -> last heartbeat (unix time)
    workers:slots            hash  worker name -> turns it runs at once

A turn's user message waits in its job record; it joins the session together with the
assistant's reply when the turn succeeds, in one atomic step. A failed turn therefore leaves
the session exactly as it was. Every multi-key change is a Lua script (`core.redis_scripts`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from core import redis_scripts
from core.errors import (
    InvoiceAgentError,
    SessionGone,
    SessionNotFound,
    TokenLimitExceeded,
    TurnInProgress,
    Unavailable,
)
from core.invoice import format_invoice_number
from core.job_events import JobWaiters
from core.providers.base import ChatMessage, Usage

Clock = Callable[[], datetime]
FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
HEARTBEAT_KEY = "workers:heartbeat"
WORKER_SLOTS_KEY = "workers:slots"
SEQUENCE_KEY = "invoice:sequence"
METRICS_KEY = "metrics:counters"
ACTIVE_SESSIONS_KEY = "sessions:active"
QUEUED_JOBS_KEY = "jobs:queued"
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


def utc_now() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def session_key(session_id: str) -> str:
    return f"session:{session_id}"


def messages_key(session_id: str) -> str:
    return f"session:{session_id}:messages"


def job_key(job_id: str) -> str:
    return f"job:{job_id}"


@dataclass(frozen=True)
class StoredMessage:
    role: str
    content: str
    created_at: str
    tokens: int


@dataclass(frozen=True)
class SessionView:
    """A session as a client sees it."""

    session_id: str
    created_at: str
    last_activity: str
    expires_at: str
    messages: tuple[StoredMessage, ...]
    invoice: dict[str, Any] | None
    token_count: int
    pending_job_id: str | None
    usage: dict[str, int]


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    session_id: str
    owner: str
    kind: str
    status: str
    message: str
    message_tokens: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    request_id: str
    attempts: int
    batch_id: str = ""

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class NewTurn:
    """A turn to store: its message (already counted) for a session, or a new session."""

    owner: str
    session_id: str | None  # None: create the session `new_session_id`
    new_session_id: str
    job_id: str
    kind: str
    message: str
    message_tokens: int
    request_id: str = ""
    batch_id: str = ""

    @property
    def creates_session(self) -> bool:
        return self.session_id is None

    @property
    def target_session_id(self) -> str:
        return self.new_session_id if self.session_id is None else self.session_id


@dataclass(frozen=True)
class AcceptedTurn:
    """A turn stored and waiting to be enqueued."""

    job_id: str
    session_id: str
    session_created: bool
    token_count: int  # the session's count including this message


@dataclass(frozen=True)
class TurnContext:
    """What a worker reads to run a turn: the current invoice and the recent history."""

    session_id: str
    invoice: dict[str, Any] | None
    previous_invoice: dict[str, Any] | None  # the invoice before the last change, for undo
    invoice_number: str | None
    token_count: int
    history: tuple[ChatMessage, ...]


@dataclass(frozen=True)
class TurnOutcome:
    """What a successful turn writes."""

    reply: str
    reply_tokens: int
    invoice: dict[str, Any] | None  # None keeps the current invoice
    invoice_number: str | None
    usage: Usage
    result: dict[str, Any]  # the job's result as clients see it


def connect(url: str, *, socket_timeout: float = 5, max_connections: int = 64) -> redis.Redis:
    """A client for `url` sized for `max_connections` concurrent callers.

    When every connection is busy a caller waits (up to 5 s) for one instead of failing:
    a worker with hundreds of turns in flight must not see spurious errors. A dropped
    connection is retried once, quickly.
    """
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=5,
        decode_responses=True,
        socket_timeout=socket_timeout,
        socket_connect_timeout=2,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
    )
    return redis.Redis(connection_pool=pool)


@contextmanager
def translate_redis_errors() -> Iterator[None]:
    """Translate redis connection failures into Unavailable at this boundary."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as exc:  # incl. no free connection
        raise Unavailable() from exc


class SessionStore:
    """Sessions, messages, jobs and invoice numbers on one Redis database."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        session_ttl: int,
        job_ttl: int,
        token_limit: int,
        clock: Clock = utc_now,
    ):
        self.redis = client
        self.job_waiters = JobWaiters(client, self._job_is_final)
        self.session_ttl = session_ttl
        self.job_ttl = job_ttl
        self.token_limit = token_limit
        self.clock = clock
        self.begin_turn_script = client.register_script(redis_scripts.BEGIN_TURN)
        self._cancel_turn = client.register_script(redis_scripts.CANCEL_TURN)
        self._start_job = client.register_script(redis_scripts.START_JOB)
        self._apply_turn = client.register_script(redis_scripts.APPLY_TURN)
        self._fail_job = client.register_script(redis_scripts.FAIL_JOB)
        self._read_session = client.register_script(redis_scripts.READ_SESSION)
        self._reclaim_queued = client.register_script(redis_scripts.RECLAIM_QUEUED)
        self._delete_session = client.register_script(redis_scripts.DELETE_SESSION)
        self._live_slots = client.register_script(redis_scripts.LIVE_SLOTS)

    @classmethod
    def from_url(cls, url: str, *, max_connections: int = 64, **kwargs: Any) -> SessionStore:
        """A store on `url` for up to `max_connections` concurrent callers; fails fast
        (well under a second) when Redis is unreachable."""
        return cls(
            connect(url, socket_timeout=5, max_connections=max_connections),
            **kwargs,
        )

    # -- turns, API side ---------------------------------------------------------------

    def begin_turn(self, turn: NewTurn) -> AcceptedTurn:
        """Store a new turn's job and mark the session busy; create the session if asked.

        Raises SessionNotFound, TurnInProgress, TokenLimitExceeded, Unavailable.
        """
        keys, args = self.begin_turn_call(turn)
        with translate_redis_errors():
            answer = self.begin_turn_script(keys=keys, args=args)
        return self.accepted_turn(answer, turn)

    def begin_turn_call(self, turn: NewTurn) -> tuple[list[str], list[Any]]:
        """The keys and arguments of BEGIN_TURN (batches send many in one pipeline)."""
        sid = turn.target_session_id
        keys = [session_key(sid), messages_key(sid), job_key(turn.job_id)]
        args = [
            sid, turn.owner, "1" if turn.creates_session else "0", turn.job_id, turn.kind,
            turn.message, turn.message_tokens, isoformat(self.clock()), self.token_limit,
            self.session_ttl, self.job_ttl, turn.request_id, turn.batch_id,
        ]  # fmt: skip
        return keys, args

    def accepted_turn(self, answer: list, turn: NewTurn) -> AcceptedTurn:
        """Interpret BEGIN_TURN's answer. Raises the refusal it names."""
        message_tokens = turn.message_tokens
        match answer:
            case ["ok", count]:
                return AcceptedTurn(
                    turn.job_id,
                    turn.target_session_id,
                    turn.creates_session,
                    int(count) + message_tokens,
                )
            case ["in_progress", pending]:
                raise TurnInProgress(details={"job_id": pending})
            case ["token_limit", count]:
                raise TokenLimitExceeded(
                    f"This message ({message_tokens:,} tokens) would take the conversation past "
                    f"its limit of {self.token_limit:,} tokens ({int(count):,} used). Start a new "
                    "session to continue.",
                    details={
                        "token_count": int(count),
                        "token_limit": self.token_limit,
                        "message_tokens": message_tokens,
                    },
                )
            case _:
                raise SessionNotFound()

    def cancel_turn(self, turn: AcceptedTurn) -> None:
        """Undo `begin_turn` when the job could not be enqueued."""
        sid = turn.session_id
        with translate_redis_errors():
            self._cancel_turn(
                keys=[session_key(sid), messages_key(sid), job_key(turn.job_id)],
                args=[turn.job_id, "1" if turn.session_created else "0"],
            )

    # -- turns, worker side ------------------------------------------------------------

    def start_job(self, job_id: str) -> JobRecord | None:
        """Mark the job running; None when it is missing or already final (a redelivery)."""
        with translate_redis_errors():
            answer = self._start_job(keys=[job_key(job_id)], args=[isoformat(self.clock())])
        if answer in (["missing"], ["final"]):
            return None
        return _job_from_hash(dict(zip(answer[::2], answer[1::2], strict=True)))

    def turn_context(self, session_id: str, history_turns: int) -> TurnContext:
        """The current invoice and the last `history_turns` turns, in one round trip.

        Does not count as activity. Raises SessionGone when the session no longer exists.
        """
        with translate_redis_errors(), self.redis.pipeline(transaction=True) as pipe:
            pipe.hmget(
                session_key(session_id),
                "session_id",
                "invoice",
                "invoice_number",
                "token_count",
                "previous_invoice",
            )
            if history_turns > 0:  # LRANGE -0 -1 would be the whole list
                pipe.lrange(messages_key(session_id), -2 * history_turns, -1)
            (exists, invoice, number, token_count, previous), *rest = pipe.execute()
        raw_messages = rest[0] if rest else []
        if exists is None:
            raise SessionGone()
        history = tuple(
            ChatMessage(role=m["role"], content=m["content"]) for m in map(json.loads, raw_messages)
        )
        return TurnContext(
            session_id=session_id,
            invoice=json.loads(invoice) if invoice else None,
            previous_invoice=json.loads(previous) if previous else None,
            invoice_number=number,
            token_count=int(token_count or 0),
            history=history,
        )

    def next_invoice_number(self) -> str:
        """A fresh invoice number from the shared counter; never handed out twice."""
        with translate_redis_errors():
            return format_invoice_number(self.redis.incr(SEQUENCE_KEY))

    def apply_turn(self, job: JobRecord, outcome: TurnOutcome) -> str:
        """Write a successful turn atomically, once per job.

        Returns "applied", "already" (this job was finished before: a redelivery) or
        "session_gone" (the session was deleted or expired meanwhile; nothing was written
        to it and the job is marked failed).
        """
        now = isoformat(self.clock())
        user = _message_json("user", job.message, now, job.message_tokens)
        assistant = _message_json("assistant", outcome.reply, now, outcome.reply_tokens)
        usage = outcome.usage
        sid = job.session_id
        with translate_redis_errors():
            return self._apply_turn(
                keys=[
                    session_key(sid),
                    messages_key(sid),
                    job_key(job.job_id),
                ],
                args=[
                    job.job_id,
                    now,
                    user,
                    assistant,
                    job.message_tokens + outcome.reply_tokens,
                    json.dumps(outcome.invoice) if outcome.invoice is not None else "",
                    outcome.invoice_number or "",
                    usage.input_tokens,
                    usage.output_tokens,
                    usage.cache_read_tokens,
                    usage.cache_write_tokens,
                    json.dumps(outcome.result),
                    json.dumps(SessionGone().to_dict()),
                ],
            )

    def fail_job(self, job_id: str, session_id: str, error: InvoiceAgentError) -> str:
        """Mark the job failed with `error` and free its session; the session is untouched."""
        with translate_redis_errors():
            return self._fail_job(
                keys=[session_key(session_id), job_key(job_id)],
                args=[
                    job_id,
                    json.dumps(error.to_dict()),
                    isoformat(self.clock()),
                    error.code,
                ],
            )

    def reclaim_queued(
        self, *, chat_after: float, batch_after: float, limit: int = 100
    ) -> list[tuple[str, str]]:
        """Jobs still queued after `chat_after` seconds (chat turns) or `batch_after` (batch
        items): (job_id, batch_id) pairs, claimed for re-publishing (see RECLAIM_QUEUED)."""
        with translate_redis_errors():
            flat = self._reclaim_queued(args=[chat_after, batch_after, limit])
        return list(zip(flat[::2], flat[1::2], strict=True))

    def still_queued(self, job_id: str) -> None:
        """A deferred job is not abandoned: restart its clock in jobs:queued."""
        with translate_redis_errors():
            self.redis.zadd(QUEUED_JOBS_KEY, {job_id: time.time()}, xx=True)

    # -- reads ---------------------------------------------------------------------------

    def read_session(self, session_id: str, owner: str) -> SessionView:
        """The whole session; reading is activity (TTL refreshed). Raises SessionNotFound."""
        now = self.clock()
        with translate_redis_errors():
            answer = self._read_session(
                keys=[session_key(session_id), messages_key(session_id)],
                args=[owner, isoformat(now), self.session_ttl],
            )
        if not answer:
            raise SessionNotFound()
        fields_list, raw_messages = answer
        fields = dict(zip(fields_list[::2], fields_list[1::2], strict=True))
        return SessionView(
            session_id=session_id,
            created_at=fields["created_at"],
            last_activity=fields["last_activity"],
            expires_at=isoformat(now + timedelta(seconds=self.session_ttl)),
            messages=tuple(StoredMessage(**_message_fields(m)) for m in raw_messages),
            invoice=json.loads(fields["invoice"]) if fields.get("invoice") else None,
            token_count=int(fields["token_count"]),
            pending_job_id=fields.get("pending_job_id") or None,
            usage={
                "input_tokens": int(fields.get("usage_input", 0)),
                "output_tokens": int(fields.get("usage_output", 0)),
                "cache_read_tokens": int(fields.get("usage_cache_read", 0)),
                "cache_write_tokens": int(fields.get("usage_cache_write", 0)),
            },
        )

    def delete_session(self, session_id: str, owner: str) -> None:
        """Delete the session and its messages. Raises SessionNotFound."""
        with translate_redis_errors():
            deleted = self._delete_session(
                keys=[session_key(session_id), messages_key(session_id)], args=[owner]
            )
        if not deleted:
            raise SessionNotFound()

    def get_job(self, job_id: str) -> JobRecord | None:
        with translate_redis_errors():
            fields = self.redis.hgetall(job_key(job_id))
        return _job_from_hash(fields) if fields else None

    def wait_for_job(self, job_id: str, timeout: float) -> None:
        """Wait up to `timeout` seconds until the job is final (returns early if it is).

        Holds no Redis connection while waiting (see core/job_events.py). Raises Unavailable.
        """
        if timeout > 0:
            self.job_waiters.wait(job_id, timeout)

    def _job_is_final(self, job_id: str) -> bool:
        with translate_redis_errors():
            status = self.redis.hget(job_key(job_id), "status")
        return status is None or status in FINAL_STATUSES

    def observe(self, name: str, seconds: float) -> None:
        """Count a duration into the histogram `name` (buckets of DURATION_BUCKETS seconds)."""
        key = f"metrics:histogram:{name}"
        bucket = next((b for b in DURATION_BUCKETS if seconds <= b), "+Inf")
        with translate_redis_errors(), self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, f"le:{bucket}", 1)
            pipe.hincrbyfloat(key, "sum", seconds)
            pipe.execute()

    def histogram(self, name: str) -> tuple[list[tuple[str, int]], float]:
        """Cumulative (upper bound, count) pairs ending with +Inf, and the sum of durations."""
        with translate_redis_errors():
            fields = self.redis.hgetall(f"metrics:histogram:{name}")
        running, buckets = 0, []
        for bound in (*DURATION_BUCKETS, "+Inf"):
            running += int(fields.get(f"le:{bound}", 0))
            buckets.append((str(bound), running))
        return buckets, float(fields.get("sum", 0))  # float: seconds, never money

    def active_sessions(self) -> int:
        """Sessions used within their TTL (expired ones are pruned in the same round trip)."""
        cutoff = time.time() - self.session_ttl
        with translate_redis_errors(), self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(ACTIVE_SESSIONS_KEY, "-inf", f"({cutoff}")
            pipe.zcard(ACTIVE_SESSIONS_KEY)
            return int(pipe.execute()[1])

    def queue_depths(self, queues: tuple[str, ...]) -> dict[str, int]:
        """Jobs waiting in each queue, when the broker is this Redis (kombu keeps lists)."""
        with translate_redis_errors(), self.redis.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.llen(queue)
            return dict(zip(queues, map(int, pipe.execute()), strict=True))

    def counters(self) -> dict[str, int]:
        """Worker-side totals (jobs by outcome, LLM tokens) kept by the job scripts."""
        with translate_redis_errors():
            return {k: int(v) for k, v in self.redis.hgetall(METRICS_KEY).items()}

    # -- health ----------------------------------------------------------------------------

    def ping(self) -> bool:
        try:
            return bool(self.redis.ping())
        except (redis.ConnectionError, redis.TimeoutError):
            return False

    def record_heartbeat(
        self, worker_name: str, *, slots: int = 0, now: float | None = None
    ) -> None:
        """The worker is alive, with `slots` turns it can run at once."""
        with translate_redis_errors(), self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(HEARTBEAT_KEY, {worker_name: now or time.time()})
            pipe.hset(WORKER_SLOTS_KEY, worker_name, slots)
            pipe.execute()

    def live_worker_slots(self, *, within_seconds: float = 30, now: float | None = None) -> int:
        """Turns the live workers can run at once, together (stale workers are pruned)."""
        cutoff = (now or time.time()) - within_seconds
        with translate_redis_errors():
            return int(self._live_slots(keys=[HEARTBEAT_KEY, WORKER_SLOTS_KEY], args=[cutoff]))

    def live_workers(self, *, within_seconds: float = 30, now: float | None = None) -> int:
        """Workers whose heartbeat is recent; stale entries are pruned in the same trip."""
        cutoff = (now or time.time()) - within_seconds
        with translate_redis_errors(), self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(HEARTBEAT_KEY, "-inf", f"({cutoff}")
            pipe.zcard(HEARTBEAT_KEY)
            return int(pipe.execute()[1])


def _message_json(role: str, content: str, created_at: str, tokens: int) -> str:
    return json.dumps(
        {"role": role, "content": content, "created_at": created_at, "tokens": tokens}
    )


def _message_fields(raw: str) -> dict[str, Any]:
    data = json.loads(raw)
    return {k: data[k] for k in ("role", "content", "created_at", "tokens")}


def _job_from_hash(fields: dict[str, str]) -> JobRecord:
    return JobRecord(
        job_id=fields["job_id"],
        session_id=fields["session_id"],
        owner=fields.get("owner", ""),
        kind=fields["kind"],
        status=fields["status"],
        message=fields["message"],
        message_tokens=int(fields["message_tokens"]),
        created_at=fields["created_at"],
        started_at=fields.get("started_at"),
        finished_at=fields.get("finished_at"),
        result=json.loads(fields["result"]) if fields.get("result") else None,
        error=json.loads(fields["error"]) if fields.get("error") else None,
        request_id=fields.get("request_id", ""),
        attempts=int(fields.get("attempts", 0)),
        batch_id=fields.get("batch_id", ""),
    )
