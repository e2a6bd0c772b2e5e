"""Health and metrics for operators."""

from __future__ import annotations

from datetime import UTC, datetime

from api.blueprint import Blueprint
from api.schemas import HealthSchema
from api.services import services
from core.clock import isoformat
from core.errors import Unavailable

blp = Blueprint("health", __name__, url_prefix="/api", description="Operations")


@blp.route("/health")
@blp.response(200, HealthSchema)
@blp.alt_response(
    503, schema=HealthSchema, description="Redis, the broker or the records database is down"
)
def health():
    """Whether Redis, the broker and the records database answer, how many workers are alive,
    which LLM is used."""
    svc = services()
    redis_ok = svc.stores.redis.answers()
    same_redis = svc.settings.broker_url == svc.settings.redis_url
    broker_ok = redis_ok if same_redis else svc.publisher.answers()
    try:
        workers = svc.stores.workers.live_workers() if redis_ok else 0
        queued, running = svc.stores.jobs.on_hand() if redis_ok else (0, 0)
    except Unavailable:
        workers, redis_ok, queued, running = 0, False, 0, 0
    database_ok = svc.records.answers()
    healthy = redis_ok and broker_ok and database_ok and not svc.configuration_problem
    body = {
        "status": "healthy" if healthy else "unhealthy",
        "redis": "connected" if redis_ok else "disconnected",
        "broker": "connected" if broker_ok else "disconnected",
        # profiles, clients and issued invoices: reachable and migrated
        "database": "connected" if database_ok else "disconnected",
        "workers": workers,
        "llm_provider": svc.provider_name,
        # turns waiting and running across all workers (KEDA scales workers on on_hand)
        "turns": {"queued": queued, "running": running, "on_hand": queued + running},
        "timestamp": isoformat(datetime.now(UTC)),
    }
    if svc.configuration_problem:
        body["configuration"] = svc.configuration_problem
    return body, 200 if healthy else 503
