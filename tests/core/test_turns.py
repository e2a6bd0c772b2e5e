"""TurnRunner: provider answer -> validated, priced invoice -> one atomic write."""

from __future__ import annotations

import time
from datetime import date

import pytest

from core.errors import ProviderTransient
from core.turns import start_turn
from tests.support.providers import ScriptedProvider, draft, script
from tests.support.stores import KeptPublisher, runner_on

TODAY = date(2026, 11, 24)


@pytest.fixture
def provider():
    return ScriptedProvider()


@pytest.fixture
def runner(stores, provider):
    return runner_on(stores, provider, history_turns=2, token_warn=60, today=lambda: TODAY)


def turn(stores, runner, message, session_id=None, kind="chat"):
    accepted = start_turn(
        stores.jobs, KeptPublisher(), owner="", session_id=session_id, message=message, kind=kind
    )
    outcome = runner.run(accepted.job_id)
    return accepted, outcome, stores.jobs.get_job(accepted.job_id)


def test_a_turn_prices_the_draft_and_leaves_it_unnumbered(stores, runner):
    accepted, outcome, job = turn(stores, runner, script(reply="Created.", invoice=draft()))

    assert outcome == "applied" and job.status == "succeeded"
    invoice = job.result["invoice"]
    assert invoice["number"] is None and invoice["status"] == "draft"
    assert invoice["issue_date"] == "2026-11-24"
    assert (invoice["subtotal"], invoice["tax_total"], invoice["total"]) == (
        "6000.00",
        "480.00",
        "6480.00",
    )
    assert stores.sessions.read_session(accepted.session_id, "").invoice == invoice


def test_the_server_ignores_totals_the_provider_states(stores, runner):
    lying = draft(total="1.00", subtotal="1.00")
    lying["items"][0]["net_amount"] = "1.00"
    _, _, job = turn(stores, runner, script(invoice=lying))
    assert job.result["invoice"]["total"] == "6480.00"
    assert job.result["invoice"]["items"][0]["net_amount"] == "6000.00"


def test_no_turn_draws_a_number_edits_and_new_invoices_stay_drafts(stores, runner):
    first, _, _ = turn(stores, runner, script(invoice=draft()), kind="generate")
    _, _, edited = turn(stores, runner, script(invoice=draft(buyer="Globex")), first.session_id)
    _, _, fresh = turn(stores, runner, script(invoice=draft()), first.session_id, kind="generate")

    assert edited.result["invoice"]["number"] is None
    assert edited.result["invoice"]["buyer"]["name"] == "Globex"
    assert fresh.result["invoice"]["number"] is None
    assert fresh.result["invoice"]["status"] == "draft"
    assert not stores.redis.keys("invoice:*")  # no counter: numbers come from issuing only


def test_generate_shows_the_provider_no_current_invoice(stores, runner, provider):
    first, _, _ = turn(stores, runner, script(invoice=draft()))
    turn(stores, runner, script(reply="noted"), first.session_id)
    assert provider.requests[-1].invoice["buyer"]["name"] == "Acme Corp"
    turn(stores, runner, script(reply="new"), first.session_id, kind="generate")
    assert provider.requests[-1].invoice is None


@pytest.mark.parametrize(
    "bad_invoice, field",
    [
        ({"items": [{"description": "x", "unit_price": "abc"}]}, "items"),
        ({"currency": "XYZ", "items": []}, "currency"),
        (
            {
                "items": [{"description": "x", "unit_price": "5"}],
                "discount": {"kind": "amount", "value": "50"},
            },
            "discount",
        ),
        ({"issue_date": "2026-11-24", "due_date": "2026-11-01"}, "due_date"),
    ],
)
def test_an_invalid_draft_fails_the_job_and_keeps_the_last_good_invoice(
    stores, runner, bad_invoice, field
):
    first, _, good = turn(stores, runner, script(invoice=draft()))
    before = stores.sessions.read_session(first.session_id, "")

    _, outcome, job = turn(stores, runner, script(invoice=bad_invoice), first.session_id)

    assert outcome == "failed" and job.status == "failed"
    assert job.error["code"] == "invalid_invoice" and field in job.error["details"]["fields"]
    after = stores.sessions.read_session(first.session_id, "")
    assert after.invoice == before.invoice == good.result["invoice"]
    assert after.messages == before.messages and after.token_count == before.token_count
    assert after.pending_job_id is None


def test_an_invalid_draft_then_a_good_one(stores, runner):
    turn(stores, runner, script(invoice={"items": [{"description": "x", "unit_price": "-1"}]}))
    _, _, job = turn(stores, runner, script(invoice=draft()))
    assert job.status == "succeeded" and job.result["invoice"]["number"] is None


def test_a_reply_without_invoice_keeps_the_current_one(stores, runner):
    first, _, good = turn(stores, runner, script(invoice=draft()))
    _, _, job = turn(stores, runner, "what is the total?", first.session_id)
    assert job.result["reply"] == "echo: what is the total?"
    assert job.result["invoice"] == good.result["invoice"]


def test_history_sent_to_the_provider_is_bounded(stores, runner, provider):
    first, _, _ = turn(stores, runner, "m1")
    for n in range(2, 5):
        turn(stores, runner, f"m{n}", first.session_id)
    turn(stores, runner, script(report_history=True), first.session_id)
    assert [m.content for m in provider.requests[-1].history] == [
        "m3",
        "echo: m3",
        "m4",
        "echo: m4",
    ]


def test_token_count_and_red_zone_warning_in_the_result(stores, runner):
    first, _, job = turn(stores, runner, "short")
    assert job.result["token_zone"] == "green" and job.result["warning"] is None
    _, _, job = turn(stores, runner, "word " * 60, first.session_id)
    assert job.result["token_zone"] == "red"
    assert "tokens" in job.result["warning"]
    session = stores.sessions.read_session(first.session_id, "")
    assert (
        job.result["token_count"] == session.token_count == sum(m.tokens for m in session.messages)
    )


def test_transient_errors_are_raised_for_retry_until_the_final_attempt(stores, runner):
    accepted = start_turn(
        stores.jobs,
        KeptPublisher(),
        owner="",
        session_id=None,
        message=script(**{"raise": "transient"}),
        kind="chat",
    )
    with pytest.raises(ProviderTransient):
        runner.run(accepted.job_id, final_attempt=False)
    assert stores.jobs.get_job(accepted.job_id).status == "running"

    assert runner.run(accepted.job_id, final_attempt=True) == "failed"
    job = stores.jobs.get_job(accepted.job_id)
    assert job.error["code"] == "provider_unavailable" and job.attempts == 2


def test_permanent_provider_errors_fail_at_once_with_their_message(stores, runner):
    _, outcome, job = turn(stores, runner, script(**{"raise": "permanent"}))
    assert outcome == "failed"
    assert job.error == {
        "code": "provider_error",
        "message": "The scripted provider refused, as scripted.",
    }


def test_a_crash_in_the_provider_fails_the_job_without_internals(stores, runner, provider):
    def explode(request):
        raise RuntimeError("secret internal detail")

    provider.respond = explode
    _, outcome, job = turn(stores, runner, "anything")
    assert outcome == "failed" and job.error["code"] == "internal_error"
    assert "secret" not in job.error["message"]


def test_running_the_same_job_twice_applies_it_once(stores, runner):
    accepted, _, _ = turn(stores, runner, script(invoice=draft()))
    assert runner.run(accepted.job_id) == "skipped"
    assert len(stores.sessions.read_session(accepted.session_id, "").messages) == 2


def test_the_provider_sees_the_invoice_before_the_last_change(stores, runner, provider):
    first, _, one = turn(stores, runner, script(invoice=draft()))
    _, _, two = turn(stores, runner, script(invoice=draft(buyer="Globex")), first.session_id)
    turn(stores, runner, "undo", first.session_id)
    request = provider.requests[-1]
    assert request.invoice == two.result["invoice"]
    assert request.previous_invoice == one.result["invoice"]


def test_a_turn_whose_workers_keep_dying_is_given_up(stores, runner):
    accepted = start_turn(
        stores.jobs, KeptPublisher(), owner="", session_id=None, message="hi", kind="chat"
    )
    for n in range(runner.max_handbacks):  # started, and its worker died, each time
        stores.workers.record_heartbeat(f"lost:{n}", now=time.time() - 60)
        stores.jobs.start_job(accepted.job_id, worker=f"lost:{n}")
        assert stores.jobs.reclaim_orphans() == [(accepted.job_id, "")]

    assert runner.run(accepted.job_id) == "failed"
    job = stores.jobs.get_job(accepted.job_id)
    assert job.error["code"] == "turn_interrupted"
    assert stores.sessions.read_session(accepted.session_id, "").pending_job_id is None
