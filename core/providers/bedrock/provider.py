"""BedrockProvider: one turn is one Converse call (request.py builds it, response.py reads it,
errors.py translates botocore's failures)."""

from __future__ import annotations

import logging
from typing import Any

from core.errors import ProviderError, ProviderTransient
from core.providers.base import ProviderReply, ProviderRequest
from core.providers.bedrock.config import (
    CONNECT_TIMEOUT,
    MAX_ATTEMPTS,
    make_client,
    read_timeout_for,
)
from core.providers.bedrock.errors import from_botocore_error, from_client_error
from core.providers.bedrock.request import ModelOptions, converse_params
from core.providers.bedrock.response import read_reply
from core.settings import Settings

log = logging.getLogger("core.providers.bedrock")


class BedrockProvider:
    """Claude (or any Converse model with forced tool use) on Amazon Bedrock.

    One boto3 client per instance, reused by every turn; boto3 clients are thread-safe.
    Raises ConfigurationError when the settings cannot be used.
    """

    name = "bedrock"
    reads_images = True  # attached files come as pictures + text (core/turns.py)

    def __init__(
        self,
        settings: Settings,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float | None = None,
        max_attempts: int = MAX_ATTEMPTS,
    ):
        self.model_id = settings.bedrock_model_id
        self.region = settings.aws_region
        self.max_tokens = settings.llm_max_tokens
        # float: boto3's inferenceConfig wants a JSON number (Settings validated it: 0 to 1)
        self.temperature = float(settings.llm_temperature)
        self.history_turns = max(0, settings.llm_history_turns)
        self.prompt_cache = settings.llm_prompt_cache
        if read_timeout is None:
            read_timeout = read_timeout_for(settings, connect_timeout, max_attempts)
        self.client = make_client(settings, connect_timeout, read_timeout, max_attempts)

    def respond(self, request: ProviderRequest) -> ProviderReply:
        """One Converse call. Raises ProviderTransient or ProviderError (see errors.py)."""
        response = self.converse(self.converse_params(request))
        return read_reply(response, max_tokens=self.max_tokens)

    def converse_params(self, request: ProviderRequest) -> dict[str, Any]:
        """The keyword arguments of `client.converse` for one turn."""
        options = ModelOptions(
            model_id=self.model_id,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            history_turns=self.history_turns,
            prompt_cache=self.prompt_cache,
        )
        return converse_params(request, options)

    def converse(self, params: dict[str, Any]) -> dict[str, Any]:
        """`client.converse(**params)` with botocore's errors translated into ours."""
        from botocore.exceptions import BotoCoreError, ClientError
        from botocore.parsers import ResponseParserError

        try:
            return self.client.converse(**params)
        except ClientError as error:
            raise from_client_error(
                error, model_id=self.model_id, region=self.region, prompt_cache=self.prompt_cache
            ) from None
        except BotoCoreError as error:
            raise from_botocore_error(error, model_id=self.model_id, region=self.region) from None
        except ResponseParserError:
            # Not JSON from the endpoint: a proxy or load balancer page, most likely passing.
            log.warning("bedrock answer not parseable", exc_info=True)
            raise ProviderTransient("Bedrock sent an answer that could not be read.") from None
        except (AttributeError, TypeError, KeyError):
            # JSON of the wrong shape (a string body, an "output" that is not an object):
            # botocore's parser trips over it. The answer is unusable, not our bug.
            log.warning("bedrock answer of the wrong shape", exc_info=True)
            raise ProviderError("Bedrock sent an answer of the wrong shape.") from None
