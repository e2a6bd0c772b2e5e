"""API keys and ownership.

With `API_KEYS` empty, auth is off and every caller is the same anonymous owner (local use).
With keys, each request must carry one (`X-API-Key: …` or `Authorization: Bearer …`); what
it creates belongs to a hash of that key, and other keys get 404 for it, never 403.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Request

from core.errors import Unauthorized

ANONYMOUS = ""


def presented_key(request: Request) -> str | None:
    key = request.headers.get("X-API-Key")
    if key:
        return key.strip()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def owner_for_request(request: Request, api_keys: tuple[str, ...]) -> str:
    """The owner id for this request. Raises Unauthorized when auth is on and the key is bad."""
    if not api_keys:
        return ANONYMOUS
    key = presented_key(request)
    # compare against every key, in constant time, so timing tells nothing about which matched
    matched = False
    for known in api_keys:
        matched |= bool(key) and hmac.compare_digest(key.encode(), known.encode())
    if not matched:
        raise Unauthorized()
    return hashlib.sha256(key.encode()).hexdigest()[:32]
