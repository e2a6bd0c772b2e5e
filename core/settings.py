"""One settings object, built from the environment (and `.env` when present).

Nothing else in the code base reads `os.environ`: the API, the worker and the tests build a
`Settings` and pass it down. Every variable is parsed and validated here, by pydantic
(pydantic-settings), so a value that cannot work stops the process at start with a message
naming the variable. `Settings.from_env(environ, **overrides)` lets tests change single values.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import limits
from dotenv import dotenv_values
from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from core.errors import ConfigurationError

SECRET_FIELDS = frozenset({"api_keys", "flower_basic_auth"})
_URL_CREDENTIALS = re.compile(r"(?<=://)[^@/]*@")
PROVIDERS = ("auto", "offline", "bedrock")


def redact_url(url: str) -> str:
    """`url` with any user and password replaced: redis://:***@host:6379/0."""
    return _URL_CREDENTIALS.sub("***@", url)


def parse_rate(text: str) -> limits.RateLimitItem | None:
    """A rate like "30/minute" or "10 per second" ("600" alone is per minute); None if empty.

    Raises ValueError for anything else, or a rate of zero.
    """
    text = text.strip()
    if not text:
        return None
    rate = limits.parse(f"{text}/minute" if text.isdigit() else text)
    if rate.amount <= 0:
        raise ValueError("the rate must be positive")
    return rate


def _comma_separated(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


CommaSeparated = Annotated[tuple[str, ...], BeforeValidator(_comma_separated)]
Positive = Annotated[int, Field(gt=0)]


class Settings(BaseSettings):
    """Every knob of the service; field names are the environment variables, lower-cased."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    host: str = "127.0.0.1"  # 0.0.0.0 in containers (Dockerfile); local runs stay private
    port: Annotated[int, Field(gt=0, lt=65536)] = 8000
    flower_port: Annotated[int, Field(gt=0, lt=65536)] = 5555
    redis_url: str = "redis://127.0.0.1:6379/0"
    celery_broker_url: str = ""  # empty = same as redis_url
    # with Sentinels: how long an accepted turn waits for a replica to hold it (0 = no wait)
    redis_replica_wait_ms: Annotated[int, Field(ge=0, le=10_000)] = 500
    llm_provider: str = "auto"
    aws_region: str = "us-east-1"
    bedrock_model_id: str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    bedrock_endpoint_url: str = ""
    llm_max_tokens: Annotated[int, Field(gt=0, le=200_000)] = 4096
    # the number Converse takes (0 to 1 for Claude); a Decimal, never used in arithmetic
    llm_temperature: Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)] = Decimal("0.7")
    session_ttl_seconds: Positive = 3600
    job_ttl_seconds: Positive = 86400
    token_limit: Positive = 200_000
    token_warn: Positive = 160_000
    api_keys: CommaSeparated = Field(default=(), repr=False)
    cors_origins: CommaSeparated = ("http://localhost:3000", "http://localhost:8000")
    turn_rate_limit: str = "30/minute"  # turns started per API key (a batch counts once)
    read_rate_limit: str = "600/minute"  # every other /api/* call per API key
    worker_concurrency: Positive = 64
    job_visibility_timeout: Positive = 900
    job_time_limit: Positive = 600
    llm_history_turns: Annotated[int, Field(ge=0)] = 20
    llm_prompt_cache: bool = True
    llm_rate_limit: str = ""  # LLM requests across all workers, e.g. "600/minute"
    batch_max_items: Positive = 1000
    batch_max_queued_items: Positive = 2000  # batch items one API key may have waiting at once
    max_invoice_lines: Positive = 500
    export_concurrency: Positive = 2  # exports one API key may have rendering at once
    flower_basic_auth: str = Field(default="", repr=False)
    max_request_bytes: Positive = 1_048_576
    max_message_chars: Positive = 8000
    trusted_proxies: Annotated[int, Field(ge=0)] = 0  # proxies whose X-Forwarded-For is believed
    web_concurrency: Positive = 2  # gunicorn processes (gevent workers)
    web_connections: Positive = 1000  # open connections per gunicorn process
    frontend_dist: str = Field(default_factory=lambda: str(_project_root() / "frontend" / "dist"))
    run_dir: str = Field(default_factory=lambda: str(_project_root() / ".run"))  # `make run`
    # the records (profiles, clients, issued invoices); a relative SQLite path is taken from
    # the project root (core/records/database.py)
    database_url: str = "sqlite:///var/invoice-agent.db"
    # Files attached to one chat message (core.attachments.AttachmentLimits.from_settings).
    max_attachments: Positive = 5
    max_attachment_bytes: Positive = 10_485_760
    # Bytes of attached files one session keeps in Redis (its turns' files together).
    max_session_attachment_bytes: Positive = 52_428_800

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource, **_: Any
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # from_env gathers the environment and .env itself, so that tests can hand it theirs
        return (init_settings,)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        dotenv_path: str | os.PathLike[str] | None = ".env",
        **overrides: object,
    ) -> Settings:
        """Build settings: defaults, then `.env`, then the environment, then `overrides`.

        Raises ConfigurationError naming the variable when a value cannot be used.
        """
        source: dict[str, str] = {}
        if dotenv_path and Path(dotenv_path).is_file():
            source.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        source.update(os.environ if environ is None else environ)
        values = {name: source[name.upper()] for name in cls.model_fields if name.upper() in source}
        try:
            return cls(**(values | overrides))
        except ValidationError as exc:
            raise ConfigurationError(_explain(exc)) from None

    def __repr_args__(self):
        """Every setting but the secrets: API keys, Flower's password and URL credentials."""
        for name, value in super().__repr_args__():
            if name and name.endswith("_url") and isinstance(value, str):
                value = redact_url(value)
            yield name, value
        for name in sorted(SECRET_FIELDS):
            if getattr(self, name):
                yield name, "<hidden>"

    @property
    def broker_url(self) -> str:
        return self.celery_broker_url or self.redis_url

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_keys)

    @field_validator("llm_provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        if value not in PROVIDERS and ":" not in value:
            raise ValueError("must be auto, offline, bedrock or a 'module:Class' path")
        return value

    @field_validator("turn_rate_limit", "read_rate_limit")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        try:
            if parse_rate(value) is None:
                raise ValueError("empty")
        except ValueError:
            raise ValueError(f"is not a rate like '30/minute': {value!r}") from None
        return value

    @field_validator("redis_url", "celery_broker_url")
    @classmethod
    def _a_redis_url(cls, value: str) -> str:
        from core.redis_connection import is_sentinel_url, parse_sentinel_url

        if is_sentinel_url(value):
            try:
                parse_sentinel_url(value)
            except ConfigurationError as problem:
                raise ValueError(problem.message) from None
        return value

    @field_validator("llm_rate_limit")
    @classmethod
    def _an_optional_rate(cls, value: str) -> str:
        try:
            parse_rate(value)
        except ValueError:
            raise ValueError(f"is not a rate like '600/minute' or '600': {value!r}") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.token_warn > self.token_limit:
            raise ValueError("TOKEN_WARN must not exceed TOKEN_LIMIT")
        if self.job_ttl_seconds < self.session_ttl_seconds:
            raise ValueError("JOB_TTL_SECONDS must be at least SESSION_TTL_SECONDS")
        if self.job_time_limit >= self.job_visibility_timeout:
            raise ValueError(
                "JOB_TIME_LIMIT must be shorter than JOB_VISIBILITY_TIMEOUT, "
                "or a running turn would be delivered twice"
            )
        return self


def _explain(error: ValidationError) -> str:
    """pydantic's errors as one line per variable: 'PORT: Input should be a valid integer'."""
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in problem["loc"]).upper()
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return "; ".join(lines)


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent
