"""The error tree carries exactly the codes and statuses design.md lists."""

from __future__ import annotations

import pytest

from core import errors

DESIGN_CODES = [
    (errors.InvalidJson, 400, "invalid_json"),
    (errors.ValidationFailed, 422, "validation_error"),
    (errors.Unauthorized, 401, "unauthorized"),
    (errors.SessionNotFound, 404, "session_not_found"),
    (errors.JobNotFound, 404, "job_not_found"),
    (errors.BatchNotFound, 404, "batch_not_found"),
    (errors.NoInvoice, 404, "no_invoice"),
    (errors.TurnInProgress, 409, "turn_in_progress"),
    (errors.TokenLimitExceeded, 413, "token_limit_exceeded"),
    (errors.PayloadTooLarge, 413, "payload_too_large"),
    (errors.RateLimited, 429, "rate_limited"),
    (errors.Unavailable, 503, "unavailable"),
]


@pytest.mark.parametrize("error_class, status, code", DESIGN_CODES)
def test_each_design_error_has_its_status_and_code(error_class, status, code):
    error = error_class()
    assert (error.http_status, error.code) == (status, code)
    assert error.message and error.message[0].isupper()
    assert error.to_dict() == {"code": code, "message": error.message}


def test_session_not_found_suggests_a_new_session():
    assert "new session" in errors.SessionNotFound().message.lower()


def test_token_limit_message_suggests_a_new_session():
    assert "new session" in errors.TokenLimitExceeded().message.lower()


def test_details_appear_only_when_given():
    error = errors.TurnInProgress(details={"job_id": "abc"})
    assert error.to_dict()["details"] == {"job_id": "abc"}


@pytest.mark.parametrize(
    "error_class, code",
    [
        (errors.InvalidDraft, "invalid_invoice"),
        (errors.ProviderError, "provider_error"),
        (errors.ProviderTransient, "provider_unavailable"),
        (errors.SessionGone, "session_not_found"),
        (errors.TurnTimedOut, "turn_timeout"),
    ],
)
def test_turn_failures_are_job_errors(error_class, code):
    error = error_class()
    assert isinstance(error, errors.TurnFailed) and error.code == code


def test_the_module_docstring_lists_every_error_class():
    documented = errors.__doc__
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.InvoiceAgentError)
    ]
    assert all(c.__name__ in documented for c in classes)
