"""Search: a casefolded text of each issued invoice, and clients found by the person's name.

Both columns are filled for the rows already there, from the stored JSON.

Revision ID: 0002
Revises: 0001
Created: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PARTY_FIELDS = ("name", "company", "email", "phone", "address", "tax_id")

# The tables as this revision knows them: a migration never imports today's models.
invoices = sa.table(
    "issued_invoices",
    sa.column("id", sa.Integer()),
    sa.column("document", sa.JSON()),
    sa.column("search_text", sa.Text()),
)
clients = sa.table(
    "clients",
    sa.column("id", sa.String()),
    sa.column("party", sa.JSON()),
    sa.column("person_key", sa.String()),
)


def _search_text(document: dict) -> str:
    buyer = document.get("buyer") or {}
    parts = [document.get("number"), *(buyer.get(k) for k in PARTY_FIELDS)]
    parts += [item.get("description") for item in document.get("items") or ()]
    return " ".join(str(part) for part in parts if part).casefold()[:4000]


def _key(text: object) -> str | None:
    return ("".join(text.split()).casefold() or None) if isinstance(text, str) else None


def upgrade() -> None:
    op.add_column(
        "issued_invoices", sa.Column("search_text", sa.Text(), nullable=False, server_default="")
    )
    op.add_column("clients", sa.Column("person_key", sa.String(200), nullable=True))
    op.create_index("ix_clients_owner_person_key", "clients", ["owner", "person_key"])
    connection = op.get_bind()
    for row in connection.execute(sa.select(invoices.c.id, invoices.c.document)):
        connection.execute(
            invoices.update()
            .where(invoices.c.id == row.id)
            .values(search_text=_search_text(row.document or {}))
        )
    for row in connection.execute(sa.select(clients.c.id, clients.c.party)):
        connection.execute(
            clients.update()
            .where(clients.c.id == row.id)
            .values(person_key=_key((row.party or {}).get("name")))
        )


def downgrade() -> None:
    op.drop_index("ix_clients_owner_person_key", table_name="clients")
    op.drop_column("clients", "person_key")
    op.drop_column("issued_invoices", "search_text")
