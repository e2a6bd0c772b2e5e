"""Bring the records database to the current schema: `python -m core.records.migrate`.

Alembic's `upgrade head` against DATABASE_URL. Safe to run any number of times (a current
schema is left as it is) and from several places at once on PostgreSQL (Alembic's version
row is updated in the migration's transaction). `make run` (scripts/run.py), the compose
`migrate` service and the Kubernetes Job run exactly this before the API and workers start.
New revisions: `alembic -c core/records/alembic.ini revision -m "what changes"`.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from core.records.database import resolve_url
from core.settings import Settings, redact_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """Alembic's configuration for `database_url`, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # kept out of the ini options: ConfigParser would read a '%' in a password as a reference
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database at `database_url` up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings.from_env()
    url = settings.database_url
    print(f"records database: {redact_url(str(resolve_url(url)))}", flush=True)
    upgrade(url)
    print("records database: schema is current", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
