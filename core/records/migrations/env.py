"""Alembic's environment: one connection to the records database, migrations in batch mode
(SQLite changes a table by copying it), every revision in its own transaction, and on
PostgreSQL one migrator at a time (an advisory lock, released when the connection closes)."""

from __future__ import annotations

from alembic import context

from core.records.database import make_engine
from core.records.models import Base
from core.settings import Settings

config = context.config
url = config.attributes.get("database_url") or Settings.from_env().database_url

MIGRATION_LOCK = 0x1D_0C_A7_E5  # any constant: one migration at a time per PostgreSQL database

engine = make_engine(url, pool_size=1)
try:
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":  # a second migrator waits, then finds it done
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,
            compare_type=True,
            transaction_per_migration=True,
            transactional_ddl=True,  # SQLite too: a revision that fails leaves nothing behind
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
finally:
    engine.dispose()
