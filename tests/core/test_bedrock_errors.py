"""The table that turns Bedrock's error answers into ours (core/providers/bedrock/errors.py).

The whole path (botocore parsing a real error answer from the fake Converse server) is tested in
test_bedrock.py; here the table itself: retryable or not, and what decides between them.
"""

from __future__ import annotations

import pytest

from core.errors import ProviderError, ProviderTransient
from core.providers.bedrock.errors import (
    BUSY,
    CLIENT_ERRORS,
    REFUSED,
    client_error_rule,
    from_client_error,
)


class FakeClientError(Exception):
    def __init__(self, code: str, status: int, message: str = "") -> None:
        super().__init__(code)
        self.response = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "req-1"},
        }


@pytest.mark.parametrize(
    "code",
    ["ThrottlingException", "ServiceUnavailableException", "ModelNotReadyException"],
)
def test_throttling_and_unavailable_codes_are_retryable(code):
    assert client_error_rule(code, 400).retryable


@pytest.mark.parametrize(
    "code",
    ["AccessDeniedException", "ValidationException", "ExpiredTokenException", "NoSuchThing"],
)
def test_configuration_codes_are_not_retryable_unless_the_status_says_busy(code):
    assert not client_error_rule(code, 400).retryable
    assert client_error_rule(code, 503) is BUSY
    assert client_error_rule(code, 429) is BUSY


def test_an_unknown_code_is_refused_naming_the_code():
    assert client_error_rule("NoSuchThing", 400) is REFUSED
    error = from_client_error(
        FakeClientError("NoSuchThing", 400), model_id="m1", region="eu-west-1", prompt_cache=False
    )
    assert type(error) is ProviderError
    assert (
        error.message
        == "Bedrock refused the request for model m1 in region eu-west-1 (NoSuchThing)."
    )


def test_every_rule_is_one_of_our_provider_errors_and_its_template_fills():
    facts = dict(
        where="model m in region r",
        region="r",
        code="C",
        status=400,
        aws_message="x.",
        cache_hint="",
        error="e",
        name="N",
    )
    for code, rule in CLIENT_ERRORS.items():
        error = rule.build(**facts)
        assert isinstance(error, ProviderError), code
        assert "{" not in error.message, code


def test_the_validation_message_is_shortened_and_hints_at_the_cache_only_when_it_is_on():
    long = "bad " * 200
    with_cache = from_client_error(
        FakeClientError("ValidationException", 400, long),
        model_id="m",
        region="r",
        prompt_cache=True,
    )
    without = from_client_error(
        FakeClientError("ValidationException", 400, long),
        model_id="m",
        region="r",
        prompt_cache=False,
    )
    assert not isinstance(with_cache, ProviderTransient)
    assert "LLM_PROMPT_CACHE=off" in with_cache.message
    assert "LLM_PROMPT_CACHE" not in without.message
    assert "…" in without.message and len(without.message) < 600
