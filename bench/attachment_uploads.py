"""Attachments on the request thread: what checking one turn's five files costs the API.

`.venv/bin/python -m bench.attachment_uploads [--repeat 20]` prints the median and the
slowest time of `prepare_attachments` (count, bytes, the type sniffed from the content, pixels
from the header, a zip's directory, a PDF's encryption; nothing decoded or parsed) for five
files of 9.9 MB together: a 9 MB JPEG of noise (3,200 × 2,400), a 10-page scanned PDF, a
4,900-row CSV timesheet, a receipt PNG and a UBL e-invoice. In-process, no Redis.
The reading itself (OCR, rendering, tables) is the worker's: bench.attachments measures it.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time

from PIL import Image

from core.attachment_store import prepare_attachments
from core.attachments import DEFAULT_LIMITS


def files() -> list[tuple[str, bytes]]:
    from tests.support.documents import (
        document_image,
        document_png,
        einvoices,
        printed_document,
        scanned_pdf,
        timesheet,
        timesheet_csv,
    )

    noise = random.Random(1).randbytes(3200 * 2400 * 3)
    photo = io.BytesIO()
    Image.frombytes("RGB", (3200, 2400), noise).save(photo, "JPEG", quality=95)
    return [
        ("photo.jpg", photo.getvalue()),
        ("scan.pdf", scanned_pdf(*[document_image(printed_document(s)) for s in range(10)])),
        ("hours.csv", timesheet_csv(timesheet(1, rows=4900))),
        ("receipt.png", document_png(printed_document(3))),
        ("invoice.xml", einvoices(facturx=False).ubl),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    uploads = files()
    total = sum(len(data) for _, data in uploads)
    seconds = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        prepare_attachments(uploads, DEFAULT_LIMITS)
        seconds.append(time.perf_counter() - started)
    print(f"five files, {total / 1e6:.1f} MB together, checked {args.repeat} times:")
    print(
        f"  median {statistics.median(seconds) * 1000:.1f} ms, slowest {max(seconds) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
