"""A flask-smorest Blueprint whose JSON parsing speaks our error vocabulary."""

from __future__ import annotations

from typing import Any, NoReturn

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from core.errors import InvalidJson, PayloadTooLarge


class JsonBodyParser(FlaskParser):
    """A body must be JSON and say so; anything else is 400 invalid_json, not a silent {}.

    Requiring the JSON content type also keeps browsers from posting here cross-site with
    a "simple" (preflight-free) request.
    """

    def _raw_load_json(self, req: flask.Request) -> Any:
        data = req.get_data(cache=True)
        if not data:
            return core.missing
        if (
            req.content_length is None
            and req.max_content_length is not None
            and (len(data) >= req.max_content_length)
        ):  # a chunked body is cut at the limit rather than refused: refuse it here
            raise PayloadTooLarge()
        if not is_json_request(req):
            raise InvalidJson("Send the body as JSON with 'Content-Type: application/json'.")
        try:
            return core.parse_json(data)
        except (RecursionError, ValueError):  # absurd nesting, or a number of 4,300+ digits
            raise InvalidJson() from None

    def _handle_invalid_json_error(
        self, error: Exception, req: flask.Request, *args: Any, **kwargs: Any
    ) -> NoReturn:
        raise InvalidJson()


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = JsonBodyParser()
