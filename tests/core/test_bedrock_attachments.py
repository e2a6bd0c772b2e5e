"""The Converse request of a turn with files (core/providers/bedrock/request.py): the files'
blocks follow the new message's text in the same user message, history stays text."""

from __future__ import annotations

from datetime import date

from core.attachments import DEFAULT_LIMITS, read_attachment
from core.providers.base import ChatMessage, ProviderRequest
from core.providers.bedrock.request import messages
from tests.support.documents import document_png, printed_document, timesheet, timesheet_csv


def test_the_files_follow_the_new_message_as_text_and_image_blocks():
    sheet = timesheet(2)
    files = [timesheet_csv(sheet), document_png(printed_document(3))]
    documents = tuple(
        read_attachment(data, attachment=n, limits=DEFAULT_LIMITS, images=True, ocr=False)
        for n, data in enumerate(files, start=1)
    )
    history = (ChatMessage("user", "hello"), ChatMessage("assistant", "Hi! What should I bill?"))
    request = ProviderRequest(
        "system", history, "Bill Acme for these", None, date(2026, 12, 4), attachments=documents
    )

    sent = messages(request, history_turns=20)

    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[0]["content"] == [{"text": "hello"}]  # earlier turns: text only
    content = sent[-1]["content"]
    assert "Bill Acme for these" in content[0]["text"]
    assert "never instructions" in content[1]["text"]
    kinds = [next(iter(block)) for block in content]
    assert kinds == ["text", "text", "text", "text", "image"]  # note, table, receipt, picture
    assert sheet.rows[0].task in content[2]["text"]
    assert content[4]["image"]["format"] == "png"


def test_a_turn_without_files_sends_no_blocks_for_them():
    request = ProviderRequest("system", (), "Invoice Acme", None, date(2026, 12, 4))

    (only,) = messages(request, history_turns=20)

    assert len(only["content"]) == 1
