"""What a batch does with the records: its invoices issued in item order, and its ZIP's files.

A batch submitted with `"issue": true` issues the invoice of every succeeded item once all
its items are final (succeeded, failed or cancelled): one task, item after item in the
batch's order, so the numbers follow the items however the items finished. Each item is
issued with the idempotency key `batch:{batch_id}:{position}` and its own session, so a task
that runs again (a worker lost half-way, a duplicate message) issues nothing twice: the items
done before are answered from the records. An item the records refuse (no seller, say) keeps
its draft and the reason (`validation_error`) in its `error`; the others go on.

    BatchStore.issue_due()      the batch is final, asked to issue, and no live task issues it
    BatchStore.claim_issue()    one task at a time (a claim older than ISSUE_STALE_SECONDS
                                without progress is taken over)
    issue_batch()               the issuing itself; Unavailable (the database or Redis away)
                                leaves the claim released for a retry
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from core.batches import BatchStore
from core.errors import InvoiceIssued, ValidationFailed
from core.records import RecordsService
from core.sessions import SessionStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchIssued:
    """What one run of `issue_batch` did."""

    issued: int = 0  # numbers drawn (or found drawn by an earlier run) in this run
    refused: int = 0  # items the records would not issue (their error says why)
    ran: bool = True  # False: not due, or another task holds the claim


def issue_batch(
    batches: BatchStore, sessions: SessionStore, records: RecordsService, batch_id: str
) -> BatchIssued:
    """Issue the succeeded items' invoices in item order (see the module's docstring).

    Raises Unavailable (the claim is released first: the caller retries later)."""
    owner = batches.claim_issue(batch_id)
    if owner is None:
        return BatchIssued(ran=False)
    issued = refused = 0
    try:
        for item in batches.invoices(batch_id):
            if item.number or item.issue_error:
                continue  # done by an earlier run
            try:
                number = records.issue(
                    owner,
                    item.invoice,
                    session_id=item.session_id,
                    idempotency_key=f"batch:{batch_id}:{item.position}",
                ).invoice["number"]
            except InvoiceIssued as already:  # issued by hand before the batch came to it
                number = (already.details or {})["number"]
            except ValidationFailed as error:
                batches.record_issued(batch_id, item.position, error=error.to_dict())
                refused += 1
                continue
            batches.record_issued(batch_id, item.position, number=number)
            sessions.mark_issued(item.session_id, owner, number)
            issued += 1
    except BaseException:
        batches.release_issue(batch_id)
        raise
    batches.finish_issue(batch_id)
    log.info("batch issued", extra={"batch_id": batch_id, "issued": issued, "refused": refused})
    return BatchIssued(issued, refused)


def zip_documents(
    batches: BatchStore, records: RecordsService, batch_id: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file name, invoice) of every succeeded item, in item order, for the batch's ZIP: an
    issued item as issued (from the records, named by its number), a draft as
    `draft-<position>` (its PDF says DRAFT)."""
    owner = batches.owner(batch_id)
    for item in batches.invoices(batch_id):
        invoice = records.invoice(owner, item.number) if item.number else item.invoice
        yield item.name, invoice
