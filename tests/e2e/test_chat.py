"""The chat page in a real browser against the real stack (API, worker, Redis)."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, PHONE
from tests.e2e.helpers import (
    ACME,
    ACME_TOTAL,
    TRAVEL,
    TRAVEL_TOTAL,
    composer,
    create_acme_invoice,
    send,
    session_id,
    tokens_used,
    total,
    wait_for_turn,
)

pytestmark = pytest.mark.e2e


def test_a_request_becomes_an_invoice_a_chat_edit_changes_it_and_a_reload_finds_it(page, shot):
    page.goto("/")
    expect(page.get_by_role("heading", name="Your invoice will appear here")).to_be_visible()
    expect(page.get_by_test_id("token-count")).to_have_text("0 / 200k tokens")
    shot(page, "01-empty-laptop")

    send(page, ACME)
    expect(total(page)).to_have_text(ACME_TOTAL, timeout=30_000)
    wait_for_turn(page)
    invoice = page.get_by_test_id("invoice")
    expect(invoice).to_contain_text("Acme Corp")
    expect(invoice).to_contain_text("Consulting")
    expect(page.get_by_test_id("amount-due")).to_have_text(ACME_TOTAL)
    # a draft has no number yet (design.md "Records"): "Draft" where the number goes
    expect(page.get_by_test_id("invoice-number")).to_have_text("Draft")
    expect(page.get_by_test_id("line-item")).to_have_count(1)
    expect(page.get_by_test_id("turn-status")).to_have_text("Done — invoice updated.")
    expect(composer(page)).to_be_focused()  # back in the box, ready for the next message
    first_tokens = tokens_used(page)
    assert first_tokens > 0
    shot(page, "02-first-invoice")

    send(page, TRAVEL)
    expect(total(page)).to_have_text(TRAVEL_TOTAL, timeout=30_000)
    expect(page.get_by_test_id("line-item")).to_have_count(2)
    expect(page.locator("tr.changed")).to_contain_text("Travel")  # the new line flashes
    wait_for_turn(page)
    edited_tokens = tokens_used(page)
    assert edited_tokens > first_tokens  # the meter moves
    shot(page, "03-edited-by-chat")

    page.reload()
    expect(total(page)).to_have_text(TRAVEL_TOTAL)
    messages = page.locator(".messages li[data-role]")
    expect(messages).to_have_count(4)
    expect(messages.nth(0)).to_contain_text(ACME)
    expect(messages.nth(2)).to_contain_text(TRAVEL)
    assert tokens_used(page) == edited_tokens
    shot(page, "04-after-reload")


def test_shift_enter_is_a_new_line_and_enter_sends(page):
    page.goto("/")
    box = composer(page)
    box.click()
    first = "Invoice Acme Corp for 40 hours of consulting at $150/h"
    second = "8% tax, due in 30 days"
    box.type(first)
    box.press("Shift+Enter")
    box.type(second)
    assert box.input_value() == f"{first}\n{second}"
    expect(page.locator(".messages li[data-role]")).to_have_count(0)
    box.press("Enter")
    expect(total(page)).to_have_text(ACME_TOTAL, timeout=30_000)
    expect(box).to_have_value("")


def test_print_shows_only_the_invoice_on_one_a4_page(page, shot):
    create_acme_invoice(page)
    send(page, TRAVEL)
    expect(total(page)).to_have_text(TRAVEL_TOTAL, timeout=30_000)
    wait_for_turn(page)

    page.emulate_media(media="print")
    expect(page.get_by_test_id("invoice")).to_be_visible()
    for hidden in (".topbar", ".chat", ".preview-head", ".export-bar"):
        expect(page.locator(hidden)).to_be_hidden()
    shot(page, "05-print-emulation", full_page=True)

    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    (ARTIFACTS / "05-print.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1, f"a typical invoice prints on one A4 page, not {pages}"


def test_an_expired_session_offers_a_new_one_after_a_reload(page, base_url, shot):
    create_acme_invoice(page)
    old = session_id(page)
    assert requests.delete(f"{base_url}/api/session/{old}", timeout=10).status_code == 204

    page.reload()
    notice = page.get_by_role("status").filter(has_text="Your previous session has expired")
    expect(notice).to_be_visible()
    expect(page.get_by_role("heading", name="Your invoice will appear here")).to_be_visible()
    shot(page, "06-expired-on-reload")
    page.get_by_role("button", name="Start a new session").click()
    expect(composer(page)).to_be_focused()

    send(page, ACME)
    expect(total(page)).to_have_text(ACME_TOTAL, timeout=30_000)
    assert session_id(page) not in (None, old)


def test_a_session_that_expires_between_messages_offers_a_new_one_and_keeps_the_message(
    page, base_url, shot
):
    create_acme_invoice(page)
    old = session_id(page)
    assert requests.delete(f"{base_url}/api/session/{old}", timeout=10).status_code == 204

    send(page, TRAVEL)
    alert = page.get_by_role("alert").filter(has_text="This session has expired")
    expect(alert).to_be_visible()
    expect(composer(page)).to_have_value(TRAVEL)  # nothing typed is lost
    shot(page, "07-expired-on-send")

    alert.get_by_role("button", name="Start a new session").click()
    expect(page.get_by_role("heading", name="Your invoice will appear here")).to_be_visible()
    send(page, ACME)
    expect(total(page)).to_have_text(ACME_TOTAL, timeout=30_000)
    assert session_id(page) not in (None, old)


def test_new_invoice_starts_a_new_session(page):
    create_acme_invoice(page)
    old = session_id(page)
    page.get_by_role("button", name="New invoice").click()
    expect(page.get_by_role("heading", name="Your invoice will appear here")).to_be_visible()
    expect(page.locator(".messages li[data-role]")).to_have_count(0)
    expect(page.get_by_test_id("token-count")).to_have_text("0 / 200k tokens")
    assert session_id(page) is None
    send(page, "Invoice Globex for 3 x security audit @ $1,200 each")
    expect(total(page)).to_have_text("$3,600.00", timeout=30_000)
    assert session_id(page) not in (None, old)


def test_on_a_phone_the_chat_and_the_invoice_stack_without_sideways_scrolling(new_page, shot):
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    page.goto("/")
    shot(page, "08-phone-empty", full_page=True)
    send(page, ACME)
    expect(total(page)).to_have_text(ACME_TOTAL, timeout=30_000)
    wait_for_turn(page)
    send(page, TRAVEL)
    expect(total(page)).to_have_text(TRAVEL_TOTAL, timeout=30_000)
    wait_for_turn(page)

    chat = page.locator(".chat").bounding_box()
    sheet = page.get_by_test_id("invoice").bounding_box()
    assert sheet["y"] >= chat["y"] + chat["height"] - 1  # stacked: the invoice below the chat
    assert sheet["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "09-phone-invoice", full_page=True)
