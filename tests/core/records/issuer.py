"""One issuing process of the concurrency tests: `python -m tests.core.records.issuer URL
OWNER FIRST COUNT OUT`. It issues the invoices FIRST … FIRST+COUNT-1 (session `s-<i>`, key
`key-<i>`) one after the other on its own engine, and appends "<i> <number>" to OUT as each
one is issued (flushed, so the test sees progress and can kill it mid-way)."""

from __future__ import annotations

import sys

from core.records import RecordsService
from core.schemas import dump_invoice
from tests.support.samples import sample_invoice


def main(url: str, owner: str, first: int, count: int, out: str) -> None:
    records = RecordsService.from_url(url)
    invoice = dump_invoice(sample_invoice(lines=3))
    invoice["number"] = None
    with open(out, "a", buffering=1) as progress:
        for index in range(first, first + count):
            issued = records.issue(
                owner, invoice, session_id=f"s-{index}", idempotency_key=f"key-{index}"
            )
            progress.write(f"{index} {issued.invoice['number']}\n")
    records.close()


if __name__ == "__main__":
    url, owner, first, count, out = sys.argv[1:]
    main(url, owner, int(first), int(count), out)
