"""Batches in core: CSV parsing, row validation, the batch stores and its counts, results."""

from __future__ import annotations

import csv
import io

import pytest

from core.batch_queue import FairBatchQueue
from core.batches import (
    BatchInvoice,
    BatchItemRequest,
    BatchStore,
    parse_csv,
    results_csv,
    validate_items,
)
from core.errors import BatchNotFound, TokenLimitExceeded, ValidationFailed
from tests.support.providers import draft, script
from tests.support.stores import on_each_backend, runner_on

LIMITS = {"max_items": 5, "max_message_chars": 50}


def test_csv_with_bom_reference_and_blank_lines():
    data = "\ufeffmessage,reference\nInvoice A,r-1\n\n  ,  \nInvoice B,\n".encode()
    assert parse_csv(data, **LIMITS) == [
        BatchItemRequest("Invoice A", "r-1"),
        BatchItemRequest("Invoice B", None),
    ]


def test_csv_columns_are_case_insensitive_and_reference_optional():
    assert parse_csv(b"Message\nInvoice A\n", **LIMITS) == [BatchItemRequest("Invoice A")]


def test_csv_quoted_commas_and_newlines_stay_in_the_message():
    data = b'message\n"Invoice Acme, Inc. for 2 h at $5,\nnet 30"\n'
    assert parse_csv(data, **LIMITS)[0].message == "Invoice Acme, Inc. for 2 h at $5,\nnet 30"


@pytest.mark.parametrize(
    "data, details",
    [
        (
            b"reference\nr1\n",
            {"file": ["The first row must name the columns: message[,reference]."]},
        ),
        (b"", {"file": ["The first row must name the columns: message[,reference]."]}),
        (
            "message\nFacture \xe9t\xe9\n".encode("latin-1"),
            {"file": ["Save the file as UTF-8 (CSV UTF-8 in spreadsheet programs)."]},
        ),
        (b"message\n", {"items": ["Add at least one."]}),
        (b"message\n" + b"x\n" * 6, {"items": ["At most 5 items."]}),
        (
            b"message,reference\nok,\n,r2\n\n" + b"y" * 51 + b",\nok," + b"r" * 201 + b"\n",
            {
                "rows": {
                    "3": ["The message is empty."],
                    "5": ["The message is longer than 50 characters."],
                    "6": ["The reference is longer than 200 characters."],
                }
            },
        ),
    ],
)
def test_bad_csv_names_what_is_wrong(data, details):
    with pytest.raises(ValidationFailed) as caught:
        parse_csv(data, **LIMITS)
    assert caught.value.details == details


def test_json_items_are_numbered_from_zero():
    with pytest.raises(ValidationFailed) as caught:
        validate_items([BatchItemRequest("ok"), BatchItemRequest("  ")], **LIMITS)
    assert caught.value.details == {"rows": {"1": ["The message is empty."]}}


@pytest.fixture(params=["fakeredis", "redis"])
def stores(request):
    return on_each_backend(request, token_limit=1000)


@pytest.fixture
def batches(stores):
    return BatchStore(stores.jobs, FairBatchQueue(stores.redis, max_waiting=100))


@pytest.fixture
def runner(stores):
    return runner_on(stores, token_warn=900)


def items(*messages):
    return [BatchItemRequest(m, f"ref-{n}") for n, m in enumerate(messages)]


def test_a_batch_is_stored_as_ordinary_turns_with_counts(batches, stores):
    created = batches.create("alice", items("one", "two", "three"))

    assert created.total == 3 and len(created.turns) == 3
    summary = batches.summary(created.batch_id, "alice")
    assert summary["status"] == "queued" and summary["total"] == 3
    assert summary["counts"] == {
        "queued": 3,
        "running": 0,
        "succeeded": 0,
        "failed": 0,
        "cancelled": 0,
    }
    job = stores.jobs.get_job(created.turns[1].job_id)
    assert (job.kind, job.message, job.batch_id, job.owner) == (
        "generate",
        "two",
        created.batch_id,
        "alice",
    )
    assert [i["reference"] for i in batches.items(created.batch_id)] == ["ref-0", "ref-1", "ref-2"]


def test_counts_follow_the_jobs_and_items_show_outcomes(batches, runner):
    created = batches.create(
        "",
        items(
            script(invoice=draft()),
            script(invoice={"items": [{"description": "x", "unit_price": "-1"}]}),
            "later",
        ),
    )
    runner.run(created.turns[0].job_id)
    runner.run(created.turns[1].job_id)

    summary = batches.summary(created.batch_id, "")
    assert summary["counts"] == {
        "queued": 1,
        "running": 0,
        "succeeded": 1,
        "failed": 1,
        "cancelled": 0,
    }
    assert summary["status"] == "running"
    first, second, third = batches.items(created.batch_id)
    assert (
        first["status"],
        first["invoice_number"],
        first["buyer"],
        first["currency"],
        first["total"],
    ) == ("succeeded", None, "Acme Corp", "USD", "6480.00")  # a draft until issued
    assert second["status"] == "failed" and second["error"]["code"] == "invalid_invoice"
    assert third["status"] == "queued" and third["total"] is None

    runner.run(created.turns[2].job_id)
    assert batches.summary(created.batch_id, "")["status"] == "completed"


def test_a_redelivered_job_does_not_count_twice(batches, runner, stores):
    created = batches.create("", items(script(invoice=draft())))
    job_id = created.turns[0].job_id
    stores.jobs.start_job(job_id)  # a first delivery that died
    runner.run(job_id)
    runner.run(job_id)
    assert batches.summary(created.batch_id, "")["counts"]["succeeded"] == 1
    assert batches.summary(created.batch_id, "")["counts"]["running"] == 0


def test_cancel_stops_what_has_not_started(batches, runner, stores):
    created = batches.create("", items("a", "b", "c"))
    stores.jobs.start_job(created.turns[0].job_id)  # running: it will finish

    assert batches.cancel(created.batch_id, "") == 2

    summary = batches.summary(created.batch_id, "")
    assert summary["status"] == "cancelled"
    assert summary["counts"]["cancelled"] == 2 and summary["counts"]["running"] == 1
    assert runner.run(created.turns[1].job_id) == "skipped"  # a cancelled job never runs
    assert stores.jobs.get_job(created.turns[1].job_id).status == "cancelled"
    assert batches.cancel(created.batch_id, "") == 0


def test_another_owner_sees_no_batch(batches):
    created = batches.create("alice", items("a"))
    for action in (
        lambda: batches.summary(created.batch_id, "bob"),
        lambda: batches.cancel(created.batch_id, "bob"),
    ):
        with pytest.raises(BatchNotFound):
            action()


def test_pages_of_items(batches):
    created = batches.create("", items(*[f"m{n}" for n in range(7)]))
    page = batches.items(created.batch_id, start=3, stop=5)
    assert [i["reference"] for i in page] == ["ref-3", "ref-4", "ref-5"]


def test_an_item_over_the_token_budget_refuses_the_batch(stores, batches):
    with pytest.raises(TokenLimitExceeded) as caught:
        batches.create("", items("short", "word " * 1200))
    assert list(caught.value.details["rows"]) == ["1"]
    assert stores.redis.keys("*") == []


def test_discard_removes_every_key(batches, stores):
    created = batches.create("", items("a", "b"))
    batches.discard(created)
    assert stores.redis.keys("*") == ["batchq:arrivals"]  # a counter, like a sequence


def test_issuing_is_due_once_every_item_is_final_and_claimed_by_one_task(
    batches, runner, stores, monkeypatch
):
    created = batches.create("alice", items(script(invoice=draft()), "no invoice"), issue=True)
    runner.run(created.turns[0].job_id)
    assert not batches.issue_due(created.batch_id)  # an item is still queued
    assert batches.claim_issue(created.batch_id) is None
    runner.run(created.turns[1].job_id)
    summary = batches.summary(created.batch_id, "alice")
    assert (summary["status"], summary["issuing"], summary["issued"]) == ("running", True, 0)

    assert batches.issue_due(created.batch_id)
    assert batches.claim_issue(created.batch_id) == "alice"
    assert not batches.issue_due(created.batch_id)  # a fresh claim: nobody else
    assert batches.claim_issue(created.batch_id) is None

    batches.record_issued(created.batch_id, 0, number="2026-0001")
    batches.record_issued(created.batch_id, 0, number="2026-0099")  # written once
    first, second = batches.items(created.batch_id)
    assert (first["invoice_number"], second["invoice_number"]) == ("2026-0001", None)
    assert [(i.position, i.number) for i in batches.invoices(created.batch_id)] == [
        (0, "2026-0001")
    ]
    monkeypatch.setattr("core.batches.ISSUE_STALE_SECONDS", -1)  # as if a minute went by
    assert batches.claim_issue(created.batch_id) == "alice"
    batches.finish_issue(created.batch_id)
    summary = batches.summary(created.batch_id, "alice")
    assert (summary["status"], summary["issuing"], summary["issued"]) == ("completed", False, 1)
    assert batches.claim_issue(created.batch_id) is None  # done


def test_a_batch_not_asked_to_issue_is_never_due(batches, runner):
    created = batches.create("", items(script(invoice=draft())))
    runner.run(created.turns[0].job_id)
    assert not batches.issue_due(created.batch_id)
    summary = batches.summary(created.batch_id, "")
    assert (summary["status"], summary["issue"], summary["issuing"]) == ("completed", False, False)


def test_a_draft_is_named_by_its_position_an_issued_item_by_its_number():
    assert BatchInvoice(0, "s", {"number": None}).name == "draft-1"
    assert BatchInvoice(4, "s", {"number": None}, "2026-0007").name == "2026-0007"


def test_results_csv_is_exact_and_safe_for_spreadsheets():
    rows = [
        {
            "reference": '=HYPERLINK("http://x")',
            "job_id": "j",
            "session_id": "s",
            "status": "succeeded",
            "invoice_number": "INV-0001",
            "buyer": "+Acme",
            "currency": "JPY",
            "total": "1200",
            "error": None,
        },
        {
            "reference": None,
            "job_id": "k",
            "session_id": "t",
            "status": "failed",
            "invoice_number": None,
            "buyer": None,
            "currency": None,
            "total": None,
            "error": {"code": "invalid_invoice", "message": "-bad"},
        },
    ]
    parsed = list(csv.DictReader(io.StringIO(results_csv(rows))))
    assert parsed[0]["reference"] == '\'=HYPERLINK("http://x")'
    assert parsed[0]["buyer"] == "'+Acme" and parsed[0]["total"] == "1200"
    assert parsed[1]["error_code"] == "invalid_invoice" and parsed[1]["error_message"] == "'-bad"


def test_a_batch_item_that_makes_no_invoice_fails_with_the_reply(batches, runner, stores):
    created = batches.create("", items("hello there"))
    runner.run(created.turns[0].job_id)
    (item,) = batches.items(created.batch_id)
    assert item["status"] == "failed"
    assert item["error"] == {"code": "no_invoice_produced", "message": "echo: hello there"}


@pytest.mark.parametrize("separator", [",", ";", "|", "\t"])
def test_no_cell_becomes_a_formula_however_a_spreadsheet_splits_the_line(separator):
    hostile = f"safe{separator}=1+1{separator} @SUM(A1){separator}+cmd{separator}-2\x00\r\nx"
    row = {
        "reference": hostile, "job_id": "j", "session_id": "s", "status": "succeeded",
        "invoice_number": "INV-1", "buyer": hostile, "currency": "USD", "total": "-5.00",
        "error": {"code": "c", "message": hostile},
    }  # fmt: skip
    text = results_csv([row])
    assert "\x00" not in text and "\r\nx" not in text
    for line in text.splitlines()[1:]:
        for splitter in (",", ";", "|", "\t"):
            for cell in line.split(splitter):
                cell = cell.strip().strip('"').strip()
                assert not cell or cell[0] not in "=+@" and not cell.startswith("-2"), cell
    parsed = next(csv.DictReader(io.StringIO(text)))
    assert parsed["total"] == "-5.00"  # amounts are numbers, written as they are
