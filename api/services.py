"""What the views need, built once per app and reachable through `services()`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from core.queue import Publisher
from core.records import RecordsService
from core.request_budgets import RequestBudgets
from core.settings import Settings
from core.stores import RedisStores


@dataclass
class Services:
    settings: Settings
    stores: RedisStores
    budgets: RequestBudgets  # TURN_RATE_LIMIT and READ_RATE_LIMIT (api/rate_limits.py)
    publisher: Publisher
    provider_name: str
    records: RecordsService  # profiles, clients, issued invoices (the SQL database)
    configuration_problem: str = ""  # what the settings cannot do (health says it), if anything


def services() -> Services:
    return current_app.extensions["invoice_agent"]
