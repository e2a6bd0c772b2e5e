"""The migrations: from an empty database, from the previous revision with data in it, twice,
and in step with the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from core.records import RecordsService
from core.records.migrate import alembic_config, upgrade
from core.records.models import Base
from core.schemas import dump_invoice
from tests.conftest import ROOT
from tests.support.records import BACKENDS
from tests.support.samples import sample_invoice

pytestmark = pytest.mark.parametrize("empty_records_url", BACKENDS, indirect=True)
TABLES = {"profiles", "number_sequences", "clients", "issued_invoices", "alembic_version"}


def revision(url: str) -> str | None:
    engine = create_engine(url)
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    return current


def test_upgrade_from_empty_makes_the_schema_of_the_models(empty_records_url):
    upgrade(empty_records_url)
    engine = create_engine(empty_records_url)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == TABLES
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()
    assert revision(empty_records_url) == "0002"


def test_upgrade_from_the_previous_revision_keeps_and_completes_the_data(empty_records_url):
    upgrade(empty_records_url, "0001")
    invoice = dump_invoice(sample_invoice(number="2026-0001"))
    invoice.update(status="issued", type="invoice")
    issued_at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    engine = create_engine(empty_records_url)
    naive = empty_records_url.startswith("sqlite")
    stamp = issued_at.replace(tzinfo=None) if naive else issued_at
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO clients (id, owner, party, display_name, tax_key, email_key, "
                "name_key, invoice_count, last_invoice_number, last_invoiced_at, created_at, "
                "updated_at) VALUES ('c1', 'local', :party, 'Acme Corp SAS', 'fr40303265045', "
                "'ap@acme.example', 'acmecorpsas', 1, '2026-0001', :at, :at, :at)"
            ),
            {"party": json.dumps(invoice["buyer"]), "at": stamp},
        )
        connection.execute(
            text(
                "INSERT INTO issued_invoices (owner, number, series, type, status, document, "
                "client_id, buyer_name, currency, total, issue_date, due_date, issued_at) "
                "VALUES ('local', '2026-0001', 'invoice', 'invoice', 'issued', :document, 'c1', "
                "'Acme Corp SAS', 'EUR', :total, :issue_date, NULL, :at)"
            ),
            {
                "document": json.dumps(invoice),
                "total": invoice["total"],
                "issue_date": datetime(2026, 3, 2).date(),
                "at": stamp,
            },
        )
        connection.execute(
            text(
                "INSERT INTO number_sequences (owner, series, period, last_value) "
                "VALUES ('local', 'invoice', '2026', 1)"
            )
        )
    engine.dispose()

    upgrade(empty_records_url)

    records = RecordsService.from_url(empty_records_url)
    try:
        kept = records.invoice("", "2026-0001")
        assert kept["total"] == invoice["total"] and kept["client_id"] == "c1"
        assert records.list_invoices("", q="consulting").total == 1  # search_text filled in
        assert records.find_client("", "Jean Dupont")["client_id"] == "c1"  # person_key too
        again = dump_invoice(sample_invoice())
        again["number"] = None
        assert records.issue("", again).invoice["number"] == "2026-0002"
    finally:
        records.close()


def test_migrating_twice_changes_nothing_and_downgrade_undoes_it(empty_records_url):
    done = subprocess.run(
        [sys.executable, "-m", "core.records.migrate"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": empty_records_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "schema is current" in done.stdout
    assert "@" not in done.stdout.split("records database: ", 1)[1].split("\n")[0].replace(
        "***@", ""
    )  # no credentials printed
    upgrade(empty_records_url)
    assert revision(empty_records_url) == "0002"
    command.downgrade(alembic_config(empty_records_url), "base")
    engine = create_engine(empty_records_url)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == {"alembic_version"}
    engine.dispose()
