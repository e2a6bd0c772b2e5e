"""E-invoice fields said in words, found anywhere in a message (issue 17).

Like `vat.py`, these phrases are found over the whole message before it is split into clauses
(an IBAN, a phone number or a Leitweg-ID would otherwise be cut apart at its spaces and
hyphens, or read as amounts), turned into changes and cut out:

    buyer reference (BT-10): "their Leitweg-ID is 991-33333TEST-33", "buyer reference: ABC-123",
      "Käuferreferenz …", "their / the client's / customer reference is …", "Ihr Zeichen …"
      ("our reference" is not the buyer's; a PO number is the purchase order, BT-13)
    payment (BG-16): "pay to IBAN DE89 3704 0044 0532 0130 00", "BIC COBADEFFXXX", "account
      holder Jane Doe", "Kontoinhaber …", "payment reference INV-42", "Verwendungszweck …",
      "bank transfer" / "Überweisung" (means 30, or the core's 58/30 once an IBAN is given),
      "SEPA credit transfer" (58), "payment by cheque" (20), "payable in cash" (10)
    contacts (BT-41..43 / BT-56..58): "our contact is Tomasz Nowak, +48 22 555 0100,
      tomasz@pixelstudio.pl", "my contact details: …", "their contact person is …, …" — whose
      it is follows the words before it ("our", "my": yours; "their", "the client's": the
      client's); without them the existing reading of "contact: …" (the client's) applies
    electronic addresses (BT-34 / BT-49): "their Peppol ID is 0208:0477472701", "our
      e-invoice address is 9930:DE811569869", "Leitweg-ID … as their electronic address"
      (scheme 0204), an e-mail address as an e-invoice address (scheme EM; never as a Peppol ID)
    delivery date (BT-72): "delivered on 3 March 2026", "delivery date 2026-03-02",
      "Leistungsdatum 02.03.2026", "Lieferdatum …" (dates are already ISO after `normalise`)

Nothing is guessed: an IBAN or BIC whose check fails, a Leitweg-ID with wrong check digits, an
EAS scheme not on the code list, an identifier that does not fit its scheme, an address without
a scheme, an IBAN said to be the client's: each is a question, and the invoice stays unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import ClassVar

from stdnum.de import leitweg

from core import identifiers
from core.invoice import Contact, ElectronicAddress, InvoiceDraft, Party, Payment
from core.providers.offline.changes import WAITING_FOR_A_NAME, Change, Context, Question

_THEIR = r"(?:their|the\s+(?:client|customer|buyer)'?s?|(?:client|customer|buyer)'?s?)"
_OUR = r"(?:our|my|the\s+seller'?s|seller'?s?|the\s+supplier'?s)"
_IS = r"(?:\s+(?:is|are|will\s+be|lautet|ist)\b)?\s*[:#=,-]?\s*"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_PHONE = r"\+?\(?\d[\d ()./-]{5,18}\d"
_NAME = (
    r"(?:(?:dr|mr|mrs|ms|mx|prof|herr|frau)\.?\s+)?(?-i:[A-ZÄÖÜ][\w'.-]+)"
    r"(?:\s+(?-i:[A-ZÄÖÜ][\w'.-]+)){0,3}"
)

# --- the changes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SetBuyerReference(Change):
    """The reference the client asked to quote (BT-10), e.g. a Leitweg-ID."""

    reference: str
    phase: ClassVar[int] = 10

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        return replace(draft, buyer_reference=self.reference), f"Buyer reference: {self.reference}."

    def summary(self) -> str:
        return f"buyer reference {self.reference}"


@dataclass(frozen=True)
class SetDeliveryDate(Change):
    day: date
    phase: ClassVar[int] = 10

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        return replace(draft, delivery_date=self.day), f"Delivery date: {self.day.isoformat()}."

    def summary(self) -> str:
        return f"delivered {self.day.isoformat()}"


@dataclass(frozen=True)
class SetPayment(Change):
    """Payment instructions (BG-16): the fields given replace those of the draft."""

    means_code: str | None = None
    iban: str | None = None
    bic: str | None = None
    account_name: str | None = None
    reference: str | None = None
    phase: ClassVar[int] = 10

    def _given(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v is not None}

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        payment = replace(draft.payment or Payment(), **self._given())
        if (
            self.iban
            and self.means_code is None
            and (draft.payment or Payment()).means_code == "30"
        ):
            payment = replace(payment, means_code=None)  # "bank transfer" then an IBAN: the core's
        return replace(draft, payment=payment), f"Payment: {self.summary()}."

    def summary(self) -> str:
        words = {
            "means_code": lambda v: _MEANS_WORDS.get(v, f"means {v}"),
            "iban": lambda v: f"IBAN {_grouped(v)}",
            "bic": lambda v: f"BIC {v}",
            "account_name": lambda v: f"account holder {v}",
            "reference": lambda v: f"reference {v}",
        }
        return ", ".join(words[k](v) for k, v in self._given().items())


@dataclass(frozen=True)
class SetPartyContact(Change):
    """A party's contact person, phone and e-mail (BT-41..43 / BT-56..58)."""

    role: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    phase: ClassVar[int] = 10

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        party: Party | None = getattr(draft, self.role)
        if party is None:
            return draft, _no_party(self.role, f"contact ({self.summary()})", ctx)
        given = {k: getattr(self, k) for k in ("name", "phone", "email") if getattr(self, k)}
        contact = replace(party.contact or Contact(), **given)
        who = "Client" if self.role == "buyer" else "Your"
        return replace(draft, **{self.role: replace(party, contact=contact)}), (
            f"{who} contact: {self.summary()}."
        )

    def summary(self) -> str:
        return ", ".join(v for v in (self.name, self.phone, self.email) if v)


@dataclass(frozen=True)
class SetElectronicAddress(Change):
    role: str
    scheme: str
    value: str
    phase: ClassVar[int] = 10

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        party: Party | None = getattr(draft, self.role)
        if party is None:
            return draft, _no_party(self.role, f"electronic address ({self.summary()})", ctx)
        address = ElectronicAddress(self.scheme, self.value)
        who = "Client" if self.role == "buyer" else "Your"
        return replace(draft, **{self.role: replace(party, electronic_address=address)}), (
            f"{who} electronic address: {self.summary()} ({identifiers.scheme_name(self.scheme)})."
        )

    def summary(self) -> str:
        return f"{self.scheme}:{self.value}"


def _no_party(role: str, what: str, ctx: Context) -> str:
    """The question when the party is not known yet: raised on an edit, said on a new one."""
    if role == "buyer":
        question = (
            f"I need the client's name before I can add their {what} — {WAITING_FOR_A_NAME[0]}"
        )
    else:
        question = (
            f"Whose {what} is that? {WAITING_FOR_A_NAME[1]} first, e.g. “my company is Pixel "
            "Studio”."
        )
    if not ctx.creating:
        raise Question(question)
    return question


_MEANS_WORDS = {
    "10": "cash",
    "20": "cheque",
    "30": "bank transfer",
    "58": "SEPA credit transfer",
}


def _grouped(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


# --- the phrases ----------------------------------------------------------------------------

_HINT_RE = re.compile(
    r"iban|bic|swift|leitweg|referen|zeichen|peppol|invoic|electronic|endpoint|contact|kontakt"
    r"|ansprech|deliver|liefer|leistung|account|konto|transfer|überweis|ueberweis|verwendung"
    r"|cheque|check|cash|bar\b|supply|service\s+date|performed|beneficiar|payee|name\s+of",
    re.I,
)

_BUYER_REF_RE = re.compile(
    rf"(?P<intro>(?:(?P<who>{_THEIR}|{_OUR}|your|ihre?)\s+)?(?:(?P<leitweg>leitweg[\s-]*id"
    r"(?:entifikation)?)|buyer'?s?\s+reference|käufer[\s-]?referenz|kaeufer[\s-]?referenz"
    r"|(?P<plain>reference|ref\.?|referenz|zeichen))(?:\s+(?:number|no\.?|nr\.?|id))?"
    rf"{_IS})(?P<value>(?-i:[A-Z0-9])[\w./-]*[\w])",
    re.I,
)
_AS_ADDRESS_RE = re.compile(
    r"\s*[,(]?\s*(?:(?:use\s+it\s+|also\s+)?as\s+(?:their|the\s+client'?s|the|its)\s+"
    r"(?:electronic|e-?invoic(?:e|ing)|peppol|routing)\s+(?:address|id|endpoint)(?:\s+too)?"
    r"|which\s+is\s+(?:also\s+)?their\s+(?:electronic|e-?invoice)\s+address)\)?",
    re.I,
)

_IBAN_VALUE = r"(?-i:[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?)"
_IBAN_RE = re.compile(
    rf"(?P<intro>(?:(?P<who>{_THEIR}|{_OUR}|your|unsere?)\s+)?(?:iban|bank\s+account"
    rf"(?:\s+(?:number|no\.?))?|account(?:\s+(?:number|no\.?))?|konto(?:nummer)?){_IS})?"
    rf"\b(?P<value>{_IBAN_VALUE})\b",
    re.I,
)
_PAY_LEAD_RE = re.compile(
    r"(?:(?:\b(?:please|pay(?:ment|able)?|by|via|with|bank|wire|sepa|credit|transfer(?:red)?|to|into"
    r"|account|details|bitte|zahlung|überweisung|auf|an|is|are|as|follows|send|money|funds)\b"
    r"|[:-])\s*)+$",
    re.I,
)
_IBAN_LEFT_RE = re.compile(
    r"\biban\b(?:\s+(?:is|number|no\.?)\b)?\s*[:#=-]?\s*"
    r"(?P<value>(?=[A-Z0-9 ]{0,8}\d)[A-Z0-9][A-Z0-9 ]{0,40}[A-Z0-9])",
    re.I,
)
_STRONG_LEAD_RE = re.compile(
    r"\b(?:pay(?:ment|able)?\s+(?:to|into)|transfer(?:red)?\s+(?:it\s+)?to|bank\s+details"
    r"|(?:bank|wire|sepa)\s+transfer|überweisung\s+(?:auf|an)|bankverbindung)\b[^.\n]{0,12}$",
    re.I,
)
_BIC_RE = re.compile(
    r"(?P<intro>\b(?:bic|swift|bic/swift|swift/bic)(?:\s+code)?(?:\s+(?:is|=))?\s*[:#=-]?\s*)"
    r"(?P<value>(?-i:[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?))\b",
    re.I,
)
_HOLDER_RE = re.compile(
    rf"(?P<intro>\b(?:account\s+(?:holder|name|owner)|kontoinhaber(?:in)?|beneficiary(?:\s+name)?"
    rf"|payee(?:\s+name)?|in\s+the\s+name\s+of){_IS})"
    r"(?P<value>(?-i:[A-ZÄÖÜ][\w&.'-]*)(?:\s+(?:(?-i:[A-ZÄÖÜ][\w&.'-]*)|&|und|and|de|van|von"
    r"|(?-i:GmbH|AG|Ltd|BV|SA|SRL|SPRL|SAS|Kft|AS|Oy|AB)\b\.?)){0,5})",
    re.I,
)
_PAY_REF_RE = re.compile(
    r"(?P<intro>\b(?:payment\s+reference|(?:reference|ref\.?)\s+(?:for|on)\s+(?:the\s+)?"
    r"(?:payment|transfer)|remittance\s+(?:reference|info(?:rmation)?)|verwendungszweck"
    r"|zahlungsreferenz|quote\s+(?:the\s+)?reference|with\s+(?:the\s+)?reference)"
    rf"{_IS})(?P<value>(?-i:[A-Z0-9])[\w./-]*[\w])",
    re.I,
)
_MEANS_RE = re.compile(
    r"\b(?P<sepa>sepa(?:\s+credit)?[\s-]+(?:transfer|überweisung|ueberweisung))\b"
    r"|\b(?:by|via|per|through)?\s*(?P<transfer>(?:bank|wire|credit)\s+transfer|überweisung"
    r"|ueberweisung)\b"
    r"|\b(?:pay(?:ment|able)?|paid)\s+(?:by|in|with|via)\s+(?P<cash>cash)\b"
    r"|\b(?:pay(?:ment|able)?|paid)\s+(?:by|with|via)\s+(?P<cheque>cheque|check)\b",
    re.I,
)

_ADDRESS_RE = re.compile(
    rf"(?P<intro>(?:(?P<who>{_THEIR}|{_OUR}|your|ihre?|unsere?)\s+)?(?P<kind>peppol(?:\s+participant)?"
    r"(?:[\s-]*id(?:entifier)?|\s+address|\s+endpoint)|e-?invoic(?:e|ing)\s+address"
    r"|electronic\s+address|endpoint(?:\s+id)?|e-?rechnungs[\s-]?adresse)"
    rf"{_IS})(?:(?P<scheme>(?-i:[0-9]{{4}}|EM|[A-Z]{{2,3}}))\s*:\s*)?(?P<value>{_EMAIL}|[\w./-]*\d[\w./-]*)",
    re.I,
)

_CONTACT_RE = re.compile(
    rf"(?P<intro>(?P<who>{_THEIR}|{_OUR}|your|ihre?|unsere?)\s+(?:contact(?:\s+person)?"
    r"(?:\s+details)?|contact\s+info(?:rmation)?|ansprechpartner(?:in)?|kontakt(?:person)?)"
    rf"{_IS})(?:(?P<name>{_NAME})(?=\s*(?:[,;(]|\band\b|$|\n|\.\s)))?",
    re.I,
)
_CONTACT_PART_RE = re.compile(
    r"\s*(?:[,;(]|\band\b|\s)\s*(?:(?:phone|tel\.?|telephone|mobile|e-?mail|mail)\s*[:=]?\s*)?"
    rf"(?:(?P<email>{_EMAIL})|(?P<phone>{_PHONE}))\)?",
    re.I,
)

_DELIVERY_RE = re.compile(
    r"(?P<intro>\b(?:(?:the\s+|it\s+|everything\s+|all\s+)?(?:work|job|service|services|goods"
    r"|order|it|everything|all|was|were|has\s+been|have\s+been)(?:\s+(?:was|were|has\s+been"
    r"|have\s+been))?\s+)?(?:delivered|supplied|performed|completed|shipped|geliefert|erbracht"
    r"|(?:the\s+)?(?:date\s+of\s+(?:delivery|supply|service)|delivery(?:\s+date)?|supply\s+date"
    r"|service\s+date|leistungsdatum|lieferdatum|liefertag|leistungszeitpunkt|leistungstag))"
    r"(?:\s+(?:was|is|am|on|:|=|-))*\s*[:=-]?\s*(?:on\s+)?)(?P<day>\d{4}-\d{2}-\d{2})\b",
    re.I,
)


@dataclass
class _Found:
    text: str
    changes: list[Change]
    questions: list[Question]

    def cut(self, start: int, end: int) -> None:
        self.text = f"{self.text[:start]} {self.text[end:]}"


def _whose(who: str | None) -> str | None:
    if not who:
        return None
    return (
        "seller"
        if re.match(r"(?:our|my|unser|the\s+seller|seller|the\s+supplier)", who, re.I)
        else "buyer"
    )


def _buyer_references(found: _Found) -> None:
    for match in reversed(list(_BUYER_REF_RE.finditer(found.text))):
        who = match["who"]
        if match["plain"] and not (
            who and _whose(who) == "buyer" or (who or "").lower() in ("ihr", "ihre")
        ):
            continue  # "reference" alone, "our reference": not the client's
        if match["plain"] and re.match(r"zeichen", match["plain"], re.I) and not who:
            continue
        if who and _whose(who) == "seller" and not match["leitweg"]:
            continue
        value = match["value"]
        if re.fullmatch(r"(?:p\.?o\.?|purchase)", value, re.I):
            continue
        end = match.end()
        as_address = _AS_ADDRESS_RE.match(found.text, end)
        if match["leitweg"]:
            if not leitweg.is_valid(value):
                found.questions.append(
                    Question(
                        f"“{value}” is not a valid Leitweg-ID (its format or check digits are "
                        "wrong, e.g. 04011000-12345-03) — could you check it?"
                    )
                )
                found.cut(match.start(), end)
                continue
            value = leitweg.compact(value)
        found.changes.append(SetBuyerReference(value))
        if as_address:
            end = as_address.end()
            if match["leitweg"]:
                found.changes.append(SetElectronicAddress("buyer", "0204", value))
        found.cut(match.start(), end)


def _payment(found: _Found) -> None:
    given: dict[str, str] = {}
    for match in reversed(list(_IBAN_RE.finditer(found.text))):
        value = identifiers.compact(match["value"])
        labelled = bool(match["intro"])
        said = _STRONG_LEAD_RE.search(found.text, max(0, match.start() - 40), match.start())
        if not labelled and not said:
            continue  # a VAT number or a code that only looks like an IBAN
        if _whose(match["who"]) == "buyer":
            found.questions.append(
                Question(
                    f"The IBAN on an invoice is the account the client pays into — yours. Is "
                    f"{_grouped(value)} your account? Say “pay to IBAN {_grouped(value)}”."
                )
            )
            found.cut(match.start(), match.end())
            continue
        problem = identifiers.iban_problem(value)
        if problem:
            found.questions.append(
                Question(
                    f"{_grouped(value)} is {problem} — could you check the IBAN? I haven't "
                    "changed the invoice."
                )
            )
        else:
            given["iban"] = value
        lead = _PAY_LEAD_RE.search(found.text, max(0, match.start() - 40), match.start())
        found.cut(lead.start() if lead else match.start(), match.end())
    for match in reversed(list(_IBAN_LEFT_RE.finditer(found.text))):
        found.questions.append(
            Question(
                f"“{match['value'].strip()}” does not look like an IBAN (two letters, two check "
                "digits and up to 30 letters and digits, e.g. DE89 3704 0044 0532 0130 00) — "
                "could you check it?"
            )
        )
        found.cut(match.start(), match.end())
    for regex, name in ((_BIC_RE, "bic"), (_HOLDER_RE, "account_name"), (_PAY_REF_RE, "reference")):
        for match in reversed(list(regex.finditer(found.text))):
            value = match["value"].strip(" .,;")
            if name == "bic":
                value = value.upper()
                problem = identifiers.bic_problem(value)
                if problem:
                    found.questions.append(Question(f"{value} is {problem} — could you check it?"))
                    found.cut(match.start(), match.end())
                    continue
            given[name] = value
            found.cut(match.start(), match.end())
    for match in reversed(list(_MEANS_RE.finditer(found.text))):
        if match["sepa"]:
            given.setdefault("means_code", "58")
        elif match["transfer"]:
            if "iban" not in given:
                given.setdefault("means_code", "30")
        elif match["cash"]:
            given["means_code"] = "10"
        else:
            given["means_code"] = "20"
        start = match.start()
        lead = _PAY_LEAD_RE.search(found.text, max(0, start - 25), start)
        found.cut(lead.start() if lead else start, match.end())
    if given:
        found.changes.append(SetPayment(**given))


def _electronic_addresses(found: _Found) -> None:
    for match in reversed(list(_ADDRESS_RE.finditer(found.text))):
        role = _whose(match["who"]) or "buyer"
        scheme, value = (match["scheme"] or "").upper(), match["value"].rstrip(".")
        peppol = match["kind"].lower().startswith("peppol")
        found.cut(match.start(), match.end())
        email = re.fullmatch(_EMAIL, value)
        if email and not scheme:
            scheme = identifiers.EMAIL_SCHEME
        question = None
        if not scheme:
            question = (
                f"Which scheme is {value} in? Write it as scheme:identifier, e.g. "
                "0208:0477472701 (Belgian enterprise number), 0204:991-33333TEST-33 (Leitweg-ID), "
                "9930:DE811569869 (German VAT number), 0088:… (GLN)."
            )
        elif scheme not in identifiers.eas_schemes():
            question = (
                f"{scheme} is not a scheme of the EAS code list, so recipients would reject "
                f"the address — e.g. 0208 (Belgian enterprise number), 0204 (Leitweg-ID), 9930 "
                "(German VAT number), 0106 (Dutch KvK), 0088 (GLN)."
            )
        elif peppol and scheme not in identifiers.PEPPOL_EAS_SCHEMES:
            question = (
                f"Peppol cannot deliver to a {identifiers.scheme_name(scheme)} ({scheme}); a "
                "Peppol ID looks like 0208:0477472701 or 9930:DE811569869. Which is it?"
            )
        else:
            problem = identifiers.electronic_address_problem(scheme, value)
            if problem:
                question = (
                    f"{value} is not a valid {identifiers.scheme_name(scheme)}: {problem}. "
                    "Could you check it?"
                )
        if question:
            found.questions.append(Question(question))
        else:
            found.changes.append(SetElectronicAddress(role, scheme, value))


def _contacts(found: _Found) -> None:
    for match in reversed(list(_CONTACT_RE.finditer(found.text))):
        parts: dict[str, str] = {}
        end = match.end()
        for _ in range(3):
            part = _CONTACT_PART_RE.match(found.text, end)
            if part is None:
                break
            if part["email"]:
                parts.setdefault("email", part["email"])
            elif len(re.sub(r"\D", "", part["phone"])) >= 6:
                parts.setdefault("phone", part["phone"].strip())
            else:
                break
            end = part.end()
        if not match["name"] and not parts:
            continue
        role = _whose(match["who"]) or "buyer"
        found.changes.append(SetPartyContact(role, match["name"], **parts))
        found.cut(match.start(), end)


def _delivery(found: _Found, today: date) -> None:
    for match in reversed(list(_DELIVERY_RE.finditer(found.text))):
        day = date.fromisoformat(match["day"])
        if day > today + timedelta(days=366):
            found.questions.append(
                Question(
                    f"Is the delivery date really {day.isoformat()}? Please write it with the year."
                )
            )
        else:
            found.changes.append(SetDeliveryDate(day))
        found.cut(match.start(), match.end())


def take_einvoice_fields(text: str, today: date) -> tuple[str, list[Change], list[Question]]:
    """The message without its e-invoice phrases, the changes they make, and questions."""
    if not _HINT_RE.search(text):
        return text, [], []
    found = _Found(text, [], [])
    _buyer_references(found)
    _electronic_addresses(found)
    _payment(found)
    _contacts(found)
    _delivery(found, today)
    if found.text != text:
        found.text = re.sub(r"[ \t]+", " ", found.text)
        found.text = re.sub(r"\s+([,.;])", r"\1", found.text)
        found.text = re.sub(r"([,;])(?:\s*[,;])+", r"\1", found.text)
        found.text = re.sub(r"[,;]\s*(?=[.\n]|$)", "", found.text)
    return found.text, found.changes[::-1], found.questions
