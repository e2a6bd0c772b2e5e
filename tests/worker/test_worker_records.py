"""Chat turns that use the records, through HTTP and a real `celery worker` process with the
offline engine: the profile a first message starts from, a known client's details and last
invoice, and "save it to my profile" written by the worker. On SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from core.records import RecordsService
from tests.integration.helpers import run_turn

pytestmark = pytest.mark.integration

PROFILE = {
    "seller": {"name": "Jane Doe", "company": "Doe Consulting", "tax_id": "DE111111111"},
    "payment": {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
    "defaults": {"currency": "EUR", "payment_terms_days": 14, "tax_rate": "19"},
}


def test_turns_in_a_worker_read_and_write_the_records(
    make_app, start_worker, records_url, redis_client
):
    start_worker("records", LLM_PROVIDER="offline", DATABASE_URL=records_url)
    client = make_app(llm_provider="offline", database_url=records_url).test_client()
    assert client.patch("/api/profile", json=PROFILE).status_code == 200
    records = RecordsService.from_url(records_url)
    try:
        records.issue(
            "",
            {
                "currency": "EUR",
                "issue_date": "2026-10-01",
                "due_date": "2026-10-31",
                "seller": {"name": "Jane Doe"},
                "buyer": {
                    "name": "Acme Corp",
                    "address": "1 Main St, Springfield, IL 62701",
                    "tax_id": "US123456789",
                },
                "items": [
                    {
                        "description": "Consulting",
                        "quantity": "10",
                        "unit_price": "90",
                        "tax_rate": "19",
                    }
                ],
            },  # fmt: skip
        )
    finally:
        records.close()

    # the first message: the profile's seller, payment details and defaults
    created, job = run_turn(client, "Invoice Globex for 3 hours of design at 90")
    invoice = job["result"]["invoice"]
    assert invoice["seller"]["name"] == "Jane Doe"
    assert invoice["payment"]["iban"] == PROFILE["payment"]["iban"]
    assert (invoice["currency"], invoice["payment_terms"], invoice["total"]) == (
        "EUR",
        "Net 14",
        "321.30",
    )

    # a known client, and a copy of its last invoice
    _, job = run_turn(client, "invoice acme again")
    invoice = job["result"]["invoice"]
    assert invoice["buyer"]["address"] == "1 Main St, Springfield, IL 62701"
    assert [(i["description"], i["quantity"]) for i in invoice["items"]] == [("Consulting", "10")]
    assert "Copied" in job["result"]["reply"]

    # "my company is …", then "save it to my profile": the worker writes the profile
    sid = created["session_id"]
    _, job = run_turn(client, "my company is Pixel Studio, VAT ID DE999999999", sid)
    assert "save it to my profile" in job["result"]["reply"]
    _, job = run_turn(client, "save it to my profile", sid)
    assert job["result"]["reply"].startswith("Saved to your profile")
    profile = client.get("/api/profile").get_json()
    assert profile["seller"] == {"name": "Pixel Studio", "tax_id": "DE999999999"}
