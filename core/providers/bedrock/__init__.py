"""Claude on Amazon Bedrock through the Converse API, one module per job:

    config.py     the boto3 client: timeouts fitted to JOB_TIME_LIMIT, attempts, pool
    tool.py       the update_invoice tool and its JSON Schema (from InvoiceDraftSchema)
    request.py    one turn's Converse request: system, cache points, history, current turn
    response.py   the answer read into (reply, invoice): tool input, or JSON in the text
    usage.py      token counts, cache reads and writes included
    errors.py     botocore's errors → ProviderTransient / ProviderError, through tables
    provider.py   BedrockProvider: one turn is one `converse` call
    check.py      `python -m core.providers.bedrock` (make check-bedrock): one tiny real call

Attachments become Converse content blocks in core/attachments/bedrock.py. botocore retries
throttling and 5xx answers a few times (standard mode, jittered backoff) before a
ProviderTransient reaches the worker, which retries the whole turn later. See docs/bedrock.md.
"""

from core.providers.bedrock.check import check_bedrock, main
from core.providers.bedrock.config import (
    CONNECT_TIMEOUT,
    MAX_ATTEMPTS,
    READ_TIMEOUT,
    make_client,
    read_timeout_for,
)
from core.providers.bedrock.errors import CLIENT_ERRORS, CREDENTIALS_HELP, ErrorRule
from core.providers.bedrock.provider import BedrockProvider
from core.providers.bedrock.tool import TOOL_DESCRIPTION, TOOL_NAME, tool_input_schema

__all__ = [
    "CLIENT_ERRORS",
    "CONNECT_TIMEOUT",
    "CREDENTIALS_HELP",
    "MAX_ATTEMPTS",
    "READ_TIMEOUT",
    "TOOL_DESCRIPTION",
    "TOOL_NAME",
    "BedrockProvider",
    "ErrorRule",
    "check_bedrock",
    "main",
    "make_client",
    "read_timeout_for",
    "tool_input_schema",
]
