"""botocore's errors as ours, through two tables. Callers of the provider see only:

    ProviderTransient   the worker retries the turn (botocore has already retried throttling
                        and 5xx a few times with jittered backoff)
    ProviderError       retrying will not help; the message says what to fix

`CLIENT_ERRORS` maps an AWS error code (a ClientError) to a rule; any HTTP 5xx or 429 is
`BUSY` whatever its code, and an unknown code is `REFUSED`. `botocore_rules()` maps botocore's
own exception classes (no credentials, timeouts, connection errors, …) to rules, first match
wins. A rule's message is a template filled with: where (model and region), region, code,
status, aws_message (shortened), cache_hint, error, name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

from core.errors import ProviderError, ProviderTransient

log = logging.getLogger("core.providers.bedrock")

CREDENTIALS_HELP = (
    "No AWS credentials were found for Bedrock. Set AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), or AWS_PROFILE for a "
    "profile in ~/.aws, or AWS_BEARER_TOKEN_BEDROCK for a Bedrock API key, or run on an "
    "instance or container with an IAM role. Without AWS, set LLM_PROVIDER=offline."
)
CACHE_HINT = " If the model does not support prompt caching, set LLM_PROMPT_CACHE=off."


@dataclass(frozen=True)
class ErrorRule:
    """What one kind of Bedrock failure becomes: our error class and its message template."""

    error: type[ProviderError]
    message: str

    @property
    def retryable(self) -> bool:
        return issubclass(self.error, ProviderTransient)

    def build(self, **facts: Any) -> ProviderError:
        return self.error(self.message.format(**facts))


BUSY = ErrorRule(ProviderTransient, "Bedrock is busy or unavailable ({code}).")
REFUSED = ErrorRule(ProviderError, "Bedrock refused the request for {where} ({code}).")
_BAD_CREDENTIALS = ErrorRule(
    ProviderError,
    "AWS rejected the credentials used for Bedrock ({code}): they are wrong or expired. "
    "Refresh them (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, or the "
    "profile in AWS_PROFILE).",
)

CLIENT_ERRORS: dict[str, ErrorRule] = {
    # Throttled, overloaded or failing on AWS's side: retry.
    "ThrottlingException": BUSY,
    "ServiceUnavailableException": BUSY,
    "ServiceUnavailable": BUSY,
    "InternalServerException": BUSY,
    "ModelNotReadyException": BUSY,
    "ModelTimeoutException": BUSY,
    "ModelErrorException": BUSY,
    "RequestTimeout": BUSY,
    "RequestTimeoutException": BUSY,
    # Our configuration: retrying will not help. AWS's own AccessDenied message names the
    # account and role: it is logged, not shown.
    "AccessDeniedException": ErrorRule(
        ProviderError,
        "Bedrock denied access to {where}: enable the model for this account and region in "
        "the Bedrock console (Model access), and check that the AWS identity is allowed "
        "bedrock:InvokeModel on it.",
    ),
    "ResourceNotFoundException": ErrorRule(
        ProviderError,
        "Bedrock has no {where}: check BEDROCK_MODEL_ID (a model or inference profile id "
        "available in that region) and AWS_REGION.",
    ),
    "ValidationException": ErrorRule(
        ProviderError,
        "Bedrock rejected the request for {where}: {aws_message} Check BEDROCK_MODEL_ID (some "
        "models need an inference profile id), LLM_MAX_TOKENS and LLM_TEMPERATURE.{cache_hint}",
    ),
    "ServiceQuotaExceededException": ErrorRule(
        ProviderError,
        "Bedrock quota exceeded for {where}: request a higher quota in the Service Quotas "
        "console or wait until it resets.",
    ),
    "UnrecognizedClientException": _BAD_CREDENTIALS,
    "InvalidSignatureException": _BAD_CREDENTIALS,
    "ExpiredTokenException": _BAD_CREDENTIALS,
    "IncompleteSignatureException": _BAD_CREDENTIALS,
    "MissingAuthenticationTokenException": _BAD_CREDENTIALS,
}


def client_error_rule(code: str, status: int) -> ErrorRule:
    """The rule for an AWS error answer: 5xx and 429 are BUSY whatever the code."""
    if status >= 500 or status == 429:
        return BUSY
    return CLIENT_ERRORS.get(code, REFUSED)


@cache
def botocore_rules() -> tuple[tuple[tuple[type[Exception], ...], ErrorRule], ...]:
    """botocore's exception classes → rules, in order (botocore is imported on first use)."""
    from botocore import exceptions as bx

    return (
        (
            (bx.NoCredentialsError, bx.PartialCredentialsError),
            ErrorRule(ProviderError, CREDENTIALS_HELP),
        ),
        (
            (bx.CredentialRetrievalError, bx.NoAuthTokenError, bx.TokenRetrievalError),
            ErrorRule(
                ProviderError,
                "AWS credentials for Bedrock could not be loaded (an expired SSO login or a "
                "failing credential_process?). " + CREDENTIALS_HELP,
            ),
        ),
        ((bx.ReadTimeoutError,), ErrorRule(ProviderTransient, "Bedrock did not answer in time.")),
        (
            (bx.ConnectionError, bx.HTTPClientError),
            ErrorRule(ProviderTransient, "Bedrock could not be reached in region {region}."),
        ),
        (
            (bx.ParamValidationError,),
            ErrorRule(ProviderError, "The request built for Bedrock is not valid: {error}"),
        ),
    )


_UNKNOWN_BOTOCORE = ErrorRule(ProviderError, "The call to Bedrock failed: {name}.")


def from_client_error(
    error: Any, *, model_id: str, region: str, prompt_cache: bool
) -> ProviderError:
    """Our error for a botocore ClientError (an error answer from AWS), logged with its ids."""
    info = error.response.get("Error", {})
    code = info.get("Code", "")
    metadata = error.response.get("ResponseMetadata", {})
    status = metadata.get("HTTPStatusCode", 0)
    aws_message = str(info.get("Message", ""))
    log.warning(
        "bedrock call failed: %s (HTTP %s) %s",
        code,
        status,
        aws_message,
        extra={"model_id": model_id, "region": region, "aws_request_id": metadata.get("RequestId")},
    )
    return client_error_rule(code, status).build(
        where=f"model {model_id} in region {region}",
        region=region,
        code=code or status,
        status=status,
        aws_message=_shorten(aws_message),
        cache_hint=CACHE_HINT if prompt_cache else "",
    )


def from_botocore_error(error: Exception, *, model_id: str, region: str) -> ProviderError:
    """Our error for a BotoCoreError (no answer: credentials, network, bad parameters)."""
    log.warning("bedrock call failed: %r", error, extra={"model_id": model_id})
    rule = next(
        (rule for kinds, rule in botocore_rules() if isinstance(error, kinds)), _UNKNOWN_BOTOCORE
    )
    return rule.build(region=region, error=error, name=type(error).__name__)


def _shorten(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text if text.endswith((".", "…")) else text + "."
