"""One LLM request rate for every worker on every machine, enforced in Redis.

`LLM_RATE_LIMIT` (requests per minute) becomes a spacing of 60/limit seconds between calls,
kept as a "theoretical arrival time" in one Redis key (the generic cell rate algorithm with
no burst), with a little headroom (see `LlmRateLimiter`). A caller reserves the next free
slot atomically and waits for it; the clock is Redis's own, so machines with skewed clocks
still share one schedule. The rate is never exceeded: slots are at least the spacing apart,
whoever takes them.

A caller only reserves a slot it can wait for briefly (`max_wait`); when the schedule is
further booked than that, it is told to come back later and reserves nothing, so a queued
turn never holds a worker for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.redis_connection import Redis
from core.redis_model import LLM_SCHEDULE
from core.settings import parse_rate as settings_parse_rate

# KEYS: the schedule   ARGV: spacing (s), max_wait (s)
# Returns {"wait", seconds} with the slot reserved, or {"later", seconds} with nothing reserved.
_RESERVE = """
local now_parts = redis.call("TIME")
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local spacing, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2])
local next_slot = tonumber(redis.call("GET", KEYS[1]) or "0")
local slot = math.max(next_slot, now)
local wait = slot - now
if wait > max_wait then return {"later", tostring(wait - max_wait)} end
local expire_ms = math.ceil((wait + spacing) * 1000) + 1000
redis.call("SET", KEYS[1], tostring(slot + spacing), "PX", expire_ms)
return {"wait", tostring(wait)}
"""


def parse_rate(text: str) -> Decimal | None:
    """Seconds between calls for "600" (per minute), "600/minute", "10/second"; None if unset.

    Raises ValueError for anything else (the one rate parser: core.settings.parse_rate).
    """
    rate = settings_parse_rate(text)
    return None if rate is None else Decimal(rate.get_expiry()) / rate.amount


class SlotNotAvailable(Exception):  # noqa: N818 - a signal, not an error
    """No LLM slot soon enough: run the turn again after `retry_after` seconds, on `queue`."""

    def __init__(self, retry_after: float, queue: str = ""):
        super().__init__(f"LLM rate limit: retry in {retry_after:.1f} s")
        self.retry_after = retry_after
        self.queue = queue


@dataclass(frozen=True)
class Reservation:
    """Either wait `seconds` then call (slot reserved), or come back after `seconds`."""

    reserved: bool
    seconds: float


class LlmRateLimiter:
    """Reserves LLM call slots on one schedule shared through Redis.

    Slots are kept 2% further apart than the configured rate asks: a turn wakes for its slot
    a little late (up to a couple of hundred milliseconds on a busy worker), and that jitter
    would otherwise let a window hold one or two calls more than the limit. 2% keeps every
    minute under the limit and the long-run rate within a few percent of it.
    """

    HEADROOM = Decimal("1.02")

    def __init__(self, client: Redis, spacing_seconds: Decimal):
        self.spacing = spacing_seconds * self.HEADROOM
        self._reserve = client.register_script(_RESERVE)

    def reserve(self, max_wait: float) -> Reservation:
        """Reserve the next slot if it is at most `max_wait` seconds away. Raises Unavailable."""
        verdict, seconds = self._reserve(keys=[LLM_SCHEDULE], args=[str(self.spacing), max_wait])
        wait = float(seconds)  # float: seconds to sleep, a duration, never money
        return Reservation(reserved=verdict == "wait", seconds=wait)
