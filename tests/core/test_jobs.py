"""The turn jobs and sessions in Redis (core/jobs.py, core/sessions.py)
against fakeredis (fast) and the private redis-server (real), same tests."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import fakeredis
import pytest

from core.errors import (
    InvoiceIssued,
    SessionGone,
    SessionNotFound,
    TokenLimitExceeded,
    TurnInProgress,
    Unavailable,
)
from core.jobs import NewTurn, TurnResult
from core.providers.base import Usage
from core.redis_model import job_key, messages_key, session_key
from core.settings import Settings
from core.stores import RedisStores
from tests.support.stores import stores_on

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
def stores(backend, clock):
    return stores_on(backend, session_ttl=600, job_ttl=3600, token_limit=100, clock=clock)


def begin(
    stores,
    *,
    session_id=None,
    new_session_id=SID,
    job_id=JOB,
    message="hello",
    tokens=5,
    owner="",
    kind="chat",
):
    return stores.jobs.begin_turn(
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


def outcome(reply="Done.", reply_tokens=3, invoice=None, usage=Usage()):
    return TurnResult(
        reply=reply,
        reply_tokens=reply_tokens,
        invoice=invoice,
        usage=usage,
        result={"reply": reply},
    )


def test_begin_turn_creates_session_and_job(stores, backend):
    turn = begin(stores, tokens=5)

    assert (turn.session_id, turn.session_created, turn.token_count) == (SID, True, 5)
    session = backend.hgetall(session_key(SID))
    assert session["pending_job_id"] == JOB and session["token_count"] == "0"
    job = stores.jobs.get_job(JOB)
    assert (job.status, job.message, job.message_tokens, job.session_id) == (
        "queued",
        "hello",
        5,
        SID,
    )
    assert 0 < backend.ttl(session_key(SID)) <= 600
    assert 3000 < backend.ttl(job_key(JOB)) <= 3600


def test_second_turn_while_first_pending_is_refused_with_its_job_id(stores):
    begin(stores)
    with pytest.raises(TurnInProgress) as caught:
        begin(stores, session_id=SID, job_id=JOB2)
    assert caught.value.details == {"job_id": JOB}


def test_unknown_session_and_foreign_owner_are_not_found(stores):
    with pytest.raises(SessionNotFound):
        begin(stores, session_id=SID2)
    begin(stores, owner="alice")
    stores.jobs.fail_job(JOB, SID, SessionGone())  # free the session
    with pytest.raises(SessionNotFound):
        begin(stores, session_id=SID, job_id=JOB2, owner="mallory")
    with pytest.raises(SessionNotFound):
        stores.sessions.read_session(SID, "mallory")
    with pytest.raises(SessionNotFound):
        stores.sessions.delete_session(SID, "mallory")
    assert stores.sessions.read_session(SID, "alice").session_id == SID


def test_token_limit_refuses_and_writes_nothing(stores, backend):
    with pytest.raises(TokenLimitExceeded) as caught:
        begin(stores, tokens=101)
    assert caught.value.details["token_count"] == 0
    assert caught.value.details["token_limit"] == 100
    assert backend.keys("*") == []


def test_token_limit_counts_what_the_session_holds(stores):
    begin(stores, tokens=60)
    stores.jobs.apply_turn(
        stores.jobs.start_job(JOB), outcome(reply_tokens=30)
    )  # session now at 90
    with pytest.raises(TokenLimitExceeded) as caught:
        begin(stores, session_id=SID, job_id=JOB2, tokens=11)
    assert caught.value.details["token_count"] == 90
    assert begin(stores, session_id=SID, job_id=JOB2, tokens=10).token_count == 100


def test_apply_turn_appends_both_messages_and_updates_invoice_once(stores, backend):
    begin(stores, message="make an invoice", tokens=4)
    job = stores.jobs.start_job(JOB)
    invoice = {"number": None, "status": "draft", "total": "10.00"}
    usage = Usage(input_tokens=100, output_tokens=20, cache_read_tokens=7)

    assert stores.jobs.apply_turn(job, outcome("Here it is.", 3, invoice, usage)) == "applied"
    assert stores.jobs.apply_turn(job, outcome("Here it is.", 3, invoice, usage)) == "already"

    view = stores.sessions.read_session(SID, "")
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
    assert stores.jobs.get_job(JOB).status == "succeeded"
    assert backend.ttl(messages_key(SID)) == backend.ttl(session_key(SID))


def test_redelivered_job_is_skipped_once_final(stores):
    begin(stores)
    stores.jobs.apply_turn(stores.jobs.start_job(JOB), outcome())
    assert stores.jobs.start_job(JOB) is None


def test_apply_after_delete_does_not_bring_the_session_back(stores, backend):
    begin(stores)
    job = stores.jobs.start_job(JOB)
    stores.sessions.delete_session(SID, "")

    assert stores.jobs.apply_turn(job, outcome()) == "session_gone"
    assert not backend.exists(session_key(SID), messages_key(SID))
    failed = stores.jobs.get_job(JOB)
    assert failed.status == "failed" and failed.error["code"] == "session_not_found"


def test_fail_job_frees_session_and_leaves_it_as_it_was(stores):
    begin(stores, tokens=5)
    stores.jobs.apply_turn(stores.jobs.start_job(JOB), outcome(invoice={"n": 1}))
    before = stores.sessions.read_session(SID, "")
    begin(stores, session_id=SID, job_id=JOB2, message="break it")
    stores.jobs.start_job(JOB2)

    assert stores.jobs.fail_job(JOB2, SID, SessionGone("boom")) == "failed"

    after = stores.sessions.read_session(SID, "")
    assert after.messages == before.messages and after.invoice == before.invoice
    assert after.token_count == before.token_count and after.pending_job_id is None
    assert stores.jobs.get_job(JOB2).error == {"code": "session_not_found", "message": "boom"}


def test_cancel_turn_removes_a_new_session_entirely(stores, backend):
    turn = begin(stores)
    stores.jobs.cancel_turn(turn)
    assert backend.keys("*") == []


def test_cancel_turn_on_existing_session_only_frees_it(stores):
    begin(stores)
    stores.jobs.apply_turn(stores.jobs.start_job(JOB), outcome())
    turn = begin(stores, session_id=SID, job_id=JOB2)
    stores.jobs.cancel_turn(turn)
    view = stores.sessions.read_session(SID, "")
    assert view.pending_job_id is None and len(view.messages) == 2
    assert stores.jobs.get_job(JOB2) is None


def test_reading_refreshes_ttl_of_every_session_key(stores, backend, clock):
    begin(stores)
    stores.jobs.apply_turn(stores.jobs.start_job(JOB), outcome())
    backend.expire(session_key(SID), 5)
    backend.expire(messages_key(SID), 5)
    clock.now += timedelta(minutes=3)

    view = stores.sessions.read_session(SID, "")

    assert backend.ttl(session_key(SID)) > 500 and backend.ttl(messages_key(SID)) > 500
    assert view.last_activity == "2026-11-24T12:03:00.000Z"
    assert view.expires_at == "2026-11-24T12:13:00.000Z"


def test_starting_a_turn_reads_only_recent_history(stores):
    begin(stores)
    stores.jobs.apply_turn(stores.jobs.start_job(JOB), outcome("first reply"))
    for n in range(2, 6):
        job_id = f"{n}" * 32
        begin(stores, session_id=SID, job_id=job_id, message=f"message {n}")
        stores.jobs.apply_turn(stores.jobs.start_job(job_id), outcome(f"reply {n}"))
    begin(stores, session_id=SID, job_id="6" * 32, message="message 6")

    job, context = stores.jobs.start_turn("6" * 32, history_turns=2)

    assert job.message == "message 6" and job.status == "running"
    assert [m.content for m in context.history] == ["message 4", "reply 4", "message 5", "reply 5"]
    assert stores.jobs.start_turn("6" * 32, history_turns=0)[1].history == ()  # a redelivery


def test_starting_a_turn_whose_session_is_gone_says_so(stores):
    begin(stores)
    stores.sessions.delete_session(SID, "")

    job, context = stores.jobs.start_turn(JOB, history_turns=2)

    assert job.job_id == JOB and context is None
    assert stores.jobs.start_turn("9" * 32, history_turns=2) is None  # no such job


def test_a_turn_on_an_issued_session_is_refused_and_stores_nothing(stores, backend):
    begin(stores, tokens=5)
    stores.jobs.apply_turn(stores.jobs.start_job(JOB), outcome(invoice={"n": 1}))
    assert stores.sessions.mark_issued(SID, "", "2026-0001")
    before = backend.hgetall(session_key(SID)), backend.lrange(messages_key(SID), 0, -1)

    with pytest.raises(InvoiceIssued) as refused:
        begin(stores, session_id=SID, job_id=JOB2, message="add a line")

    assert refused.value.details == {"number": "2026-0001"}
    assert "credit note" in refused.value.message and "copy" in refused.value.message
    assert (backend.hgetall(session_key(SID)), backend.lrange(messages_key(SID), 0, -1)) == before
    assert stores.jobs.get_job(JOB2) is None
    assert stores.sessions.read_session(SID, "").issued_number == "2026-0001"


def test_only_the_owner_marks_a_session_issued(stores):
    begin(stores, owner="alice")
    assert not stores.sessions.mark_issued(SID, "mallory", "2026-0001")
    assert not stores.sessions.mark_issued("9" * 32, "alice", "2026-0001")  # no such session
    assert stores.sessions.read_session(SID, "alice").issued_number is None


def test_messages_keep_unicode_and_markup_verbatim(stores):
    text = 'Ünïcødé <script>alert("x")</script> ✓'
    begin(stores, message=text)
    stores.jobs.apply_turn(stores.jobs.start_job(JOB), outcome(reply=text))
    assert [m.content for m in stores.sessions.read_session(SID, "").messages] == [text, text]


def test_wait_for_job_returns_when_the_job_finishes(redis_client):
    stores = stores_on(redis_client, session_ttl=600, job_ttl=3600, token_limit=100)
    begin(stores)
    job = stores.jobs.start_job(JOB)
    threading.Timer(0.3, lambda: stores.jobs.apply_turn(job, outcome())).start()

    started = time.monotonic()
    stores.jobs.wait_for_job(JOB, timeout=10)
    assert time.monotonic() - started < 5
    assert stores.jobs.get_job(JOB).status == "succeeded"
    # a waiter on a finished job returns at once
    started = time.monotonic()
    stores.jobs.wait_for_job(JOB, timeout=10)
    assert time.monotonic() - started < 1


def test_redis_down_is_unavailable():
    stores = RedisStores.from_settings(
        Settings.from_env({}, dotenv_path=None, redis_url="redis://127.0.0.1:1/0")
    )
    started = time.monotonic()
    with pytest.raises(Unavailable):
        begin(stores)
    with pytest.raises(Unavailable):
        stores.sessions.read_session(SID, "")
    assert stores.redis.answers() is False
    assert time.monotonic() - started < 3  # fails fast: a request must not hang on Redis


def test_stored_message_json_has_no_extra_fields(stores, backend):
    begin(stores)
    stores.jobs.apply_turn(stores.jobs.start_job(JOB), outcome())
    raw = [json.loads(m) for m in backend.lrange(messages_key(SID), 0, -1)]
    assert [sorted(m) for m in raw] == [["content", "created_at", "role", "tokens"]] * 2


def test_queued_jobs_are_tracked_until_they_start(stores, backend):
    begin(stores)
    assert backend.zrange("jobs:queued", 0, -1) == [JOB]
    stores.jobs.start_job(JOB)
    assert backend.zrange("jobs:queued", 0, -1) == []


def test_a_job_still_queued_is_reclaimed_once_per_period(stores, backend):
    begin(stores)
    backend.zadd("jobs:queued", {JOB: 1000})  # queued long ago, never started

    assert stores.jobs.reclaim_queued(chat_after=60, batch_after=900) == [(JOB, "")]
    assert stores.jobs.reclaim_queued(chat_after=60, batch_after=900) == []  # claimed: clock reset
    stores.jobs.fail_job(JOB, SID, SessionGone())
    backend.zadd("jobs:queued", {JOB: 1000})
    assert stores.jobs.reclaim_queued(chat_after=60, batch_after=900) == []  # final: forgotten
    assert backend.zrange("jobs:queued", 0, -1) == []


def test_a_cancelled_turn_is_not_tracked(stores, backend):
    stores.jobs.cancel_turn(begin(stores))
    assert backend.zrange("jobs:queued", 0, -1) == []


def test_deferred_jobs_restart_their_clock(stores, backend):
    begin(stores)
    backend.zadd("jobs:queued", {JOB: 1000})
    stores.jobs.still_queued(JOB)
    assert stores.jobs.reclaim_queued(chat_after=60, batch_after=900) == []


def test_a_job_running_on_a_live_worker_is_not_started_twice(stores):
    begin(stores)
    stores.workers.record_heartbeat("w1:1")
    stores.workers.record_heartbeat("w2:2")
    assert stores.jobs.start_turn(JOB, 2, worker="w1:1") is not None

    assert stores.jobs.start_turn(JOB, 2, worker="w2:2") is None  # a second delivery: skipped
    assert stores.jobs.start_turn(JOB, 2, worker="w1:1") is not None  # its own redelivery
    assert stores.jobs.get_job(JOB).attempts == 2


def test_a_dead_workers_running_job_is_handed_back_once(stores):
    begin(stores)
    stores.workers.record_heartbeat("dead:1", now=time.time() - 60)  # silent for a minute
    stores.workers.record_heartbeat("alive:2")
    stores.jobs.start_turn(JOB, 2, worker="dead:1")
    begin(stores, new_session_id=SID2, job_id=JOB2)
    stores.jobs.start_turn(JOB2, 2, worker="alive:2")

    assert stores.jobs.reclaim_orphans() == [(JOB, "")]
    assert stores.jobs.reclaim_orphans() == []  # handed back once
    job = stores.jobs.get_job(JOB)
    assert job.status == "queued" and stores.jobs.get_job(JOB2).status == "running"
    assert stores.jobs.start_turn(JOB, 2, worker="alive:2")[0].attempts == 2  # runs again


def test_finished_jobs_leave_the_running_index(stores, backend):
    begin(stores)
    stores.workers.record_heartbeat("w1:1")
    job, _ = stores.jobs.start_turn(JOB, 2, worker="w1:1")
    assert backend.hgetall("jobs:running") == {JOB: "w1:1"}
    stores.jobs.apply_turn(job, outcome())
    assert backend.hgetall("jobs:running") == {}


def test_a_job_its_live_worker_no_longer_runs_is_handed_back(stores):
    # e.g. a Redis failover lost the write that finished it: the record still says running
    begin(stores)
    stores.workers.record_heartbeat("w1:1", running=[JOB], now=time.time() - 5)
    stores.jobs.start_turn(JOB, 2, worker="w1:1")
    stores.workers.record_heartbeat("w1:1", running=[JOB])  # still running it: kept
    assert stores.jobs.reclaim_orphans() == []

    stores.workers.record_heartbeat("w1:1", running=[], now=time.time() + 3)  # done with it
    assert stores.jobs.reclaim_orphans() == [(JOB, "")]
    assert stores.jobs.get_job(JOB).handbacks == 1
