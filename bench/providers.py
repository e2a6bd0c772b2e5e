"""LLM providers for the benchmarks: `LLM_PROVIDER=bench.providers:InstantProvider`.

Each answers every turn with the same valid draft, so a benchmark measures the service
around the provider, not an engine. `SleepyProvider` (3 s) and `TwoSecondProvider` (2 s)
stand in for a slow LLM call: they sleep with `time.sleep`, which gevent's monkey-patching
(celery -P gevent) makes cooperative.
"""

from __future__ import annotations

import time

import redis

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


class TwoSecondProvider(InstantProvider):
    """Waits 2 s (a typical LLM call), then answers like InstantProvider: bench/llm_rate.py.

    Each call first appends its moment (`time.time()`) to the Redis list CALLS_KEY on the
    settings' REDIS_URL, so a benchmark sees when the provider was really called.
    """

    name = "bench-two-second"
    seconds = 2.0
    CALLS_KEY = "bench:llm_calls"

    def __init__(self, settings=None):
        super().__init__(settings)
        self.redis = redis.Redis.from_url(settings.redis_url) if settings is not None else None

    def respond(self, request: ProviderRequest) -> ProviderReply:
        if self.redis is not None:
            self.redis.rpush(self.CALLS_KEY, repr(time.time()))
        time.sleep(self.seconds)
        return super().respond(request)


class OnRequestProvider(InstantProvider):
    """Does what a message asks: "sleep 90" waits 90 s first (a turn kept running for
    long-polls to wait on), "lines 500" answers with a 500-line invoice (an expensive export);
    anything else is answered at once like InstantProvider."""

    name = "bench-on-request"

    def respond(self, request: ProviderRequest) -> ProviderReply:
        words = request.message.split()
        if len(words) == 2 and words[0] == "sleep":
            time.sleep(float(words[1]))
        if len(words) == 2 and words[0] == "lines":
            line = {"description": "Consulting", "quantity": "1", "unit_price": "10.00"}
            items = [{**line, "description": f"Work item {n}"} for n in range(int(words[1]))]
            return ProviderReply(reply=REPLY, invoice={**DRAFT, "items": items}, usage=USAGE)
        return super().respond(request)
