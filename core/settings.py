"""One settings object, built from the environment (and `.env` when present).

Nothing else in the code base reads `os.environ`: the API, the worker and the tests build a
`Settings` and pass it down. `Settings.from_env(overrides)` lets tests change single values.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from dotenv import dotenv_values

from core.errors import ConfigurationError

_RATE_RE = re.compile(r"^\s*\d+\s*(/|per)\s*\d*\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)


def _split_csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class Settings:
    """Every knob of the service; field names are the environment variables, lower-cased."""

    port: int = 8000
    flower_port: int = 5555
    redis_url: str = "redis://127.0.0.1:6379/0"
    celery_broker_url: str = ""  # empty = same as redis_url
    llm_provider: str = "auto"
    aws_region: str = "us-east-1"
    bedrock_model_id: str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    bedrock_endpoint_url: str = ""
    llm_max_tokens: int = 4096
    llm_temperature: str = "0.7"  # kept as text: it is sent to Bedrock, never computed with
    session_ttl_seconds: int = 3600
    job_ttl_seconds: int = 86400
    token_limit: int = 200_000
    token_warn: int = 160_000
    api_keys: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ("http://localhost:3000", "http://localhost:8000")
    rate_limit: str = "60/minute"
    worker_concurrency: int = 64
    job_visibility_timeout: int = 900
    job_time_limit: int = 600
    llm_history_turns: int = 20
    llm_prompt_cache: bool = True
    llm_rate_limit: str = ""
    batch_max_items: int = 1000
    flower_basic_auth: str = ""
    max_request_bytes: int = 1_048_576
    max_message_chars: int = 8000
    frontend_dist: str = field(default_factory=lambda: str(_project_root() / "frontend" / "dist"))
    # Files attached to one chat message (core.attachments.AttachmentLimits.from_settings).
    max_attachments: int = 5
    max_attachment_bytes: int = 10_485_760

    @property
    def broker_url(self) -> str:
        return self.celery_broker_url or self.redis_url

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_keys)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        dotenv_path: str | os.PathLike[str] | None = ".env",
        **overrides: object,
    ) -> Settings:
        """Build settings: defaults, then `.env`, then the environment, then `overrides`.

        Raises ConfigurationError naming the variable when a value cannot be parsed.
        """
        source: dict[str, str] = {}
        if dotenv_path and Path(dotenv_path).is_file():
            source.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        source.update(os.environ if environ is None else environ)

        values: dict[str, object] = {}
        for spec in fields(cls):
            raw = source.get(spec.name.upper())
            if raw is None:
                continue
            try:
                values[spec.name] = _convert(spec.type, raw)
            except ValueError as exc:
                raise ConfigurationError(f"{spec.name.upper()}: {exc}") from None
        settings = replace(cls(**values), **overrides)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raises ConfigurationError when values contradict each other."""
        if self.llm_provider not in {"auto", "offline", "bedrock"} and ":" not in self.llm_provider:
            raise ConfigurationError(
                "LLM_PROVIDER must be auto, offline, bedrock or a 'module:Class' path"
            )
        if self.token_warn > self.token_limit:
            raise ConfigurationError("TOKEN_WARN must not exceed TOKEN_LIMIT")
        if not _RATE_RE.match(self.rate_limit):
            raise ConfigurationError(
                f"RATE_LIMIT is not a rate like '60/minute': {self.rate_limit}"
            )
        for name in (
            "session_ttl_seconds",
            "job_ttl_seconds",
            "token_limit",
            "worker_concurrency",
            "job_visibility_timeout",
            "max_request_bytes",
            "max_message_chars",
        ):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"{name.upper()} must be positive")
        from core.llm_rate import parse_rate

        try:
            parse_rate(self.llm_rate_limit)
        except ValueError as exc:
            raise ConfigurationError(f"LLM_RATE_LIMIT: {exc}") from None
        if self.job_ttl_seconds < self.session_ttl_seconds:
            raise ConfigurationError("JOB_TTL_SECONDS must be at least SESSION_TTL_SECONDS")
        if self.job_time_limit >= self.job_visibility_timeout:
            raise ConfigurationError(
                "JOB_TIME_LIMIT must be shorter than JOB_VISIBILITY_TIMEOUT, "
                "or a running turn would be delivered twice"
            )


def _convert(type_name: object, raw: str) -> object:
    match type_name:
        case "int":
            return int(raw)
        case "bool":
            return _parse_bool(raw)
        case "tuple[str, ...]":
            return _split_csv(raw)
        case _:
            return raw.strip()


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent
