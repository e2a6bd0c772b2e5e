"""Batches: many invoices from one submission (JSON items or a CSV upload)."""

from __future__ import annotations

import logging
import math

from flask import Response, g, request, stream_with_context, url_for

from api.blueprint import Blueprint
from api.schemas import (
    BatchPageSchema,
    BatchRequestSchema,
    BatchSchema,
    ErrorSchema,
    ZipProgressSchema,
)
from api.services import services
from core.batches import BatchItemRequest, parse_csv, results_csv, validate_items
from core.errors import InvalidUpload, Unavailable, ValidationFailed
from core.turns import start_batch

log = logging.getLogger(__name__)

blp = Blueprint("batches", __name__, url_prefix="/api", description="Batches of invoices")

ZIP_POLL_SECONDS = 2

CSV_UPLOAD = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "properties": {
                "file": {
                    "type": "string",
                    "format": "binary",
                    "description": "CSV, UTF-8, columns message[,reference]",
                }
            },
            "required": ["file"],
        }
    }
}


_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


def _issue_field(form) -> bool:
    """The CSV upload's `issue` form field. Raises ValidationFailed for anything not a yes/no."""
    value = form.get("issue", "").strip().lower()
    if value not in _TRUE + _FALSE:
        raise ValidationFailed(details={"issue": ["Use true or false."]})
    return value in _TRUE


def _requested_items() -> tuple[list[BatchItemRequest], bool]:
    """Items from a JSON body or a CSV upload, and whether to issue their invoices. Raises
    ValidationFailed naming the bad rows."""
    settings = services().settings
    limits = {
        "max_items": settings.batch_max_items,
        "max_message_chars": settings.max_message_chars,
    }
    if request.mimetype == "multipart/form-data":
        if not request.files and not request.form and request.content_length:
            raise InvalidUpload()  # a body werkzeug could find no part in
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(details={"file": ["Upload the CSV in a field named 'file'."]})
        issue = _issue_field(request.form)
        return parse_csv(upload.read(), **limits), issue
    body = blp.ARGUMENTS_PARSER.parse(BatchRequestSchema(), request, location="json")
    items = [BatchItemRequest(i["message"], i["reference"]) for i in body["items"]]
    validate_items(items, **limits)
    return items, body["issue"]


def _batch_body(batch_id: str, page: int = 1, per_page: int = 100) -> dict:
    svc = services()
    body = svc.stores.batches.summary(batch_id, g.owner)
    if body["issuing"]:
        _resume_issuing(batch_id)
    body["status_url"] = url_for("batches.get_batch", batch_id=batch_id)
    body["results_url"] = url_for("batches.batch_results", batch_id=batch_id)
    body["invoices_url"] = url_for("batches.batch_invoices", batch_id=batch_id)
    start = (page - 1) * per_page
    body["items"] = svc.stores.batches.items(batch_id, start=start, stop=start + per_page - 1)
    body.update(page=page, per_page=per_page, pages=max(1, math.ceil(body["total"] / per_page)))
    return body


def _resume_issuing(batch_id: str) -> None:
    """A batch whose items are all final but whose invoices no live task issues (its worker
    was lost, or the broker was away when the last item finished): ask a worker again."""
    svc = services()
    try:
        if svc.stores.batches.issue_due(batch_id):
            svc.publisher.publish_issue(batch_id)
    except Unavailable:  # the next read asks again
        log.warning("could not ask a worker to issue batch %s", batch_id)


@blp.route("/batches", methods=["POST"])
@blp.doc(
    requestBody={"content": {"application/json": {"schema": BatchRequestSchema}, **CSV_UPLOAD}}
)
@blp.response(202, BatchSchema)
@blp.alt_response(422, schema=ErrorSchema, description="bad rows (details.rows), nothing queued")
@blp.alt_response(
    429, schema=ErrorSchema, description="rate_limited: too many turns, or too many items waiting"
)
@blp.alt_response(503, schema=ErrorSchema, description="unavailable")
def create_batch():
    """Submit many invoice requests at once; each becomes its own session and job ("issue":
    true issues every succeeded item's invoice, numbered in item order)."""
    svc = services()
    items, issue = _requested_items()
    created = start_batch(
        svc.stores.batches,
        svc.stores.workers,
        svc.publisher,
        owner=g.owner,
        items=items,
        default_slots=svc.settings.worker_concurrency,
        request_id=g.request_id,
        issue=issue,
    )
    return _batch_body(created.batch_id)


@blp.route("/batches/<batch_id>")
@blp.arguments(BatchPageSchema, location="query")
@blp.response(200, BatchSchema)
@blp.alt_response(404, schema=ErrorSchema, description="batch_not_found")
def get_batch(args, batch_id):
    """Progress of a batch: status, counts by status, and a page of items with outcomes."""
    return _batch_body(batch_id, args["page"], args["per_page"])


@blp.route("/batches/<batch_id>", methods=["DELETE"])
@blp.response(200, BatchSchema)
@blp.alt_response(404, schema=ErrorSchema, description="batch_not_found")
def cancel_batch(batch_id):
    """Cancel the items that have not started; running ones finish."""
    services().stores.batches.cancel(batch_id, g.owner)
    return _batch_body(batch_id)


@blp.route("/batches/<batch_id>/results.csv")
@blp.alt_response(200, description="one row per item", content_type="text/csv")
@blp.alt_response(404, schema=ErrorSchema, description="batch_not_found")
def batch_results(batch_id):
    """Every item's outcome as a spreadsheet."""
    batches = services().stores.batches
    batches.summary(batch_id, g.owner)  # ownership
    return Response(
        results_csv(batches.items(batch_id)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="batch-{batch_id}.csv"'},
    )


@blp.route("/batches/<batch_id>/invoices.zip")
@blp.alt_response(200, description="one PDF per succeeded item", content_type="application/zip")
@blp.alt_response(
    202, schema=ZipProgressSchema, description="the ZIP is being made: ask again (Retry-After)"
)
@blp.alt_response(404, schema=ErrorSchema, description="batch_not_found")
def batch_invoices(batch_id):
    """The PDFs of every invoice the batch made, as one ZIP: made by a worker on the first
    request (202 with the progress until it is ready), then downloaded (200)."""
    svc = services()
    summary = svc.stores.batches.summary(batch_id, g.owner)  # ownership first
    # a ZIP made before the batch issued its invoices is made again once they have numbers
    claim = svc.stores.zips.claim(
        batch_id, g.owner, summary["counts"]["succeeded"], version=str(summary["issued"])
    )
    if claim == "start":
        try:
            svc.publisher.publish_zip(batch_id)
        except Unavailable:
            svc.stores.zips.forget(batch_id)  # the next request starts it again
            raise
    if claim == "ready":
        return Response(
            stream_with_context(svc.stores.zips.chunks(batch_id)),
            mimetype="application/zip",
            headers={"Content-Disposition": f'attachment; filename="batch-{batch_id}.zip"'},
        )
    progress = svc.stores.zips.status(batch_id)
    body = {
        "status": "building",
        "done": progress.done,
        "total": progress.total,
        "status_url": url_for("batches.batch_invoices", batch_id=batch_id),
    }
    return body, 202, {"Retry-After": str(ZIP_POLL_SECONDS)}
