"""A batch's invoices as one ZIP of PDFs, built by a worker once and kept for a while.

Rendering a thousand PDFs takes a CPU for a while; it must not happen inside an API request.
The first request for a batch's ZIP claims a build (`claim`), the API publishes the export
job, a worker renders the PDFs one at a time into a ZIP whose chunks go to Redis as they are
written (`build`: the worker never holds the whole ZIP), and the API streams the chunks back
once the build is ready (`chunks`). Meanwhile the request answers 202 with the progress.

    export:{batch_id}        hash  status (building | ready | failed), owner, done, total,
                                   invoices (how many the batch had made when the build began),
                                   version (how many it had issued),
                                   updated_at, error
    export:{batch_id}:zip    list  the ZIP's chunks, in order (binary)

Both keys live EXPORT_TTL_SECONDS. A build whose worker died (no progress for STALE_SECONDS)
is claimed again; so is a ready ZIP that the batch has made more invoices since.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from core.exports.archive import iter_pdf_zip
from core.redis_connection import Redis
from core.redis_model import batch_export_key, batch_zip_key

EXPORT_TTL_SECONDS = 3600
STALE_SECONDS = 120
CHUNK_BYTES = 1 << 20  # what one Redis list element holds, at most

# KEYS: export, zip   ARGV: owner, invoices (made so far), now, stale_seconds, ttl, version
# (what else changes the files: the numbers issued so far)
# Returns {"start"} (the caller publishes the build), {"building"} or {"ready"}.
_CLAIM = """
local export, zip = KEYS[1], KEYS[2]
local now, stale, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local status = redis.call("HGET", export, "status")
local updated = tonumber(redis.call("HGET", export, "updated_at") or "0")
local made = (redis.call("HGET", export, "invoices") or "") .. "/"
             .. (redis.call("HGET", export, "version") or "")
if status == "ready" and made == ARGV[2] .. "/" .. ARGV[6] then return {"ready"} end
if status == "building" and now - updated < stale then return {"building"} end
redis.call("DEL", export, zip)
redis.call("HSET", export, "status", "building", "owner", ARGV[1], "invoices", ARGV[2],
           "version", ARGV[6], "done", 0, "total", ARGV[2], "updated_at", now)
redis.call("EXPIRE", export, ttl)
return {"start"}
"""


@dataclass(frozen=True)
class ZipStatus:
    status: str  # "building" | "ready" | "failed" | "missing"
    done: int
    total: int
    error: str = ""


class BatchZips:
    """The ZIPs of batches' invoices in Redis (its chunks through a binary client)."""

    def __init__(self, client: Redis, binary: Redis, *, ttl: int = EXPORT_TTL_SECONDS):
        self.redis = client
        self.binary = binary
        self.ttl = ttl
        self._claim = client.register_script(_CLAIM)

    def claim(self, batch_id: str, owner: str, invoices: int, *, version: str = "") -> str:
        """ "start" when the caller must publish a build now, else "building" or "ready". A
        ready ZIP is built again when `invoices` or `version` changed since."""
        (answer,) = self._claim(
            keys=[batch_export_key(batch_id), batch_zip_key(batch_id)],
            args=[owner, invoices, time.time(), STALE_SECONDS, self.ttl, version],
        )
        return answer

    def forget(self, batch_id: str) -> None:
        """Drop a claim whose build could not be published."""
        self.redis.delete(batch_export_key(batch_id))

    def status(self, batch_id: str) -> ZipStatus:
        fields = self.redis.hgetall(batch_export_key(batch_id))
        if not fields:
            return ZipStatus("missing", 0, 0)
        return ZipStatus(
            fields["status"], int(fields["done"]), int(fields["total"]), fields.get("error", "")
        )

    def build(
        self,
        batch_id: str,
        documents: Iterable[tuple[str, dict[str, Any]]],
        render: Callable[[dict[str, Any]], bytes],
    ) -> None:
        """Render every (name, invoice) into the ZIP (`name`.pdf), appending its chunks as they
        are written, and mark it ready. Progress is recorded after each PDF; a failure is
        recorded and raised."""
        export, zip_key = batch_export_key(batch_id), batch_zip_key(batch_id)
        self.binary.delete(zip_key)
        done = 0

        def counted() -> Iterator[tuple[str, dict[str, Any]]]:
            nonlocal done
            for document in documents:
                yield document
                done += 1

        try:
            pending = bytearray()
            for chunk in iter_pdf_zip(counted(), render):
                pending += chunk
                if len(pending) >= CHUNK_BYTES:
                    self._append(zip_key, export, bytes(pending), done)
                    pending.clear()
            self._append(zip_key, export, bytes(pending), done)
        except Exception as exc:
            self.redis.hset(export, mapping={"status": "failed", "error": type(exc).__name__})
            raise
        self.redis.hset(export, mapping={"status": "ready", "done": done, "total": done})

    def _append(self, zip_key: str, export: str, chunk: bytes, done: int) -> None:
        with self.binary.pipeline(transaction=True) as pipe:
            if chunk:
                pipe.rpush(zip_key, chunk)
            pipe.expire(zip_key, self.ttl)
            pipe.hset(export, mapping={"done": done, "updated_at": time.time()})
            pipe.expire(export, self.ttl)
            pipe.execute()

    def chunks(self, batch_id: str) -> Iterator[bytes]:
        """The ready ZIP's chunks, read one at a time. The first is read before this returns
        (a Redis outage is a 503, not a broken download)."""
        zip_key = batch_zip_key(batch_id)
        count = self.binary.llen(zip_key)
        first = self.binary.lindex(zip_key, 0) if count else b""
        return self._rest(zip_key, count, first)

    def _rest(self, zip_key: str, count: int, first: bytes) -> Iterator[bytes]:
        yield first
        for index in range(1, count):
            yield self.binary.lindex(zip_key, index)
