"""Recognising a client again: keys that ignore case and spaces, and the matching rule.

A buyer is the same client as a stored one when, in this order:

1. both have a VAT ID (`tax_id`) and it is the same;
2. else both have an e-mail address and it is the same;
3. else their names are the same (the company when there is one, else the person's name).

"Same" ignores case and every space: "DE 123 456 789" is "de123456789", "Acme Corp" is
"ACME CORP" and "AcmeCorp". Two parties whose VAT IDs both exist and differ are never the
same client, whatever their e-mail or name says (two companies may share a name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session

from core.records.models import Client

C = TypeVar("C")
PARTY_FIELDS = ("name", "company", "email", "phone", "address", "tax_id")


def normalise(text: Any) -> str | None:
    """`text` casefolded with every space removed; None when nothing is left."""
    if not isinstance(text, str):
        return None
    key = "".join(text.split()).casefold()
    return key or None


def display_name(party: Mapping[str, Any]) -> str:
    """How a client is listed: its company, else its name."""
    return str(party.get("company") or party.get("name") or "")[:200]


def keys(party: Mapping[str, Any]) -> dict[str, str | None]:
    """The matching keys of `party`, as stored in the clients table."""
    return {
        "tax_key": normalise(party.get("tax_id")),
        "email_key": normalise(party.get("email")),
        "name_key": normalise(display_name(party)),
        "person_key": normalise(party.get("name")),
    }


def matching_client(session: Session, owner: str, party: Mapping[str, Any]) -> Client | None:
    """The owner's stored client that `party` is, by the rule above; None for a new one."""
    wanted, order = _wanted(party)
    if not order:
        return None
    # one query for every candidate; the rule's order is applied here
    candidates = session.scalars(
        select(Client)
        .where(Client.owner == owner, or_(*(getattr(Client, c) == wanted[c] for c in order)))
        .order_by(Client.created_at, Client.id)
    ).all()
    return _chosen(candidates, wanted, order)


def matching_row(session: Session, owner: str, party: Mapping[str, Any]) -> Row[Any] | None:
    """The same as `matching_client`, reading only the id, party and keys, without the ORM
    (issuing runs it while it holds the owner's number sequence)."""
    wanted, order = _wanted(party)
    if not order:
        return None
    table = Client.__table__.c
    candidates = session.execute(
        select(table.id, table.party, table.tax_key, table.email_key, table.name_key)
        .where(table.owner == owner, or_(*(table[c] == wanted[c] for c in order)))
        .order_by(table.created_at, table.id)
    ).all()
    return _chosen(candidates, wanted, order)


def _wanted(party: Mapping[str, Any]) -> tuple[dict[str, str | None], list[str]]:
    wanted = keys(party)
    return wanted, [c for c in ("tax_key", "email_key", "name_key") if wanted[c] is not None]


def _chosen(
    candidates: Sequence[C], wanted: Mapping[str, str | None], order: list[str]
) -> C | None:
    for column in order:
        for client in candidates:
            if getattr(client, column) != wanted[column]:
                continue
            if column != "tax_key" and None not in (wanted["tax_key"], client.tax_key):
                continue  # both have a VAT ID, and they differ: another company
            return client
    return None


def merged_party(stored: Mapping[str, Any], latest: Mapping[str, Any]) -> dict[str, Any]:
    """The stored details brought up to date: what the latest invoice states wins, what it
    leaves out is kept."""
    party = dict(stored)
    for name, value in latest.items():
        if value not in (None, "", {}):
            party[name] = value
    return party
