"""Profiles, number sequences, clients and issued invoices.

Revision ID: 0001
Revises:
Created: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.records.models import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("owner", name="pk_profiles"),
    )
    op.create_table(
        "number_sequences",
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("series", sa.String(16), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("owner", "series", "period", name="pk_number_sequences"),
    )
    op.create_table(
        "clients",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("party", sa.JSON(), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("tax_key", sa.String(64), nullable=True),
        sa.Column("email_key", sa.String(254), nullable=True),
        sa.Column("name_key", sa.String(200), nullable=True),
        sa.Column("invoice_count", sa.Integer(), nullable=False),
        sa.Column("last_invoice_number", sa.String(64), nullable=True),
        sa.Column("last_invoiced_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clients"),
    )
    for column in ("tax_key", "email_key", "name_key", "display_name"):
        op.create_index(f"ix_clients_owner_{column}", "clients", ["owner", column])
    op.create_table(
        "issued_invoices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("series", sa.String(16), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("client_id", sa.String(32), nullable=True),
        sa.Column("buyer_name", sa.String(200), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total", sa.String(40), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("paid_at", UtcDateTime(), nullable=True),
        sa.Column("credits_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_issued_invoices"),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name="fk_issued_invoices_client_id_clients",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["credits_id"], ["issued_invoices.id"],
            name="fk_issued_invoices_credits_id_issued_invoices", ondelete="RESTRICT",
        ),
        sa.UniqueConstraint("owner", "number", name="uq_issued_invoices_owner_number"),
        sa.UniqueConstraint(
            "owner", "idempotency_key", name="uq_issued_invoices_owner_idempotency_key"
        ),
        sa.UniqueConstraint("owner", "session_id", name="uq_issued_invoices_owner_session_id"),
    )  # fmt: skip
    for columns in (("owner", "issued_at"), ("owner", "client_id"), ("owner", "status")):
        op.create_index(f"ix_issued_invoices_{'_'.join(columns)}", "issued_invoices", columns)
    op.create_index("ix_issued_invoices_credits_id", "issued_invoices", ["credits_id"])


def downgrade() -> None:
    op.drop_table("issued_invoices")
    op.drop_table("clients")
    op.drop_table("number_sequences")
    op.drop_table("profiles")
