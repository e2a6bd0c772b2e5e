"""The conversation corpus of tests/corpus/offline/: loading it, running it, judging it.

Each YAML file of a split (`dev`, `held_out`) holds a list of conversations:

    - id: ho-email-03
      family: email              # what it exercises; the bench prints accuracy per family
      turns:
        - "Invoice Acme for logo design"               # a message
        - say: "hello!"                                # or a message with its own expectation
          expect: unchanged                            # (this turn changes nothing)
        - "$800"
      expect:                    # the invoice after the last turn; `none`: no invoice at all
        buyer: Acme              # a name alone, or {name, email, phone, address, tax_id, contact}
        seller: …                # same
        currency: EUR            # USD when not said
        lines:
          - {desc: Logo design, qty: 1, price: 800, unit: hour, tax: 20, discount: 10}
        discount: {percent: 10}  # or {amount: 50}
        due: 2026-12-24
        issue: 2026-11-24        # today when not said
        terms: Net 30
        notes: …
        purchase_order: "4711"
        prepaid: 500             # the amount already paid (BT-113)
        buyer_reference: "991-33333TEST-33"    # BT-10 (a Leitweg-ID, their reference)
        delivery: 2026-03-02                   # the delivery date (BT-72)
        payment: {iban: DE89…, bic: …, name: …, reference: …, means: "58"}  # BG-16

A line may also name its VAT category as priced, `vat: AE` (S above 0 %, Z at 0 % when not
written, so a stray category is wrong), and `reason_code: VATEX-EU-132` its exemption code.

A conversation is right only when every turn's expectation holds: every field of the final
invoice equals the expected one (a field not written is expected empty, so a stray due date is
wrong), and a turn expected `unchanged` returned no invoice. Descriptions may list several
acceptable wordings; they compare without case or punctuation, except that a word written in
capitals in the expectation (an acronym: "SEO") must be in capitals. "Today" is Tuesday
2026-11-24. `purchase_order` is BT-13 and a party's `contact` the name of its contact person
(BT-56); were the schema without them, they would be expected as lines of the notes
(`expected_notes`), where the engine kept them before the fields existed. A party's `contact`
may also be `{name, phone, email}` (BT-41..43 / BT-56..58) and its `electronic_address`
"scheme:value" (BT-34 / BT-49). `payment.means` is the means code as priced (the core picks 58
or 30 for an IBAN); payment fields not written are expected empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from core.invoice import InvoiceDraft, Party, price_invoice
from core.schemas import load_draft
from tests.core.offline.support import TODAY, Conversation

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "offline"
SPLITS = ("dev", "held_out")
PARTY_FIELDS = ("name", "company", "email", "phone", "address", "tax_id")


@dataclass(frozen=True)
class Turn:
    message: str
    expect: Any = None  # None: nothing checked after this turn


@dataclass(frozen=True)
class Case:
    id: str
    family: str
    split: str
    turns: tuple[Turn, ...]
    expect: Any

    @property
    def multi_turn(self) -> bool:
        return len(self.turns) > 1


@dataclass
class Outcome:
    case: Case
    problems: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)

    @property
    def right(self) -> bool:
        return not self.problems


def load(split: str) -> list[Case]:
    """Every conversation of a split, in file and then written order."""
    cases = []
    for path in sorted((CORPUS / split).glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            turns = tuple(
                Turn(t) if isinstance(t, str) else Turn(t["say"], t.get("expect"))
                for t in entry["turns"]
            )
            cases.append(Case(entry["id"], entry["family"], split, turns, entry["expect"]))
    return cases


def run(case: Case, conversation: Conversation | None = None) -> Outcome:
    """Play the conversation as the worker would, and judge every expectation."""
    conversation = conversation or Conversation()
    outcome = Outcome(case)
    for number, turn in enumerate(case.turns, start=1):
        before = conversation.invoice
        reply = conversation.say(turn.message)
        outcome.replies.append(reply.reply)
        if not reply.reply.strip():
            outcome.problems.append(f"turn {number}: an empty reply")
        if turn.expect == "unchanged":
            if reply.invoice is not None or conversation.invoice != before:
                outcome.problems.append(f"turn {number}: changed the invoice")
        elif turn.expect is not None:
            outcome.problems += [f"turn {number}: {p}" for p in judge(turn.expect, conversation)]
    outcome.problems += judge(case.expect, conversation)
    return outcome


def judge(expect: Any, conversation: Conversation) -> list[str]:
    """What differs between the stored invoice and the expectation (nothing: right)."""
    stored = conversation.invoice
    if expect in ("none", None):
        return [] if stored is None else ["an invoice was made where none should be"]
    if stored is None:
        return ["no invoice"]
    actual = load_draft(stored)
    wanted = expected_draft(expect)
    problems = []
    for name in (
        "currency",
        "issue_date",
        "due_date",
        "payment_terms",
        "discount",
        "purchase_order",
        "buyer_reference",
        "delivery_date",
    ):
        if getattr(actual, name) != getattr(wanted, name):
            problems.append(f"{name}: {getattr(actual, name)!r}, not {getattr(wanted, name)!r}")
    if _squash(actual.notes) != _squash(wanted.notes):
        problems.append(f"notes: {actual.notes!r}, not {wanted.notes!r}")
    for role in ("buyer", "seller"):
        problems += _party_problems(role, getattr(actual, role), expect.get(role))
    problems += _line_problems(actual, expect.get("lines") or [])
    problems += _vat_problems(actual, expect.get("lines") or [])
    wanted_prepaid = _number(expect["prepaid"]) if expect.get("prepaid") is not None else None
    if actual.prepaid_amount != wanted_prepaid:
        problems.append(f"prepaid: {actual.prepaid_amount!r}, not {wanted_prepaid!r}")
    problems += _payment_problems(actual, expect.get("payment"))
    total, wanted_total = _total(actual), _total(wanted)
    if not problems and total != wanted_total:
        problems.append(f"total {total}, not {wanted_total}")
    return problems


# --- the expected invoice --------------------------------------------------------------------


def _has_field(cls: type, name: str) -> bool:
    return name in {f.name for f in fields(cls)}


def expected_notes(expect: dict[str, Any]) -> str | None:
    """The notes expected: those written, then the purchase order and the client's contact
    person while the invoice has no field of its own for them."""
    parts = [str(expect["notes"])] if expect.get("notes") else []
    if expect.get("purchase_order") and not _has_field(InvoiceDraft, "purchase_order"):
        reference = str(expect["purchase_order"])
        parts.append(reference if reference.upper().startswith("PO") else f"PO {reference}")
    buyer = expect.get("buyer")
    if isinstance(buyer, dict) and buyer.get("contact") and not _has_field(Party, "contact"):
        parts.append(f"Attn: {buyer['contact']}")
    return "\n".join(parts) or None


def _day(value: Any) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _number(value: Any) -> Decimal:
    return Decimal(str(value))


def expected_draft(expect: dict[str, Any]) -> InvoiceDraft:
    """The expectation as a draft, for the fields compared one to one and for its total."""
    discount = expect.get("discount")
    data: dict[str, Any] = {
        "currency": expect.get("currency", "USD"),
        "issue_date": (_day(expect.get("issue")) or TODAY).isoformat(),
        "due_date": str(expect["due"]) if expect.get("due") else None,
        "payment_terms": expect.get("terms"),
        "notes": expected_notes(expect),
        "purchase_order": _optional_text(
            expect.get("purchase_order"), InvoiceDraft, "purchase_order"
        ),
        "buyer_reference": _optional_text(
            expect.get("buyer_reference"), InvoiceDraft, "buyer_reference"
        ),
        "delivery_date": str(expect["delivery"]) if expect.get("delivery") else None,
        "items": [
            {
                "description": _first(line["desc"]),
                "quantity": str(line.get("qty", 1)),
                "unit_price": str(line["price"]),
                "tax_rate": str(line.get("tax", 0)),
                "discount_percent": str(line.get("discount", 0)),
            }
            for line in expect.get("lines") or []
        ],
    }
    if discount:
        kind = "percent" if "percent" in discount else "amount"
        data["discount"] = {"kind": kind, "value": str(discount[kind])}
    return load_draft(data)


def _optional_text(value: Any, cls: type, name: str) -> str | None:
    return str(value) if value is not None and _has_field(cls, name) else None


def _first(value: Any) -> str:
    return str(value[0] if isinstance(value, list) else value)


def _total(draft: InvoiceDraft) -> Decimal:
    return price_invoice(draft, "CORPUS", today=TODAY).total


# --- comparing -------------------------------------------------------------------------------


def _squash(text: str | None) -> str:
    return " ".join(re.sub(r"[^\w@+%#/-]+", " ", (text or "").lower()).split())


def _words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def description_matches(actual: str, wanted: Any) -> bool:
    """Same words, any case or punctuation; an acronym written in capitals stays in capitals."""
    for option in wanted if isinstance(wanted, list) else [wanted]:
        option = str(option)
        acronyms = [w for w in re.findall(r"\b[A-Z][A-Z0-9]+\b", option) if len(w) > 1]
        if _words(actual) == _words(option) and all(
            re.search(rf"\b{re.escape(a)}\b", actual) for a in acronyms
        ):
            return True
    return False


def _line_problems(actual: InvoiceDraft, wanted: list[dict[str, Any]]) -> list[str]:
    shown = [
        f"{i.description} {i.quantity}×{i.unit_price} {i.unit or ''} tax {i.tax_rate}"
        f" off {i.discount_percent}"
        for i in actual.items
    ]
    if len(actual.items) != len(wanted):
        return [f"{len(actual.items)} lines, not {len(wanted)}: {shown}"]
    problems = []
    for number, (item, line) in enumerate(zip(actual.items, wanted, strict=True), start=1):
        checks = [
            ("description", description_matches(item.description, line["desc"])),
            ("quantity", item.quantity == _number(line.get("qty", 1))),
            ("price", item.unit_price == _number(line["price"])),
            ("tax", item.tax_rate == _number(line.get("tax", 0))),
            ("discount", item.discount_percent == _number(line.get("discount", 0))),
            ("unit", "unit" not in line or item.unit == line["unit"]),
        ]
        wrong = [name for name, ok in checks if not ok]
        if wrong:
            problems.append(f"line {number} ({', '.join(wrong)}): {shown[number - 1]}")
    return problems


def _vat_problems(actual: InvoiceDraft, wanted: list[dict[str, Any]]) -> list[str]:
    """Each line's VAT category (and exemption code) as the core prices it."""
    if len(actual.items) != len(wanted):
        return []  # already reported
    try:
        priced = price_invoice(actual, "CORPUS", today=TODAY).items
    except ValueError as error:
        return [f"the invoice cannot be priced: {error}"]
    problems = []
    for number, (line, expect) in enumerate(zip(priced, wanted, strict=True), start=1):
        category = expect.get("vat") or ("S" if _number(expect.get("tax", 0)) else "Z")
        if line.tax_category != category:
            problems.append(f"line {number} VAT category {line.tax_category}, not {category}")
        code = line.exemption_reason.code if line.exemption_reason else None
        if "reason_code" in expect and code != expect["reason_code"]:
            problems.append(f"line {number} exemption code {code}, not {expect['reason_code']}")
    return problems


def _party_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    text = str(value)
    if name == "email":
        return text.lower()
    if name == "phone":
        return re.sub(r"[^\d+]", "", text)
    if name == "tax_id":
        return re.sub(r"[\s.-]", "", text).upper()
    if name == "address":
        return ", ".join(p.strip() for p in re.split(r"[,\n]+", text) if p.strip())
    return " ".join(text.split()).rstrip(".")


def _party_problems(role: str, actual: Party | None, wanted: Any) -> list[str]:
    if wanted is None:
        return [] if actual is None else [f"{role}: {actual.name!r}, not none"]
    wanted = {"name": wanted} if isinstance(wanted, str | list) else wanted
    if actual is None:
        return [f"{role}: none, not {wanted.get('name')!r}"]
    problems = []
    if _has_field(Party, "contact"):
        contact = wanted.get("contact")
        contact = contact if isinstance(contact, dict) else {"name": contact}
        for name in ("name", "phone", "email"):
            have = getattr(actual.contact, name) if actual.contact else None
            if _party_value(name, have) != _party_value(name, contact.get(name)):
                problems.append(f"{role} contact {name}: {have!r}, not {contact.get(name)!r}")
    if _has_field(Party, "electronic_address"):
        address = actual.electronic_address
        have = f"{address.scheme}:{address.value}" if address else None
        if have != (wanted.get("electronic_address") or None):
            problems.append(
                f"{role} electronic address: {have!r}, not {wanted.get('electronic_address')!r}"
            )
    for name in PARTY_FIELDS:
        options = wanted.get(name)
        options = options if isinstance(options, list) else [options]
        have = _party_value(name, getattr(actual, name))
        if have not in [_party_value(name, option) for option in options]:
            problems.append(f"{role} {name}: {getattr(actual, name)!r}, not {options[0]!r}")
    return problems


def _payment_problems(actual: InvoiceDraft, wanted: dict[str, Any] | None) -> list[str]:
    """The payment instructions: each field as written, the means code as priced."""
    wanted = wanted or {}
    have = actual.payment
    problems = []
    for name, key in (("iban", "iban"), ("bic", "bic"), ("account_name", "name")):
        value = getattr(have, name) if have else None
        expected = wanted.get(key)
        if name in ("iban", "bic") and expected:
            expected = re.sub(r"\s", "", str(expected)).upper()
        if value != expected:
            problems.append(f"payment {name}: {value!r}, not {expected!r}")
    reference = have.reference if have else None
    if reference != (str(wanted["reference"]) if wanted.get("reference") else None):
        problems.append(f"payment reference: {reference!r}, not {wanted.get('reference')!r}")
    if "means" in wanted:
        try:
            priced = price_invoice(actual, "CORPUS", today=TODAY).payment
        except ValueError as error:
            return [*problems, f"the invoice cannot be priced: {error}"]
        means = priced.means_code if priced else None
        if means != str(wanted["means"]):
            problems.append(f"payment means {means!r}, not {wanted['means']!r}")
    return problems


def outcomes(split: str) -> Iterator[Outcome]:
    for case in load(split):
        yield run(case)
