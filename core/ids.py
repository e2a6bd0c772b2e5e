"""Ids of sessions, jobs and batches: 32 hex characters, 122 random bits (uuid4)."""

from __future__ import annotations

import uuid


def new_id() -> str:
    return uuid.uuid4().hex
