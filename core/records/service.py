"""The records service: profiles, clients and issued invoices of each owner.

Owners are API-key hashes, or "" when auth is off, which is stored as "local". Nothing here
is visible to another owner: every lookup is by (owner, …), and what is not the caller's is
"not found".

**Numbers are gapless.** An invoice's number is drawn in the same transaction that stores
the invoice: `INSERT … ON CONFLICT DO UPDATE SET last_value = last_value + 1 RETURNING` on
the owner's (series, period) row of `number_sequences`. On PostgreSQL that statement locks the
row until the transaction ends, so issuers of one owner and series queue there and each sees
the last committed value; on SQLite the transaction holds the database's write lock from its
first statement (BEGIN IMMEDIATE). Either way a transaction that fails, is retried, or dies
with its process (SIGKILL, a crash) rolls back its increment with everything else: no
number is burned, none is handed out twice.

**Idempotent.** An issue (or credit note) request may carry a key; it is stored with the
invoice (unique per owner), so the same key never issues twice: the second request gets the
first one's invoice. A session's invoice is issued once (session id unique per owner).
"""

from __future__ import annotations

import copy
import functools
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from marshmallow import ValidationError
from sqlalchemy import Engine, bindparam, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import (
    ClientNotFound,
    InvoiceIssued,
    InvoiceNotFound,
    Unavailable,
    ValidationFailed,
)
from core.invoice import InvoiceRuleError, price_invoice
from core.records import clients as client_rules
from core.records.database import in_transaction, make_engine, session_factory
from core.records.mentions import find_mentions
from core.records.models import Client, IssuedInvoice, NumberSequence, Profile
from core.records.numbering import (
    CREDIT_NOTE_SERIES,
    DEFAULT_PATTERNS,
    INVOICE_SERIES,
    NUMBER,
    format_number,
    period,
)
from core.records.schemas import PROFILE_SECTIONS, load_client_patch, load_profile_patch
from core.schemas import dump_invoice, load_draft

T = TypeVar("T")
Clock = Callable[[], datetime]

LOCAL_OWNER = "local"
STATUSES = ("issued", "paid", "credited")
TYPES = ("invoice", "credit_note")
# Fields the records own: whatever a draft says about them is replaced when it is issued.
RECORD_FIELDS = (
    "number",
    "status",
    "type",
    "issued_at",
    "paid_at",
    "credit_note_numbers",
    "credits",
)
# What a copy keeps of the original: the parties, the lines and the terms, not its dates,
# number, order or delivery references.
COPIED_FIELDS = (
    "currency", "seller", "buyer", "items", "discount", "notes", "payment_terms", "payment",
    "buyer_reference",
)  # fmt: skip
MAX_SEARCH_TEXT = 4000
_LIKE_SPECIALS = re.compile(r"([\\%_])")
# The draw, one statement on both backends. Written out because SQLAlchemy compiles its
# `insert().on_conflict_do_update()` again on every execution (it is not cached): that was
# a fifth of the CPU of an issue.
_DRAW = text(
    "INSERT INTO number_sequences (owner, series, period, last_value)"
    " VALUES (:owner, :series, :period, 1)"
    " ON CONFLICT (owner, series, period) DO UPDATE"
    " SET last_value = number_sequences.last_value + 1"
    " RETURNING last_value"
)
# Issuing's other writes, built once (a statement with its values inside is keyed and
# looked up in the compiled cache value by value on every execution).
_NEW_INVOICE = IssuedInvoice.__table__.insert()
_NEW_CLIENT = Client.__table__.insert()
_CLIENT_INVOICED = (
    Client.__table__.update()
    .where(Client.__table__.c.id == bindparam("client_id"))
    .values(invoice_count=func.coalesce(Client.__table__.c.invoice_count, 0) + 1)
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def owner_key(owner: str) -> str:
    """The owner as stored: the API-key hash, or "local" when auth is off ("")."""
    return owner or LOCAL_OWNER


def isoformat(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Page:
    """One page of a listing, as the API returns it."""

    items: list[dict[str, Any]]
    page: int
    per_page: int
    total: int


@dataclass(frozen=True)
class Issued:
    """An issued invoice (or credit note); `replayed` when an earlier request with the same
    idempotency key had issued it."""

    invoice: dict[str, Any]
    replayed: bool = False


class _Replay(Exception):
    """Raised inside a transaction to roll it back and answer with an earlier result."""

    def __init__(self, row: IssuedInvoice):
        self.row = row


def _field_errors(messages: Any) -> dict[str, Any]:
    return messages if isinstance(messages, dict) else {"_schema": messages}


class RecordsService:
    """Profiles, clients, issued invoices and their numbers on one SQL database."""

    def __init__(self, engine: Engine, *, clock: Clock = utc_now):
        self.engine = engine
        self.clock = clock
        self._sessions = session_factory(engine)
        self._dialect = engine.dialect.name
        # SQLite has one writer at a time, for the whole of its write transaction
        self._serial_writes = self._dialect == "sqlite"

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RecordsService:
        """A service on `url` (DATABASE_URL). Connects lazily: nothing is opened until used."""
        return cls(make_engine(url), **kwargs)

    def close(self) -> None:
        self.engine.dispose()

    def answers(self) -> bool:
        """True when the database answers a query on its schema now (health checks): reachable
        and migrated."""
        try:
            self._read(lambda session: session.execute(select(Profile.owner).limit(1)).all())
        except Unavailable:
            return False
        return True

    def _read(self, work: Callable[[Session], T]) -> T:
        return in_transaction(self._sessions, work, write=False)

    def _write(self, work: Callable[[Session], T]) -> T:
        return in_transaction(self._sessions, work, write=True)

    # -- profile -------------------------------------------------------------------------

    def profile(self, owner: str) -> dict[str, Any]:
        """The owner's profile; sections never set are {} (numbering shows the defaults)."""
        owner = owner_key(owner)

        return self._read(lambda session: _profile_in(session, owner))

    def update_profile(self, owner: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Merge `patch` into the profile (null clears a field or a section); the whole
        profile after. Raises ValidationFailed with one message list per field."""
        owner = owner_key(owner)
        try:
            changes = load_profile_patch(patch)
        except ValidationError as exc:
            raise ValidationFailed(details=_field_errors(exc.messages)) from None

        def work(session: Session) -> dict[str, Any]:
            row = session.get(Profile, owner)
            document = copy.deepcopy(row.document) if row else {}
            for section, values in changes.items():
                merged = {} if values is None else dict(document.get(section) or {})
                for name, value in (values or {}).items():
                    if value is None:
                        merged.pop(name, None)
                    else:
                        merged[name] = value
                if merged:
                    document[section] = merged
                else:
                    document.pop(section, None)
            patterns = _patterns(document)
            if patterns[INVOICE_SERIES] == patterns[CREDIT_NOTE_SERIES]:
                raise ValidationFailed(
                    details={
                        "numbering": {
                            "credit_note_pattern": [
                                "Invoices and credit notes need different patterns."
                            ]
                        }
                    }
                )
            now = self.clock()
            if row is None:
                session.add(Profile(owner=owner, document=document, updated_at=now))
            else:
                row.document = document
                row.updated_at = now
            return _profile_view(document)

        try:
            return self._write(work)
        except IntegrityError:  # another request created this owner's profile meanwhile
            return self._write(work)

    # -- clients -------------------------------------------------------------------------

    def list_clients(
        self, owner: str, *, q: str | None = None, page: int = 1, per_page: int = 50
    ) -> Page:
        """The owner's clients by name; `q` finds a name, company, e-mail or VAT ID part."""
        owner = owner_key(owner)
        query = select(Client).where(Client.owner == owner)
        key = client_rules.normalise(q)
        if key:
            pattern = f"%{_like_escaped(key)}%"
            query = query.where(
                or_(
                    *(
                        getattr(Client, column).like(pattern, escape="\\")
                        for column in ("name_key", "person_key", "email_key", "tax_key")
                    )
                )
            )

        def work(session: Session) -> Page:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.order_by(Client.name_key, Client.id)
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
            return Page([_client_view(row) for row in rows], page, per_page, total)

        return self._read(work)

    def client(self, owner: str, client_id: str) -> dict[str, Any]:
        """One client. Raises ClientNotFound (also for another owner's)."""
        owner = owner_key(owner)
        return self._read(lambda session: _client_view(_client_row(session, owner, client_id)))

    def update_client(
        self, owner: str, client_id: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Change a client's details (null clears a field; the name stays). Raises
        ClientNotFound, ValidationFailed."""
        owner = owner_key(owner)
        try:
            loaded = load_client_patch(changes)
        except ValidationError as exc:
            raise ValidationFailed(details=_field_errors(exc.messages)) from None

        def work(session: Session) -> dict[str, Any]:
            row = _client_row(session, owner, client_id)
            party = dict(row.party)
            for name, value in loaded.items():
                if value is None:
                    party.pop(name, None)
                else:
                    party[name] = value
            _set_party(row, party, self.clock())
            return _client_view(row)

        return self._write(work)

    def delete_client(self, owner: str, client_id: str) -> None:
        """Forget a client; its invoices keep their buyer. Raises ClientNotFound."""
        owner = owner_key(owner)

        def work(session: Session) -> None:
            session.delete(_client_row(session, owner, client_id))

        self._write(work)

    def save_client(self, owner: str, party: Mapping[str, Any]) -> dict[str, Any]:
        """Remember `party` as a client: the matching one brought up to date, or a new one.
        Raises ValidationFailed when the party has no name."""
        owner = owner_key(owner)
        try:
            loaded = load_client_patch(dict(party))
        except ValidationError as exc:
            raise ValidationFailed(details=_field_errors(exc.messages)) from None
        if not loaded.get("name"):
            raise ValidationFailed(details={"name": ["A client needs a name."]})
        clean = {k: v for k, v in loaded.items() if v is not None}
        return self._write(lambda session: _client_view(self._save_party(session, owner, clean)))

    def find_client(self, owner: str, text: str) -> dict[str, Any] | None:
        """The client `text` names: an exact VAT ID, e-mail, company or name (case and spaces
        ignored), else the only client whose company or name starts with it; else None."""
        owner = owner_key(owner)
        key = client_rules.normalise(text)
        if key is None:
            return None

        def work(session: Session) -> dict[str, Any] | None:
            for column in ("tax_key", "email_key", "name_key", "person_key"):
                found = session.scalars(
                    select(Client)
                    .where(Client.owner == owner, getattr(Client, column) == key)
                    .order_by(Client.last_invoiced_at.desc(), Client.created_at)
                    .limit(1)
                ).first()
                if found is not None:
                    return _client_view(found)
            prefix = f"{_like_escaped(key)}%"
            candidates = session.scalars(
                select(Client)
                .where(
                    Client.owner == owner,
                    or_(
                        Client.name_key.like(prefix, escape="\\"),
                        Client.person_key.like(prefix, escape="\\"),
                    ),
                )
                .limit(2)
            ).all()
            return _client_view(candidates[0]) if len(candidates) == 1 else None

        return self._read(work)

    def last_invoice_for_client(self, owner: str, client_id: str) -> dict[str, Any] | None:
        """The client's most recent issued invoice (not a credit note), or None.
        Raises ClientNotFound."""
        owner = owner_key(owner)

        def work(session: Session) -> dict[str, Any] | None:
            _client_row(session, owner, client_id)
            row = session.scalars(
                select(IssuedInvoice)
                .where(
                    IssuedInvoice.owner == owner,
                    IssuedInvoice.client_id == client_id,
                    IssuedInvoice.type == "invoice",
                )
                .order_by(IssuedInvoice.issued_at.desc(), IssuedInvoice.id.desc())
                .limit(1)
            ).first()
            return _invoice_view(session, row) if row else None

        return self._read(work)

    def clients_mentioned(self, owner: str, text: str) -> list[dict[str, Any]]:
        """The clients a chat message may name (core/records/mentions.py), each with
        `mentioned_as`, `match` ("exact" or "prefix") and `last_invoice`: the lines and
        terms of its most recent issued invoice (not a credit note), or None."""
        owner = owner_key(owner)

        return self._read(lambda session: _mentioned_in(session, owner, text))

    def for_message(self, owner: str, text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """`profile(owner)` and `clients_mentioned(owner, text)`, read in one transaction
        (what a chat turn reads before its provider is called)."""
        owner = owner_key(owner)
        return self._read(
            lambda session: (_profile_in(session, owner), _mentioned_in(session, owner, text))
        )

    # -- issuing -------------------------------------------------------------------------

    def issue(
        self,
        owner: str,
        invoice: Mapping[str, Any] | None,
        *,
        session_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Issued:
        """Issue a draft: its number drawn and the invoice stored in one transaction.

        The profile fills a missing seller and payment details. Returns the issued invoice
        (the first one, `replayed`, when `idempotency_key` was used before). Raises
        ValidationFailed (nothing to issue, or what is missing), InvoiceIssued (the
        session's invoice was issued already), Unavailable.
        """
        owner = owner_key(owner)

        def prepare(session: Session) -> Issued | tuple[dict[str, Any], date, str]:
            # reads, no lock: an earlier result of this key or session, and the profile; then
            # the draft validated and priced (the costly part, before any lock is taken)
            try:
                _check_not_issued(session, owner, idempotency_key, session_id)
            except _Replay as replay:
                return Issued(_invoice_view(session, replay.row), replayed=True)
            profile = _profile_document(session, owner)
            document, issue_date = _issuable(invoice, _profile_view(profile))
            return document, issue_date, _patterns(profile)[INVOICE_SERIES]

        # SQLite's write transaction holds the whole database from its first statement, so
        # the reads go in a transaction of their own before it. On PostgreSQL only the draw
        # locks (the owner's sequence row): reads and draw share one transaction, one
        # connection checkout and one commit fewer.
        prepared = self._read(prepare) if self._serial_writes else None
        if isinstance(prepared, Issued):
            return prepared

        def work(session: Session, check_taken: bool) -> Issued:
            ready = prepared or prepare(session)
            if isinstance(ready, Issued):
                return ready
            document, issue_date, pattern = ready
            # From the draw to the commit this owner's series is held: keep it short (three
            # statements and the commit). A concurrent request with the same key or session
            # is stopped by the unique constraints and answered by `_issuing`.
            number = self._draw(session, owner, INVOICE_SERIES, pattern, issue_date, check_taken)
            now = self.clock()
            stored = {**document, "number": number, "status": "issued", "type": "invoice"}
            stored["issued_at"] = isoformat(now)
            client_id = self._remember(
                session, owner, stored.get("buyer") or {}, invoice=(number, now)
            )
            values = _row_values(
                owner, stored, series=INVOICE_SERIES, issued_at=now, client_id=client_id,
                session_id=session_id, idempotency_key=idempotency_key,
            )  # fmt: skip
            session.execute(_NEW_INVOICE, values)
            # the view from the values just written (an ORM row, never added to the session)
            return Issued(_invoice_view(session, IssuedInvoice(**values), credit_note_numbers=[]))

        return self._issuing(work, owner, idempotency_key, session_id)

    def credit_note(self, owner: str, number: str, *, idempotency_key: str | None = None) -> Issued:
        """Issue a credit note reversing invoice `number` in full (its own number series,
        BT-25/26 referring to the invoice); the invoice becomes `credited`.

        Raises InvoiceNotFound, ValidationFailed (a credit note, or credited already).
        """
        owner = owner_key(owner)
        earlier = self.already_issued(owner, idempotency_key=idempotency_key)
        if earlier is not None:
            return earlier

        def work(session: Session, check_taken: bool) -> Issued:
            original = _invoice_row(session, owner, number, for_update=True)
            if original.type == "credit_note":
                raise ValidationFailed(
                    f"{original.number} is a credit note; a credit note cannot be credited.",
                    details={"number": ["A credit note cannot be credited."]},
                )
            if original.status == "credited":
                credited_by = _credit_note_numbers(session, original)
                raise ValidationFailed(
                    f"{original.number} was credited already ({', '.join(credited_by)}).",
                    details={"number": [f"Credited already by {', '.join(credited_by)}."]},
                )
            today = self.clock().date()
            pattern = _patterns(_profile_document(session, owner))[CREDIT_NOTE_SERIES]
            cn_number = self._draw(session, owner, CREDIT_NOTE_SERIES, pattern, today, check_taken)
            now = self.clock()
            stored = _credit_note_document(original, cn_number, today, now)
            row = _new_row(
                owner, stored, series=CREDIT_NOTE_SERIES, issued_at=now,
                client_id=original.client_id, idempotency_key=idempotency_key,
                credits_id=original.id,
            )  # fmt: skip
            session.add(row)
            original.status = "credited"
            session.flush()
            return Issued(_invoice_view(session, row, credit_note_numbers=[]))

        return self._issuing(work, owner, idempotency_key, None)

    def already_issued(
        self, owner: str, *, idempotency_key: str | None = None, session_id: str | None = None
    ) -> Issued | None:
        """What an earlier request issued with this key (`replayed`), or None. Raises
        InvoiceIssued when the session's invoice was issued already, ValidationFailed when
        the key was used for another session. A cheap read, no lock."""
        owner = owner_key(owner)

        def work(session: Session) -> Issued | None:
            try:
                _check_not_issued(session, owner, idempotency_key, session_id)
            except _Replay as replay:
                return Issued(_invoice_view(session, replay.row), replayed=True)
            return None

        return self._read(work)

    def _issuing(
        self,
        work: Callable[[Session, bool], Issued],
        owner: str,
        idempotency_key: str | None,
        session_id: str | None,
    ) -> Issued:
        """Run an issuing transaction; a concurrent request that won (same key, same
        session) is answered after the rollback. The drawn number is not looked up first:
        a number taken already (the pattern was changed to one that made it before) fails
        the unique constraint, and the transaction is run again with the look-up."""
        check_taken = False
        for _ in range(3):
            try:
                return self._write(functools.partial(work, check_taken=check_taken))
            except (_Replay, IntegrityError):
                earlier = self.already_issued(
                    owner, idempotency_key=idempotency_key, session_id=session_id
                )
                if earlier is not None:
                    return earlier
                check_taken = True
        return self._write(functools.partial(work, check_taken=True))

    def _draw(
        self,
        session: Session,
        owner: str,
        series: str,
        pattern: str,
        on: date,
        check_taken: bool = True,
    ) -> str:
        """The next number of the owner's series in this transaction (row locked until it
        ends). With `check_taken`, numbers taken already are skipped (a pattern changed to
        an earlier one); without, the unique constraint on (owner, number) catches them."""
        key = {"owner": owner, "series": series, "period": period(pattern, on.year)}
        for _ in range(10_000):
            number = format_number(pattern, on.year, session.execute(_DRAW, key).scalar_one())
            if not check_taken:
                return number
            taken = session.scalar(
                select(IssuedInvoice.id).where(
                    IssuedInvoice.owner == owner, IssuedInvoice.number == number
                )
            )
            if taken is None:
                return number
        raise ValidationFailed(
            details={"numbering": ["Every number of this pattern is taken; change the pattern."]}
        )

    def _save_party(self, session: Session, owner: str, party: Mapping[str, Any]) -> Client:
        """The client `party` is (brought up to date), or a new one."""
        now = self.clock()
        row = client_rules.matching_client(session, owner, party)
        if row is None:
            row = Client(id=uuid.uuid4().hex, owner=owner, invoice_count=0, created_at=now)
            session.add(row)
            _set_party(row, {k: v for k, v in party.items() if v not in (None, "")}, now)
        else:
            _set_party(row, client_rules.merged_party(row.party, party), now)
        session.flush()
        return row

    def _remember(
        self,
        session: Session,
        owner: str,
        party: Mapping[str, Any],
        *,
        invoice: tuple[str, datetime],
    ) -> str:
        """The id of the client `party` is (brought up to date, the invoice counted), or of
        a new one. Two statements without the ORM: issuing holds the owner's sequence."""
        now = self.clock()
        number, issued_at = invoice
        found = client_rules.matching_row(session, owner, party)
        if found is None:
            client_id = uuid.uuid4().hex
            clean = {k: v for k, v in party.items() if v not in (None, "")}
            values = {"id": client_id, "owner": owner, "created_at": now, "invoice_count": 1}
            values.update(_party_columns(clean, now))
            statement = _NEW_CLIENT
        else:
            client_id = found.id
            values = _party_columns(client_rules.merged_party(found.party, party), now)
            values["client_id"] = client_id
            statement = _CLIENT_INVOICED
        values.update(last_invoice_number=number, last_invoiced_at=issued_at)
        session.execute(statement, values)
        return client_id

    def next_number(self, owner: str, series: str = INVOICE_SERIES, on: date | None = None) -> str:
        """The number the next issue would most likely get (nothing is drawn: another issue
        may take it first)."""
        owner = owner_key(owner)
        on = on or self.clock().date()

        def work(session: Session) -> str:
            pattern = _patterns(_profile_document(session, owner))[series]
            last = session.scalar(
                select(NumberSequence.last_value).where(
                    NumberSequence.owner == owner,
                    NumberSequence.series == series,
                    NumberSequence.period == period(pattern, on.year),
                )
            )
            return format_number(pattern, on.year, (last or 0) + 1)

        return self._read(work)

    # -- issued invoices -------------------------------------------------------------------

    def invoice(self, owner: str, number: str) -> dict[str, Any]:
        """An issued invoice with its status. Raises InvoiceNotFound (another owner's too)."""
        owner = owner_key(owner)
        return self._read(
            lambda session: _invoice_view(session, _invoice_row(session, owner, number))
        )

    def issued_for_session(self, owner: str, session_id: str) -> dict[str, Any] | None:
        """The invoice issued from this chat session, or None."""
        owner = owner_key(owner)

        def work(session: Session) -> dict[str, Any] | None:
            row = session.scalars(
                select(IssuedInvoice).where(
                    IssuedInvoice.owner == owner, IssuedInvoice.session_id == session_id
                )
            ).first()
            return _invoice_view(session, row) if row else None

        return self._read(work)

    def list_invoices(
        self,
        owner: str,
        *,
        client_id: str | None = None,
        status: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        q: str | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> Page:
        """Issued invoices and credit notes, newest first, filtered; summaries only."""
        owner = owner_key(owner)
        query = select(IssuedInvoice).where(IssuedInvoice.owner == owner)
        if client_id:
            query = query.where(IssuedInvoice.client_id == client_id)
        if status:
            query = query.where(IssuedInvoice.status == status)
        if date_from:
            query = query.where(IssuedInvoice.issue_date >= date_from)
        if date_to:
            query = query.where(IssuedInvoice.issue_date <= date_to)
        words = (q or "").casefold().split()
        for word in words[:10]:
            query = query.where(
                IssuedInvoice.search_text.like(f"%{_like_escaped(word)}%", escape="\\")
            )

        def work(session: Session) -> Page:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.order_by(IssuedInvoice.issued_at.desc(), IssuedInvoice.id.desc())
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
            return Page([_summary(row) for row in rows], page, per_page, total)

        return self._read(work)

    def mark_paid(self, owner: str, number: str, paid_at: datetime | None = None) -> dict[str, Any]:
        """Record that an invoice was paid (at `paid_at`, default now); nothing else changes.
        Raises InvoiceNotFound, ValidationFailed (a credit note, a credited invoice, a date
        in the future)."""
        owner = owner_key(owner)
        now = self.clock()
        if paid_at is not None:
            if paid_at.tzinfo is None:
                paid_at = paid_at.replace(tzinfo=UTC)
            if paid_at > now + timedelta(days=1):
                raise ValidationFailed(details={"paid_at": ["The payment date is in the future."]})

        def work(session: Session) -> dict[str, Any]:
            row = _invoice_row(session, owner, number, for_update=True)
            if row.type == "credit_note":
                raise ValidationFailed(
                    details={"status": ["A credit note is not paid; its invoice was credited."]}
                )
            if row.status == "credited":
                raise ValidationFailed(
                    details={"status": ["This invoice was credited; it cannot be paid."]}
                )
            row.status = "paid"
            row.paid_at = paid_at or now
            session.flush()
            return _invoice_view(session, row)

        return self._write(work)

    def copy_draft(self, owner: str, number: str) -> dict[str, Any]:
        """A new draft from invoice `number`: same buyer, lines and terms, today's dates (the
        same payment period), no number. The profile's seller wins over the old one.
        Raises InvoiceNotFound."""
        owner = owner_key(owner)

        def work(session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
            row = _invoice_row(session, owner, number)
            return dict(row.document), _profile_document(session, owner)

        original, profile = self._read(work)
        today = self.clock().date()
        draft = {name: original[name] for name in COPIED_FIELDS if original.get(name) is not None}
        if (profile.get("seller") or {}).get("name"):
            draft["seller"] = profile["seller"]
        draft["issue_date"] = today.isoformat()
        issue_date, due_date = original.get("issue_date"), original.get("due_date")
        if issue_date and due_date:
            term = date.fromisoformat(due_date) - date.fromisoformat(issue_date)
            draft["due_date"] = (today + term).isoformat()
        priced = dump_invoice(price_invoice(load_draft(draft), "", today=today))
        return {**draft, **priced, "number": None, "status": "draft", "type": "invoice"}


# -- helpers ---------------------------------------------------------------------------------


def _like_escaped(text: str) -> str:
    return _LIKE_SPECIALS.sub(r"\\\1", text)


def _repeatable(row: IssuedInvoice) -> dict[str, Any]:
    """What "invoice Acme again" copies of an issued invoice: its number and dates (for the
    reply and the payment period), currency, lines, discount and terms."""
    document = row.document
    kept = ("currency", "items", "discount", "payment_terms", "notes", "issue_date", "due_date")
    repeat = {name: document.get(name) for name in kept if document.get(name) is not None}
    repeat["items"] = [
        {k: v for k, v in item.items() if k in _REPEATED_LINE_FIELDS}
        for item in document.get("items") or ()
    ]
    return {"number": row.number, **repeat}


_REPEATED_LINE_FIELDS = (
    "description", "quantity", "unit", "unit_price", "tax_rate", "discount_percent",
    "tax_category", "exemption_reason",
)  # fmt: skip


def _profile_document(session: Session, owner: str) -> dict[str, Any]:
    row = session.get(Profile, owner)
    return row.document if row else {}


def _patterns(document: Mapping[str, Any]) -> dict[str, str]:
    numbering = document.get("numbering") or {}
    return {
        INVOICE_SERIES: numbering.get("invoice_pattern") or DEFAULT_PATTERNS[INVOICE_SERIES],
        CREDIT_NOTE_SERIES: numbering.get("credit_note_pattern")
        or DEFAULT_PATTERNS[CREDIT_NOTE_SERIES],
    }


def _profile_in(session: Session, owner: str) -> dict[str, Any]:
    document = session.scalar(select(Profile.document).where(Profile.owner == owner))
    return _profile_view(document or {})


def _mentioned_in(session: Session, owner: str, text: str) -> list[dict[str, Any]]:
    found = []
    for mention in find_mentions(session, owner, text):
        last = session.scalars(
            select(IssuedInvoice)
            .where(
                IssuedInvoice.owner == owner,
                IssuedInvoice.client_id == mention.client.id,
                IssuedInvoice.type == "invoice",
            )
            .order_by(IssuedInvoice.issued_at.desc(), IssuedInvoice.id.desc())
            .limit(1)
        ).first()
        found.append(
            {
                **_client_view(mention.client),
                "mentioned_as": mention.mentioned_as,
                "match": mention.match,
                "last_invoice": _repeatable(last) if last else None,
            }
        )
    return found


def _profile_view(document: Mapping[str, Any]) -> dict[str, Any]:
    view = {section: dict(document.get(section) or {}) for section in PROFILE_SECTIONS}
    patterns = _patterns(document)
    view["numbering"] = {
        "invoice_pattern": patterns[INVOICE_SERIES],
        "credit_note_pattern": patterns[CREDIT_NOTE_SERIES],
    }
    return view


def _client_row(session: Session, owner: str, client_id: str) -> Client:
    row = session.get(Client, client_id) if isinstance(client_id, str) else None
    if row is None or row.owner != owner:
        raise ClientNotFound()
    return row


def _set_party(row: Client, party: dict[str, Any], now: datetime) -> None:
    for column, value in _party_columns(party, now).items():
        setattr(row, column, value)


def _party_columns(party: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What a client row stores of `party`: the party, its display name, its keys."""
    return {
        "party": party,
        "display_name": client_rules.display_name(party),
        **client_rules.keys(party),
        "updated_at": now,
    }


def _client_view(row: Client) -> dict[str, Any]:
    party = {name: row.party.get(name) for name in client_rules.PARTY_FIELDS}
    return {
        "client_id": row.id,
        **row.party,
        **party,
        "invoice_count": row.invoice_count or 0,
        "last_invoice_number": row.last_invoice_number,
        "last_invoiced_at": isoformat(row.last_invoiced_at),
    }


def _invoice_row(
    session: Session, owner: str, number: str, *, for_update: bool = False
) -> IssuedInvoice:
    if not isinstance(number, str) or not NUMBER.match(number):
        raise InvoiceNotFound()
    query = select(IssuedInvoice).where(
        IssuedInvoice.owner == owner, IssuedInvoice.number == number
    )
    row = session.scalars(query.with_for_update() if for_update else query).first()
    if row is None:
        raise InvoiceNotFound()
    return row


def _credit_note_numbers(session: Session, row: IssuedInvoice) -> list[str]:
    return list(
        session.scalars(
            select(IssuedInvoice.number)
            .where(IssuedInvoice.credits_id == row.id)
            .order_by(IssuedInvoice.id)
        )
    )


def _invoice_view(
    session: Session, row: IssuedInvoice, *, credit_note_numbers: list[str] | None = None
) -> dict[str, Any]:
    """The stored invoice with what may change since: status, paid_at, its credit notes."""
    view = dict(row.document)
    preceding = view.get("preceding_invoice") or {}
    view.update(
        number=row.number,
        type=row.type,
        status=row.status,
        issued_at=isoformat(row.issued_at),
        paid_at=isoformat(row.paid_at),
        credit_note_numbers=(
            _credit_note_numbers(session, row)
            if credit_note_numbers is None
            else credit_note_numbers
        ),
        credits=preceding.get("number") if row.type == "credit_note" else None,
        client_id=row.client_id,
    )
    return view


def _summary(row: IssuedInvoice) -> dict[str, Any]:
    return {
        "number": row.number,
        "type": row.type,
        "status": row.status,
        "issue_date": row.issue_date.isoformat(),
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "buyer": row.buyer_name,
        "client_id": row.client_id,
        "currency": row.currency,
        "total": row.total,
        "issued_at": isoformat(row.issued_at),
        "paid_at": isoformat(row.paid_at),
    }


def _check_not_issued(
    session: Session, owner: str, idempotency_key: str | None, session_id: str | None
) -> None:
    """Raises _Replay for an earlier request's invoice with this key (of the same session),
    InvoiceIssued when the session's invoice was issued already, ValidationFailed when the
    key was used for a different session's invoice."""
    if not idempotency_key and not session_id:
        return
    conditions = []
    if idempotency_key:
        conditions.append(IssuedInvoice.idempotency_key == idempotency_key)
    if session_id:
        conditions.append(IssuedInvoice.session_id == session_id)
    rows = session.scalars(
        select(IssuedInvoice).where(IssuedInvoice.owner == owner, or_(*conditions))
    ).all()
    for row in rows:
        if idempotency_key and row.idempotency_key == idempotency_key:
            if row.session_id != session_id:
                raise ValidationFailed(
                    "This Idempotency-Key was used for another request; use a new key.",
                    details={"Idempotency-Key": ["Used already for another request."]},
                )
            raise _Replay(row)
    for row in rows:
        raise InvoiceIssued(
            f"This session's invoice was issued already as {row.number}. Create a credit "
            "note to cancel it, or a copy to start a new invoice from it.",
            details={"number": row.number},
        )


def _issuable(
    invoice: Mapping[str, Any] | None, profile: Mapping[str, Any]
) -> tuple[dict[str, Any], date]:
    """The draft as it will be stored (amounts computed again, seller and payment from the
    profile when it has none) and its issue date. Raises ValidationFailed listing what is
    missing or wrong."""
    if not invoice:
        raise ValidationFailed(
            "There is nothing to issue yet: describe the invoice in the chat first.",
            details={"invoice": ["This session has no invoice yet."]},
        )
    document = {k: v for k, v in invoice.items() if k not in RECORD_FIELDS}
    seller = profile.get("seller") or {}
    if not document.get("seller") and seller.get("name"):
        document["seller"] = dict(seller)
    if not document.get("payment") and profile.get("payment"):
        document["payment"] = dict(profile["payment"])
    try:
        draft = load_draft(document)
    except ValidationError as exc:
        raise ValidationFailed(
            "The invoice has fields that are not valid.", details=_field_errors(exc.messages)
        ) from None
    missing: dict[str, list[str]] = {}
    if draft.seller is None:
        missing["seller"] = [
            "Say who is invoicing (your name or company), or save it in your profile."
        ]
    if draft.buyer is None:
        missing["buyer"] = ["Say who the invoice is for."]
    if not draft.items:
        missing["items"] = ["Add at least one line."]
    if draft.issue_date is None:
        missing["issue_date"] = ["Give the invoice an issue date."]
    if missing:
        raise ValidationFailed(
            f"The invoice cannot be issued yet; it needs: {', '.join(missing)}.", details=missing
        )
    assert draft.issue_date is not None  # noqa: S101 - checked just above, for the type checker
    try:
        priced = price_invoice(draft, "", today=draft.issue_date)
    except InvoiceRuleError as exc:
        raise ValidationFailed(exc.message, details={exc.field: [exc.message]}) from None
    document.update(dump_invoice(priced))  # every amount computed here again, never trusted
    return document, draft.issue_date


def _new_row(owner: str, document: dict[str, Any], **kwargs: Any) -> IssuedInvoice:
    return IssuedInvoice(**_row_values(owner, document, **kwargs))


def _row_values(
    owner: str,
    document: dict[str, Any],
    *,
    series: str,
    issued_at: datetime,
    client_id: str | None,
    session_id: str | None = None,
    idempotency_key: str | None = None,
    credits_id: int | None = None,
) -> dict[str, Any]:
    buyer = document.get("buyer") or {}
    return {
        "owner": owner,
        "number": document["number"],
        "series": series,
        "type": document["type"],
        "status": "issued",
        "document": document,
        "client_id": client_id,
        "buyer_name": client_rules.display_name(buyer) or None,
        "currency": document["currency"],
        "total": str(document["total"]),
        "issue_date": date.fromisoformat(document["issue_date"]),
        "due_date": (
            date.fromisoformat(document["due_date"]) if document.get("due_date") else None
        ),
        "issued_at": issued_at,
        "paid_at": None,
        "session_id": session_id,
        "idempotency_key": idempotency_key,
        "credits_id": credits_id,
        "search_text": _search_text(document),
    }


def _search_text(document: Mapping[str, Any]) -> str:
    buyer = document.get("buyer") or {}
    parts = [document.get("number"), *(buyer.get(k) for k in client_rules.PARTY_FIELDS)]
    parts += [item.get("description") for item in document.get("items") or ()]
    text = " ".join(str(part) for part in parts if part)
    return text.casefold()[:MAX_SEARCH_TEXT]


def _credit_note_document(
    original: IssuedInvoice, number: str, today: date, now: datetime
) -> dict[str, Any]:
    """The credit note: the invoice's parties, lines and amounts, referring to it (BT-25/26)."""
    document = {k: v for k, v in original.document.items() if k not in RECORD_FIELDS}
    for name in ("purchase_order", "delivery_date", "prepaid_amount"):
        document.pop(name, None)
    if "amount_due" in document:  # the whole total is credited, whatever was paid before
        document["amount_due"] = document["total"]
    issued_on = original.issue_date.isoformat()
    document.update(
        number=number,
        type="credit_note",
        status="issued",
        issue_date=today.isoformat(),
        due_date=None,
        issued_at=isoformat(now),
        preceding_invoice={"number": original.number, "issue_date": issued_on},
        notes=f"Credit note for invoice {original.number} of {issued_on}: cancels it in full.",
        # BR-CO-25: an amount due needs a due date or terms; this one is settled, not paid
        payment_terms=f"Refunded, or set off against invoice {original.number}.",
    )
    return document
