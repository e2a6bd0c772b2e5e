"""Files attached to a chat message, in a real browser against the real stack (issue 19)."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.e2e.helpers import composer, session_id, total, wait_for_turn

pytestmark = pytest.mark.e2e

TIMESHEET = (
    "Date,Description,Hours,Rate\n"
    "2026-11-02,Design review,3.5,95.00\n"
    "2026-11-03,Workshop,6,95.00\n"
    "2026-11-05,Documentation,2.5,95.00\n"
)
TIMESHEET_TOTAL = "$1,140.00"  # 12 hours at $95


def _attachment_requests(page) -> list[str]:
    """Every request the page sends to a turn endpoint, as it goes (a list that fills)."""
    sent: list[str] = []
    page.on(
        "request",
        lambda r: (
            sent.append(f"{r.method} {r.url}")
            if r.method == "POST" and r.url.endswith(("/api/chat", "/api/generate-invoice"))
            else None
        ),
    )
    return sent


def test_a_csv_timesheet_attached_by_the_button_becomes_the_invoice(page, shot):
    page.goto("/")
    sent = _attachment_requests(page)

    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach files").click()
    chooser.value.set_files(
        {"name": "timesheet-nov.csv", "mimeType": "text/csv", "buffer": TIMESHEET.encode()}
    )
    chips = page.get_by_role("list", name="Attached files (1 of 5)")
    expect(chips).to_contain_text("timesheet-nov.csv")
    expect(chips).to_contain_text("CSV table")
    assert sent == []  # checked in the browser, not uploaded yet

    box = composer(page)
    box.fill("Bill Acme Corp for everything on this timesheet at $95/h")
    box.press("Enter")
    expect(total(page)).to_have_text(TIMESHEET_TOTAL, timeout=60_000)
    wait_for_turn(page)
    assert len(sent) == 1 and sent[0].endswith("/api/generate-invoice")
    expect(page.get_by_test_id("line-item")).to_have_count(3)
    expect(page.get_by_role("list", name="Attached files (1 of 5)")).to_have_count(0)
    in_chat = page.get_by_role("log").get_by_role("button", name="Download timesheet-nov.csv")
    expect(in_chat).to_be_visible()
    shot(page, "attach-01-timesheet-invoice")

    # After a reload the file comes from the session, and opens as it was sent.
    page.reload()
    expect(total(page)).to_have_text(TIMESHEET_TOTAL)
    in_chat = page.get_by_role("log").get_by_role("button", name="Download timesheet-nov.csv")
    with page.expect_download() as download:
        in_chat.click()
    assert download.value.suggested_filename == "timesheet-nov.csv"
    assert Path(download.value.path()).read_text(encoding="utf-8") == TIMESHEET
    assert session_id(page)


def test_a_dropped_image_shows_a_thumbnail_and_bad_files_are_refused_before_upload(page, shot):
    page.goto("/")
    sent = _attachment_requests(page)
    picture = io.BytesIO()
    Image.new("RGB", (120, 80), (67, 56, 202)).save(picture, "PNG")

    transfer = page.evaluate_handle(
        """([png]) => {
            const dt = new DataTransfer();
            const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
            dt.items.add(new File([bytes], "receipt.png", { type: "image/png" }));
            dt.items.add(new File(["MZ\\x90\\x00 not a PDF"], "<b>invoice</b>.pdf"));
            dt.items.add(new File([new Uint8Array(10 * 1024 * 1024 + 1)], "scan.pdf"));
            dt.items.add(new File(["Hello,\\nplease bill Acme.\\n"], "note.txt"));
            return dt;
        }""",
        [base64.b64encode(picture.getvalue()).decode()],
    )
    chat = page.get_by_role("region", name="Conversation")
    chat.dispatch_event("dragenter", {"dataTransfer": transfer})
    expect(page.get_by_text("Drop the files to attach them to your message")).to_be_visible()
    chat.dispatch_event("drop", {"dataTransfer": transfer})

    chips = page.get_by_role("list", name="Attached files (1 of 5)")
    expect(chips).to_contain_text("receipt.png")
    thumb = chips.locator("img.attachment-thumb")
    expect(thumb).to_have_attribute("src", re.compile(r"^blob:"))
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 120", arg=thumb.element_handle()
    )

    problems = page.get_by_test_id("attachment-problems")
    expect(problems).to_contain_text("<b>invoice</b>.pdf: Not attached: it is a program")
    expect(problems).to_contain_text(
        "scan.pdf: It is just over 10 MB; each file can be up to 10 MB."
    )
    expect(problems).to_contain_text("note.txt: Not attached: it is plain text")
    expect(page.locator("b", has_text="invoice")).to_have_count(0)  # a name is text, never markup
    shot(page, "attach-02-refused-before-upload")

    # Removing the chip revokes its preview: the blob: URL no longer loads.
    src = thumb.get_attribute("src")
    assert src and src.startswith("blob:")
    assert page.evaluate(LOADS, src)
    page.get_by_role("button", name="Remove receipt.png").press("Enter")
    expect(chips).to_have_count(0)
    expect(composer(page)).to_be_focused()
    assert not page.evaluate(LOADS, src), "the preview's blob: URL was not revoked"
    assert sent == []


# Whether an image URL loads (img-src allows blob:; connect-src does not, so no fetch).
LOADS = """url => new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve(true);
    img.onerror = () => resolve(false);
    img.src = url;
})"""


def test_a_pasted_receipt_photo_is_read_and_its_thumbnail_comes_back_after_a_reload(page, shot):
    from tests.support.documents import document_png, printed_document

    receipt = document_png(printed_document(3, "receipt"))
    page.goto("/")
    box = composer(page)
    box.focus()
    # What a browser hands the page when a screenshot is pasted: a file and no text.
    box.evaluate(
        """(box, png) => {
            const dt = new DataTransfer();
            const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
            dt.items.add(new File([bytes], "image.png", { type: "image/png" }));
            const init = { clipboardData: dt, bubbles: true, cancelable: true };
            box.dispatchEvent(new ClipboardEvent("paste", init));
        }""",
        base64.b64encode(receipt).decode(),
    )
    expect(page.get_by_role("list", name="Attached files (1 of 5)")).to_contain_text("image.png")
    expect(box).to_have_value("")  # the picture was attached, not pasted as text

    box.fill("Re-bill this receipt to Acme Corp")
    box.press("Enter")
    wait_for_turn(page)
    expect(page.get_by_test_id("turn-status")).to_have_text("Done — invoice updated.")
    expect(page.get_by_test_id("line-item").first).to_be_visible()

    page.reload()
    expect(page.get_by_test_id("line-item").first).to_be_visible()
    thumb = page.get_by_role("log").get_by_role("button", name="Download image.png").locator("img")
    expect(thumb).to_have_attribute("src", re.compile(r"^blob:"))  # fetched from the session
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    shot(page, "attach-03-receipt-after-reload")


def test_on_a_phone_long_names_and_several_chips_fit_without_sideways_scrolling(new_page, shot):
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    page.goto("/")
    name = "Stundenzettel-November-2026-Projekt-Nordlicht-final-final-v3.csv"
    page.get_by_test_id("attach-input").set_input_files(
        [
            {"name": name, "mimeType": "text/csv", "buffer": TIMESHEET.encode()},
            {"name": "week-2.csv", "mimeType": "text/csv", "buffer": TIMESHEET.encode() + b"\n"},
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"just some words\n"},
        ]
    )
    expect(page.get_by_role("list", name="Attached files (2 of 5)")).to_contain_text("week-2.csv")
    expect(page.get_by_test_id("attachment-problems")).to_contain_text("notes.txt")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for chip in page.get_by_role("list", name="Attached files (2 of 5)").locator("li").all():
        box = chip.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    first = page.get_by_role("list", name="Attached files (2 of 5)").locator("li").first
    expect(first.locator(".attachment-name")).to_have_attribute("title", name)
    shot(page, "attach-04-phone", full_page=True)
