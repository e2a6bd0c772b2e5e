"""Turn cost excluding the provider: TurnRunner.run at 1,000 messages of history vs at 10.

In-process, on the private Redis, with InstantProvider. Both sessions are filled by real
turns (start_turn + TurnRunner.run), so their messages are exactly what the store writes.
Each repetition accepts one more turn (untimed), times `TurnRunner.run` for it, and trims the
message list back to its size (untimed). Repetitions alternate between the two sessions.
"""

from __future__ import annotations

import time

from bench.support import Context, Figure, Outcome, median, percentile
from core.providers import make_provider
from core.redis_model import messages_key
from core.settings import Settings
from core.stores import RedisStores
from core.turns import TurnRunner, start_turn

NAME = "history"
TITLE = "TurnRunner.run (InstantProvider, in-process) at 1,000 messages of history vs 10"
SIZES = (10, 40, 1000)  # 40 = the default history window (LLM_HISTORY_TURNS=20 turns)
WARMUP = 30
REPETITIONS = 800
TARGET_RATIO = 1.2
MESSAGES = (
    "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days",
    "add a $200 travel line",
    "give them a 10% discount on the consulting",
    "client email is ap@acme.com and their address is 1 Main St, Springfield",
    "change the due date to the end of next month and add our bank details in the notes",
    "make the travel line tax free",
)


def _message(n: int) -> str:
    return MESSAGES[n % len(MESSAGES)]


class KeptPublisher:
    """Publishes nothing: the benchmark runs each turn itself, in-process."""

    def publish(self, job_ids, queue: str, *, request_id: str = "") -> None:
        return None

    def answers(self) -> bool:
        return True


KEPT = KeptPublisher()


def _fill(stores: RedisStores, runner: TurnRunner, size: int) -> str:
    """A session with exactly `size` messages, written by real turns (two messages each)."""
    session_id = None
    for n in range(size // 2):
        turn = start_turn(
            stores.jobs,
            KEPT,
            owner="",
            session_id=session_id,
            message=_message(n),
            kind="generate" if session_id is None else "chat",
        )
        session_id = turn.session_id
        outcome = runner.run(turn.job_id)
        if outcome != "applied":
            raise RuntimeError(f"filling a session: turn {n} ended {outcome!r}")
    length = stores.redis.llen(messages_key(session_id))
    if length != size:
        raise RuntimeError(f"session has {length} messages, expected {size}")
    return session_id


def run(ctx: Context) -> Outcome:
    settings = Settings.from_env(
        {},
        dotenv_path=None,
        redis_url=ctx.redis.url(),
        llm_provider="bench.providers:InstantProvider",
        frontend_dist=str(ctx.workdir),
    )
    stores = RedisStores.from_settings(settings)
    runner = TurnRunner.from_settings(settings, stores, make_provider(settings))
    ctx.log(f"filling sessions with {' and '.join(map(str, SIZES))} messages")
    sessions = {size: _fill(stores, runner, size) for size in SIZES}

    run_times: dict[int, list[float]] = {size: [] for size in SIZES}
    accept_times: dict[int, list[float]] = {size: [] for size in SIZES}
    ctx.log(f"timing {REPETITIONS} turns per session (+{WARMUP} warm-up)")
    for rep in range(WARMUP + REPETITIONS):
        for size in SIZES if rep % 2 == 0 else reversed(SIZES):
            session_id = sessions[size]
            began = time.perf_counter()
            turn = start_turn(
                stores.jobs,
                KEPT,
                owner="",
                session_id=session_id,
                message=_message(rep),
                kind="chat",
            )
            accepted = time.perf_counter()
            outcome = runner.run(turn.job_id)
            finished = time.perf_counter()
            if outcome != "applied":
                raise RuntimeError(f"turn at {size} messages ended {outcome!r}")
            stores.redis.ltrim(messages_key(session_id), -size, -1)  # back to `size`, untimed
            if rep >= WARMUP:
                accept_times[size].append(accepted - began)
                run_times[size].append(finished - accepted)

    small, window, large = SIZES
    ms = {size: median(run_times[size]) * 1000 for size in SIZES}
    accept_ms = {size: median(accept_times[size]) * 1000 for size in SIZES}
    outcome = Outcome(NAME)
    outcome.figures = [
        Figure(f"run, median at {large}", ms[large], "ms", f"at {small}", ms[small], TARGET_RATIO),
        Figure(f"run, median at {large}", ms[large], "ms", f"at {window}", ms[window]),
        Figure(f"start_turn at {large}", accept_ms[large], "ms", f"at {small}", accept_ms[small]),
    ]
    for size in SIZES:
        outcome.notes.append(
            f"{size:>5} messages: run median {ms[size]:.3f} ms, "
            f"p90 {percentile(run_times[size], 90) * 1000:.3f} ms; start_turn median "
            f"{accept_ms[size]:.3f} ms ({REPETITIONS} turns)"
        )
    outcome.notes.append(
        f"the worker reads the last {2 * settings.llm_history_turns} messages "
        "(LLM_HISTORY_TURNS), so beyond that window history length should cost nothing"
    )
    return outcome
