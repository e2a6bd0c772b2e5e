"""Security headers: what a browser may load, frame and sniff, for each kind of response.

    the web UI (/, its assets)   a strict Content-Security-Policy: our own scripts, styles and
                                 API only; no framing (clickjacking); no inline script
    /docs (Swagger UI)           the same, plus the hash of the page's one inline script
    everything                   X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer

The printable invoice (`.html` export) sets a stricter policy of its own (api/routes/exports).
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request

UI_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def _docs_policy(page: bytes) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'none'"
    )


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path.startswith("/api/") or "Content-Security-Policy" in headers:
            return response
        if request.path == "/docs" and response.mimetype == "text/html":
            headers["Content-Security-Policy"] = _docs_policy(response.get_data())
        else:  # the UI and its assets
            headers["Content-Security-Policy"] = UI_POLICY
        headers["X-Frame-Options"] = "DENY"
        return response
