"""The baseline of the accept benchmark: the least a Flask endpoint that stores a turn can do.

One POST endpoint: parse the JSON body, one Redis pipeline (HSET + EXPIRE), answer 202 JSON.
Served by gunicorn with the API's own config:

    gunicorn -c api/gunicorn.conf.py -b 127.0.0.1:PORT 'bench.bare_app:create_app()'
"""

from __future__ import annotations

import os
import uuid

import redis
from flask import Flask, jsonify, request


def create_app(redis_url: str | None = None) -> Flask:
    """A Flask app with one endpoint, POST /api/chat, on REDIS_URL (or `redis_url`)."""
    app = Flask(__name__)
    client = redis.Redis.from_url(
        redis_url or os.environ["REDIS_URL"], decode_responses=True, socket_timeout=5
    )

    @app.post("/api/chat")
    def chat():
        body = request.get_json()
        job_id = uuid.uuid4().hex
        with client.pipeline(transaction=True) as pipe:
            pipe.hset(f"bare:{job_id}", mapping={"message": body["message"], "status": "queued"})
            pipe.expire(f"bare:{job_id}", 600)
            pipe.execute()
        return jsonify(job_id=job_id, status="queued"), 202

    return app
