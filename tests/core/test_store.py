"""SessionStore against fakeredis (fast) and the private redis-server (real), same tests."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import fakeredis
import pytest

from core.errors import (
    SessionGone,
    SessionNotFound,
    TokenLimitExceeded,
    TurnInProgress,
    Unavailable,
)
from core.providers.base import Usage
from core.store import NewTurn, SessionStore, TurnOutcome, job_key, messages_key, session_key

SID, SID2 = "a" * 32, "b" * 32
JOB, JOB2 = "1" * 32, "2" * 32


class FrozenClock:
    def __init__(self):
        self.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@pytest.fixture(params=["fakeredis", "redis"])
def backend(request):
    if request.param == "fakeredis":
        return fakeredis.FakeRedis(decode_responses=True)
    return request.getfixturevalue("redis_client")


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def store(backend, clock):
    return SessionStore(backend, session_ttl=600, job_ttl=3600, token_limit=100, clock=clock)


def begin(
    store,
    *,
    session_id=None,
    new_session_id=SID,
    job_id=JOB,
    message="hello",
    tokens=5,
    owner="",
    kind="chat",
):
    return store.begin_turn(
        NewTurn(
            owner=owner,
            session_id=session_id,
            new_session_id=new_session_id,
            job_id=job_id,
            kind=kind,
            message=message,
            message_tokens=tokens,
            request_id="req-1",
        )
    )


def outcome(reply="Done.", reply_tokens=3, invoice=None, number=None, usage=Usage()):
    return TurnOutcome(
        reply=reply,
        reply_tokens=reply_tokens,
        invoice=invoice,
        invoice_number=number,
        usage=usage,
        result={"reply": reply},
    )


def test_begin_turn_creates_session_and_job(store, backend):
    turn = begin(store, tokens=5)

    assert (turn.session_id, turn.session_created, turn.token_count) == (SID, True, 5)
    session = backend.hgetall(session_key(SID))
    assert session["pending_job_id"] == JOB and session["token_count"] == "0"
    job = store.get_job(JOB)
    assert (job.status, job.message, job.message_tokens, job.session_id) == (
        "queued",
        "hello",
        5,
        SID,
    )
    assert 0 < backend.ttl(session_key(SID)) <= 600
    assert 3000 < backend.ttl(job_key(JOB)) <= 3600


def test_second_turn_while_first_pending_is_refused_with_its_job_id(store):
    begin(store)
    with pytest.raises(TurnInProgress) as caught:
        begin(store, session_id=SID, job_id=JOB2)
    assert caught.value.details == {"job_id": JOB}


def test_unknown_session_and_foreign_owner_are_not_found(store):
    with pytest.raises(SessionNotFound):
        begin(store, session_id=SID2)
    begin(store, owner="alice")
    store.fail_job(JOB, SID, SessionGone())  # free the session
    with pytest.raises(SessionNotFound):
        begin(store, session_id=SID, job_id=JOB2, owner="mallory")
    with pytest.raises(SessionNotFound):
        store.read_session(SID, "mallory")
    with pytest.raises(SessionNotFound):
        store.delete_session(SID, "mallory")
    assert store.read_session(SID, "alice").session_id == SID


def test_token_limit_refuses_and_writes_nothing(store, backend):
    with pytest.raises(TokenLimitExceeded) as caught:
        begin(store, tokens=101)
    assert caught.value.details["token_count"] == 0
    assert caught.value.details["token_limit"] == 100
    assert backend.keys("*") == []


def test_token_limit_counts_what_the_session_holds(store):
    begin(store, tokens=60)
    store.apply_turn(store.start_job(JOB), outcome(reply_tokens=30))  # session now at 90
    with pytest.raises(TokenLimitExceeded) as caught:
        begin(store, session_id=SID, job_id=JOB2, tokens=11)
    assert caught.value.details["token_count"] == 90
    assert begin(store, session_id=SID, job_id=JOB2, tokens=10).token_count == 100


def test_apply_turn_appends_both_messages_and_updates_invoice_once(store, backend):
    begin(store, message="make an invoice", tokens=4)
    job = store.start_job(JOB)
    invoice = {"number": "INV-0001", "total": "10.00"}
    usage = Usage(input_tokens=100, output_tokens=20, cache_read_tokens=7)

    assert store.apply_turn(job, outcome("Here it is.", 3, invoice, "INV-0001", usage)) == "applied"
    assert store.apply_turn(job, outcome("Here it is.", 3, invoice, "INV-0001", usage)) == "already"

    view = store.read_session(SID, "")
    assert [(m.role, m.content, m.tokens) for m in view.messages] == [
        ("user", "make an invoice", 4),
        ("assistant", "Here it is.", 3),
    ]
    assert view.invoice == invoice and view.token_count == 7 and view.pending_job_id is None
    assert view.usage == {
        "input_tokens": 100,
        "output_tokens": 20,
        "cache_read_tokens": 7,
        "cache_write_tokens": 0,
    }
    assert store.get_job(JOB).status == "succeeded"
    assert backend.ttl(messages_key(SID)) == backend.ttl(session_key(SID))


def test_redelivered_job_is_skipped_once_final(store):
    begin(store)
    store.apply_turn(store.start_job(JOB), outcome())
    assert store.start_job(JOB) is None


def test_apply_after_delete_does_not_bring_the_session_back(store, backend):
    begin(store)
    job = store.start_job(JOB)
    store.delete_session(SID, "")

    assert store.apply_turn(job, outcome()) == "session_gone"
    assert not backend.exists(session_key(SID), messages_key(SID))
    failed = store.get_job(JOB)
    assert failed.status == "failed" and failed.error["code"] == "session_not_found"


def test_fail_job_frees_session_and_leaves_it_as_it_was(store):
    begin(store, tokens=5)
    store.apply_turn(store.start_job(JOB), outcome(invoice={"n": 1}, number="INV-0001"))
    before = store.read_session(SID, "")
    begin(store, session_id=SID, job_id=JOB2, message="break it")
    store.start_job(JOB2)

    assert store.fail_job(JOB2, SID, SessionGone("boom")) == "failed"

    after = store.read_session(SID, "")
    assert after.messages == before.messages and after.invoice == before.invoice
    assert after.token_count == before.token_count and after.pending_job_id is None
    assert store.get_job(JOB2).error == {"code": "session_not_found", "message": "boom"}


def test_cancel_turn_removes_a_new_session_entirely(store, backend):
    turn = begin(store)
    store.cancel_turn(turn)
    assert backend.keys("*") == []


def test_cancel_turn_on_existing_session_only_frees_it(store):
    begin(store)
    store.apply_turn(store.start_job(JOB), outcome())
    turn = begin(store, session_id=SID, job_id=JOB2)
    store.cancel_turn(turn)
    view = store.read_session(SID, "")
    assert view.pending_job_id is None and len(view.messages) == 2
    assert store.get_job(JOB2) is None


def test_reading_refreshes_ttl_of_every_session_key(store, backend, clock):
    begin(store)
    store.apply_turn(store.start_job(JOB), outcome())
    backend.expire(session_key(SID), 5)
    backend.expire(messages_key(SID), 5)
    clock.now += timedelta(minutes=3)

    view = store.read_session(SID, "")

    assert backend.ttl(session_key(SID)) > 500 and backend.ttl(messages_key(SID)) > 500
    assert view.last_activity == "2026-11-24T12:03:00.000Z"
    assert view.expires_at == "2026-11-24T12:13:00.000Z"


def test_turn_context_reads_only_recent_history(store):
    begin(store)
    store.apply_turn(store.start_job(JOB), outcome("first reply"))
    for n in range(2, 6):
        job_id = f"{n}" * 32
        begin(store, session_id=SID, job_id=job_id, message=f"message {n}")
        store.apply_turn(store.start_job(job_id), outcome(f"reply {n}"))

    context = store.turn_context(SID, history_turns=2)

    assert [m.content for m in context.history] == ["message 4", "reply 4", "message 5", "reply 5"]
    assert store.turn_context(SID, history_turns=0).history == ()
    with pytest.raises(SessionGone):
        store.turn_context(SID2, history_turns=2)


def test_invoice_numbers_are_never_reused(store):
    numbers = [store.next_invoice_number() for _ in range(3)]
    assert numbers == ["INV-0001", "INV-0002", "INV-0003"]


def test_messages_keep_unicode_and_markup_verbatim(store):
    text = 'Ünïcødé <script>alert("x")</script> ✓'
    begin(store, message=text)
    store.apply_turn(store.start_job(JOB), outcome(reply=text))
    assert [m.content for m in store.read_session(SID, "").messages] == [text, text]


def test_live_workers_counts_recent_heartbeats_only(store):
    store.record_heartbeat("w1", now=1000.0)
    store.record_heartbeat("w2", now=1025.0)
    assert store.live_workers(within_seconds=30, now=1040.0) == 1


def test_wait_for_job_returns_when_the_job_finishes(redis_client):
    store = SessionStore(redis_client, session_ttl=600, job_ttl=3600, token_limit=100)
    begin(store)
    job = store.start_job(JOB)
    threading.Timer(0.3, lambda: store.apply_turn(job, outcome())).start()

    started = time.monotonic()
    store.wait_for_job(JOB, timeout=10)
    assert time.monotonic() - started < 5
    assert store.get_job(JOB).status == "succeeded"
    # a waiter on a finished job returns at once
    started = time.monotonic()
    store.wait_for_job(JOB, timeout=10)
    assert time.monotonic() - started < 1


def test_redis_down_is_unavailable():
    store = SessionStore.from_url(
        "redis://127.0.0.1:1/0", session_ttl=600, job_ttl=3600, token_limit=100
    )
    started = time.monotonic()
    with pytest.raises(Unavailable):
        begin(store)
    with pytest.raises(Unavailable):
        store.read_session(SID, "")
    assert store.ping() is False
    assert time.monotonic() - started < 3  # fails fast: a request must not hang on Redis


def test_stored_message_json_has_no_extra_fields(store, backend):
    begin(store)
    store.apply_turn(store.start_job(JOB), outcome())
    raw = [json.loads(m) for m in backend.lrange(messages_key(SID), 0, -1)]
    assert [sorted(m) for m in raw] == [["content", "created_at", "role", "tokens"]] * 2


def test_queued_jobs_are_tracked_until_they_start(store, backend):
    begin(store)
    assert backend.zrange("jobs:queued", 0, -1) == [JOB]
    store.start_job(JOB)
    assert backend.zrange("jobs:queued", 0, -1) == []


def test_a_job_still_queued_is_reclaimed_once_per_period(store, backend):
    begin(store)
    backend.zadd("jobs:queued", {JOB: 1000})  # queued long ago, never started

    assert store.reclaim_queued(chat_after=60, batch_after=900) == [(JOB, "")]
    assert store.reclaim_queued(chat_after=60, batch_after=900) == []  # claimed: clock reset
    store.fail_job(JOB, SID, SessionGone())
    backend.zadd("jobs:queued", {JOB: 1000})
    assert store.reclaim_queued(chat_after=60, batch_after=900) == []  # final: forgotten
    assert backend.zrange("jobs:queued", 0, -1) == []


def test_a_cancelled_turn_is_not_tracked(store, backend):
    store.cancel_turn(begin(store))
    assert backend.zrange("jobs:queued", 0, -1) == []


def test_deferred_jobs_restart_their_clock(store, backend):
    begin(store)
    backend.zadd("jobs:queued", {JOB: 1000})
    store.still_queued(JOB)
    assert store.reclaim_queued(chat_after=60, batch_after=900) == []
