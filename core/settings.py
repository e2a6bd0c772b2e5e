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

import limits
from dotenv import dotenv_values

from core.errors import ConfigurationError

SECRET_FIELDS = frozenset({"api_keys", "flower_basic_auth"})
_URL_CREDENTIALS = re.compile(r"(?<=://)[^@/]*@")


def redact_url(url: str) -> str:
    """`url` with any user and password replaced: redis://:***@host:6379/0."""
    return _URL_CREDENTIALS.sub("***@", url)


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

    host: str = "127.0.0.1"  # 0.0.0.0 in containers (Dockerfile); local runs stay private
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
    turn_rate_limit: str = "30/minute"  # turns started per API key (a batch counts once)
    read_rate_limit: str = "600/minute"  # every other /api/* call per API key
    worker_concurrency: int = 64
    job_visibility_timeout: int = 900
    job_time_limit: int = 600
    llm_history_turns: int = 20
    llm_prompt_cache: bool = True
    llm_rate_limit: str = ""
    batch_max_items: int = 1000
    batch_max_queued_items: int = 2000  # batch items one API key may have waiting at once
    max_invoice_lines: int = 500
    export_concurrency: int = 2  # exports one API key may have rendering at once
    flower_basic_auth: str = ""
    max_request_bytes: int = 1_048_576
    max_message_chars: int = 8000
    trusted_proxies: int = 0  # proxies in front (nginx: 1) whose X-Forwarded-For is believed
    web_concurrency: int = 2  # gunicorn processes (gevent workers)
    web_connections: int = 1000  # open connections per gunicorn process
    frontend_dist: str = field(default_factory=lambda: str(_project_root() / "frontend" / "dist"))
    run_dir: str = field(default_factory=lambda: str(_project_root() / ".run"))  # `make run`

    def __repr__(self) -> str:
        """Every setting but the secrets: API keys, Flower's password and URL credentials."""
        shown = []
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.name in SECRET_FIELDS and value:
                value = "<hidden>"
            elif spec.name.endswith("_url") and isinstance(value, str):
                value = redact_url(value)
            shown.append(f"{spec.name}={value!r}")
        return f"Settings({', '.join(shown)})"

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
        for name in ("turn_rate_limit", "read_rate_limit"):
            try:
                if limits.parse(getattr(self, name)).amount <= 0:
                    raise ValueError("not positive")
            except ValueError:
                raise ConfigurationError(
                    f"{name.upper()} is not a rate like '30/minute': {getattr(self, name)!r}"
                ) from None
        for name in (
            "session_ttl_seconds",
            "job_ttl_seconds",
            "token_limit",
            "worker_concurrency",
            "job_visibility_timeout",
            "max_request_bytes",
            "max_message_chars",
            "web_concurrency",
            "web_connections",
            "max_invoice_lines",
            "batch_max_queued_items",
            "export_concurrency",
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
