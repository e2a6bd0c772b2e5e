"""The chat uses the records, in a real browser: the first message starts from the profile and
"invoice <known client> again" copies that client's last issued invoice into the preview.

This module runs its own stack on a records database of its own (and Redis database 12), so
the profile and client it stores change nothing for the other browser tests."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.records import RecordsService
from core.records.migrate import upgrade
from tests.e2e.conftest import Stack, redis_db
from tests.e2e.helpers import send, total, wait_for_turn

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def records_stack(tmp_path_factory, redis_server, ui_dist):
    url = f"sqlite:///{tmp_path_factory.mktemp('records-e2e') / 'records.db'}"
    upgrade(url)
    records = RecordsService.from_url(url)
    try:
        records.update_profile(
            "",
            {
                "seller": {"name": "Jane Doe", "company": "Doe Consulting"},
                "defaults": {"currency": "EUR", "payment_terms_days": 14},
            },
        )
        records.issue(
            "",
            {
                "currency": "EUR",
                "issue_date": "2026-10-01",
                "due_date": "2026-10-31",
                "seller": {"name": "Jane Doe"},
                "buyer": {
                    "name": "Northwind Traders",
                    "address": "12 Harbour Rd, Bristol BS1 4AA",
                    "tax_id": "GB123456789",
                },
                "items": [
                    {
                        "description": "Bookkeeping",
                        "quantity": "10",
                        "unit": "hour",
                        "unit_price": "90",
                        "tax_rate": "20",
                    },
                    {
                        "description": "Year-end report",
                        "quantity": "1",
                        "unit_price": "50",
                        "tax_rate": "20",
                    },
                ],
            },  # fmt: skip
        )
    finally:
        records.close()
    stack = Stack(
        tmp_path_factory.mktemp("e2e-records"),
        redis_db(redis_server, 12),
        ui_dist,
        DATABASE_URL=url,
    )
    try:
        yield stack.start()
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def base_url(records_stack) -> str:
    return records_stack.url


def test_invoice_a_known_client_again(page, shot):
    page.goto("/")
    send(page, "invoice Northwind again")
    expect(page.get_by_test_id("line-item")).to_have_count(2, timeout=30_000)
    wait_for_turn(page)
    invoice = page.get_by_test_id("invoice")
    expect(invoice).to_contain_text("Northwind Traders")
    expect(invoice).to_contain_text("12 Harbour Rd")
    expect(invoice).to_contain_text("GB123456789")
    expect(invoice).to_contain_text("Doe Consulting")  # the seller, from the profile
    expect(invoice).to_contain_text("Bookkeeping")
    expect(total(page)).to_have_text("€1,140.00")  # (900 + 50) × 1.2
    expect(page.get_by_text("Copied the 2 lines of your last invoice")).to_be_visible()
    shot(page, "records-01-known-client-again")
