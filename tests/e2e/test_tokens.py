"""The token meter near and at the limit, on a stack with a small token budget."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import E2E_REDIS_DB, Stack, redis_db
from tests.e2e.helpers import composer, send, tokens_used, total, wait_for_turn

pytestmark = pytest.mark.e2e

TOKEN_WARN, TOKEN_LIMIT = 300, 1000
WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november"


@pytest.fixture(scope="module")
def small_budget(tmp_path_factory, redis_server, ui_dist):
    started = Stack(
        tmp_path_factory.mktemp("e2e-tokens"),
        redis_db(redis_server, E2E_REDIS_DB + 1),
        ui_dist,
        TOKEN_WARN=str(TOKEN_WARN),
        TOKEN_LIMIT=str(TOKEN_LIMIT),
    )
    try:
        yield started.start()
    finally:
        started.stop()


def test_the_meter_turns_red_with_the_warning_and_the_limit_offers_a_new_session(
    new_page, small_budget, shot
):
    page = new_page(url=small_budget.url)
    page.goto("/")
    note = " ".join([WORDS] * 20)  # about 300 tokens
    send(page, f"Invoice Acme Corp for 40 hours of consulting at $150/h. note: {note}")
    expect(total(page)).to_have_text("$6,000.00", timeout=30_000)
    wait_for_turn(page)
    meter = page.locator(".token-meter")
    expect(meter).to_have_attribute("data-zone", "red")
    assert TOKEN_WARN <= tokens_used(page) < TOKEN_LIMIT
    expect(page.get_by_test_id("token-count")).to_contain_text("/ 1k tokens")
    expect(page.locator(".token-warning")).to_contain_text("Start a new session soon")
    shot(page, "10-token-meter-red")

    send(page, f"note: {' '.join([WORDS] * 60)}")  # past the limit: refused at once
    alert = page.get_by_role("alert").filter(has_text="This conversation is full")
    expect(alert).to_be_visible()
    expect(total(page)).to_have_text("$6,000.00")  # the invoice stays in view
    shot(page, "11-token-limit")
    alert.get_by_role("button", name="Start a new session").click()
    expect(page.get_by_role("heading", name="Your invoice will appear here")).to_be_visible()
    expect(composer(page)).to_have_value(f"note: {' '.join([WORDS] * 60)}")
