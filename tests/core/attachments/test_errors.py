"""The attachment errors: codes and statuses as core/errors.py documents them, files named by
position, limits that refuse nonsense."""

from __future__ import annotations

import pytest

from core import errors
from core.attachments import AttachmentLimits

ATTACHMENT_CODES = [
    (errors.UnsupportedAttachment, 415, "unsupported_attachment"),
    (errors.AttachmentTooLarge, 413, "attachment_too_large"),
    (errors.TooManyAttachments, 413, "too_many_attachments"),
    (errors.AttachmentUnreadable, 422, "attachment_unreadable"),
    (errors.EinvoiceInvalid, 422, "einvoice_invalid"),
]


@pytest.mark.parametrize("error_class, status, code", ATTACHMENT_CODES)
def test_each_attachment_error_has_its_status_code_and_place_in_the_tree(error_class, status, code):
    error = error_class()
    assert (error.http_status, error.code) == (status, code)
    assert isinstance(error, errors.AttachmentError)
    assert error.message[0].isupper()
    assert code in errors.__doc__


def test_an_error_names_its_file_by_position_once():
    error = errors.AttachmentUnreadable("This PDF is damaged.", reason="corrupt")
    placed = error.at(3)
    assert placed.message == "Attachment 3: This PDF is damaged."
    assert placed.to_dict() == {
        "code": "attachment_unreadable",
        "message": "Attachment 3: This PDF is damaged.",
        "details": {"attachment": 3, "reason": "corrupt"},
    }
    assert placed.at(5) is placed


@pytest.mark.parametrize("field", ["max_files", "max_bytes", "max_pixels", "max_rows"])
def test_limits_must_be_positive(field):
    with pytest.raises(errors.ConfigurationError, match=field):
        AttachmentLimits(**{field: 0})
