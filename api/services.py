"""What the views need, built once per app and reachable through `services()`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from api.queue import TurnQueue
from core.batches import BatchStore
from core.concurrency import ConcurrencyLimit
from core.settings import Settings
from core.store import SessionStore


@dataclass
class Services:
    settings: Settings
    store: SessionStore
    queue: TurnQueue
    provider_name: str
    batches: BatchStore
    renders: ConcurrencyLimit  # exports being made at once, per API key


def services() -> Services:
    return current_app.extensions["invoice_agent"]
