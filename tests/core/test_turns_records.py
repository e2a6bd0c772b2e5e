"""Chat turns with the owner's records (core/owner_records.py): the runner reads the profile
and the clients a message names, the offline engine uses them, and "save it to my profile"
writes the profile. Each test runs on SQLite and on PostgreSQL (tests/support/records.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from core.errors import Unavailable
from core.providers.offline import OfflineProvider
from core.records import RecordsService
from core.turns import start_turn
from tests.support.providers import ScriptedProvider, draft, script
from tests.support.stores import KeptPublisher, runner_on

TODAY = date(2026, 11, 24)
OWNER = "key-hash-1"
PROFILE = {
    "seller": {"name": "Jane Doe", "company": "Doe Consulting", "tax_id": "DE111111111"},
    "payment": {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
    "defaults": {"currency": "EUR", "payment_terms_days": 14, "tax_rate": "19"},
}
ACME = {
    "name": "Acme Corp",
    "address": "1 Main St, Springfield, IL 62701",
    "tax_id": "US123456789",
    "email": "ap@acme.example",
}


@pytest.fixture
def runner(stores, records):
    return runner_on(stores, OfflineProvider(), records=records, today=lambda: TODAY)


def turn(stores, runner, message, session_id=None, *, owner=OWNER, kind="chat"):
    accepted = start_turn(
        stores.jobs, KeptPublisher(), owner=owner, session_id=session_id, message=message, kind=kind
    )
    runner.run(accepted.job_id)
    job = stores.jobs.get_job(accepted.job_id)
    assert job.status == "succeeded", job.error
    return accepted.session_id, job.result


def issued_for_acme(records: RecordsService) -> None:
    """An issued invoice for Acme Corp, so that Acme is a known client with a last invoice."""
    records.issue(
        OWNER,
        {
            "currency": "EUR",
            "issue_date": "2026-10-01",
            "due_date": "2026-10-31",
            "seller": {"name": "Jane Doe"},
            "buyer": ACME,
            "items": [
                {
                    "description": "Consulting",
                    "quantity": "10",
                    "unit": "hour",
                    "unit_price": "90",
                    "tax_rate": "19",
                },
                {"description": "Travel", "quantity": "1", "unit_price": "50", "tax_rate": "19"},
            ],
        },  # fmt: skip
    )


def test_the_first_message_starts_from_the_profile(stores, runner, records):
    records.update_profile(OWNER, PROFILE)
    _, result = turn(stores, runner, "Invoice Globex for 3 hours of design at 90")
    invoice = result["invoice"]
    assert invoice["seller"]["name"] == "Jane Doe"
    assert invoice["payment"]["iban"] == "DE89370400440532013000"
    assert (invoice["currency"], invoice["due_date"], invoice["total"]) == (
        "EUR",
        "2026-12-08",
        "321.30",
    )
    assert "From your profile" in result["reply"]


def test_the_profile_is_the_owners_own(stores, runner, records):
    records.update_profile(OWNER, PROFILE)
    _, result = turn(stores, runner, "Invoice Globex for 3 hours at 90", owner="another-key")
    assert result["invoice"]["seller"] is None and result["invoice"]["currency"] == "USD"


def test_a_known_client_gets_its_stored_details(stores, runner, records):
    issued_for_acme(records)
    _, result = turn(stores, runner, "invoice acme for 3 h at 90")
    buyer = result["invoice"]["buyer"]
    assert (buyer["name"], buyer["address"], buyer["tax_id"], buyer["email"]) == (
        "Acme Corp",
        ACME["address"],
        ACME["tax_id"],
        ACME["email"],
    )
    assert "with the address, VAT ID and e-mail on file" in result["reply"]
    # another owner's client is nobody's business here
    _, other = turn(stores, runner, "invoice acme for 3 h at 90", owner="another-key")
    assert other["invoice"]["buyer"]["address"] is None


def test_invoice_acme_again_copies_the_last_invoice(stores, runner, records):
    records.update_profile(OWNER, PROFILE)
    issued_for_acme(records)
    _, result = turn(stores, runner, "same as last time for Acme")
    invoice = result["invoice"]
    assert [(i["description"], i["quantity"]) for i in invoice["items"]] == [
        ("Consulting", "10"),
        ("Travel", "1"),
    ]
    assert (invoice["issue_date"], invoice["due_date"]) == ("2026-11-24", "2026-12-24")
    assert invoice["buyer"]["tax_id"] == ACME["tax_id"] and invoice["total"] == "1130.50"
    assert invoice["seller"]["name"] == "Jane Doe"


def test_my_company_then_save_it_to_my_profile(stores, runner, records):
    records.update_profile(OWNER, PROFILE)
    session_id, first = turn(
        stores,
        runner,
        "my company is Pixel Studio, VAT ID DE999999999. Invoice Globex for 2 days at 800",
    )
    assert first["invoice"]["seller"]["name"] == "Pixel Studio"
    assert "save it to my profile" in first["reply"]
    assert records.profile(OWNER)["seller"]["name"] == "Jane Doe"  # only offered so far

    _, saved = turn(stores, runner, "save it to my profile", session_id)
    assert saved["reply"].startswith("Saved to your profile: seller Pixel Studio")
    profile = records.profile(OWNER)
    assert profile["seller"] == {"name": "Pixel Studio", "tax_id": "DE999999999"}
    # the invoice's payment details, with the means its IBAN in euros implies (58: SEPA)
    assert profile["payment"] == {**PROFILE["payment"], "means_code": "58"}
    assert profile["defaults"]["currency"] == "EUR"
    # the next new invoice starts with the saved seller
    _, fresh = turn(stores, runner, "Invoice Initech for 1 day at 500")
    assert fresh["invoice"]["seller"]["name"] == "Pixel Studio"


def test_a_patch_the_profile_refuses_is_explained(stores, records):
    provider = ScriptedProvider()
    runner = runner_on(stores, provider, records=records, today=lambda: TODAY)
    bad = {"seller": {"name": "X", "email": "not an address"}}
    _, result = turn(stores, runner, script(reply="Saved.", profile_update=bad))
    assert result["reply"].startswith("I couldn't save it to your profile: seller email:")
    assert records.profile(OWNER)["seller"] == {}


def test_any_provider_gets_the_records_and_the_profile_seller(stores, records):
    records.update_profile(OWNER, PROFILE)
    issued_for_acme(records)
    provider = ScriptedProvider()
    runner = runner_on(stores, provider, records=records, today=lambda: TODAY)
    new = draft()
    new.pop("seller", None)
    _, result = turn(stores, runner, script(reply="Done for ACME corp.", invoice=new))
    request = provider.requests[-1]
    assert request.profile["seller"]["name"] == "Jane Doe"
    assert [c["name"] for c in request.known_clients] == ["Acme Corp"]
    assert request.known_clients[0]["last_invoice"]["items"][0]["description"] == "Consulting"
    assert result["invoice"]["seller"]["name"] == "Jane Doe"


class UnreachableRecords:
    def for_message(self, owner: str, text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        raise Unavailable()

    def update_profile(self, owner: str, patch: Any) -> dict[str, Any]:
        raise Unavailable()


def test_turns_go_on_when_the_records_are_unreachable(stores):
    runner = runner_on(stores, OfflineProvider(), records=UnreachableRecords())
    _, result = turn(stores, runner, "Invoice Globex for 3 hours at 90")
    assert result["invoice"]["buyer"]["name"] == "Globex" and result["invoice"]["seller"] is None


def test_mentions_find_exact_and_whole_word_prefixes(records):
    records.save_client(OWNER, {"name": "Acme Corp", "tax_id": "US 123 456 789"})
    records.save_client(OWNER, {"name": "Design Hub Ltd"})
    records.save_client(OWNER, {"name": "Acme", "email": "hi@acme.example"})

    def found(text: str) -> list[tuple[str, str, str]]:
        return [
            (c["name"], c["match"], c["mentioned_as"])
            for c in records.clients_mentioned(OWNER, text)
        ]

    assert found("invoice ACME corp. for 3 h") == [
        ("Acme Corp", "exact", "ACME corp"),
        ("Acme", "exact", "ACME"),
    ]
    assert found("bill acme 3h") == [("Acme", "exact", "acme"), ("Acme Corp", "prefix", "acme")]
    assert found("web design for 3 hours") == []  # a common word is not a client's start
    assert found("invoice design hub for logo work") == [("Design Hub Ltd", "prefix", "design hub")]
    assert found("VAT us123456789") == [("Acme Corp", "exact", "us123456789")]
    assert found("acm for 3h") == [] and found("") == []
    assert found("invoice 100% _acme_ for 3h") == []  # LIKE wildcards are only text
    assert records.clients_mentioned("another-key", "invoice acme") == []


def test_mentions_come_with_the_last_invoice(records):
    issued_for_acme(records)
    [acme] = records.clients_mentioned(OWNER, "invoice acme again")
    last = acme["last_invoice"]
    assert last["number"] == f"{datetime.now(UTC).year}-0001"
    assert last["items"] == [
        {"description": "Consulting", "quantity": "10", "unit": "hour", "unit_price": "90.00",
         "tax_rate": "19", "discount_percent": "0", "tax_category": "S",
         "exemption_reason": None},
        {"description": "Travel", "quantity": "1", "unit": None, "unit_price": "50.00",
         "tax_rate": "19", "discount_percent": "0", "tax_category": "S",
         "exemption_reason": None},
    ]  # fmt: skip
