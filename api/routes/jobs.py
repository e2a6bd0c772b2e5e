"""Job status, with an optional long-poll."""

from __future__ import annotations

from flask import g

from api.blueprint import Blueprint
from api.schemas import ErrorSchema, JobSchema, JobWaitSchema
from api.services import services
from core.errors import JobNotFound
from core.jobs import JobRecord

blp = Blueprint("jobs", __name__, url_prefix="/api", description="Follow turn jobs")


def _owned_job(job_id: str) -> JobRecord:
    job = services().stores.jobs.get_job(job_id)
    if job is None or job.owner != g.owner:
        raise JobNotFound()
    return job


@blp.route("/jobs/<job_id>")
@blp.arguments(JobWaitSchema, location="query")
@blp.response(200, JobSchema)
@blp.alt_response(404, schema=ErrorSchema, description="job_not_found")
def get_job(args, job_id):
    """A job's status and, once finished, its result or error; `wait` long-polls."""
    job = _owned_job(job_id)
    if not job.is_final and args["wait"] > 0:
        services().stores.jobs.wait_for_job(job_id, args["wait"])
        job = _owned_job(job_id)
    return job
