"""A ZIP of invoice PDFs, written as it is produced: a large batch is never held whole."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from core.exports.document import filename
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


def iter_pdf_zip(
    documents: Iterable[tuple[str, dict[str, Any]]],
    render: Callable[[dict[str, Any]], bytes] = render_pdf,
) -> Iterator[bytes]:
    """Chunks of a ZIP with one PDF per (name, invoice): "2026-0001" -> "2026-0001.pdf" (made
    safe for a file name; a name used already gets "-2", "-3"…). PDFs are compressed already:
    stored as they are."""
    sink = _Chunks()
    seen: dict[str, int] = {}
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for stem, invoice in documents:
            name = filename({"number": stem}, ".pdf")
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name.removesuffix('.pdf')}-{seen[name]}.pdf"
            archive.writestr(name, render(invoice))
            yield sink.drain()
    yield sink.drain()
