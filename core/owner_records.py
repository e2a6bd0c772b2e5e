"""What a chat turn reads and writes of its owner's records (core/records): the profile a new
invoice starts from, the stored clients a message names, and the profile update the user
asked for in the chat.

    TurnRunner ──▶ TurnRecords.for_message(owner, text) -> ProviderRequest.profile
                                                         and .known_clients
    provider   ──▶ ProviderReply.profile_update ──▶ TurnRecords.update_profile(owner, patch)

`TurnRecords` is the small interface the runner depends on; `core.records.RecordsService`
implements it (on SQLite or PostgreSQL), and unit tests may pass anything with these methods.
Providers never touch the database: they get what the runner read, as plain JSON values,
and return a patch the runner applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

# The seller's fields a profile keeps (core/records/schemas.py PartyDetailsSchema) and the
# payment fields (ProfilePaymentSchema): what "save it to my profile" writes.
PROFILE_SELLER_FIELDS = (
    "name", "company", "email", "phone", "address", "tax_id", "contact", "electronic_address",
)  # fmt: skip
PROFILE_PAYMENT_FIELDS = ("means_code", "iban", "bic", "account_name")


class TurnRecords(Protocol):
    """The records a turn needs, for one owner at a time (the turn's API key)."""

    def for_message(self, owner: str, text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The owner's profile (`seller`, `payment`, `defaults`, `numbering`; {} when unset)
        and the stored clients `text` may name, each with `mentioned_as`, `match` ("exact"
        or "prefix") and `last_invoice` (or None)."""
        ...

    def update_profile(self, owner: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Merge `patch` into the profile (null clears a field). Raises ValidationFailed."""
        ...


def profile_seller(profile: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The profile's seller as an invoice party (a name is required: the company stands in
    for a missing name), or None when the profile has none."""
    seller = dict((profile or {}).get("seller") or {})
    if not seller.get("name"):
        if not seller.get("company"):
            return None
        seller["name"] = seller.pop("company")  # the company is the name: not twice
    return {
        k: v for k, v in seller.items() if k in PROFILE_SELLER_FIELDS and v not in (None, "", {})
    }


def profile_payment(profile: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The profile's payment details as an invoice's `payment`, or None."""
    payment = (profile or {}).get("payment") or {}
    kept = {k: v for k, v in payment.items() if k in PROFILE_PAYMENT_FIELDS and v}
    return kept or None


def with_profile(draft: dict[str, Any], profile: Mapping[str, Any] | None) -> dict[str, Any]:
    """A new draft with the profile's seller and payment details where it has none.

    The offline engine starts new invoices from the profile itself (currency, tax and terms
    included); this is the net under any provider whose model left the seller out.
    """
    filled = dict(draft)
    seller = profile_seller(profile)
    if seller and not filled.get("seller"):
        filled["seller"] = seller
    payment = profile_payment(profile)
    if payment and not filled.get("payment"):
        filled["payment"] = payment
    return filled


def seller_patch(invoice: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The profile patch that saves `invoice`'s seller and payment details: every seller
    field set (null clears what the invoice's seller lacks, so a new company does not keep
    the old VAT ID); None when the invoice has no seller."""
    seller = (invoice or {}).get("seller")
    if not isinstance(seller, Mapping) or not seller.get("name"):
        return None
    patch: dict[str, Any] = {
        "seller": {name: seller.get(name) or None for name in PROFILE_SELLER_FIELDS}
    }
    payment = (invoice or {}).get("payment")
    if isinstance(payment, Mapping):
        kept = {name: payment.get(name) for name in PROFILE_PAYMENT_FIELDS if payment.get(name)}
        if kept:
            patch["payment"] = kept
    return patch
