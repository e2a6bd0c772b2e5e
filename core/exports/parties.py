"""What every export needs to know of a party: its name, and whether its tax id is a VAT number.

Both the printed invoice and the EN 16931 mapping ask these questions; they live here so that
neither has to import the other.
"""

from __future__ import annotations

from typing import Any

from core import identifiers
from core.exports.document import xml_text


def party_name(party: dict[str, Any]) -> str:
    """BT-27 / BT-44: the company when there is one, else the name; '' when neither."""
    for key in ("company", "name"):
        text = xml_text(party.get(key) or "").strip()
        if text:
            return text
    return ""


def vat_identifier(tax_id: str) -> str | None:
    """'fr 123 456 789 01' -> 'FR12345678901'; None when it does not start with a country."""
    return identifiers.vat_identifier(tax_id)
