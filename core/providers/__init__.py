"""LLM providers: `make_provider(settings)` picks the one the settings ask for."""

from __future__ import annotations

import importlib
import logging

from core.errors import ConfigurationError
from core.providers.base import Provider
from core.settings import Settings

log = logging.getLogger(__name__)


def make_provider(settings: Settings) -> Provider:
    """The provider named by LLM_PROVIDER.

    `offline`, `bedrock`, `auto` (Bedrock when boto3 finds AWS credentials, else offline), or a
    `package.module:ClassName` path to a class taking `settings` (for tests and experiments).
    Raises ConfigurationError when the provider cannot be built.
    """
    choice = settings.llm_provider
    if ":" in choice:
        return _import_provider(choice, settings)
    if choice == "auto":
        choice = "bedrock" if _aws_credentials_found() else "offline"
    if choice == "bedrock":
        from core.providers.bedrock import BedrockProvider

        return BedrockProvider(settings)
    from core.providers.offline import OfflineProvider

    return OfflineProvider()


def check_settings(settings: Settings) -> None:
    """What the chosen provider needs of the settings, checked without building it or calling
    anything (the API at start, for /api/health). Raises ConfigurationError."""
    if ":" in settings.llm_provider:
        _import_provider(settings.llm_provider, settings, build=False)
    elif provider_name(settings) == "bedrock":
        from core.providers.bedrock import CONNECT_TIMEOUT, MAX_ATTEMPTS, read_timeout_for

        read_timeout_for(settings, CONNECT_TIMEOUT, MAX_ATTEMPTS)


def provider_name(settings: Settings) -> str:
    """The provider `make_provider` would choose, without building it (for health)."""
    if settings.llm_provider == "auto":
        return "bedrock" if _aws_credentials_found() else "offline"
    return settings.llm_provider


def _aws_credentials_found() -> bool:
    """Credentials from the environment, a profile, a container or web identity.

    The EC2 instance-metadata lookup is left out on purpose: off AWS it costs seconds of
    timeouts and sends traffic to 169.254.169.254. On an instance role set LLM_PROVIDER=bedrock.
    """
    import botocore.session

    session = botocore.session.Session()
    session.get_component("credential_provider").remove("iam-role")
    return session.get_credentials() is not None


def _import_provider(path: str, settings: Settings, *, build: bool = True) -> Provider | None:
    module_name, _, class_name = path.partition(":")
    try:
        provider_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"LLM_PROVIDER={path} cannot be imported: {exc}") from None
    return provider_class(settings) if build else None
