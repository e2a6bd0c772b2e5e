"""What the offline engine knows of the person typing: their profile, their stored clients and
the clients' last invoices (given in the request by the turn runner: core/owner_records.py).

- **Defaults**: a new invoice starts with the profile's seller, payment details, currency,
  tax rate and payment terms (`changes.Defaults`); what the message says wins.
- **Known clients**: "invoice acme for 3 h at 90" — the client the message names is looked up
  among the stored clients (case and spaces ignored): the same name, VAT ID or e-mail, else
  the only client whose name starts with the words typed ("acme" → "Acme Corp"). The buyer
  then gets the stored details (`UseClient`) and the reply says so; when the words start
  several clients' names, the reply asks which.
- **Repeats**: "invoice Acme again", "same as last time for Acme", "repeat the last invoice
  for Acme", "Acme, like last month" copy the client's last issued invoice — lines, currency,
  discount, terms — with today's dates (`CopyInvoice`).
- **Saving the seller**: a message that changes the seller gets an offer to save it; "save it
  to my profile", "use these details for future invoices", or "yes" to the offer returns a
  profile patch (`ProviderReply.profile_update`), which the runner writes.

Stored names are data: they are compared, never read as instructions, and shown in replies
as they are (the UI escapes everything it renders).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from marshmallow import ValidationError

from core.invoice import InvoiceDraft, Party, Payment
from core.owner_records import profile_payment, profile_seller, seller_patch
from core.providers.base import ChatMessage, ProviderReply, ProviderRequest
from core.providers.offline.changes import (
    AddLine,
    Change,
    Context,
    Defaults,
    SetParty,
    SetPartyDetail,
)
from core.providers.offline.reply_text import human_date, join_words
from core.schemas import load_draft

# --- the profile -----------------------------------------------------------------------------


def defaults_from(profile: dict[str, Any] | None) -> Defaults | None:
    """The profile as a new invoice's starting point; None without a profile (no records)."""
    if profile is None:
        return None
    seller = _party(profile_seller(profile))
    payment_data = profile_payment(profile)
    payment = None
    if payment_data:
        try:
            payment = load_draft({"payment": payment_data}).payment
        except ValidationError:
            payment = None
    values = profile.get("defaults") or {}
    rate = values.get("tax_rate")
    try:
        tax_rate = Decimal(str(rate)) if rate not in (None, "") else None
    except InvalidOperation:
        tax_rate = None
    days = values.get("payment_terms_days")
    return Defaults(
        seller=seller,
        payment=payment if isinstance(payment, Payment) else None,
        currency=str(values["currency"]).upper() if values.get("currency") else None,
        tax_rate=tax_rate,
        terms_days=days if isinstance(days, int) and not isinstance(days, bool) else None,
    )


def _party(data: dict[str, Any] | None) -> Party | None:
    if not data:
        return None
    try:
        return load_draft({"buyer": data}).buyer
    except ValidationError:
        return None


# --- known clients ---------------------------------------------------------------------------


def _key(text: Any) -> str:
    """Case, spaces and a final full stop ignored: "ACME Corp." is "acmecorp"."""
    return "".join(str(text or "").split()).casefold().rstrip(".")


def _words(text: Any) -> list[str]:
    return [_key(w) for w in re.findall(r"[^\s,;:()\"“”]+", str(text or "")) if _key(w)]


def _client_names(client: dict[str, Any]) -> list[str]:
    return [str(client[k]) for k in ("company", "name") if client.get(k)]


def client_label(client: dict[str, Any]) -> str:
    return str(client.get("company") or client.get("name") or "")


@dataclass(frozen=True)
class Match:
    """The stored client a name is (`client`), or the several it could be (`several`)."""

    client: dict[str, Any] | None = None
    several: tuple[dict[str, Any], ...] = ()


def match_client(name: str, known: tuple[dict[str, Any], ...]) -> Match:
    """The stored client `name` names: the same company, name, VAT ID or e-mail (case and
    spaces ignored); else the only one whose company or name starts with the words of
    `name` (whole words: "acme" is "Acme Corp", "ac" is nobody)."""
    key = _key(name)
    if not key:
        return Match()
    for client in known:
        keys = [_key(n) for n in _client_names(client)]
        keys += [_key(client.get("tax_id")), _key(client.get("email"))]
        if key in keys:
            return Match(client)
    words = _words(name)
    starting = []
    for client in known:
        for full in _client_names(client):
            name_words = _words(full)
            if words and len(words) < len(name_words) and name_words[: len(words)] == words:
                starting.append(client)
                break
    if len(starting) == 1:
        return Match(starting[0])
    return Match(several=tuple(starting))


def client_party(client: dict[str, Any]) -> Party | None:
    """The stored client as the invoice's buyer (its name is its person's name, else its
    company), or None when the stored details do not make a valid party."""
    data = {
        k: client.get(k)
        for k in ("name", "company", "email", "phone", "address", "tax_id", "contact")
        if client.get(k)
    }
    if not data.get("name"):
        data["name"] = data.get("company")
    if data.get("company") == data.get("name"):
        data.pop("company")
    return _party(data)


_DETAIL_WORDS = (("address", "address"), ("tax_id", "VAT ID"), ("email", "e-mail"))


@dataclass(frozen=True)
class UseClient(Change):
    """The buyer is a stored client, with the details on file."""

    party: Party
    label: str
    phase: ClassVar[int] = 7  # with SetParty: details the message gives apply after it

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        details = [word for name, word in _DETAIL_WORDS if getattr(self.party, name)]
        if details:
            message = f"Client: {self.label}, with the {join_words(details)} on file."
        else:
            message = f"Client: {self.label} (one of your clients; no address on file yet)."
        return replace(draft, buyer=self.party), message

    def summary(self) -> str:
        return f"client {self.label}"


@dataclass(frozen=True)
class CopyInvoice(Change):
    """The lines and terms of the client's last issued invoice, with today's dates."""

    number: str
    draft: InvoiceDraft  # the copied facts (lines, currency, discount, terms, notes)
    term_days: int | None  # due this many days after the issue date, as the original was
    phase: ClassVar[int] = 0  # before lines the same message adds
    copies_currency: ClassVar[bool] = True

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        copied = self.draft
        issue = draft.issue_date or ctx.today
        due = issue + timedelta(days=self.term_days) if self.term_days is not None else None
        draft = replace(
            draft,
            currency=copied.currency,
            items=(*copied.items, *draft.items),
            discount=copied.discount,
            notes=copied.notes,
            payment_terms=copied.payment_terms,
            due_date=due or draft.due_date,
        )
        count = len(copied.items)
        message = (
            f"Copied the {count} line{'s' if count != 1 else ''} of your last invoice to them "
            f"({self.number}) with today's date"
        )
        message += f", due {human_date(due)}." if due else "."
        return draft, message

    def summary(self) -> str:
        return f"a copy of invoice {self.number}"


def copy_of(last: dict[str, Any]) -> CopyInvoice | None:
    """The change that copies a stored invoice (`last_invoice` of a known client)."""
    facts = {k: last.get(k) for k in ("currency", "items", "discount", "notes", "payment_terms")}
    try:
        draft = load_draft({k: v for k, v in facts.items() if v is not None})
    except ValidationError:
        return None
    if not draft.items:
        return None
    term_days = None
    try:
        if last.get("issue_date") and last.get("due_date"):
            issued, due = (
                date.fromisoformat(last["issue_date"]),
                date.fromisoformat(last["due_date"]),
            )
            term_days = max(0, (due - issued).days)
    except (TypeError, ValueError):
        term_days = None
    return CopyInvoice(str(last.get("number") or ""), draft, term_days)


# --- "invoice Acme again", "same as last time for Acme" --------------------------------------

_PERIOD = r"(?:time|month|week|year|quarter|invoice|one|bill|order)"
_REPEAT_RE = re.compile(
    r"\b(?:(?:the\s+)?same|similar)(?:\s+(?:invoice|thing|one|lines|work|amount|again))?"
    r"\s+(?:as|like)\s+(?:the\s+|my\s+|our\s+)?(?:last|previous|latest|before|usual|always)"
    rf"(?:\s+{_PERIOD})?(?:'s(?:\s+invoice)?)?"
    rf"|\b(?:just\s+)?(?:like|as)\s+(?:the\s+)?(?:last|previous)\s+{_PERIOD}(?:'s(?:\s+invoice)?)?"
    r"|\b(?:repeat|copy|duplicate|reuse|redo|clone|re-?issue)\s+(?:of\s+)?(?:the\s+|my\s+|our\s+"
    r"|their\s+)?(?:last|previous|latest|most\s+recent)\s+(?:invoice|one|bill)"
    r"(?:\s+(?:for|to|of|with)\b)?"
    r"|\b(?:same|usual)\s+again\b|\bthe\s+usual\b|\bsame\s+as\s+(?:always|usual)\b",
    re.I,
)
# "repeat acme's last invoice", "copy the last Acme invoice": the client inside the phrase
_COPY_VERB = r"(?:repeat|copy|duplicate|reuse|redo|clone|re-?issue)"
_REPEAT_NAMED_RES = (
    re.compile(
        rf"\b{_COPY_VERB}\s+(?:the\s+)?(?P<name>[^\s,.;!?][^,.;!?\n]{{0,60}}?)(?:'s|’s)\s+"
        r"(?:last|previous|latest|most\s+recent)\s+(?:invoice|one|bill)\b",
        re.I,
    ),
    re.compile(
        rf"\b{_COPY_VERB}\s+(?:the\s+|my\s+|our\s+)?(?:last|previous|latest|most\s+recent)\s+"
        r"(?P<name>[^\s,.;!?][^,.;!?\n]{0,60}?)\s+(?:invoice|bill)\b",
        re.I,
    ),
)
_AGAIN_RE = re.compile(r"\b(?:again|once\s+more)\b", re.I)
_DANGLING_RE = re.compile(
    r"(?:\s*\b(?:for|to|of|with|the|a|an|just|exactly|please|pls|but)\b)+\s*(?=$|[,.;!?\n])",
    re.I,
)


@dataclass(frozen=True)
class Repeat:
    """A message asking to repeat a client's last invoice, with that request taken out."""

    rest: str
    strong: bool  # "same as last time" (always a copy) rather than only "again"


def read_repeat(message: str) -> Repeat | None:
    """ "invoice Acme again" -> Repeat("invoice Acme"); None when the message asks no repeat."""
    for regex in _REPEAT_NAMED_RES:
        named = regex.search(message)
        if named:
            rest = f"{message[: named.start()]} {named['name']} {message[named.end() :]}"
            return Repeat(_tidy_rest(rest), strong=True)
    match = _REPEAT_RE.search(message)
    strong = match is not None
    if match is None:
        match = _AGAIN_RE.search(message)
    if match is None:
        return None
    return Repeat(_tidy_rest(f"{message[: match.start()]} {message[match.end() :]}"), strong)


def _tidy_rest(rest: str) -> str:
    """The message with the repeat taken out, without the words it left dangling."""
    rest = re.sub(r"[ \t]+", " ", rest)
    rest = _DANGLING_RE.sub("", rest)
    rest = re.sub(r"^\s*(?:for|to|of)\b", "", rest, flags=re.I)
    rest = re.sub(r"\s+(?=[,.;:!?])", "", rest)
    return re.sub(r"^[\s,.;:!?–—-]+|[\s,.;:!?–—-]+$", "", rest)


_FILLER = frozenset(
    """for to of the a an please pls invoice bill charge client customer again same make
    create new do send just exactly it them one can you could another""".split()  # noqa: SIM905  # noqa: SIM905 - a word list reads better as text
)


def names_only(text: str, client: dict[str, Any], mentioned_as: str) -> bool:
    """Whether `text` (a clause the engine did not read) only names `client`: "for Acme"."""
    words = [w for w in _words(text) if w.strip(".!?") not in _FILLER]
    key = "".join(w.strip(".!?") for w in words)
    if not key:
        return True
    names = [_key(n) for n in _client_names(client)] + [_key(mentioned_as)]
    return key in names


# --- saving the seller -----------------------------------------------------------------------

SAVE_OFFER = "Should I save these seller details to your profile"
SAVE_HINT = f"{SAVE_OFFER}, so that new invoices start with them? Say “save it to my profile”."
_SAVE_VERB_RE = re.compile(
    r"^\W*(?:(?:yes|yeah|yep|sure|ok(?:ay)?|great|perfect|good|and|also|then|now)\b[\s,.!-]*)*"
    r"(?:(?:please|pls|kindly|can\s+you|could\s+you|would\s+you|go\s+ahead\s+and|i\s+want\s+to"
    r"|let'?s)\s+)*(?:save|store|remember|keep|put|add|update|set|make|use)\b",
    re.I,
)
_PROFILE_WORDS_RE = re.compile(
    r"\b(?:profile|settings|defaults?|future|next\s+time|from\s+now\s+on|every\s+(?:new\s+)?"
    r"invoice|all\s+(?:my\s+|new\s+)?invoices|(?:my|these|those|the)\s+(?:seller\s+|company\s+"
    r"|business\s+)?details)\b",
    re.I,
)
_NEGATION_RE = re.compile(r"\b(?:no|not|don'?t|do\s+not|never|nope|cancel)\b", re.I)
_AFFIRM_RE = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|sure|ok(?:ay)?|please(?:\s+do)?|do\s+it|go\s+ahead|save\s+(?:it|that"
    r"|them)|absolutely|definitely|of\s+course)\b[\w\s,.!']{0,40}$",
    re.I,
)


def _offered(history: tuple[ChatMessage, ...]) -> bool:
    return bool(history) and history[-1].role == "assistant" and SAVE_OFFER in history[-1].content


def asks_to_save(request: ProviderRequest) -> bool:
    """ "save it to my profile", "use these details for future invoices", or "yes" to the
    offer the last reply made."""
    message = request.message.strip()
    if len(message) > 200 or _NEGATION_RE.search(message):
        return False
    if _SAVE_VERB_RE.match(message) and _PROFILE_WORDS_RE.search(message):
        return True
    return _offered(request.history) and bool(_AFFIRM_RE.match(message))


def save_reply(request: ProviderRequest) -> ProviderReply:
    """The answer to a request to save the invoice's seller: the patch, or why not."""
    if request.profile is None:
        return ProviderReply(
            "I can't save a profile here: this service keeps no records. The invoice is unchanged.",
            None,
        )
    patch = seller_patch(request.invoice)
    if patch is None:
        return ProviderReply(
            "There are no seller details on this invoice to save yet. Tell me who you are, "
            "e.g. “my company is Pixel Studio, VAT ID DE123456789”.",
            None,
        )
    seller = patch["seller"]
    details = [
        f"{label} {seller[name]}"
        for name, label in (("tax_id", "VAT ID"), ("email", "e-mail"), ("address", "address"))
        if seller.get(name)
    ]
    shown = seller["company"] or seller["name"]
    if details:
        shown += f" ({', '.join(details)})"
    extra = " and your payment details" if "payment" in patch else ""
    return ProviderReply(
        f"Saved to your profile: seller {shown}{extra}. New invoices will start with them.",
        None,
        profile_update=patch,
    )


def changes_seller(changes: list[Change]) -> bool:
    return any(
        isinstance(change, SetParty | SetPartyDetail) and change.role == "seller"
        for change in changes
    )


def lines_of(changes: list[Change]) -> bool:
    return any(isinstance(change, AddLine | CopyInvoice) for change in changes)
