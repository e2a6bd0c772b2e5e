"""Request budgets per caller, kept in Redis so every API process shares them.

    turns   TURN_RATE_LIMIT (30/minute): turns started (a chat turn, a new invoice, a batch)
    reads   READ_RATE_LIMIT (600/minute): every other /api/* call

Each budget is a moving window: no window of the limit's length ever holds more than the
limit (a fixed window lets nearly twice the limit through around its edge; a token bucket
lets the limit through as a burst and then as much again). The window of a caller is a Redis
list of the times of its admitted requests, newest first, at most `limit` long: a request is
admitted when the `limit`-th newest is older than the window, and the wait of a refused one
is the time until that entry leaves the window. The clock is Redis's own.

The window's Lua (`WINDOW_HIT`) also runs inside BEGIN_TURN (core/jobs.py): a chat turn is
charged to its budget and stored in one round trip, which was a sixth of the API's cost of
accepting a turn when it took one of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.errors import RateLimited
from core.redis_connection import Redis
from core.redis_model import rate_window_key
from core.settings import parse_rate

BudgetName = Literal["turns", "reads"]

# A Lua function for scripts: window_hit(key, limit, seconds) admits one request on the
# moving window at `key`: 0 when admitted (its time recorded), else the whole seconds to wait.
WINDOW_HIT = """
local function window_hit(key, limit, seconds)
  local clock = redis.call("TIME")
  local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
  local oldest = redis.call("LINDEX", key, limit - 1)
  if oldest and tonumber(oldest) > now - seconds then
    return math.max(1, math.ceil(tonumber(oldest) + seconds - now))
  end
  redis.call("LPUSH", key, string.format("%.6f", now))
  redis.call("LTRIM", key, 0, limit - 1)
  redis.call("EXPIRE", key, seconds)
  return 0
end
"""

# KEYS: the window   ARGV: limit, seconds   Returns 0 (admitted) or the seconds to wait
_HIT = WINDOW_HIT + "return window_hit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))"


@dataclass(frozen=True)
class Charge:
    """One request charged to a caller's budget: what a script needs to admit it, and the
    refusal to raise when it may not pass."""

    key: str
    limit: int
    seconds: int
    what: str  # "turns" or "requests", for the refusal
    period: str  # "minute", "10 seconds"

    def refusal(self, wait: int) -> RateLimited:
        return RateLimited(
            f"Too many {self.what} for this API key (at most {self.limit} per {self.period})."
            f" Retry in {wait} seconds.",
            retry_after=wait,
        )


class RequestBudgets:
    """The turn and read budgets on one Redis."""

    def __init__(self, client: Redis, *, turns: str, reads: str):
        self.redis = client
        self._hit = client.register_script(_HIT)
        self._rates = {"turns": _rate(turns), "reads": _rate(reads)}

    def charge(self, budget: BudgetName, caller: str) -> Charge:
        """The charge of one request by `caller` (its API key's hash, or its address)."""
        limit, seconds, period = self._rates[budget]
        return Charge(
            rate_window_key(budget, caller),
            limit,
            seconds,
            "turns" if budget == "turns" else "requests",
            period,
        )

    def hit(self, charge: Charge) -> None:
        """Admit the request, or raise RateLimited with the seconds to wait. Raises
        Unavailable when Redis cannot be reached."""
        wait = int(self._hit(keys=[charge.key], args=[charge.limit, charge.seconds]))
        if wait:
            raise charge.refusal(wait)


def _rate(text: str) -> tuple[int, int, str]:
    rate = parse_rate(text)
    if rate is None:
        raise ValueError("a request budget cannot be empty")
    unit = rate.GRANULARITY.name
    period = unit if rate.multiples == 1 else f"{rate.multiples} {unit}s"
    return rate.amount, rate.get_expiry(), period
