"""The offline provider: one turn from message to reply and draft."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from marshmallow import ValidationError

from core.invoice import InvoiceDraft, InvoiceRuleError, price_invoice
from core.providers.base import ProviderReply, ProviderRequest
from core.providers.offline.changes import (
    GENERIC_DESCRIPTION,
    WAITING_FOR_A_NAME,
    AddLine,
    Context,
    Question,
    SetParty,
    Undo,
    apply_changes,
    summarise,
)
from core.providers.offline.clauses import IGNORED, answer_price, read_clause
from core.providers.offline.documents import respond_to_documents
from core.providers.offline.lines import Answer, Answers, answer_key
from core.providers.offline.message import Reading, read_message, split_clauses
from core.providers.offline.reply_text import describe_line, format_money
from core.providers.offline.vat import vat_numbers_question, waiting_for_vat_numbers
from core.schemas import invoice_draft_schema, load_draft

HELP = (
    "I can create an invoice from a sentence such as “Invoice Acme Corp for 40 hours of "
    "consulting at $150/h, 8% tax, due in 30 days”, and then change it: “add a $200 travel "
    "line”, “remove line 2”, “change the rate to $175”, “make it 45 hours”, “10% discount”, "
    "“set tax to 7%”, “client email is ap@acme.com”, “my company is Pixel Studio”, “change "
    "currency to EUR”, “due next Friday”, “note: thanks for your business” or “undo”."
)
SHORT_HELP = (
    "I understand lines (“40 hours of consulting at $150/h”), tax, discounts, due dates, "
    "currency, client and seller details, notes and “undo”."
)
PRICE_QUESTION = "How much should I charge for"


class OfflineProvider:
    """A deterministic, rule-based engine for common invoice requests; no network, no model."""

    name = "offline"

    def respond(self, request: ProviderRequest) -> ProviderReply:
        try:
            return self._respond(request)
        except OverflowError:  # "due in 3000000 days": past the year 9999
            return ProviderReply(
                "That date is further away than any calendar I can put on an invoice, so "
                "nothing was changed. Give a due date within the next few years.",
                None,
            )

    def _respond(self, request: ProviderRequest) -> ProviderReply:
        try:
            current = _load(request.invoice)
        except ValidationError:
            return ProviderReply("I couldn't read the current invoice; it is unchanged.", None)
        if request.attachments:  # files came with the message (issue 19)
            return respond_to_documents(
                request, current, lambda alone: self._respond(replace(alone, attachments=()))
            )
        question = _question(request.message, current, request)
        if question:
            return ProviderReply(question, None)
        message, answers = _answered(request) or (_with_details_waiting(request), {})
        message = _with_vat_numbers(request, message)
        reading = read_message(message, request.today, answers, current)
        if reading.questions or reading.not_understood or not reading.changes:
            return ProviderReply(_decline(request.message, reading, current), None)

        adds_lines = any(isinstance(c, AddLine) for c in reading.changes)
        names_party = any(isinstance(c, SetParty) for c in reading.changes)
        if current is None and not (adds_lines or names_party):
            understood = summarise(reading.changes)
            return ProviderReply(
                f"There's no invoice yet, so there is nothing to change (I understood: "
                f"{understood}). First tell me who to bill and for what, e.g. “Invoice Acme "
                "Corp for 40 hours of consulting at $150/h”.",
                None,
            )
        # A message that opens like a new invoice and names a line starts a new invoice.
        creating = current is None or (reading.opening and adds_lines)
        ctx = Context(request.today, creating, _previous(request, reading))
        draft = None
        try:
            draft, messages = apply_changes(current, reading.changes, ctx)
            data = invoice_draft_schema.dump(draft)
            priced = price_invoice(load_draft(data), "DRAFT", today=request.today)
        except Question as question:
            return ProviderReply(f"{question}{_unchanged(current)}", None)
        except ValidationError as error:
            return ProviderReply(f"{_explain_invalid(error)}{_unchanged(current)}", None)
        except InvoiceRuleError as error:
            asked = vat_numbers_question(error, draft) if draft is not None else None
            if asked:
                return ProviderReply(f"{asked}{_unchanged(current)}", None)
            reply = f"I couldn't make that change: {error.message}{_unchanged(current)}"
            return ProviderReply(reply, None)

        if current is not None and not creating and draft == current:
            return ProviderReply("Nothing to change — the invoice already looks like that.", None)
        total = format_money(priced.total, draft.currency)
        if creating:
            return ProviderReply(
                _creation_reply(draft, messages, total, replaced=current is not None), data
            )
        before = price_invoice(current, "DRAFT", today=request.today) if current else None
        changed = before is None or (before.total, before.currency) != (
            priced.total,
            draft.currency,
        )
        if changed and (draft.items or draft.buyer):
            messages.append(f"Total is now {total}.")
        return ProviderReply(" ".join(messages), data)


_THANKS_RE = re.compile(r"\b(?:thanks|thank\s+you|thx|ty|cheers|appreciated|perfect|great)\b", re.I)
_HELP_RE = re.compile(
    r"^\s*(?:help|\?+|what\s+can\s+you\s+do|how\s+does\s+(?:this|it)\s+work|what\s+do\s+you"
    r"\s+understand|how\s+do\s+i\s+(?:use\s+(?:this|you)|start))\s*[?!.]*\s*$",
    re.I,
)
_TOTAL_RE = re.compile(
    r"^\s*(?:what'?s|what\s+is|how\s+much\s+is)\s+(?:the\s+)?(?:total|amount\s+due|balance"
    r"|grand\s+total|invoice\s+total)(?:\s+now)?\s*\??\s*$|^\s*(?:how\s+much\s+(?:is\s+it|do\s+they"
    r"\s+owe(?:\s+me)?|does\s+it\s+come\s+to)|total)\s*\?+\s*$",
    re.I,
)


def _question(message: str, current: InvoiceDraft | None, request: ProviderRequest) -> str | None:
    """An answer to "help" or "what's the total?", which change nothing; None otherwise."""
    if _HELP_RE.match(message):
        return HELP
    if not _TOTAL_RE.match(message):
        return None
    if current is None:
        return "There's no invoice yet, so there's no total. " + HELP
    invoice = price_invoice(current, "DRAFT", today=request.today)
    total = format_money(invoice.total, current.currency)
    parts = [f"subtotal {format_money(invoice.subtotal, current.currency)}"]
    if invoice.discount_total:
        parts.append(f"discount −{format_money(invoice.discount_total, current.currency)}")
    if invoice.tax_total:
        parts.append(f"tax {format_money(invoice.tax_total, current.currency)}")
    return f"The total is {total} ({', '.join(parts)})."


def _unchanged(current: InvoiceDraft | None) -> str:
    return " The invoice is unchanged." if current is not None else ""


def _previous(request: ProviderRequest, reading: Reading) -> InvoiceDraft | None:
    """The invoice before its last change, read only when the message asks to undo."""
    if not any(isinstance(change, Undo) for change in reading.changes):
        return None
    try:
        return _load(request.previous_invoice)
    except ValidationError:
        return None


def _load(data: dict[str, Any] | None) -> InvoiceDraft | None:
    return load_draft(data) if data is not None else None


# --- answers to "How much should I charge for …?" --------------------------------------------


def _answered(request: ProviderRequest) -> tuple[str, Answers] | None:
    """When the message answers the price question the last reply asked, the message that
    raised it and the prices given so far; None otherwise.

    The question is not stored anywhere: the engine is deterministic, so reading the earlier
    message again asks it again, and the answers fill it in. Answers to answers ("$500", then
    "$300" for the next question) go back through the history.
    """
    history = request.history
    if len(history) < 2 or history[-1].role != "assistant" or history[-2].role != "user":
        return None
    if PRICE_QUESTION not in history[-1].content:
        return None
    earlier = replace(request, message=history[-2].content, history=history[:-2])
    original, answers = _answered(earlier) or (earlier.message, {})
    reading = read_message(original, request.today, answers)
    missing = [q.missing_price for q in reading.questions if q.missing_price]
    if not missing:
        return None
    given = _match_answers(request, missing)
    return (original, {**answers, **given}) if given else None


def _with_details_waiting(request: ProviderRequest) -> str:
    """ "my email is ed@redpen.studio" -> "Whose email is …? Tell me the name …" -> "my business
    is Red Pen Studio": the name comes with the details it was asked for."""
    history = request.history
    if len(history) < 2 or history[-1].role != "assistant" or history[-2].role != "user":
        return request.message
    if not any(marker in history[-1].content for marker in WAITING_FOR_A_NAME):
        return request.message
    together = f"{request.message}\n{history[-2].content}"
    reading = read_message(together, request.today, current=_load(request.invoice))
    names = any(isinstance(change, SetParty) for change in reading.changes)
    fine = names and not reading.questions and not reading.not_understood
    return together if fine else request.message


def _with_vat_numbers(request: ProviderRequest, message: str) -> str:
    """ "… reverse charge" -> "Reverse charge needs the buyer's VAT number …" -> "their VAT
    number is …": the message that was refused is read again with the numbers (vat.py)."""
    earlier = waiting_for_vat_numbers(request.history)
    if earlier is None or message != request.message:
        return message
    together = f"{earlier}\n{message}"
    reading = read_message(together, request.today, current=_load(request.invoice))
    fine = reading.changes and not reading.questions and not reading.not_understood
    return together if fine else message


def _match_answers(request: ProviderRequest, missing: list[str]) -> Answers:
    """The prices in `request.message` for the `missing` lines: "$500" for one, "$500 and
    $300" in order for several, or "consulting $500, design $300" by name."""
    texts = [text for text, _ in split_clauses(request.message) if read_clause(text) is not IGNORED]
    prices = [answer_price(text) for text in texts]
    if prices and all(prices) and len(prices) == len(missing):
        return dict(zip(missing, [p for p in prices if p], strict=True))
    reading = read_message(request.message, request.today)
    if reading.questions or reading.not_understood:
        return {}
    given: Answers = {}
    for change in reading.changes:
        key = answer_key(change.description) if isinstance(change, AddLine) else None
        # "workshop 400" answers "the assembly workshop"
        named = [m for m in missing if key and set(key.split()) <= set(m.split())]
        key = key if key in missing else named[0] if len(named) == 1 else None
        if key is None:
            return {}  # a message of its own, not (only) an answer
        assert isinstance(change, AddLine)
        given[key] = Answer(change.price, change.unit)
    return given


# --- replies ---------------------------------------------------------------------------------


def _creation_reply(draft: InvoiceDraft, messages: list[str], total: str, *, replaced: bool) -> str:
    created = "Created a new invoice" if replaced else "Created an invoice"
    if draft.buyer:
        created += f" for {draft.buyer.name}"
    if draft.items:
        count = len(draft.items)
        lines = "; ".join(describe_line(item, draft.currency) for item in draft.items)
        created += f" with {count} line{'s' if count > 1 else ''}: {lines}."
    else:
        created += ". What should I bill? For example “40 hours of consulting at $150/h”."
    parts = [created, *messages]
    if draft.items:
        parts.append(f"Total: {total}.")
    generic = [
        i for i, item in enumerate(draft.items, 1) if item.description == GENERIC_DESCRIPTION
    ]
    if generic:
        parts.append(
            f"I called line {generic[0]} “{GENERIC_DESCRIPTION}” — tell me what it was for and "
            f"I'll rename it, e.g. “call line {generic[0]} Website redesign”."
        )
    if draft.buyer is None:
        parts.append("Who should I bill? Tell me the client, e.g. “client: Acme Corp”.")
    return " ".join(part for part in parts if part)


def _decline(message: str, reading: Reading, current: InvoiceDraft | None) -> str:
    """A reply that changes nothing: the questions, or what was and wasn't understood."""
    unchanged = "The invoice is unchanged." if current is not None else "Nothing is created yet."
    understood = summarise(reading.changes)
    if reading.questions:
        questions = _questions(reading)
        if reading.not_understood:
            shown = "”, “".join(reading.not_understood)
            questions += f" I also didn't understand “{shown}”."
        if understood:
            return f"So far I have: {understood}. {questions} {unchanged}"
        return f"{questions} {unchanged}"
    if reading.not_understood and understood:
        shown = "”, “".join(reading.not_understood)
        return (
            f"I understood {understood}, but not “{shown}”, so I haven't changed anything. "
            f"Could you rephrase that part, or send the message without it? {SHORT_HELP}"
        )
    if reading.opening and not reading.not_understood:
        if current is not None:
            return (
                "Tell me what to change, or start a new invoice with the client and what to bill, "
                "e.g. “Invoice Globex for 10 hours of design at $120/h”. I can't send emails: "
                "download or print the invoice from the preview."
            )
        return (
            "Happy to create an invoice. Tell me the client and what to bill, e.g. “Invoice Acme "
            "Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days”."
        )
    if not reading.not_understood:  # "thanks!", "hello", or nothing at all
        if _THANKS_RE.search(message):
            return f"You're welcome! {unchanged} Tell me if anything else should change."
        return f"Hello! {HELP}"
    shown = message.strip()
    shown = shown if len(shown) <= 80 else shown[:77] + "…"
    return f"Sorry, I didn't understand “{shown}”. {unchanged} {HELP}"


def _questions(reading: Reading) -> str:
    """The questions, with the missing prices asked together: "How much should I charge for
    consulting and for design?"."""
    missing = [q for q in reading.questions if q.missing_price]
    others = [q.text for q in reading.questions if not q.missing_price]
    if len(missing) > 1:
        subjects = " and for ".join(q.subject for q in missing)
        samples = [f"${500 - 100 * i}" for i in range(len(missing))]
        example = f"“{', '.join(samples[:-1])} and {samples[-1]}”"
        others.insert(
            0, f"{PRICE_QUESTION} {subjects}? Reply with the prices in that order, e.g. {example}."
        )
    elif missing:
        others.insert(0, missing[0].text)
    return " ".join(dict.fromkeys(others))


def _explain_invalid(error: ValidationError) -> str:
    """The first validation message, with the field it is about."""

    def first(messages: Any, path: list[str]) -> str:
        if isinstance(messages, dict):
            key, value = next(iter(messages.items()))
            return first(value, [*path, str(key)])
        if isinstance(messages, list) and messages:
            return first(messages[0], path)
        if len(path) > 2 and path[0] == "items" and path[1].isdigit():
            path = [f"line {int(path[1]) + 1}", *path[2:]]
        return f"{' '.join(path).replace('_', ' ')}: {messages}"

    return f"I couldn't make that change: {first(error.messages, [])}"
