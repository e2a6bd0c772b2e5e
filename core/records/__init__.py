"""The records a business keeps: profiles, clients, issued invoices and their numbers.

A SQL database through SQLAlchemy 2 (SQLite by default, PostgreSQL in production), its schema
made by Alembic migrations (`python -m core.records.migrate`). Redis keeps the short-lived
sessions; what must last lives here. No Flask, no Celery: the API and the worker call
`RecordsService`.
"""

from core.records.service import Issued, Page, RecordsService, owner_key

__all__ = ["Issued", "Page", "RecordsService", "owner_key"]
