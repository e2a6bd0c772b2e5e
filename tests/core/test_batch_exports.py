"""A batch's ZIP of PDFs in Redis: claimed once, built in chunks, rebuilt when out of date."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from core import batch_exports
from core.redis_model import batch_export_key
from tests.support.stores import on_each_backend


@pytest.fixture(params=["fakeredis", "redis"])
def zips(request):
    return on_each_backend(request).zips


def invoices(count: int) -> list[tuple[str, dict]]:
    return [(f"2026-{n:04}", {"number": f"2026-{n:04}"}) for n in range(1, count + 1)]


def fake_pdf(invoice: dict) -> bytes:
    return f"%PDF- {invoice['number']} ".encode() + bytes(range(256)) * 40  # binary, ~10 KB


def test_a_zip_is_claimed_once_then_built_then_ready(zips):
    assert zips.claim("b1", "alice", 3) == "start"
    assert zips.claim("b1", "alice", 3) == "building"
    assert zips.status("b1").status == "building"

    zips.build("b1", invoices(3), fake_pdf)

    assert zips.claim("b1", "alice", 3) == "ready"
    assert zips.status("b1") == batch_exports.ZipStatus("ready", 3, 3)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(zips.chunks("b1"))))
    assert archive.namelist() == ["2026-0001.pdf", "2026-0002.pdf", "2026-0003.pdf"]
    assert archive.read("2026-0002.pdf") == fake_pdf({"number": "2026-0002"})


def test_a_big_zip_is_stored_in_chunks_as_it_is_written(zips, monkeypatch):
    monkeypatch.setattr(batch_exports, "CHUNK_BYTES", 25_000)
    zips.claim("b1", "alice", 20)
    seen_progress = []
    original = zips._append

    def watched(zip_key, export, chunk, done):
        seen_progress.append(done)
        original(zip_key, export, chunk, done)

    monkeypatch.setattr(zips, "_append", watched)
    zips.build("b1", invoices(20), fake_pdf)

    chunks = list(zips.chunks("b1"))
    assert len(chunks) > 5 and max(map(len, chunks)) < 40_000  # never held whole
    assert seen_progress == sorted(seen_progress) and seen_progress[-1] == 20
    assert len(zipfile.ZipFile(io.BytesIO(b"".join(chunks))).namelist()) == 20


def test_more_invoices_since_the_build_make_a_new_one(zips):
    zips.claim("b1", "alice", 2)
    zips.build("b1", invoices(2), fake_pdf)
    assert zips.claim("b1", "alice", 3) == "start"


def test_a_build_whose_worker_died_is_claimed_again(zips, monkeypatch):
    zips.claim("b1", "alice", 2)
    zips.redis.hset(batch_export_key("b1"), "updated_at", time.time() - 3600)
    assert zips.claim("b1", "alice", 2) == "start"


def test_a_failed_render_is_recorded_and_claimed_again(zips):
    zips.claim("b1", "alice", 2)

    def broken(invoice):
        raise RuntimeError("typesetter down")

    with pytest.raises(RuntimeError):
        zips.build("b1", invoices(2), broken)
    assert zips.status("b1").status == "failed"
    assert zips.claim("b1", "alice", 2) == "start"


def test_duplicate_and_odd_names_get_names_of_their_own(zips):
    zips.claim("b1", "alice", 4)
    documents = [("A-1", {"number": "A-1"}), ("A-1", {"number": "A-1"}),
                 ("../x", {"number": None}), ("", {"number": None})]  # fmt: skip
    zips.build("b1", documents, fake_pdf)
    names = zipfile.ZipFile(io.BytesIO(b"".join(zips.chunks("b1")))).namelist()
    assert names == ["A-1.pdf", "A-1-2.pdf", "x.pdf", "invoice.pdf"]


def test_a_zip_is_made_again_when_the_batch_issued_its_invoices_since(zips):
    zips.claim("b1", "alice", 2, version="0")
    zips.build("b1", invoices(2), fake_pdf)
    assert zips.claim("b1", "alice", 2, version="0") == "ready"
    assert zips.claim("b1", "alice", 2, version="2") == "start"
