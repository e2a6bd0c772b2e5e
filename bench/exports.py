"""Exports, warm: median milliseconds per PDF and per validated e-invoice.

`.venv/bin/python -m bench.exports` prints the figures; `bench.run` can include it as the
`exports` benchmark. In-process, no Redis, no network. Each figure is the median of
REPETITIONS runs after WARMUP runs (the first ones load fonts and compile the Schematron,
about a second, once per process). Targets: PDF <= 100 ms, validation <= 30 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from bench.support import Figure, Outcome
from core.exports import typesetter
from core.exports.einvoice import cii_xml, facturx_pdf, ubl_xml
from core.exports.pdf import print_document, render_pdf
from core.exports.samples import sample_invoice
from core.exports.validation import validate, warm_up
from core.schemas import dump_invoice

NAME = "exports"
TITLE = "PDF and validated EN 16931 e-invoices, in-process, warm"
WARMUP = 3
REPETITIONS = 25
TYPICAL_LINES = 8
LONG_LINES = 60
PDF_TARGET_MS = 100
VALIDATION_TARGET_MS = 30


def interleaved_medians_ms(
    actions: dict[str, Callable[[], object]], repetitions: int = REPETITIONS
) -> dict[str, float]:
    """Median milliseconds of each action, run in turns so that they share the machine's mood."""
    for _ in range(WARMUP):
        for action in actions.values():
            action()
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repetitions):
        for name, action in actions.items():
            began = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - began)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def weasyprints_own_path(invoice: dict) -> bytes:
    """The same print document through WeasyPrint's HTML5 parser and full user-agent sheet:
    what `render_pdf` did before typesetter.own_markup (see core/exports/typesetter.py)."""
    markup, stylesheet = print_document(invoice)
    return typesetter.write_pdf(typesetter.any_markup(markup), (stylesheet,))


def measure(repetitions: int = REPETITIONS) -> Outcome:
    warm_up()
    typical = dump_invoice(sample_invoice(TYPICAL_LINES))  # the JSON the API stores
    long = dump_invoice(sample_invoice(LONG_LINES))
    ubl, cii = ubl_xml(typical), cii_xml(typical)

    def ms(action: Callable[[], object]) -> float:
        return interleaved_medians_ms({"it": action}, repetitions)["it"]

    pdf = interleaved_medians_ms(
        {"ours": lambda: render_pdf(typical), "weasyprint": lambda: weasyprints_own_path(typical)},
        repetitions,
    )
    outcome = Outcome(NAME)
    outcome.figures = [
        Figure(
            f"PDF, {TYPICAL_LINES} lines",
            pdf["ours"],
            "ms",
            baseline_label="WeasyPrint's own parser + UA sheet",
            baseline=pdf["weasyprint"],
            target=PDF_TARGET_MS,
            absolute=True,
        ),
        Figure(f"PDF, {LONG_LINES} lines (3 pages)", ms(lambda: render_pdf(long)), "ms"),
        Figure(
            "validate UBL (XSD + Schematron)",
            ms(lambda: validate(ubl, "ubl")),
            "ms",
            target=VALIDATION_TARGET_MS,
            absolute=True,
        ),
        Figure(
            "validate CII (XSD + Schematron)",
            ms(lambda: validate(cii, "cii")),
            "ms",
            target=VALIDATION_TARGET_MS,
            absolute=True,
        ),
        Figure("UBL e-invoice, written + validated", ms(lambda: ubl_xml(typical)), "ms"),
        Figure("CII e-invoice, written + validated", ms(lambda: cii_xml(typical)), "ms"),
        Figure("Factur-X PDF (PDF + validated CII)", ms(lambda: facturx_pdf(typical)), "ms"),
    ]
    outcome.notes.append(
        f"medians of {repetitions} runs after {WARMUP} warm-up runs (the two PDF paths in turns); "
        f"the invoice has {TYPICAL_LINES} lines, two tax rates, a line and an invoice discount"
    )
    outcome.notes.append(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores while measuring "
        "(other work on the machine shows up in these wall-clock figures)"
    )
    return outcome


def run(ctx) -> Outcome:
    """The `bench.run` entry point: needs nothing from the context."""
    return measure()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.exports", description=__doc__)
    parser.add_argument("--repetitions", type=int, default=REPETITIONS)
    args = parser.parse_args(argv)
    outcome = measure(args.repetitions)
    print(f"{TITLE}\n")
    width = max(len(f.figure) for f in outcome.figures)
    for fig in outcome.figures:
        verdict = f"  target {fig.target_text():>9}  {fig.verdict}" if fig.target else ""
        print(f"  {fig.figure:<{width}}  {fig.value:8.1f} ms{verdict}")
        if fig.baseline is not None:
            versus = f"{fig.baseline_label} ({fig.ratio:.2f}×)"
            print(f"  {'':<{width}}  {fig.baseline:8.1f} ms  {versus}")
    for note in outcome.notes:
        print(f"\n  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
