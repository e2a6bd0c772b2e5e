"""The register of rules: what a rule is, how one registers (`@rule`), what a finding says.

The rule modules (en16931, xrechnung, peppol, xml) import this; the package's `check` and
`check_xml` run what registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from core.exports.profiles import PROFILES
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


def rules_for(profile: str, syntax: str) -> list[Rule]:
    return [r for r in RULES if profile in r.profiles and syntax in r.syntaxes]
