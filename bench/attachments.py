"""Attachments, offline: how often a receipt or purchase order is read fully right, and OCR time.

`.venv/bin/python -m bench.attachments [--documents 40]` prints the figures (`run(ctx)` lets
`bench.run` include it). In-process, no Redis, no network. The documents are generated from
seeds by tests/support/documents.py, so the truth of each is known exactly:

- accuracy: a document counts as right only when every field and total is right: its kind,
  issuer, number, date, currency (and the vendor of a purchase order), every line's
  description, quantity, unit price and amount, and the subtotal, tax rate, tax and total.
  Clean renders (PNG, and the same image as a scanned PDF) must reach 95%, noisy ones
  (rotated 2°, grain, blur) 80%; text-layer PDFs are shown too;
- OCR seconds per page (the whole read of one page: decoding, deskew, threshold, Tesseract,
  the line parser), median and 90th percentile over the clean and noisy pages, against
  the floor measured in the same run: Tesseract on a blank page (starting the process and
  loading its language data), so the ratio says how much is reading and how much is start-up;
- with `--compare`, the noisy pages again without the deskew, to show what it is worth;
- PDF text extraction per page with pypdfium2 against pypdf (why PDFium reads the text).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from dataclasses import dataclass, field
from unittest import mock

from PIL import Image

from bench.support import Figure, Outcome
from core.attachments import images as image_prep
from core.attachments import read_attachment
from core.attachments.document import ExtractedDocument
from core.attachments.ocr import PAGE_SEGMENTATION, languages, ocr_image, tesseract_version
from core.attachments.pdf import layout_text
from tests.support.documents import (
    PrintedDocument,
    document_image,
    png_bytes,
    printed_document,
    scanned_pdf,
    text_pdf,
)

NAME = "attachments"
TITLE = "Attachments offline: receipts and purchase orders read fully right; OCR per page"
DOCUMENTS = 40
FIRST_SEED = 1000  # the unit tests use small seeds; the benchmark its own
CLEAN_TARGET = 95.0
NOISY_TARGET = 80.0
OCR_TARGET_S = 2.0


def mismatches(document: ExtractedDocument, truth: PrintedDocument) -> list[str]:
    """Every field or total of `truth` that the reading got wrong (empty: fully right)."""
    wrong: list[str] = []
    facts = document.facts

    def check(name: str, got: object, expected: object) -> None:
        if got != expected:
            wrong.append(f"{name}: {got!r} != {expected!r}")

    check("kind", facts.document_type, truth.kind)
    check("issuer", facts.issuer, truth.issuer)
    check("number", facts.number, truth.number)
    check("date", facts.issued, truth.issued)
    check("currency", facts.currency, truth.currency)
    if truth.vendor:
        check("vendor", facts.counterparty, truth.vendor)
    check("line count", len(document.lines), len(truth.lines))
    for i, (got, expected) in enumerate(zip(document.lines, truth.lines, strict=False), 1):
        check(f"line {i} description", got.description, expected.description)
        check(f"line {i} quantity", got.quantity, expected.quantity)
        check(f"line {i} unit price", got.unit_price, expected.unit_price)
        check(f"line {i} amount", got.amount, expected.amount)
    totals = document.totals
    if totals is None:
        wrong.append("no totals")
        return wrong
    if not truth.tax_included:
        check("subtotal", totals.subtotal, truth.subtotal)
    check("tax rate", totals.tax_rate, truth.tax_rate)
    check("tax", totals.tax_total, truth.tax)
    check("total", totals.total, truth.total)
    check("tax included", totals.tax_included, truth.tax_included)
    return wrong


@dataclass
class Tally:
    right: int = 0
    total: int = 0
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return 100.0 * self.right / self.total if self.total else 0.0

    def add(
        self, label: str, document: ExtractedDocument, truth: PrintedDocument, seconds: float
    ) -> None:
        self.total += 1
        self.seconds.append(seconds)
        wrong = mismatches(document, truth)
        if wrong:
            self.failures.append(f"{label}: {'; '.join(wrong[:4])}")
        else:
            self.right += 1


def timed_read(data: bytes) -> tuple[ExtractedDocument, float]:
    began = time.perf_counter()
    document = read_attachment(data)
    return document, time.perf_counter() - began


def ocr_floor_seconds(repetitions: int = 5) -> float:
    """Tesseract on a small blank page: process start and language data, nothing to read."""
    blank = Image.new("L", (200, 200), 255)
    times = []
    for _ in range(repetitions):
        began = time.perf_counter()
        ocr_image(blank)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def pdf_text_ms(pdfs: list[bytes]) -> tuple[float, float]:
    """Median ms per page to extract the text layer: (pypdfium2 with our row rebuilding,
    pypdf's plain extraction)."""
    import pypdf
    import pypdfium2

    def with_pdfium(data: bytes) -> None:  # what core.attachments.pdf does: rows from boxes
        document = pypdfium2.PdfDocument(data)
        for page in document:
            layout_text(page.get_textpage())
        document.close()

    def with_pypdf(data: bytes) -> None:
        for page in pypdf.PdfReader(io.BytesIO(data)).pages:
            page.extract_text()

    results = []
    for action in (with_pdfium, with_pypdf):
        times = []
        for data in pdfs:
            began = time.perf_counter()
            action(data)
            times.append(time.perf_counter() - began)
        results.append(statistics.median(times) * 1000)
    return results[0], results[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(documents: int = DOCUMENTS, *, compare: bool = False, verbose: bool = False) -> Outcome:
    load_before = os.getloadavg()
    floor = ocr_floor_seconds()
    clean, scanned, noisy, layer = Tally(), Tally(), Tally(), Tally()
    without_deskew = Tally()
    pdfs: list[bytes] = []
    for seed in range(FIRST_SEED, FIRST_SEED + documents):
        truth = printed_document(seed)
        image = document_image(truth)
        document, seconds = timed_read(png_bytes(image))
        clean.add(f"seed {seed} clean PNG", document, truth, seconds)
        if seed % 2 == 0:  # every other one also as a scanned PDF (the same pixels)
            document, seconds = timed_read(scanned_pdf(image))
            scanned.add(f"seed {seed} scanned PDF", document, truth, seconds)
        noisy_png = png_bytes(document_image(truth, noisy=True, seed=seed))
        document, seconds = timed_read(noisy_png)
        noisy.add(f"seed {seed} noisy PNG", document, truth, seconds)
        if compare:
            with mock.patch.object(image_prep, "skew_angle", return_value=0.0):
                document, seconds = timed_read(noisy_png)
            without_deskew.add(f"seed {seed} noisy, no deskew", document, truth, seconds)
        pdf = text_pdf(truth)
        pdfs.append(pdf)
        document, seconds = timed_read(pdf)
        layer.add(f"seed {seed} text PDF", document, truth, seconds)
    load_after = os.getloadavg()
    clean_all = Tally(
        clean.right + scanned.right,
        clean.total + scanned.total,
        clean.seconds + scanned.seconds,
        clean.failures + scanned.failures,
    )
    pages = clean_all.seconds + noisy.seconds
    pdfium_ms, pypdf_ms = pdf_text_ms(pdfs)

    outcome = Outcome(NAME)
    outcome.figures = [
        # shares of documents NOT fully right, so that each target is a ceiling, as elsewhere
        Figure(
            f"clean renders not fully right (of {clean_all.total})",
            100 - clean_all.percent,
            "%",
            target=100 - CLEAN_TARGET,
            absolute=True,
        ),
        Figure(
            f"noisy renders not fully right (of {noisy.total})",
            100 - noisy.percent,
            "%",
            target=100 - NOISY_TARGET,
            absolute=True,
        ),
        Figure(f"text-layer PDFs not fully right (of {layer.total})", 100 - layer.percent, "%"),
        Figure(
            "OCR seconds per page, median",
            statistics.median(pages),
            "s",
            baseline_label="blank page (start-up)",
            baseline=floor,
            target=OCR_TARGET_S,
            absolute=True,
        ),
        Figure(
            "OCR seconds per page, 90th percentile",
            percentile(pages, 0.9),
            "s",
            baseline_label="blank page (start-up)",
            baseline=floor,
            target=OCR_TARGET_S,
            absolute=True,
        ),
        Figure(
            "PDF text per page, pypdfium2 + rows",
            pdfium_ms,
            "ms",
            baseline_label="pypdf",
            baseline=pypdf_ms,
        ),
    ]
    if compare:
        outcome.figures.insert(
            2,
            Figure(
                f"noisy without deskew, not fully right (of {without_deskew.total})",
                100 - without_deskew.percent,
                "%",
                baseline_label="with deskew",
                baseline=100 - noisy.percent,
            ),
        )
        outcome.notes.append(
            "noisy pages without deskew: median "
            f"{statistics.median(without_deskew.seconds):.2f} s a page"
        )
    outcome.notes.append(
        f"fully right: clean {clean_all.percent:.1f}% (target >= {CLEAN_TARGET:g}%), noisy "
        f"{noisy.percent:.1f}% (target >= {NOISY_TARGET:g}%), text-layer PDFs "
        f"{layer.percent:.1f}%"
    )
    outcome.notes.append(
        f"{documents} documents from seeds {FIRST_SEED}-{FIRST_SEED + documents - 1}: "
        f"{clean.total} clean PNGs, {scanned.total} scanned PDFs, {noisy.total} noisy PNGs, "
        f"{layer.total} text-layer PDFs; Tesseract {tesseract_version()} ({languages()}, "
        f"--psm {PAGE_SEGMENTATION}, one thread)"
    )
    outcome.notes.append(
        f"load average {load_before[0]:.1f} before and {load_after[0]:.1f} after, on "
        f"{os.cpu_count()} cores (other work on the machine shows in the seconds)"
    )
    failures = clean_all.failures + noisy.failures + layer.failures
    if failures:
        shown = failures if verbose else failures[:8]
        outcome.notes.append("not fully right:\n    " + "\n    ".join(shown))
    return outcome


def run(ctx) -> Outcome:
    """The `bench.run` entry point: needs nothing from the context."""
    return measure()


def _value(figure: Figure) -> str:
    if figure.unit == "%":
        return f"{figure.value:6.1f} %"
    if figure.unit == "s":
        return f"{figure.value:6.2f} s"
    return f"{figure.value:6.2f} {figure.unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.attachments", description=__doc__)
    parser.add_argument("--documents", type=int, default=DOCUMENTS)
    parser.add_argument("--compare", action="store_true", help="also without the deskew")
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    outcome = measure(args.documents, compare=args.compare, verbose=args.verbose)
    print(f"{TITLE}\n")
    width = max(len(f.figure) for f in outcome.figures)
    for fig in outcome.figures:
        verdict = f"  target {fig.target_text():>8}  {fig.verdict}" if fig.target else ""
        print(f"  {fig.figure:<{width}}  {_value(fig)}{verdict}")
        if fig.baseline is not None:
            versus = f"{fig.baseline_label}: {fig.baseline:.2f}"
            ratio = f" ({fig.ratio:.2f}×)" if fig.ratio is not None else ""
            print(f"  {'':<{width}}  {versus}{ratio}")
    for note in outcome.notes:
        print(f"\n  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
