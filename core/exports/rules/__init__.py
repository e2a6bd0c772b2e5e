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

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from core.exports.profiles import EN16931, PEPPOL, PROFILES, XRECHNUNG
from core.exports.rules.facts import InvoiceFacts

ALL_PROFILES = frozenset(PROFILES)


@dataclass(frozen=True)
class MissingTerm:
    """Something a profile needs and the invoice lacks: our field, the business term, what to
    add in words, and the rule's id."""

    field: str
    term: str
    message: str
    rule: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


Outcome = bool | str | None


@dataclass(frozen=True)
class Rule:
    id: str
    field: str
    term: str
    message: str
    profiles: frozenset[str]
    test: Callable[[InvoiceFacts], Outcome]
    syntaxes: frozenset[str] = frozenset({"ubl", "cii"})

    def finding(self, facts: InvoiceFacts) -> MissingTerm | None:
        outcome = self.test(facts)
        if outcome is True or outcome is None:
            return None
        message = outcome if isinstance(outcome, str) else self.message
        return MissingTerm(self.field, self.term, message, self.id)


RULES: list[Rule] = []


def rule(
    rule_id: str,
    field: str,
    term: str,
    message: str,
    *,
    profiles: Iterable[str] = ALL_PROFILES,
    syntaxes: Iterable[str] = ("ubl", "cii"),
) -> Callable[[Callable[[InvoiceFacts], Outcome]], Callable[[InvoiceFacts], Outcome]]:
    """Register a rule: `message` says, in words a person acts on, what to add."""

    def register(test: Callable[[InvoiceFacts], Outcome]) -> Callable[[InvoiceFacts], Outcome]:
        RULES.append(
            Rule(rule_id, field, term, message, frozenset(profiles), test, frozenset(syntaxes))
        )
        return test

    return register


def check(data: dict[str, Any], profile: str = EN16931, syntax: str = "ubl") -> list[MissingTerm]:
    """What `profile` needs and the invoice JSON `data` lacks; empty when it can be sent."""
    facts = InvoiceFacts(data, profile, syntax)
    found = []
    for each in rules_for(profile, syntax):
        if missing := each.finding(facts):
            found.append(missing)
    return found


def rules_for(profile: str, syntax: str) -> list[Rule]:
    return [r for r in RULES if profile in r.profiles and syntax in r.syntaxes]


def check_xml(
    xml: bytes, data: dict[str, Any], profile: str = EN16931, syntax: str = "ubl"
) -> list[MissingTerm]:
    """What the written document breaks of the profile's rules on the document itself."""
    from core.exports.rules import xml as xml_rules

    return xml_rules.check(xml, InvoiceFacts(data, profile, syntax))


# The rules register themselves on import; the order of the modules is the order of the report.
from core.exports.rules import en16931, peppol, xrechnung  # noqa: E402, F401

__all__ = ["EN16931", "PEPPOL", "XRECHNUNG", "MissingTerm", "Rule", "check", "check_xml", "rule"]
