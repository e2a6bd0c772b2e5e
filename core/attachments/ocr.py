"""OCR with Tesseract (Debian's `tesseract-ocr`, English and German data) through pytesseract.

pytesseract runs the `tesseract` program once per page. A separate process is the point: a
crash or a hang in the OCR engine cannot take the worker down (each page has a timeout), and
under gevent the worker keeps serving its other turns while it waits for the process.

Tesseract's OpenMP threads make it about four times slower on a shared two-core machine
(measured: 1.2 s against 0.32 s for a page), so OMP_THREAD_LIMIT=1 is set for the processes
it starts, unless the operator has set it. pytesseract passes this process's environment on;
nothing else here uses OpenMP.

`--psm 4` (one column of text of varying sizes) keeps a table row on one line, which is how
receipts and purchase orders are read; the word boxes (`image_to_data`) give a confidence per
word, so a line can say it was unsure.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from PIL import Image

from core.errors import AttachmentUnreadable, ConfigurationError

LANGUAGES = "eng+deu"
PAGE_SEGMENTATION = 4
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


def ocr_image(image: Image.Image, *, timeout: int = 30, languages: str = LANGUAGES) -> OcrPage:
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
            lang=languages,
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


def _lines(data: dict[str, list]) -> tuple[OcrLine, ...]:
    grouped: dict[tuple[int, int, int], list[tuple[str, float]]] = {}
    for i, word in enumerate(data["text"]):
        word = (word or "").strip()
        if not word:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        grouped.setdefault(key, []).append((word, float(data["conf"][i])))
    lines = []
    for words in grouped.values():  # Tesseract reports blocks, paragraphs and lines in order
        confidences = [conf for _, conf in words if conf >= 0]
        lines.append(
            OcrLine(" ".join(w for w, _ in words), min(confidences) if confidences else 0.0)
        )
    return tuple(lines)
