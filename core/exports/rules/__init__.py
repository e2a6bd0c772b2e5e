"""Business rules as code: what each e-invoice profile asks of an invoice, checked before any
XML is written, each rule a small function with its id, the field and business term it
concerns, and its message in words.

    check(invoice, profile, syntax) -> [MissingTerm]    what is missing for that profile
    check_xml(xml, profile, syntax) -> [MissingTerm]    what the written document must hold

Modules: `en16931` (every profile: the CEN rules an invoice can break, and ours, "IA-…"),
`xrechnung` (BR-DE-*, and the Peppol rules XRechnung 3.0 adopted), `peppol` (PEPPOL-EN16931-*
and the national rules of Peppol BIS Billing 3.0), `xml` (rules on the written document: the
identifiers, no empty elements, one tax total). docs/exports.md lists every rule implemented
and why the others cannot occur in what we write. The CEN Schematron still checks every
document afterwards (validation.py).

A rule function takes the `InvoiceFacts` and returns True when the rule holds, False when it
does not (the rule's message says what to add), or a message of its own.
"""

from __future__ import annotations

from typing import Any

from core.exports.profiles import EN16931, PEPPOL, XRECHNUNG

# the rules register themselves on import; the order of the modules is the order of the report
from core.exports.rules import en16931, peppol, xrechnung  # noqa: F401
from core.exports.rules import xml as xml_rules
from core.exports.rules.facts import InvoiceFacts
from core.exports.rules.registry import RULES, MissingTerm, Rule, rule, rules_for


def check(data: dict[str, Any], profile: str = EN16931, syntax: str = "ubl") -> list[MissingTerm]:
    """What `profile` needs and the invoice JSON `data` lacks; empty when it can be sent."""
    facts = InvoiceFacts(data, profile, syntax)
    found = []
    for each in rules_for(profile, syntax):
        if missing := each.finding(facts):
            found.append(missing)
    return found


def check_xml(
    xml: bytes, data: dict[str, Any], profile: str = EN16931, syntax: str = "ubl"
) -> list[MissingTerm]:
    """What the written document breaks of the profile's rules on the document itself."""
    return xml_rules.check(xml, InvoiceFacts(data, profile, syntax))


__all__ = [
    "EN16931",
    "PEPPOL",
    "RULES",
    "XRECHNUNG",
    "MissingTerm",
    "Rule",
    "check",
    "check_xml",
    "rule",
    "rules_for",
]
