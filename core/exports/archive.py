"""A ZIP of invoice PDFs, written as it is produced: a large batch is never held whole."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

from core.exports.pdf import render_pdf


class _Chunks(io.RawIOBase):
    """An unseekable sink: zipfile then writes data descriptors and never seeks back."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def iter_pdf_zip(invoices: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Chunks of a ZIP with one `<number>.pdf` per invoice (PDFs are compressed already)."""
    sink = _Chunks()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for invoice in invoices:
            archive.writestr(f"{invoice['number']}.pdf", render_pdf(invoice))
            yield sink.drain()
    yield sink.drain()
