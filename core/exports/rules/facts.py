"""The invoice as an e-invoice sees it: what the rules check and what the mapping writes.

One reading of the invoice JSON serves both, so a rule and the XML cannot disagree about, say,
which contact point or which electronic address a party has:

    party.contact               BT-41..43: `contact` first, else the person's name (when there
                                is a company), the party's phone and e-mail
    party.electronic_address    BT-34/BT-49: `electronic_address`, else the party's e-mail with
                                scheme EM (not in Peppol, whose code list has no e-mail)
    party.registration          BT-30/BT-47 legal registration: the electronic address when its
                                scheme is a company register (KvK 0106, OIN 0190, Belgian 0208,
                                SIREN 0002, CVR 0184, …), else read from a DK, BE or FR VAT number
                                (DK + CVR, BE + enterprise number, FR + key + SIREN)
    line category               `tax_category`, else S above 0 %, Z at 0 % (invoices stored
                                before VAT categories existed)

Invoices stored before the e-invoice fields existed read as having none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from core.exports.address import PostalAddress, parse_address
from core.exports.document import xml_text
from core.exports.parties import party_name
from core.identifiers import EMAIL_SCHEME, REGISTRATION_SCHEMES, compact, vat_identifier

PEPPOL = "peppol"


def one_line(value: Any) -> str:
    return " ".join(xml_text(value or "").split())


def category_of(item: dict[str, Any]) -> str:
    """A line's or a breakdown row's VAT category; by its rate for invoices stored before."""
    if item.get("tax_category"):
        return item["tax_category"]
    rate = Decimal(item["rate"] if "rate" in item else item["tax_rate"])
    return "S" if rate > 0 else "Z"


@dataclass(frozen=True)
class PartyFacts:
    role: str  # "seller" | "buyer"
    data: dict[str, Any]

    @property
    def present(self) -> bool:
        return bool(self.data)

    @cached_property
    def name(self) -> str:
        return party_name(self.data)

    @cached_property
    def address(self) -> PostalAddress | None:
        return parse_address(self.data.get("address"))

    @property
    def country(self) -> str | None:
        return self.address.country_code if self.address else None

    @cached_property
    def tax_id(self) -> str:
        return one_line(self.data.get("tax_id"))

    @cached_property
    def vat_id(self) -> str | None:
        return vat_identifier(self.tax_id)

    @cached_property
    def contact(self) -> dict[str, str]:
        """BT-41..43 (seller) / BT-56..58 (buyer): only the parts that have a value."""
        stated = self.data.get("contact") or {}
        person = one_line(self.data.get("name"))
        fallback_name = person if person and person != self.name else ""
        parts = {
            "name": one_line(stated.get("name")) or fallback_name,
            "phone": one_line(stated.get("phone")) or one_line(self.data.get("phone")),
            "email": one_line(stated.get("email")) or one_line(self.data.get("email")),
        }
        return {key: value for key, value in parts.items() if value}

    @cached_property
    def stated_electronic_address(self) -> tuple[str, str] | None:
        stated = self.data.get("electronic_address") or {}
        scheme, value = one_line(stated.get("scheme")).upper(), one_line(stated.get("value"))
        return (scheme, value) if scheme and value else None

    def electronic_address(self, profile: str) -> tuple[str, str] | None:
        """(scheme, value) for BT-34/BT-49, or None."""
        if self.stated_electronic_address:
            return self.stated_electronic_address
        email = one_line(self.data.get("email"))
        if email and profile != PEPPOL:
            return (EMAIL_SCHEME, email)
        return None

    @cached_property
    def registration(self) -> tuple[str, str] | None:
        """(scheme, identifier) for the legal registration (BT-30 / BT-47), or None."""
        stated = self.stated_electronic_address
        if stated and stated[0] in REGISTRATION_SCHEMES:
            scheme, value = stated
            if scheme == "0184":
                value = compact(value).removeprefix("DK")
            return scheme, value
        vat = self.vat_id or ""
        if vat.startswith("DK") and len(vat) == 10:
            return "0184", vat[2:]
        if vat.startswith("BE") and len(vat) == 12:
            return "0208", vat[2:]
        if vat.startswith("FR") and len(vat) == 13 and vat[4:].isdigit():
            return "0002", vat[4:]
        return None


@dataclass(frozen=True)
class InvoiceFacts:
    """The invoice JSON (`InvoiceSchema`'s) with what the rules and the mapping ask of it."""

    data: dict[str, Any]
    profile: str = "en16931"
    syntax: str = "ubl"

    @cached_property
    def seller(self) -> PartyFacts:
        return PartyFacts("seller", self.data.get("seller") or {})

    @cached_property
    def buyer(self) -> PartyFacts:
        return PartyFacts("buyer", self.data.get("buyer") or {})

    def party(self, role: str) -> PartyFacts:
        return self.seller if role == "seller" else self.buyer

    @property
    def is_credit_note(self) -> bool:
        return self.data.get("type") == "credit_note"

    @cached_property
    def items(self) -> list[dict[str, Any]]:
        return list(self.data.get("items") or [])

    @cached_property
    def categories(self) -> set[str]:
        """The VAT categories of the lines and of the breakdown."""
        rows = self.data.get("tax_breakdown") or []
        return {category_of(item) for item in self.items} | {category_of(row) for row in rows}

    @property
    def total(self) -> Decimal:
        return Decimal(self.data.get("total") or 0)

    @property
    def amount_due(self) -> Decimal:
        if self.data.get("amount_due") is not None:
            return Decimal(self.data["amount_due"])
        return self.total - Decimal(self.data.get("prepaid_amount") or 0)

    @cached_property
    def payment(self) -> dict[str, Any]:
        return dict(self.data.get("payment") or {})

    @property
    def payment_terms(self) -> str:
        """BT-20; with Skonto lines (XRechnung's '#SKONTO#…#') it ends with a line break,
        as BR-DE-18 asks."""
        text = xml_text(self.data.get("payment_terms") or "").strip()
        if any(line.strip().startswith("#") for line in text.splitlines()):
            text += "\n"
        return text

    @property
    def writes_delivery_address(self) -> bool:
        """Goods supplied within the EU name where they went (BR-IC-12): the buyer's address."""
        return "K" in self.categories

    @property
    def not_subject_to_vat(self) -> bool:
        """Outside the scope of VAT (O): the XML carries no VAT identifier (BR-O-02..04)."""
        return "O" in self.categories
