"""Time the offline engine over its whole test corpus: `python -m bench.offline_engine`.

Every message of the tests in tests/core/offline/ and of the conversation corpus in
tests/corpus/offline/ (creations, edits, currencies, dates, declines, and each turn of the
conversations, with the invoice,
previous invoice and history the turn really had) is answered once to warm up, then
`--rounds` more times; each `OfflineProvider.respond` call is timed. It prints the mean and
p99 milliseconds per message, by wall clock and by the CPU time of the thread (which leaves
out time the process spent waiting for a core on a busy machine), and the same for a fixed
piece of pure Python measured in the same run (the floor), so a busy machine shows as a slow
floor. The target is under 5 ms per message. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.offline_corpus import floor_sample
from core.providers.base import ProviderReply, ProviderRequest
from core.providers.offline import OfflineProvider
from tests.core.offline import corpus as conversation_corpus
from tests.core.offline import support
from tests.core.offline import test_amounts as amounts
from tests.core.offline import test_changes as changes
from tests.core.offline import test_dates as dates
from tests.core.offline import test_message as creation
from tests.core.offline import test_provider as turns

TARGET_MS = 5.0


class TimedProvider:
    """OfflineProvider, recording how long each `respond` took (wall and CPU seconds)."""

    name = "offline"

    def __init__(self) -> None:
        self.engine = OfflineProvider()
        self.samples: list[tuple[float, float]] = []

    def respond(self, request: ProviderRequest) -> ProviderReply:
        wall, cpu = time.perf_counter(), time.thread_time()
        reply = self.engine.respond(request)
        self.samples.append((time.perf_counter() - wall, time.thread_time() - cpu))
        return reply


def conversations() -> list[tuple[Any, list[str]]]:
    """Every case of the corpus as (starting invoice or None, messages in order)."""
    cases: list[tuple[Any, list[str]]] = []
    for param in creation.CREATION + amounts.CURRENCIES:
        cases.append((None, [param.values[0]]))
    for param in changes.EDITS:
        start, message = param.values[:2]
        cases.append((support.stored(start), [message]))
    for start, message, _ in changes.EDIT_REPLIES:
        cases.append((support.stored(start), [message]))
    for phrase, _, _ in dates.DATES:
        cases.append((None, [f"Invoice Acme for consulting $500, {phrase}"]))
    for start, message, _ in turns.DECLINES:
        invoice = start if start is None or isinstance(start, dict) else support.stored(start)
        cases.append((invoice, [message]))
    for param in turns.CONVERSATIONS:
        cases.append((None, list(param.values[0])))
    for split in conversation_corpus.SPLITS:
        for case in conversation_corpus.load(split):
            cases.append((None, [turn.message for turn in case.turns]))
    return cases


def run(cases: list[tuple[Any, list[str]]], provider: TimedProvider) -> None:
    for invoice, messages in cases:
        conversation = support.Conversation(invoice=invoice, provider=provider)
        for message in messages:
            conversation.say(message)


# Long messages made of one pattern, the shape that makes a regular expression backtrack: the
# engine must answer each (with a question or a decline) in well under a second.
HOSTILE_PATTERNS = (
    "a", "1", "1,", "1 ", "$1 000 ", "Acme ", "-", "x ", "(", ")", "Hi, ", "1.2", "PO ", "VAT ",
    "\n", "Dr. ", "a@", "St. ", "12 Main St, ", "GB 1", "we also ", "not 1 ", ", ", "1/2 ",
    "€1.200 ", "Invoice to:\n", "From: A, ", "10115 Berlin, ", "x2 @ 3 ", "— ", "'", "ab ",
)  # fmt: skip


def hostile_worst(length: int = 8000) -> tuple[float, str]:
    """The slowest answer (thread CPU seconds) to a `length`-character run of one pattern."""
    engine = OfflineProvider()
    worst = (0.0, "")
    for pattern in HOSTILE_PATTERNS:
        message = (pattern * (length // len(pattern) + 1))[:length]
        start = time.thread_time()
        engine.respond(ProviderRequest("", (), message, None, support.TODAY))
        worst = max(worst, (time.thread_time() - start, pattern))
    return worst


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None, out: Callable[[str], Any] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the corpus")
    args = parser.parse_args(argv)

    cases = conversations()
    provider = TimedProvider()
    run(cases, provider)  # warm-up: compiled patterns, caches
    messages = len(provider.samples)
    provider.samples.clear()
    floor = [floor_sample() for _ in range(50)]
    for _ in range(args.rounds):
        run(cases, provider)
        floor += [floor_sample() for _ in range(50)]

    wall = [w * 1000 for w, _ in provider.samples]
    cpu = [c * 1000 for _, c in provider.samples]
    out(f"offline engine: {len(cases)} cases, {messages} messages, {args.rounds} rounds")
    for label, values in (("wall clock", wall), ("thread CPU", cpu)):
        mean, p99 = statistics.fmean(values), percentile(values, 0.99)
        verdict = "ok" if p99 < TARGET_MS else f"over the {TARGET_MS:g} ms target"
        out(
            f"  {label:<10}  mean {mean:.3f} ms  p99 {p99:.3f} ms  "
            f"max {max(values):.3f} ms  ({verdict})"
        )
    floor_ms = statistics.median(floor) * 1000
    p99_cpu = percentile(cpu, 0.99)
    seconds, pattern = hostile_worst()
    slowest = f"{seconds * 1000:.0f} ms ({pattern!r} repeated)"
    out(f"  hostile     slowest 8,000-character message {slowest}")
    ratio = p99_cpu / floor_ms
    out(f"  floor       median {floor_ms:.3f} ms (thread CPU); engine p99 = {ratio:.1f} × floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
