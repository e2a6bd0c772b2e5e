"""How many conversations of the corpus the offline engine gets fully right, and how fast.

    python -m bench.offline_corpus                   # accuracy per split and family, speed
    python -m bench.offline_corpus --failures dev    # and what went wrong, conversation by one
    python -m bench.offline_corpus --designs         # the reading designs compared (dev split)

The corpus is tests/corpus/offline/ (see tests/core/offline/corpus.py for its format): a `dev`
split the engine is tuned on and a `held_out` split it never is. A conversation counts only if
every expected field and amount is right. Speed is the CPU time of the thread per `respond`
call (mean and p99 over every message of both splits, `--rounds` times after a warm-up), with
the same figures for a fixed pure-Python floor measured in the same run, so a busy machine
shows as a slower floor rather than as a slower engine. Figures are printed, never asserted;
the target is under 5 ms p99 per message.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from core.providers.base import ProviderReply, ProviderRequest
from core.providers.offline import OfflineProvider
from tests.core.offline import corpus
from tests.core.offline.support import Conversation

TARGET_MS = 5.0


class TimedProvider:
    """OfflineProvider, recording the thread CPU seconds of each `respond`."""

    name = "offline"

    def __init__(self) -> None:
        self.engine = OfflineProvider()
        self.samples: list[float] = []

    def respond(self, request: ProviderRequest) -> ProviderReply:
        start = time.thread_time()
        reply = self.engine.respond(request)
        self.samples.append(time.thread_time() - start)
        return reply


def floor_sample() -> float:
    """The CPU time of a fixed piece of pure Python (string and dict work, as the engine does)."""
    start = time.thread_time()
    words: dict[str, int] = {}
    for index in range(400):
        for word in f"invoice acme corp for {index} hours of consulting at $150/h".split():
            words[word.lower()] = words.get(word.lower(), 0) + index
    return time.thread_time() - start


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def accuracy(
    split: str, out: Callable[[str], Any], provider: TimedProvider, failures: bool
) -> tuple[int, int]:
    results = [corpus.run(case, Conversation(provider=provider)) for case in corpus.load(split)]
    right = sum(r.right for r in results)
    multi = [r for r in results if r.case.multi_turn]
    out(
        f"{split:<9} {right}/{len(results)} fully right ({100 * right / len(results):.1f}%); "
        f"multi-turn {sum(r.right for r in multi)}/{len(multi)}"
    )
    by_family: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        by_family[result.case.family].append(result.right)
    for family, marks in sorted(by_family.items()):
        share = 100 * sum(marks) / len(marks)
        out(f"    {family:<14} {sum(marks):>3}/{len(marks):<3} {share:5.1f}%")
    if failures:
        for result in results:
            if not result.right:
                out(f"  ✗ {result.case.id}: {'; '.join(result.problems)}")
                for turn, reply in zip(result.case.turns, result.replies, strict=False):
                    out(f"      > {turn.message!r}\n      < {reply}")
    return right, len(results)


# --- the designs compared (docs/offline-engine.md, "Why this shape") ----------------------------


@contextmanager
def clause_readers_only() -> Iterator[None]:
    """The engine without its whole-message entity pass: no greeting/sign-off removal, no
    party blocks, brackets, phones, tax IDs, PO numbers or contacts found across clauses, no
    odd-number check — every part of the message goes through the clause readers."""
    from core.providers.offline import message

    class NoDetails:
        def __init__(self, text: str) -> None:
            self.text, self.changes, self.questions = text, [], []

    with (
        mock.patch.object(message, "odd_numbers", lambda text: None),
        mock.patch.object(message, "strip_pleasantries", lambda text: text),
        mock.patch.object(message, "take_blocks", lambda text: (text, [], [])),
        mock.patch.object(message, "take_details", NoDetails),
        mock.patch.object(message, "SIGNATURE_RE", re.compile(r"(?!)")),
    ):
        yield


@contextmanager
def amount_anchored_lines(join: bool = False) -> Iterator[None]:
    """Entity-first line assembly: every amount ends a line, and the pieces before it (cut at
    commas, "and", new lines …) are its description and quantity — instead of cutting at
    separators and joining back only the pieces that make sense together."""
    from core.providers.offline import message
    from core.providers.offline.amounts import find_price
    from core.providers.offline.changes import AddLine
    from core.providers.offline.clauses import IGNORED, is_change, read_clause

    split = message.split_clauses

    def anchored(text: str) -> list[tuple[str, str]]:
        segments: list[tuple[str, str]] = []
        pending: list[tuple[str, str]] = []
        for piece, separator in split(text):
            result = read_clause(piece)
            if result is IGNORED or (is_change(result) and not isinstance(result, AddLine)):
                segments += pending + [(piece, separator)]
                pending = []
            elif find_price(piece):
                if pending:
                    joined = " ".join(p for p, _ in pending) + f" {piece}"
                    segments.append((joined, pending[0][1]))
                else:
                    segments.append((piece, separator))
                pending = []
            else:
                pending.append((piece, separator))
        return segments + pending

    def no_join(self: Any, index: int) -> tuple[int, str, Any]:
        text, _ = self.clauses[index]
        return index, text, self.read(text)

    with (
        mock.patch.object(message, "split_clauses", anchored),
        mock.patch.object(
            message._Clauses, "join_at", message._Clauses.join_at if join else no_join
        ),
    ):
        yield


def compare_designs(out: Callable[[str], Any]) -> None:
    designs: list[tuple[str, Callable[[], Any]]] = [
        ("entity pass + clause readers (shipped)", contextmanager(lambda: iter([None]))),
        ("clause readers only", clause_readers_only),
        ("entity-first line assembly", amount_anchored_lines),
        ("entity-first, then the clause joins", lambda: amount_anchored_lines(join=True)),
    ]
    for label, design in designs:
        with design():
            for split in corpus.SPLITS:
                results = [corpus.run(case) for case in corpus.load(split)]
                right = sum(r.right for r in results)
                share = 100 * right / len(results)
                out(f"{label:<40} {split:<9} {right}/{len(results)} ({share:.1f}%)")


def main(argv: list[str] | None = None, out: Callable[[str], Any] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the corpus")
    parser.add_argument(
        "--failures",
        choices=corpus.SPLITS,
        action="append",
        default=[],
        help="print each conversation that was not fully right (never tune on held_out)",
    )
    parser.add_argument("--split", choices=corpus.SPLITS, action="append", help="only these")
    parser.add_argument("--designs", action="store_true", help="compare the reading designs")
    args = parser.parse_args(argv)
    if args.designs:
        compare_designs(out)
        return 0

    provider = TimedProvider()
    for split in args.split or corpus.SPLITS:
        accuracy(split, out, provider, split in args.failures)

    cases = [case for split in corpus.SPLITS for case in corpus.load(split)]
    provider.samples.clear()
    floor = [floor_sample() for _ in range(50)]
    for _ in range(args.rounds):
        for case in cases:
            corpus.run(case, Conversation(provider=provider))
        floor += [floor_sample() for _ in range(50)]
    if not provider.samples:
        return 0
    cpu = [s * 1000 for s in provider.samples]
    floor_ms = [f * 1000 for f in floor]
    mean, p99 = statistics.fmean(cpu), percentile(cpu, 0.99)
    floor_median = statistics.median(floor_ms)
    verdict = "ok" if p99 < TARGET_MS else f"over the {TARGET_MS:g} ms target"
    out(
        f"speed     {len(cpu)} messages ({args.rounds} rounds), thread CPU per message: "
        f"mean {mean:.3f} ms, p99 {p99:.3f} ms, max {max(cpu):.3f} ms ({verdict})"
    )
    out(
        f"floor     median {floor_median:.3f} ms, p99 {percentile(floor_ms, 0.99):.3f} ms; "
        f"engine p99 = {p99 / floor_median:.1f} × floor median"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
