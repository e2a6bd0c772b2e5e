"""The boto3 client for Bedrock and the time it may take: timeouts, attempts, connection pool.

`read_timeout_for(settings, …)` fits every botocore attempt of a turn inside JOB_TIME_LIMIT;
`make_client(settings, …)` builds the one `bedrock-runtime` client a provider reuses.
Both raise ConfigurationError when the settings cannot be used.
"""

from __future__ import annotations

from typing import Any

from core.errors import ConfigurationError
from core.settings import Settings

CONNECT_TIMEOUT = 5.0
# Converse answers only once the whole reply is generated: a long invoice at LLM_MAX_TOKENS
# can take minutes. The read timeout is shortened when JOB_TIME_LIMIT leaves less room.
READ_TIMEOUT = 180.0
MAX_ATTEMPTS = 3  # botocore's attempts per turn; the worker retries the turn on top of that
# What JOB_TIME_LIMIT must leave besides the attempts themselves: Celery's soft limit fires
# 10 s early, and botocore sleeps up to 1 + 2 s between throttled attempts (+5 s each when
# Bedrock sends x-amz-retry-after).
_TIME_LIMIT_MARGIN = 25.0
_MIN_READ_TIMEOUT = 10.0


def read_timeout_for(settings: Settings, connect_timeout: float, max_attempts: int) -> float:
    """READ_TIMEOUT, or less, so that every attempt of a turn ends before JOB_TIME_LIMIT.

    Raises ConfigurationError when JOB_TIME_LIMIT leaves too little time for one answer.
    """
    budget = (settings.job_time_limit - _TIME_LIMIT_MARGIN) / max_attempts - connect_timeout
    if budget < _MIN_READ_TIMEOUT:
        needed = int((_MIN_READ_TIMEOUT + connect_timeout) * max_attempts + _TIME_LIMIT_MARGIN)
        raise ConfigurationError(
            f"JOB_TIME_LIMIT={settings.job_time_limit} leaves Bedrock too little time per "
            f"attempt; set it to at least {needed} seconds."
        )
    return min(READ_TIMEOUT, budget)


def make_client(
    settings: Settings, connect_timeout: float, read_timeout: float, max_attempts: int
) -> Any:
    """A `bedrock-runtime` client (thread-safe: one per provider, shared by every turn)."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    config = Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": max_attempts},  # first try included
        # One connection per concurrent turn, or threads queue for the pool's default 10.
        max_pool_connections=max(10, settings.worker_concurrency),
        user_agent_extra="invoice-agent",
    )
    try:
        return boto3.session.Session().client(
            "bedrock-runtime",
            region_name=settings.aws_region,
            endpoint_url=settings.bedrock_endpoint_url or None,
            config=config,
        )
    except (BotoCoreError, ValueError) as error:
        raise ConfigurationError(
            f"A Bedrock client cannot be made for AWS_REGION={settings.aws_region!r}, "
            f"BEDROCK_ENDPOINT_URL={settings.bedrock_endpoint_url!r}: {error}"
        ) from None
