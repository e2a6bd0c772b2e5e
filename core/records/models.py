"""The records tables (SQLAlchemy 2 typed ORM). The schema itself is made by the migrations
in `core/records/migrations`; a test checks that these models and the migrations agree.

    profiles          one per owner: seller, payment, defaults, numbering (one JSON document)
    number_sequences  (owner, series, period) -> the last number drawn; period is the year
                      when the series' pattern has {year}, else ""
    clients           per owner: the party (JSON) and normalised keys to match it by
    issued_invoices   per owner: the invoice JSON as issued (never changed afterwards) and
                      the columns to find it by; status and paid_at are the only changes
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# Named constraints, so that migrations (and SQLite's batch mode) can refer to them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

OWNER = String(64)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime; SQLite, which has no time zones, keeps it naive in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Profile(Base):
    __tablename__ = "profiles"

    owner: Mapped[str] = mapped_column(OWNER, primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # {seller, payment, defaults, numbering}
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NumberSequence(Base):
    __tablename__ = "number_sequences"

    owner: Mapped[str] = mapped_column(OWNER, primary_key=True)
    series: Mapped[str] = mapped_column(String(16), primary_key=True)  # invoice | credit_note
    period: Mapped[str] = mapped_column(String(8), primary_key=True)  # "2026", or "" (never resets)
    last_value: Mapped[int] = mapped_column(Integer)


class Client(Base):
    __tablename__ = "clients"
    __table_args__ = (
        Index(None, "owner", "tax_key"),
        Index(None, "owner", "email_key"),
        Index(None, "owner", "name_key"),
        Index(None, "owner", "display_name"),
        Index(None, "owner", "person_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(OWNER)
    party: Mapped[dict[str, Any]] = mapped_column(JSON)
    display_name: Mapped[str] = mapped_column(String(200))  # company, else name
    # matching keys: case- and space-insensitive (core/records/clients.py)
    tax_key: Mapped[str | None] = mapped_column(String(64))
    email_key: Mapped[str | None] = mapped_column(String(254))
    name_key: Mapped[str | None] = mapped_column(String(200))  # of the display name
    person_key: Mapped[str | None] = mapped_column(String(200))  # of the party's own name
    invoice_count: Mapped[int] = mapped_column(Integer, default=0)
    last_invoice_number: Mapped[str | None] = mapped_column(String(64))
    last_invoiced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IssuedInvoice(Base):
    __tablename__ = "issued_invoices"
    __table_args__ = (
        UniqueConstraint("owner", "number"),
        UniqueConstraint("owner", "idempotency_key"),
        UniqueConstraint("owner", "session_id"),
        Index(None, "owner", "issued_at"),
        Index(None, "owner", "client_id"),
        Index(None, "owner", "status"),
        Index(None, "credits_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(OWNER)
    number: Mapped[str] = mapped_column(String(64))
    series: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))  # invoice | credit_note
    status: Mapped[str] = mapped_column(String(16))  # issued | paid | credited
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the invoice as issued
    client_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("clients.id", ondelete="SET NULL")
    )
    buyer_name: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[str] = mapped_column(String(40))  # the decimal string of the JSON, never a float
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    credits_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("issued_invoices.id", ondelete="RESTRICT")
    )
    session_id: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    search_text: Mapped[str] = mapped_column(
        Text, server_default=""
    )  # casefolded number, buyer, lines


class ImmutableInvoice(Exception):
    """Code tried to change an issued invoice's document: a bug, never a client's error."""


@event.listens_for(Session, "before_flush")
def _issued_documents_never_change(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.dirty:
        if isinstance(obj, IssuedInvoice):
            state = inspect(obj)
            for name in ("document", "number", "owner", "type", "issue_date", "total"):
                if state.attrs[name].history.has_changes():
                    raise ImmutableInvoice(f"issued invoice {obj.number}: {name} cannot change")
