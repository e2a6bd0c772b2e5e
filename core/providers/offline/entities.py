"""What a message says anywhere in it, found before it is split into clauses.

Some things do not sit in one clause: a greeting or a signature around the request, a
client's details in a block over several lines ("Invoice to:" / name / street / postcode
and city / VAT), an e-mail address or phone number in brackets after a name, a VAT number
or a purchase-order number in the middle of a sentence, an amount written with a minus sign.
Each is found over the whole message, turned into a change (or a question), and cut out, so
the clauses left are the invoice's lines and instructions:

    "Hi! Invoice Acme GmbH, Hauptstr. 5, 10115 Berlin (ap@acme.de), PO 4711, for design €500.
     Thanks, Ana"
    -> buyer Acme GmbH, its address and e-mail, PO 4711; left: "Invoice Acme GmbH for design €500"

Whose detail it is (the client's or yours) comes from the block it is in ("From:", "To:") or
else from the nearest word before it that names a party ("my", "our", "from" for you;
"their", "client", "to", "invoice" for the client).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.providers.offline.amounts import NUMBER
from core.providers.offline.changes import (
    Change,
    Question,
    SetContact,
    SetParty,
    SetPartyDetail,
    SetPurchaseOrder,
)
from core.providers.offline.parties import INVOICE_WORD, party_name, postal_piece, take_address
from core.providers.offline.vocabulary import CODE_ALT, MONTH_ALT, NAME_ALT, SYMBOL_ALT

# --- numbers that cannot be read, and minus signs --------------------------------------------

_NUMBER_RE = re.compile(NUMBER)
_NUMBERISH_RE = re.compile(r"(?<![\w.,'/-])\d[\d.,']*\d(?![\w/]|[.,]?\d)")
_MARKER_BEFORE_RE = re.compile(rf"(?:{SYMBOL_ALT}|\b{CODE_ALT})\s?$", re.I)
_MARKER_AFTER_RE = re.compile(rf"^\s?(?:{SYMBOL_ALT}|(?:{CODE_ALT}|{NAME_ALT})\b)", re.I)
_SCIENTIFIC_RE = re.compile(
    rf"(?:(?:{SYMBOL_ALT})\s?|(?<![\w.]))\d+(?:\.\d+)?e[+-]?\d+\b|\b0x[0-9a-f]+\b", re.I
)
_MINUS_RE = re.compile(
    rf"(?<![\w.,)/+-])[-−](?=(?:{SYMBOL_ALT})?\d)|(?<=[$€£¥₹])\s?[-−](?=\d)", re.I
)
# "less the $300 deposit they already paid", "deposit already paid", "refund -$100"
_PREPAID_RE = re.compile(
    r"\b(?:less|minus|deduct(?:ing)?|subtract(?:ing)?|take\s+off)\b[^.;\n]{0,40}"
    r"\b(?:deposit|down\s*payment|advance|prepayment|retainer|already\s+paid|paid)\b"
    r"|\b(?:deposit|down\s*payment|advance|prepayment)\s+(?:already\s+)?(?:paid|received)\b",
    re.I,
)


def odd_numbers(text: str) -> Question | None:
    """A question when the message has an amount it cannot read or one written as negative:
    it is never half-read ("$1e3" is not $1.00) nor made positive ("-$500" is not $500)."""
    odd = _SCIENTIFIC_RE.search(text)
    if odd is None:
        for match in _NUMBERISH_RE.finditer(text):
            written = match.group()
            if _NUMBER_RE.fullmatch(written):
                continue
            marked = _MARKER_BEFORE_RE.search(text[: match.start()]) or _MARKER_AFTER_RE.match(
                text[match.end() :]
            )
            if marked or ("." in written and "," in written):
                odd = match
                break
    if odd is not None:
        shown = odd.group().strip()
        return Question(
            f"I can't read “{shown}” as an amount, so I haven't changed anything. Please write "
            "it as plain digits, e.g. “$1,000” or “1000.50”."
        )
    minus = _MINUS_RE.search(text)
    prepaid = _PREPAID_RE.search(text)
    if minus is None and prepaid is None:
        return None
    shown = text[minus.start() : minus.start() + 12].split()[0] if minus else prepaid.group()  # type: ignore[union-attr]
    return Question(
        f"An invoice line can't be negative (“{shown.strip(' ,.;')}”), so I haven't changed "
        "anything. If it is a deposit already paid or a credit, leave it out and tell the "
        "client separately, or give it as a fixed discount, e.g. “$500 off”."
    )


# --- greetings, thanks, sign-offs, context ---------------------------------------------------

_GREETING_RE = re.compile(
    r"^\s*(?:hi|hello|hey|hiya|heya|howdy|greetings|yo|morning|afternoon|evening|good\s+"
    r"(?:morning|afternoon|evening|day)|dear\s+(?:sir\s+or\s+madam|[\w ]{1,30}?(?=\s*[,\n])))"
    r"(?:\s+(?:there|team|all|everyone|folks|guys|again)|\s+(?-i:[A-Z][a-z]+)(?=\s*[,!]))?"
    r"(?:\s*[,!.:;—–-]+\s*|\s+|$)",
    re.I,
)
_GREETING_LINE_RE = re.compile(
    r"(?im)^[ \t]*(?:hi|hello|hey|hiya|dear\s+[\w ]{1,30}|good\s+(?:morning|afternoon|evening))"
    r"(?:[ \t]+(?-i:[A-Z][a-z]+))?[ \t]*[,!.]*[ \t]*$\n?"
)
# A sentence or line that is only pleasantries.
_PLEASANTRY_RE = re.compile(
    r"^(?:(?:i\s+)?hope\b.*|(?:many\s+|big\s+)?thanks\b.*|thank\s+you\b.*|thx\b.*|ty\b.*"
    r"|let\s+me\s+know\b.*|cheers\b.*|(?:best|kind|warm|warmest)(?:\s+regards|\s+wishes)?\b.*"
    r"|regards\b.*|sincerely\b.*|all\s+the\s+best\b.*|talk\s+soon\b.*|speak\s+soon\b.*"
    r"|have\s+a\s+(?:good|great|nice|lovely)\b.*|(?:much|really)\s+appreciated\b.*"
    r"|(?:i\s+)?(?:really\s+)?appreciate\s+(?:it|that|your\s+help)\b.*|quick\s+(?:one|request)"
    r"|ta|sorry\s+to\s+bother\s+you\b.*|no\s+rush\b.*|when\s+you\s+(?:get\s+a\s+)?(?:chance|can)"
    r"|(?:how\s+are\s+you|how'?s\s+it\s+going)\b.*|happy\s+\w+day\b.*"
    r"|(?:i\s+)?(?:love|loved)\s+working\s+with\s+you\b.*)[\s!.,:;)(]*$",
    re.I,
)
# "Thanks,\nTom", "Best regards, Priya", "Cheers, Dan": a sign-off that starts a line or a
# sentence, at the end of the message, with the name under it.
SIGNATURE_RE = re.compile(
    r"(?:^|(?<=[\n.!?]))[ \t]*(?:many\s+thanks|thanks(?:\s+(?:so\s+much|a\s+lot|again|in\s+"
    r"advance))?|thank\s+you(?:\s+(?:so\s+much|very\s+much|in\s+advance))?|cheers|ta|thx"
    r"|(?:best|kind|warm|warmest)(?:\s+(?:regards|wishes))?|regards|sincerely|all\s+the\s+best)"
    r"[\s,!.]*(?:(?-i:[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,2}))?[\s.!]*$",
    re.I,
)
# "For the work we did in March, please invoice …", "Services rendered in October:"
_CONTEXT_RE = re.compile(
    r"(?:^|(?<=[\n.!?]))[ \t]*(?:(?:for|regarding|re:?|about)\s+(?:the\s+)?(?:work|job|jobs"
    r"|project|services?|stuff)\s+(?:(?:we|i)\s+(?:did|completed|finished|delivered|provided"
    r"|carried\s+out)|done|completed|delivered|rendered)\b[^,.:;\n]*[,.:;]"
    r"|(?:services?|work)\s+(?:rendered|performed|provided|done|completed)\b[^:\n]*:"
    r"|subject\s*:)",
    re.I,
)
_PERIOD_ONLY_RE = re.compile(
    rf"^(?:for|in|during|over)?\s*(?:the\s+)?(?:month\s+of\s+)?(?:(?:{MONTH_ALT})(?:\s+\d{{4}})?"
    r"|q[1-4](?:\s+\d{4})?|last\s+(?:week|month|quarter)|this\s+(?:week|month|quarter))$",
    re.I,
)


def is_period_only(clause: str) -> bool:
    """ "November", "for October", "Q3": when the work was done, nothing to bill by itself."""
    return bool(_PERIOD_ONLY_RE.match(clause.strip(" .,:;!")))


def strip_pleasantries(text: str) -> str:
    """`text` without the greeting, the sign-off and its name, and sentences that are only
    pleasantries ("Hope you're well!", "Let me know if you need anything else.")."""
    text = SIGNATURE_RE.sub("", text).rstrip()
    text = _GREETING_RE.sub("", text, count=1)
    text = _GREETING_LINE_RE.sub("", text)
    text = _CONTEXT_RE.sub(" ", text)
    pieces = re.split(r"(?<=[.!?\n])", text)
    return "".join(p for p in pieces if not _PLEASANTRY_RE.match(p.strip())).strip()


# --- whose detail ----------------------------------------------------------------------------

_ROLE_HINT_RE = re.compile(
    r"\b(?P<seller>my|our|i'?m|i\s+am|we'?re|we\s+are|from|seller'?s?|sender'?s?|vendor'?s?"
    r"|supplier'?s?|bill(?:ed)?\s+from|us)\b"
    r"|\b(?:client'?s?|customer'?s?|buyer'?s?|their|them|they|to|bill[\s-]to|attn|invoice|bill"
    r"|charge|recipient)\b",
    re.I,
)


def role_before(text: str, position: int, window: int = 60) -> str | None:
    """ "seller" or "buyer" after the nearest word before `position` that names a party, in
    the same sentence; None when no word says."""
    start = max(0, position - window)
    sentence = max(text.rfind(". ", start, position), text.rfind("\n", start, position))
    start = max(start, sentence + 1)
    hints = list(_ROLE_HINT_RE.finditer(text, start, position))
    if not hints:
        return None
    return "seller" if hints[-1]["seller"] else "buyer"


# --- details: e-mails, phones, tax IDs, purchase orders, contacts ----------------------------

_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_PHONE = r"\+?\(?\d[\d ().-]{5,18}\d"
_PHONE_LABEL_RE = re.compile(
    rf"(?P<intro>(?:(?:their|the\s+client'?s|client'?s?|my|our)\s+)?(?:phone|tel\.?|telephone"
    rf"|mobile|mob\.?|cell|ph\.?)(?:\s+(?:number|no\.?))?(?:\s+is)?\s*[:=]?\s*)(?P<value>{_PHONE})",
    re.I,
)
_TAX_LABEL = (
    r"(?:vat(?:\s*(?:id|no\.?|number|reg(?:istration)?(?:\s+(?:no\.?|number))?))?"
    r"|ust\.?[-\s]?id(?:[-\s]?nr)?\.?|ust\.?[-\s]?idnr\.?|tva(?:\s+intracom)?|btw(?:[-\s]?nr\.?)?"
    r"|nif|cif|nipc|cnpj|abn|ein|gst\s*(?:no\.?|number)|tax\s*(?:id|no\.?|number)|org\.?\s*nr\.?"
    r"(?:\s*/\s*vat)?|siret|siren|kvk|p\.?iva|partita\s+iva|mwst[-\s]?nr\.?|uid)"
)
_TAX_ID_RE = re.compile(
    rf"(?P<intro>(?:(?:their|the\s+client'?s|client'?s?|customer'?s?|my|our|your)\s+)?"
    rf"(?P<label>{_TAX_LABEL})(?:\s+(?:is|=))?\s*[:#]?\s*)"
    r"(?P<value>(?-i:(?=[A-Z ./-]{0,5}\d(?:[ ./-]?[A-Z0-9]){4})(?:[A-Z]{1,3} ?)?[0-9A-Z]"
    r"(?:[ ./-]?[0-9A-Z]){3,24}))",
    re.I,
)
_PO_RE = re.compile(
    r"(?P<intro>(?:(?:their|the|our|your|client'?s?|with|ref(?:erence)?\.?|quote|against)\s+)*"
    r"(?:p\.?o\.?|purchase[\s-]+order)(?:\s*(?:number|no\.?|nr\.?|num|ref(?:erence)?|#))?"
    r"(?:\s+(?:is|=))?\s*[:#]?\s*)(?P<value>(?-i:[A-Z0-9])[\w/-]*\d[\w/-]*)"
    r"|(?P<glued>\bPO-\d[\w/-]*)",
    re.I,
)
_CONTACT_RE = re.compile(
    r"(?P<intro>\b(?:attn\.?|attention(?:\s+of)?|fao|for\s+the\s+attention\s+of|contact(?:\s+"
    r"person)?(?:'s\s+name)?(?:\s+(?:is|will\s+be))?)\s*[:,-]?\s*)"
    r"(?P<value>(?:(?:dr|mr|mrs|ms|mx|prof)\.?\s+)?(?-i:[A-Z][\w'-]+)(?:\s+(?-i:[A-Z][\w'-]+)){0,3})",
    re.I,
)
_BRACKETS_RE = re.compile(r"\(([^()]{3,160})\)")


@dataclass
class Details:
    """The changes found, and the message without them."""

    text: str
    changes: list[Change] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)


def _cut(text: str, start: int, end: int) -> str:
    return f"{text[:start]} {text[end:]}"


def _detail(role: str | None, field_name: str, value: str, details: Details) -> None:
    if role is None and field_name == "tax_id":
        details.questions.append(
            Question(
                f"Is {value} your tax ID or the client's? Say “my tax ID is {value}” or “client "
                f"tax ID is {value}”."
            )
        )
        return
    details.changes.append(SetPartyDetail(role or "buyer", field_name, value))


def _bracketed(details: Details, role: str | None) -> None:
    """ "(ap@acme.com, +1 415 555 0199)", "(CNPJ 12.345.678/0001-90)" after a name."""
    text = details.text
    for match in reversed(list(_BRACKETS_RE.finditer(text))):
        pieces = [p.strip() for p in re.split(r"[,;/]|\s+\|\s+", match[1]) if p.strip()]
        found: list[tuple[str, str]] = []
        for piece in pieces:
            tax = _TAX_ID_RE.fullmatch(piece)
            if re.fullmatch(_EMAIL, piece):
                found.append(("email", piece))
            elif tax:
                found.append(("tax_id", tax["value"]))
            elif re.fullmatch(_PHONE, piece) and len(re.sub(r"\D", "", piece)) >= 7:
                found.append(("phone", piece))
            else:
                found = []
                break
        if not found:
            continue
        who = role or role_before(text, match.start()) or "buyer"
        for field_name, value in found:
            _detail(who, field_name, value, details)
        text = _cut(text, match.start(), match.end())
    details.text = text


def _labelled(details: Details, regex: re.Pattern[str], field_name: str, role: str | None) -> None:
    text = details.text
    for match in reversed(list(regex.finditer(text))):
        value = match["value"].strip(" .,;")
        if field_name == "phone" and len(re.sub(r"\D", "", value)) < 6:
            continue
        intro = match["intro"].lower()
        own = re.match(r"(?:my|our|your)\b", intro)
        theirs = re.match(r"(?:their|the\s+client|client|customer)", intro)
        who = role or ("seller" if own else "buyer" if theirs else None)
        who = who or role_before(text, match.start())
        _detail(who, field_name, value, details)
        text = _cut(text, match.start(), match.end())
    details.text = text


def _purchase_orders(details: Details) -> None:
    text = details.text
    for match in reversed(list(_PO_RE.finditer(text))):
        after = text[match.end() : match.end() + 30]
        line_start = text.rfind("\n", 0, match.start()) + 1
        in_note = re.search(r"\b(?:notes?|memo)\s*[:=-]", text[line_start : match.start()], re.I)
        if in_note or re.match(r"\s+(?:to|in|into|on)\s+(?:the\s+)?(?:notes?|memo)\b", after, re.I):
            continue  # "note: PO 4471", "add our PO number 4471 to the notes": a note
        value = match["glued"] or match["value"]
        details.changes.append(SetPurchaseOrder(value.rstrip(".,;")))
        text = _cut(text, match.start(), match.end())
    details.text = text


def _contacts(details: Details) -> None:
    text = details.text
    for match in reversed(list(_CONTACT_RE.finditer(text))):
        details.changes.append(SetContact(match["value"].strip()))
        text = _cut(text, match.start(), match.end())
    details.text = text


def take_details(text: str, role: str | None = None, *, emails: bool = False) -> Details:
    """Cut out e-mails in brackets, phones, tax IDs, purchase orders and contact persons (and
    with `emails`, every e-mail address).

    `role` is the party a block of text is about ("From:" lines: the seller); None: decide
    each detail by the words before it.
    """
    details = Details(text)
    _bracketed(details, role)
    if emails:
        for match in reversed(list(re.finditer(_EMAIL, details.text))):
            _detail(role, "email", match.group().rstrip("."), details)
            details.text = _cut(details.text, match.start(), match.end())
    _purchase_orders(details)
    _labelled(details, _TAX_ID_RE, "tax_id", role)
    _labelled(details, _PHONE_LABEL_RE, "phone", role)
    _contacts(details)
    if details.text != text:
        details.text = tidy_cuts(details.text)
    return details


def tidy_cuts(text: str) -> str:
    """The punctuation left where details were cut: "Acme , , for" -> "Acme, for"."""
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"([,;:])(?:\s*[,;])+", r"\1", text)
    text = re.sub(r" ([,;:.!?])", r"\1", text)
    text = re.sub(r"(?m)^[ \t]*[,;:.]+[ \t]*", "", text)
    text = re.sub(r"[,;][ \t]*(?=\n|$)", "", text)
    return text.strip()


# --- blocks: "From: …", "Invoice to:" and the lines under it ---------------------------------

_BLOCK_LABEL_RE = re.compile(
    r"(?im)^[ \t]*(?:(?P<seller>from|seller|supplier|vendor|sender|bill(?:ed)?\s+from)"
    r"|(?P<buyer>to|bill(?:ed)?\s+to|invoice\s+to|sold\s+to|client|customer|buyer|recipient"
    r"|(?:please\s+)?invoice(?:\s+(?:the\s+following\s+)?(?:client|customer))?))"
    r"[ \t]*:[ \t]*"
)
_FROM_TO_RE = re.compile(
    rf"^\s*(?:(?:an?\s+)?{INVOICE_WORD}\s+)?from\s+(?P<seller>[^\n:]+?)\s+to\s+"
    r"(?P<buyer>[^\n:]+?)\s*(?::\s*|(?=\s+for\s))",
    re.I,
)


def _block_lines(text: str, start: int, role: str) -> tuple[int, list[str]]:
    """The lines of a block that starts at `start` (after its label): the rest of the label's
    line, or when that is empty, the lines under it up to a blank line or a line that is not
    about the party."""
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    first = text[start:line_end].strip()
    if first:
        return line_end, [first]
    lines: list[str] = []
    position = line_end
    while position < len(text):
        next_end = text.find("\n", position + 1)
        next_end = len(text) if next_end < 0 else next_end
        line = text[position + 1 : next_end].strip()
        if not line:
            if lines:
                break
            position = next_end
            continue
        about_party = (
            not lines
            or postal_piece(line, after_street=True) is not None
            or take_details(line, role).changes
            or re.fullmatch(_EMAIL, line)
        )
        if not about_party:
            break
        lines.append(line)
        position = next_end
    return position, lines


def take_blocks(text: str) -> tuple[str, list[Change], list[Question]]:
    """Cut out the parties written as blocks ("From: Studio Nord, Torstr. 12, 10119 Berlin",
    "Invoice to:" and the lines under it)."""
    changes: list[Change] = []
    questions: list[Question] = []
    search_from = 0
    while True:
        label = _BLOCK_LABEL_RE.search(text, search_from)
        if label is None:
            break
        role = "seller" if label["seller"] else "buyer"
        end, lines = _block_lines(text, label.end(), role)
        details = take_details("\n".join(lines), role, emails=True)
        name_end = re.search(r"[,\n]", details.text)
        name_text = details.text[: name_end.start()] if name_end else details.text
        address, rest = take_address(details.text[len(name_text) :], block=True)
        name = party_name(name_text)
        asks_more = bool(rest.strip(" ,.;:"))
        if name is None or (asks_more and not address and not details.changes):
            search_from = label.end()  # "client: Acme, 40 hours …": for the clause readers
            continue
        questions += details.questions
        changes.append(SetParty(role, name))
        if address:
            changes.append(SetPartyDetail(role, "address", address))
        changes += details.changes
        # "bill to: Orchard Bank plc, 1 Canada Sq., London E14 5AB, for a review £7,500":
        # the request goes on after the address and stays in the message.
        leftover = rest.strip(" ,;:") if asks_more else ""
        text = f"{text[: label.start()]}{leftover}{text[end:]}"
        search_from = label.start()
    return text, changes, questions


def take_from_to(text: str) -> tuple[str, list[Change]]:
    """ "From Maple Web Co to Cascade Outfitters: website refresh …": both parties."""
    from_to = _FROM_TO_RE.match(text)
    if from_to:
        seller, buyer = party_name(from_to["seller"]), party_name(from_to["buyer"])
        if seller and buyer:
            return text[from_to.end() :], [SetParty("seller", seller), SetParty("buyer", buyer)]
    return text, []
