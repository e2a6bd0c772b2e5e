"""What every export needs to know of a party: its name, and whether its tax id is a VAT number.

Both the printed invoice and the EN 16931 mapping ask these questions; they live here so that
neither has to import the other.
"""

from __future__ import annotations

import re
from typing import Any

from core.exports.address import country_codes
from core.exports.document import xml_text

# VAT number prefixes beyond ISO 3166-1: Greece uses EL, Northern Ireland XI.
VAT_PREFIXES = frozenset({"EL", "XI"})


def party_name(party: dict[str, Any]) -> str:
    """BT-27 / BT-44: the company when there is one, else the name; '' when neither."""
    for key in ("company", "name"):
        text = xml_text(party.get(key) or "").strip()
        if text:
            return text
    return ""


def vat_identifier(tax_id: str) -> str | None:
    """'fr 123 456 789 01' -> 'FR12345678901'; None when it does not start with a country."""
    compact = re.sub(r"[\s.\-]", "", tax_id).upper()
    prefix = compact[:2]
    known = prefix in country_codes() or prefix in VAT_PREFIXES
    if len(compact) > 4 and prefix.isalpha() and known:
        return compact
    return None
