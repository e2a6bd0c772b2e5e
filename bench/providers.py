"""LLM providers for the benchmarks: `LLM_PROVIDER=bench.providers:InstantProvider`.

Both answer every turn with the same valid draft, so a benchmark measures the service
around the provider, not an engine. `SleepyProvider` stands in for a slow LLM call: it sleeps
with `time.sleep`, which gevent's monkey-patching (celery -P gevent) makes cooperative.
"""

from __future__ import annotations

import time

from core.providers.base import ProviderReply, ProviderRequest, Usage

REPLY = "Done: Acme Corp, 40 h of consulting at 150.00 USD, 8% tax, due in 30 days."
DRAFT = {
    "currency": "USD",
    "seller": {"name": "Bench Consulting LLC", "email": "billing@bench.example"},
    "buyer": {"name": "Acme Corp", "email": "ap@acme.example"},
    "items": [
        {
            "description": "Consulting",
            "quantity": "40",
            "unit": "h",
            "unit_price": "150.00",
            "tax_rate": "8",
        },
        {"description": "Travel", "quantity": "1", "unit_price": "200.00", "tax_rate": "0"},
    ],
    "payment_terms": "Net 30",
}
USAGE = Usage(input_tokens=1200, output_tokens=180)
SLEEP_SECONDS = 3.0


class InstantProvider:
    """Answers at once with a fixed valid draft."""

    name = "bench-instant"

    def __init__(self, settings=None):
        self.settings = settings

    def respond(self, request: ProviderRequest) -> ProviderReply:
        return ProviderReply(reply=REPLY, invoice=DRAFT, usage=USAGE)


class SleepyProvider(InstantProvider):
    """Waits SLEEP_SECONDS (a slow LLM call), then answers like InstantProvider."""

    name = "bench-sleepy"

    def respond(self, request: ProviderRequest) -> ProviderReply:
        time.sleep(SLEEP_SECONDS)
        return super().respond(request)
