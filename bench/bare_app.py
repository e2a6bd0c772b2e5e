"""The floor of the accept benchmark: the least a Flask endpoint that accepts a turn can do.

One POST endpoint: parse the JSON body, one Redis pipeline (HSET + EXPIRE), publish one
Celery task (`bench.noop` of bench/bare_celery.py's `floor` app: no result backend, as the
product's; drained by its own worker), answer 202 JSON.
Served by gunicorn with the API's own config:

    gunicorn -c api/gunicorn.conf.py -b 127.0.0.1:PORT 'bench.bare_app:create_app()'
"""

from __future__ import annotations

import os
import uuid

import redis
from flask import Flask, jsonify, request

from bench import bare_celery


def create_app(redis_url: str | None = None) -> Flask:
    """A Flask app with one endpoint, POST /api/chat, on REDIS_URL (or `redis_url`)."""
    url = redis_url or os.environ["REDIS_URL"]
    app = Flask(__name__)
    client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5)
    celery = bare_celery.create_app(url, results=False)

    @app.post("/api/chat")
    def chat():
        body = request.get_json()
        job_id = uuid.uuid4().hex
        with client.pipeline(transaction=True) as pipe:
            pipe.hset(f"bare:{job_id}", mapping={"message": body["message"], "status": "queued"})
            pipe.expire(f"bare:{job_id}", 600)
            pipe.execute()
        celery.send_task(bare_celery.NOOP_TASK, args=[job_id])
        return jsonify(job_id=job_id, status="queued"), 202

    return app
