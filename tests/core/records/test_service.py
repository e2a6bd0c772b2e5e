"""The records service on SQLite and on PostgreSQL: profiles, clients, issuing, credit notes,
payments, copies, idempotency, owners kept apart, and nothing half-written."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from core.errors import (
    ClientNotFound,
    InvoiceIssued,
    InvoiceNotFound,
    Unavailable,
    ValidationFailed,
)
from core.records import RecordsService
from core.records.models import Client, ImmutableInvoice, IssuedInvoice, NumberSequence
from core.schemas import dump_invoice
from tests.support.samples import BUYER, sample_invoice

ALICE, BOB = "a" * 32, "b" * 32


def draft(**changes: Any) -> dict[str, Any]:
    """A session's invoice as a turn leaves it (a draft: no number)."""
    invoice = dump_invoice(sample_invoice())
    invoice.update(number=None, status="draft")
    invoice.update(changes)
    return invoice


def count(records: RecordsService, model) -> int:
    with records.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# --- issuing ---------------------------------------------------------------------------------


def test_issuing_numbers_invoices_from_one_and_keeps_them(records):
    first = records.issue(ALICE, draft(), session_id="s1").invoice
    second = records.issue(ALICE, draft(), session_id="s2").invoice
    assert (first["number"], second["number"]) == ("2026-0001", "2026-0002")
    assert first["status"] == "issued" and first["type"] == "invoice"
    assert first["issued_at"].endswith("Z") and first["paid_at"] is None
    assert first["credit_note_numbers"] == [] and first["credits"] is None
    stored = records.invoice(ALICE, "2026-0001")
    assert stored == first
    # every amount is the core's, as strings: the stored JSON is the invoice as issued
    expected = dump_invoice(sample_invoice())
    for name in ("subtotal", "discount_total", "tax_total", "total", "items", "tax_breakdown"):
        assert stored[name] == expected[name]
    assert isinstance(stored["total"], str) and Decimal(stored["total"]) > 0


def test_amounts_a_draft_states_are_computed_again(records):
    issued = records.issue(ALICE, draft(total="1.00", subtotal="0.50")).invoice
    assert issued["total"] == dump_invoice(sample_invoice())["total"]


def test_numbers_are_per_owner_and_the_anonymous_owner_is_local(records):
    assert records.issue(ALICE, draft()).invoice["number"] == "2026-0001"
    assert records.issue(BOB, draft()).invoice["number"] == "2026-0001"
    assert records.issue("", draft()).invoice["number"] == "2026-0001"
    assert records.invoice("local", "2026-0001") == records.invoice("", "2026-0001")
    with records.engine.connect() as connection:
        owners = set(connection.scalars(select(IssuedInvoice.owner)))
    assert owners == {ALICE, BOB, "local"}


def test_the_sequence_restarts_each_year_of_the_issue_date(records):
    assert records.issue(ALICE, draft()).invoice["number"] == "2026-0001"
    assert (
        records.issue(ALICE, draft(issue_date="2027-01-04", due_date=None)).invoice["number"]
        == "2027-0001"
    )
    assert records.issue(ALICE, draft()).invoice["number"] == "2026-0002"


def test_a_pattern_without_the_year_never_restarts_and_taken_numbers_are_skipped(records):
    records.update_profile(ALICE, {"numbering": {"invoice_pattern": "INV-{seq:03}"}})
    assert records.issue(ALICE, draft()).invoice["number"] == "INV-001"
    assert (
        records.issue(ALICE, draft(issue_date="2027-01-04", due_date=None)).invoice["number"]
        == "INV-002"
    )
    # a pattern that makes numbers already used: the next free one
    records.update_profile(ALICE, {"numbering": {"invoice_pattern": "INV-{seq:03}-X"}})
    records.update_profile(ALICE, {"numbering": {"invoice_pattern": "INV-{seq:03}"}})
    assert records.next_number(ALICE) == "INV-003"
    assert records.issue(ALICE, draft()).invoice["number"] == "INV-003"


def test_issuing_twice_with_one_key_returns_the_first_invoice(records):
    first = records.issue(ALICE, draft(), session_id="s1", idempotency_key="key-1")
    again = records.issue(ALICE, draft(), session_id="s1", idempotency_key="key-1")
    assert not first.replayed and again.replayed
    assert again.invoice == first.invoice
    assert count(records, IssuedInvoice) == 1
    assert records.issue(ALICE, draft(), session_id="s2").invoice["number"] == "2026-0002"


def test_a_key_used_for_another_session_is_refused(records):
    records.issue(ALICE, draft(), session_id="s1", idempotency_key="key-1")
    with pytest.raises(ValidationFailed) as refused:
        records.issue(ALICE, draft(), session_id="s2", idempotency_key="key-1")
    assert "Idempotency-Key" in refused.value.details
    # another owner's identical key is its own
    assert records.issue(BOB, draft(), session_id="s1", idempotency_key="key-1").invoice


def test_a_session_is_issued_once(records):
    records.issue(ALICE, draft(), session_id="s1")
    with pytest.raises(InvoiceIssued) as refused:
        records.issue(ALICE, draft(), session_id="s1", idempotency_key="another")
    assert refused.value.details == {"number": "2026-0001"}
    assert records.issued_for_session(ALICE, "s1")["number"] == "2026-0001"
    assert records.issued_for_session(BOB, "s1") is None
    assert records.next_number(ALICE) == "2026-0002"  # the refusal drew nothing


@pytest.mark.parametrize(
    ("invoice", "missing"),
    [
        (None, {"invoice"}),
        ({}, {"invoice"}),
        (draft(buyer=None), {"buyer"}),
        (draft(items=[]), {"items"}),
        (draft(issue_date=None, due_date=None), {"issue_date"}),
        (draft(seller=None, buyer=None, items=[]), {"seller", "buyer", "items"}),
        (draft(currency="XXX"), {"currency"}),
        (draft(due_date="2026-01-01"), {"due_date"}),  # before the issue date
    ],
)
def test_what_an_invoice_misses_is_listed_and_nothing_is_drawn(records, invoice, missing):
    with pytest.raises(ValidationFailed) as refused:
        records.issue(ALICE, invoice, session_id="s1")
    assert set(refused.value.details) == missing
    assert refused.value.message
    assert count(records, IssuedInvoice) == count(records, NumberSequence) == 0


def test_the_profile_fills_a_missing_seller_and_payment(records):
    records.update_profile(
        ALICE,
        {
            "seller": {"name": "Ingrid", "company": "Nordlys", "tax_id": "DK12345678"},
            "payment": {"means_code": "58", "iban": "DK50 0040 0440 1162 43"},
        },
    )
    issued = records.issue(ALICE, draft(seller=None)).invoice
    assert issued["seller"]["company"] == "Nordlys"
    assert issued["payment"]["means_code"] == "58"
    assert issued["payment"]["iban"] == "DK5000400440116243"
    # a draft's own seller wins
    assert records.issue(ALICE, draft()).invoice["seller"]["company"] == "Nordlys Studio ApS"


def test_an_issued_invoice_never_changes_but_for_status_and_payment(records):
    issued = records.issue(ALICE, draft()).invoice
    with records._sessions() as session:
        row = session.scalars(select(IssuedInvoice)).one()
        row.document = {**row.document, "total": "0.00"}
        with pytest.raises(ImmutableInvoice):
            session.flush()
    assert records.invoice(ALICE, issued["number"])["total"] == issued["total"]


def test_nothing_is_half_written_when_issuing_fails_mid_transaction(records, monkeypatch):
    def fail(*_args, **_kwargs):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(RecordsService, "_remember", fail)
    with pytest.raises(RuntimeError):
        records.issue(ALICE, draft(), session_id="s1", idempotency_key="k")
    assert count(records, IssuedInvoice) == count(records, Client) == 0
    assert count(records, NumberSequence) == 0  # the drawn number went back with the rest
    monkeypatch.undo()
    assert (
        records.issue(ALICE, draft(), session_id="s1", idempotency_key="k").invoice["number"]
        == "2026-0001"
    )


# --- reading and listing -------------------------------------------------------------------


def test_another_owner_finds_nothing(records):
    issued = records.issue(ALICE, draft()).invoice
    client_id = issued["client_id"]
    for call in (
        lambda: records.invoice(BOB, issued["number"]),
        lambda: records.mark_paid(BOB, issued["number"]),
        lambda: records.credit_note(BOB, issued["number"]),
        lambda: records.copy_draft(BOB, issued["number"]),
    ):
        with pytest.raises(InvoiceNotFound):
            call()
    for call in (
        lambda: records.client(BOB, client_id),
        lambda: records.update_client(BOB, client_id, {"phone": "1"}),
        lambda: records.delete_client(BOB, client_id),
        lambda: records.last_invoice_for_client(BOB, client_id),
    ):
        with pytest.raises(ClientNotFound):
            call()
    assert records.list_invoices(BOB).total == records.list_clients(BOB).total == 0
    assert records.find_client(BOB, "Acme Corp SAS") is None


@pytest.mark.parametrize("number", ["2026-9999", "nope", "../etc", "", "x" * 65, "2026-0001.pdf"])
def test_unknown_numbers_are_not_found(records, number):
    records.issue(ALICE, draft())
    with pytest.raises(InvoiceNotFound):
        records.invoice(ALICE, number)


def test_listing_is_newest_first_filtered_and_paginated(records):
    clock = Clock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    records.clock = clock
    other = {"name": "Bob Smith", "email": "bob@smith.example"}
    for index in range(5):
        clock.now += timedelta(minutes=1)
        buyer = other if index % 2 else BUYER.__dict__
        records.issue(ALICE, draft(buyer=buyer, issue_date=f"2026-03-0{index + 1}", due_date=None))
    page = records.list_invoices(ALICE, per_page=2)
    assert page.total == 5 and [i["number"] for i in page.items] == ["2026-0005", "2026-0004"]
    assert records.list_invoices(ALICE, page=3, per_page=2).items[0]["number"] == "2026-0001"
    summary = page.items[0]
    assert set(summary) >= {
        "number", "type", "status", "issue_date", "due_date", "buyer", "currency", "total",
        "issued_at",
    }  # fmt: skip
    assert summary["buyer"] == "Acme Corp SAS" and summary["currency"] == "EUR"
    assert records.list_invoices(ALICE, q="bob").total == 2
    assert records.list_invoices(ALICE, q="ACME consulting").total == 3
    assert records.list_invoices(ALICE, q="100%_").total == 0  # wildcards are text
    between = records.list_invoices(ALICE, date_from=date(2026, 3, 2), date_to=date(2026, 3, 4))
    assert [i["number"] for i in between.items] == ["2026-0004", "2026-0003", "2026-0002"]
    acme = records.find_client(ALICE, "acme")
    assert records.list_invoices(ALICE, client_id=acme["client_id"]).total == 3
    records.mark_paid(ALICE, "2026-0001")
    assert [i["number"] for i in records.list_invoices(ALICE, status="paid").items] == ["2026-0001"]


# --- clients ---------------------------------------------------------------------------------


def test_buyers_become_clients_matched_on_vat_then_email_then_name(records):
    first = records.issue(
        ALICE, draft(buyer={"name": "Jean", "company": "Acme", "tax_id": "FR 40 303"})
    )
    acme = first.invoice["client_id"]
    # same VAT ID written differently: the same client, brought up to date
    again = records.issue(
        ALICE, draft(buyer={"name": "J. Dupont", "company": "ACME SAS", "tax_id": "fr40303"})
    )
    assert again.invoice["client_id"] == acme
    # no VAT ID, same e-mail
    records.issue(ALICE, draft(buyer={"name": "Bob", "email": "Bob@Example.COM"}))
    bob = records.issue(ALICE, draft(buyer={"name": "Robert", "email": "bob@example.com"}))
    # only a name, case and spaces ignored
    records.issue(ALICE, draft(buyer={"name": "Zed Shop"}))
    zed = records.issue(ALICE, draft(buyer={"name": "  zedshop"}))
    # same name, another VAT ID: another company
    other = records.issue(ALICE, draft(buyer={"name": "Jean", "company": "Acme", "tax_id": "DE1"}))
    assert other.invoice["client_id"] != acme
    clients = {c["client_id"]: c for c in records.list_clients(ALICE).items}
    assert len(clients) == 4
    assert clients[acme]["invoice_count"] == 2
    assert clients[acme]["company"] == "ACME SAS" and clients[acme]["name"] == "J. Dupont"
    assert clients[acme]["last_invoice_number"] == "2026-0002"
    assert clients[bob.invoice["client_id"]]["invoice_count"] == 2
    assert clients[zed.invoice["client_id"]]["invoice_count"] == 2


def test_clients_are_found_listed_edited_and_forgotten(records):
    issued = records.issue(ALICE, draft()).invoice
    client_id = issued["client_id"]
    assert records.find_client(ALICE, "FR40303265045")["client_id"] == client_id
    assert records.find_client(ALICE, "ap@acme.example")["client_id"] == client_id
    assert records.find_client(ALICE, "acme corp sas")["client_id"] == client_id
    assert records.find_client(ALICE, "Jean Dupont")["client_id"] == client_id
    assert records.find_client(ALICE, "acme")["client_id"] == client_id  # the only "acme…"
    assert records.find_client(ALICE, "globex") is None
    assert records.list_clients(ALICE, q="ACME").total == 1
    assert records.list_clients(ALICE, q="nobody").total == 0

    changed = records.update_client(ALICE, client_id, {"phone": "+33 1 23", "address": None})
    assert changed["phone"] == "+33 1 23" and changed["address"] is None
    assert records.client(ALICE, client_id) == changed
    with pytest.raises(ValidationFailed):
        records.update_client(ALICE, client_id, {"name": ""})
    with pytest.raises(ValidationFailed):
        records.update_client(ALICE, client_id, {"email": "not an address"})
    with pytest.raises(ValidationFailed):
        records.update_client(ALICE, client_id, {"invoice_count": 0})

    assert records.last_invoice_for_client(ALICE, client_id)["number"] == issued["number"]
    records.delete_client(ALICE, client_id)
    with pytest.raises(ClientNotFound):
        records.client(ALICE, client_id)
    kept = records.invoice(ALICE, issued["number"])
    assert kept["client_id"] is None and kept["buyer"] == issued["buyer"]


def test_a_client_can_be_saved_without_an_invoice(records):
    saved = records.save_client(ALICE, {"name": "Globex", "email": "ap@globex.example"})
    assert saved["invoice_count"] == 0 and saved["last_invoiced_at"] is None
    issued = records.issue(ALICE, draft(buyer={"name": "Globex Inc", "email": "AP@globex.example"}))
    assert issued.invoice["client_id"] == saved["client_id"]
    with pytest.raises(ValidationFailed):
        records.save_client(ALICE, {"email": "x@y.example"})


# --- credit notes, payments, copies ---------------------------------------------------------


def test_a_credit_note_reverses_the_invoice_and_refers_to_it(records):
    invoice = records.issue(ALICE, draft()).invoice
    note = records.credit_note(ALICE, invoice["number"]).invoice
    assert note["number"] == f"CN-{date.today().year}-0001"
    assert note["type"] == "credit_note" and note["status"] == "issued"
    assert note["preceding_invoice"] == {"number": "2026-0001", "issue_date": "2026-03-02"}
    assert note["credits"] == "2026-0001"
    for name in ("items", "subtotal", "tax_total", "total", "buyer", "seller", "currency"):
        assert note[name] == invoice[name]
    original = records.invoice(ALICE, invoice["number"])
    assert original["status"] == "credited"
    assert original["credit_note_numbers"] == [note["number"]]
    # the invoice series goes on where it was
    assert records.issue(ALICE, draft()).invoice["number"] == "2026-0002"


def test_crediting_a_credit_note_or_a_credited_invoice_is_refused(records):
    invoice = records.issue(ALICE, draft()).invoice
    note = records.credit_note(ALICE, invoice["number"]).invoice
    for number in (note["number"], invoice["number"]):
        with pytest.raises(ValidationFailed) as refused:
            records.credit_note(ALICE, number)
        assert refused.value.details
    assert records.list_invoices(ALICE).total == 2
    assert records.next_number(ALICE, "credit_note") == f"CN-{date.today().year}-0002"


def test_a_credit_note_with_a_key_is_made_once(records):
    invoice = records.issue(ALICE, draft()).invoice
    first = records.credit_note(ALICE, invoice["number"], idempotency_key="cn-1")
    again = records.credit_note(ALICE, invoice["number"], idempotency_key="cn-1")
    assert again.replayed and again.invoice["number"] == first.invoice["number"]


def test_paying_changes_the_status_and_nothing_else(records):
    invoice = records.issue(ALICE, draft()).invoice
    paid = records.mark_paid(ALICE, invoice["number"], datetime(2026, 3, 20, 10, tzinfo=UTC))
    assert paid["status"] == "paid" and paid["paid_at"] == "2026-03-20T10:00:00.000Z"
    unchanged = {k: v for k, v in paid.items() if k not in ("status", "paid_at")}
    assert unchanged == {k: v for k, v in invoice.items() if k not in ("status", "paid_at")}
    with pytest.raises(ValidationFailed):
        records.mark_paid(ALICE, invoice["number"], datetime.now(UTC) + timedelta(days=3))
    # a paid invoice may still be credited (a refund); then it cannot be paid again
    note = records.credit_note(ALICE, invoice["number"]).invoice
    for number in (invoice["number"], note["number"]):
        with pytest.raises(ValidationFailed):
            records.mark_paid(ALICE, number)


def test_a_copy_is_a_new_draft_with_todays_dates(records):
    records.clock = Clock(datetime(2026, 6, 10, 12, tzinfo=UTC))
    invoice = records.issue(ALICE, draft()).invoice
    copy = records.copy_draft(ALICE, invoice["number"])
    assert copy["number"] is None and copy["status"] == "draft" and copy["type"] == "invoice"
    assert copy["issue_date"] == "2026-06-10" and copy["due_date"] == "2026-07-10"  # same term
    assert copy["buyer"] == invoice["buyer"] and copy["items"] == invoice["items"]
    assert copy["total"] == invoice["total"]
    assert "issued_at" not in copy and "paid_at" not in copy
    records.update_profile(ALICE, {"seller": {"name": "New Me"}})
    assert records.copy_draft(ALICE, invoice["number"])["seller"]["name"] == "New Me"


# --- profile ----------------------------------------------------------------------------------


def test_an_empty_profile_has_every_section(records):
    assert records.profile(ALICE) == {
        "seller": {},
        "payment": {},
        "defaults": {},
        "numbering": {
            "invoice_pattern": "{year}-{seq:04}",
            "credit_note_pattern": "CN-{year}-{seq:04}",
        },
    }


def test_the_profile_is_patched_field_by_field(records):
    records.update_profile(
        ALICE,
        {
            "seller": {"name": "Ingrid", "email": "i@nordlys.example"},
            "defaults": {"currency": "EUR", "payment_terms_days": 30, "tax_rate": "25"},
        },
    )
    profile = records.update_profile(
        ALICE, {"seller": {"email": None, "phone": "+45 1"}, "payment": {"bic": "deutdeff"}}
    )
    assert profile["seller"] == {"name": "Ingrid", "phone": "+45 1"}
    assert profile["defaults"] == {"currency": "EUR", "payment_terms_days": 30, "tax_rate": "25"}
    assert profile["payment"] == {"bic": "DEUTDEFF"}
    assert records.update_profile(ALICE, {"defaults": None})["defaults"] == {}
    assert records.profile(BOB)["seller"] == {}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"seller": {"email": "nope"}}, "seller"),
        ({"payment": {"iban": "DE00 0000"}}, "payment"),
        ({"payment": {"iban": "DE89 3704 0044 0532 0130 01"}}, "payment"),  # check digits
        ({"payment": {"bic": "12"}}, "payment"),
        ({"defaults": {"currency": "ABC"}}, "defaults"),
        ({"defaults": {"tax_rate": "101"}}, "defaults"),
        ({"defaults": {"payment_terms_days": -1}}, "defaults"),
        ({"defaults": {"locale": "xx_NOWHERE"}}, "defaults"),
        ({"numbering": {"invoice_pattern": "INV/{seq}"}}, "numbering"),
        ({"numbering": {"credit_note_pattern": "{year}-{seq:04}"}}, "numbering"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_wrong_profile_field_is_named_and_nothing_changes(records, patch, field):
    records.update_profile(ALICE, {"seller": {"name": "Ingrid"}})
    with pytest.raises(ValidationFailed) as refused:
        records.update_profile(ALICE, patch)
    assert field in refused.value.details
    assert records.profile(ALICE)["seller"] == {"name": "Ingrid"}


# --- the database itself ----------------------------------------------------------------------


def test_an_unreachable_database_is_unavailable(tmp_path):
    from tests.conftest import free_port

    for url in (
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing",
        f"sqlite:///{tmp_path / 'not-migrated.db'}",  # no schema: not migrated
    ):
        records = RecordsService.from_url(url)
        with pytest.raises(Unavailable):
            records.issue(ALICE, draft())
        with pytest.raises(Unavailable):
            records.profile(ALICE)
        records.close()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(records_url):
    if not records_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    records = RecordsService.from_url(records_url)
    with records.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    records.close()
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "synchronous": 2,
    }


def test_a_relative_sqlite_path_is_taken_from_the_project_root():
    from core.records.database import PROJECT_ROOT, resolve_url

    assert resolve_url("sqlite:///var/invoice-agent.db").database == str(
        PROJECT_ROOT / "var" / "invoice-agent.db"
    )
    assert (PROJECT_ROOT / "var").is_dir()
    assert resolve_url("sqlite:////tmp/x.db").database == "/tmp/x.db"
