"""What the browser tests do again and again: send a message, wait for the turn, read the page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

ACME = "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days"
ACME_TOTAL = "$6,480.00"
TRAVEL = "add a $200 travel line"
TRAVEL_TOTAL = "$6,696.00"  # (6,000 + 200) × 1.08
SESSION_KEY = "invoice-agent.session"


def composer(page: Page):
    return page.get_by_label("Message to the invoice assistant")


def send(page: Page, text: str) -> None:
    """Type a message and press Enter, as a person does."""
    box = composer(page)
    expect(box).to_be_enabled()
    box.fill(text)
    box.press("Enter")


def wait_for_turn(page: Page) -> None:
    """The turn is over: the box is usable again and the status says how it went."""
    expect(composer(page)).to_be_enabled(timeout=30_000)
    expect(page.get_by_test_id("turn-status")).not_to_contain_text(re.compile("Queued|Working"))


def total(page: Page):
    return page.get_by_test_id("invoice-total")


def tokens_used(page: Page) -> int:
    text = page.get_by_test_id("token-count").inner_text()
    return int(re.match(r"([\d,]+)\s*/", text).group(1).replace(",", ""))


def session_id(page: Page) -> str | None:
    return page.evaluate(f"localStorage.getItem('{SESSION_KEY}')")


def create_acme_invoice(page: Page) -> None:
    page.goto("/")
    send(page, ACME)
    expect(total(page)).to_have_text(ACME_TOTAL, timeout=30_000)
    wait_for_turn(page)
