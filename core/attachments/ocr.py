"""OCR with Tesseract (Debian's `tesseract-ocr`, English and German data) through pytesseract.

pytesseract runs the `tesseract` program once per page. A separate process is the point: a
crash or a hang in the OCR engine cannot take the worker down (each page has a timeout), and
under gevent the worker keeps serving its other turns while it waits for the process.

Tesseract's OpenMP threads make it about four times slower on a shared two-core machine
(measured: 1.2 s against 0.32 s for a page), so OMP_THREAD_LIMIT=1 is set for the processes
it starts, unless the operator has set it. pytesseract passes this process's environment on;
nothing else here uses OpenMP.

`--psm 6` (one uniform block of text) and rows rebuilt from the word boxes keep a table row
on one line, which is how receipts and purchase orders are read (`--psm 4` put a receipt's
amounts in blocks of their own and split "64.80" in two); the word boxes (`image_to_data`)
also give a confidence per word, so a line can say it was unsure.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import cache

from PIL import Image

from core.errors import AttachmentUnreadable, ConfigurationError

# Debian's eng and deu data are Tesseract's "fast" models, which drop accents now and then
# (Äpfel read as Apfel); the Latin-script model (tesseract-ocr-script-latn) reads English,
# German and the other Latin-script languages with their accents, at about 0.4 s more a page.
PREFERRED_LANGUAGES = ("Latin", "eng+deu")
PAGE_SEGMENTATION = 6
UNSURE_BELOW = 60  # word confidence (0-100) under which a line counts as unsure


@dataclass(frozen=True)
class OcrLine:
    """One line of text as Tesseract read it, with its least confident word (0-100)."""

    text: str
    confidence: float


@dataclass(frozen=True)
class OcrPage:
    lines: tuple[OcrLine, ...]
    seconds: float

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def tesseract_version() -> str | None:
    """The installed Tesseract's version, or None when it is missing."""
    import pytesseract

    try:
        return str(pytesseract.get_tesseract_version())
    except (pytesseract.TesseractNotFoundError, OSError):
        return None


@cache
def languages() -> str:
    """The language data to read with: the Latin-script model when installed, else eng+deu."""
    installed = installed_languages()
    for choice in PREFERRED_LANGUAGES:
        if set(choice.split("+")) <= installed:
            return choice
    return PREFERRED_LANGUAGES[-1]


def installed_languages() -> set[str]:
    """What `tesseract --list-langs` lists (pytesseract's own list skips "Latin": capitals)."""
    import subprocess

    import pytesseract

    try:
        listed = subprocess.run(  # noqa: S603 - our own configured binary, fixed arguments
            [pytesseract.pytesseract.tesseract_cmd, "--list-langs"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return {line.strip() for line in listed.stdout.splitlines()[1:] if line.strip()}


def ocr_image(image: Image.Image, *, timeout: int = 30, language: str | None = None) -> OcrPage:
    """The lines of text in `image`, top to bottom.

    Raises AttachmentUnreadable (reason "ocr_timeout" or "ocr_failed") and ConfigurationError
    when Tesseract is not installed.
    """
    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    started = time.perf_counter()
    try:
        data = pytesseract.image_to_data(
            image,
            lang=language or languages(),
            config=f"--psm {PAGE_SEGMENTATION}",
            output_type=pytesseract.Output.DICT,
            timeout=timeout,
        )
    except pytesseract.TesseractNotFoundError:
        raise ConfigurationError(
            "Tesseract OCR is not installed (Debian: tesseract-ocr tesseract-ocr-eng "
            "tesseract-ocr-deu; scripts/ensure-system-packages.sh installs them)."
        ) from None
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise AttachmentUnreadable(
                f"Reading the text of this image took longer than {timeout} s and was stopped.",
                reason="ocr_timeout",
            ) from None
        raise AttachmentUnreadable(
            "The text of this image could not be read.", reason="ocr_failed"
        ) from None
    except pytesseract.TesseractError:
        raise AttachmentUnreadable(
            "The text of this image could not be read.", reason="ocr_failed"
        ) from None
    return OcrPage(_lines(data), time.perf_counter() - started)


@dataclass(frozen=True)
class _Word:
    text: str
    confidence: float
    left: int
    top: int
    width: int
    height: int

    @property
    def middle(self) -> float:
        return self.top + self.height / 2


def _lines(data: dict[str, list]) -> tuple[OcrLine, ...]:
    """Words grouped into rows by their boxes, left to right.

    Tesseract may put a row's amounts in a block of their own when a wide gap separates them
    from the description (a receipt's right-hand column); rows rebuilt from the word boxes
    keep each amount beside its description, whatever the blocks. A gap wider than about
    three characters is kept as three spaces, so a reader can tell columns apart.
    """
    words = [
        _Word(text.strip(), float(conf), left, top, width, height)
        for text, conf, left, top, width, height in zip(
            data["text"],
            data["conf"],
            data["left"],
            data["top"],
            data["width"],
            data["height"],
            strict=True,
        )
        if (text or "").strip()
    ]
    rows: list[list[_Word]] = []
    for word in sorted(words, key=lambda w: (w.middle, w.left)):
        row = rows[-1] if rows else None
        if row and abs(word.middle - _row_middle(row)) <= 0.5 * _row_height(row):
            row.append(word)
        else:
            rows.append([word])
    lines = []
    for row in rows:
        row.sort(key=lambda w: w.left)
        height = _row_height(row)
        text = row[0].text
        for before, word in zip(row, row[1:], strict=False):
            gap = word.left - (before.left + before.width)
            text += ("   " if gap > 1.5 * height else " ") + word.text
        confidences = [w.confidence for w in row if w.confidence >= 0]
        lines.append(OcrLine(text, min(confidences) if confidences else 0.0))
    return tuple(lines)


def _row_middle(row: list[_Word]) -> float:
    return sum(w.middle for w in row) / len(row)


def _row_height(row: list[_Word]) -> float:
    heights = sorted(w.height for w in row)
    return heights[len(heights) // 2]
