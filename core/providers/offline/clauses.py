"""Reading one clause ("8% tax", "due next Friday", "client email is ap@acme.com").

Each reader is a small function that returns a Change (or a list of them), an Question (a question
back: the clause is clear but something is missing), IGNORED ("thanks"), or None when the
clause is not for it. `read_clause` tries the readers in turn, those about lines (in
`lines.py`) last; a clause nobody reads is "not understood".
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

from core.money import plain
from core.providers.offline.amounts import (
    PERCENT,
    Money,
    currency_of,
    money_value,
    number_value,
    parse_number,
)
from core.providers.offline.changes import (
    DUE_ON_RECEIPT,
    AddLine,
    Change,
    ClearInvoice,
    LineRef,
    Question,
    SetCurrency,
    SetDiscount,
    SetDueDate,
    SetDueIn,
    SetIssueDate,
    SetLineDiscount,
    SetNotes,
    SetParty,
    SetPartyDetail,
    SetTax,
    SetTerms,
    ShiftDueDate,
    Undo,
)
from core.providers.offline.dates import iso
from core.providers.offline.entities import is_period_only
from core.providers.offline.lines import (
    Answer,
    Answers,
    ambiguous_amount,
    read_correction,
    read_line_change,
    read_line_item,
    read_more,
    read_removal,
    read_replace,
    read_split,
)
from core.providers.offline.parties import party_name
from core.providers.offline.vocabulary import (
    CODE_ALT,
    NAME_ALT,
    NUMBER_WORD_ALT,
    SYMBOL_ALT,
)

IGNORED = object()  # "thanks", "please": understood, nothing to do


# --- the total, undo -------------------------------------------------------------------------


_SET_TOTAL_RE = re.compile(
    r"\b(?:set|make|change|adjust|update|put|bring|round|force|override|mark)\b.*\b(?:sub)?total\b"
    r"|\b(?:sub)?total\b\s*(?:to|should|must|needs|is|=|of|:|as|be)\b|^(?:sub)?total\b",
    re.I,
)


def _read_total(clause: str) -> Question | None:
    """ "set the total to $5000" is refused; "$1,650 total" is a line's whole price."""
    if _SET_TOTAL_RE.search(clause) and re.search(r"\d", clause):
        if re.search(r"\boff\b|\bdiscount\b", clause, re.I):
            return None  # "10% off the total" is a discount
        return Question(
            "The total is computed from the lines, tax and discount, so I can't set it "
            "directly — change a rate, a quantity or the discount instead."
        )
    return None


_UNDO_RE = re.compile(
    r"^(?:(?:please|oops|sorry|no|actually|hmm|wait|ugh)[\s,!.]+)*"
    r"(?:undo|revert|roll\s*back|reverse)(?:\s+(?:that|this|it|the\s+last(?:\s+(?:change|edit"
    r"|step|one))?|my\s+last\s+(?:change|edit)|the\s+(?:previous|last)\s+(?:change|edit)|last"
    r"(?:\s+(?:change|edit))?))?(?:\s+please)?"
    r"|^(?:go\s+back|put\s+it\s+back|take\s+(?:that|it)\s+back|cancel\s+(?:that|the\s+last"
    r"(?:\s+(?:change|edit))?)|restore\s+the\s+(?:previous|last)\s+(?:version|invoice)"
    r"|back\s+to\s+(?:the\s+)?(?:previous|last)\s+(?:version|invoice)"
    r"|change\s+it\s+back|revert\s+to\s+(?:the\s+)?(?:previous|last)\s+(?:version|invoice))$",
    re.I,
)


_CLEAR_RE = re.compile(
    r"^(?:start\s+(?:over|again|from\s+scratch)|reset(?:\s+(?:it|the\s+invoice|everything))?"
    r"|clear\s+(?:it|everything|the\s+(?:whole\s+)?invoice)|(?:delete|remove|erase|wipe)\s+"
    r"(?:everything|it\s+all|the\s+whole\s+(?:invoice|thing)|the\s+invoice|this\s+invoice)"
    r"|scrap\s+(?:it|that|this|the\s+invoice))$"
    r"|^(?P<lines>(?:remove|delete|drop|clear)\s+(?:all\s+(?:the\s+)?|every\s+)(?:lines|items|line\s+items))$",
    re.I,
)


def _read_undo(clause: str) -> Change | None:
    if _UNDO_RE.fullmatch(clause):
        return Undo()
    match = _CLEAR_RE.match(clause)
    return ClearInvoice(lines_only=bool(match["lines"])) if match else None


# --- tax and discounts -----------------------------------------------------------------------

_VERB_PREFIX = (
    r"(?:(?:add|apply|set|change|update|make|use|charge|with|plus|put|give|offer|take|knock"
    r"|increase|raise|lower|reduce|bump|drop|cut)\s+)?(?:(?:them|him|her|the\s+client)\s+)?"
    r"(?:(?:the|a|an)\s+)?"
)
_TAX_WORD = r"(?:sales\s+)?(?:tax(?:es)?|vat|gst|hst|pst|mwst|iva|tva|btw|moms)"
_SCOPE = r"(?:\s+(?:on|to|for|from|off)\s+(?P<ref>.+?))?(?:\s+(?:only|instead|too))?"
_TAX_RATE_RES = (
    re.compile(rf"^{_VERB_PREFIX}{PERCENT}\s+{_TAX_WORD}(?:\s+rate)?{_SCOPE}$", re.I),
    re.compile(
        rf"^{_VERB_PREFIX}{_TAX_WORD}(?:\s+rate)?\s*(?:(?:of|at|to|is|as|should\s+be)\s+|[:=]\s*)?"
        rf"{PERCENT}{_SCOPE}$",
        re.I,
    ),
)
_NO_TAX_RES = (
    re.compile(
        rf"^(?:no|remove|drop|delete|clear|without|zero|take\s+off|no\s+more)\s+"
        rf"(?:the\s+|any\s+|all\s+)?{_TAX_WORD}{_SCOPE}$",
        re.I,
    ),
    re.compile(
        rf"^(?:make\s+(?:it|everything)\s+)?(?:{_TAX_WORD}[\s-]*(?:exempt|free)"
        rf"|exempt\s+from\s+{_TAX_WORD}){_SCOPE}$",
        re.I,
    ),
    re.compile(rf"^make\s+(?P<ref>.+?)\s+(?:{_TAX_WORD}[\s-]*(?:exempt|free)|untaxed)$", re.I),
    re.compile(
        rf"^(?P<ref>.+?)\s+(?:is|are)\s+(?:zero[\s-]rated|{_TAX_WORD}[\s-]*(?:exempt|free)|exempt"
        rf"(?:\s+from\s+{_TAX_WORD})?|not\s+taxable|untaxed|without\s+{_TAX_WORD})$",
        re.I,
    ),
    re.compile(
        rf"^(?:take|remove|drop|strip)\s+(?:the\s+)?{_TAX_WORD}\s+(?:off|from)\s+(?P<ref>.+?)"
        r"(?:\s+(?:only|too))?$",
        re.I,
    ),
)
# "they're a tax-exempt nonprofit", "the client is tax exempt", "no VAT - reverse charge",
# "they're a charity so no tax please": the client pays no tax (on any line).
_EXEMPTION_RE = re.compile(
    rf"\b(?:{_TAX_WORD}[\s-]*exempt|exempt\s+from\s+{_TAX_WORD}|reverse[\s-]+charged?"
    rf"|zero[\s-]+rated|(?:no|without|remove|drop|zero)\s+(?:the\s+|any\s+)?{_TAX_WORD}"
    r"|charity|non[\s-]?profit|not[\s-]?for[\s-]?profit|exempt)\b",
    re.I,
)
_EXEMPTION_WORDS = frozenset({
    "they", "they're", "theyre", "are", "is", "a", "an", "the", "client", "customer", "buyer",
    "so", "please", "pls", "actually", "because", "since", "as", "registered", "org",
    "organisation", "organization", "it's", "its", "it", "this", "that's", "and", "also", "but",
    "remove", "tax", "vat", "gst", "sales", "exempt", "reverse", "charge", "charged", "no",
    "status", "school", "church", "public", "body", "eu", "business", "b2b", "we", "apply",
    "applies", "applied", "should", "be", "charity", "nonprofit", "non", "profit", "not", "for",
    "zero", "rated", "from", "any", "without", "drop", "there's", "there", "on", "invoice", "one",
    "same", "too", "well",
})  # fmt: skip
# "it's labour", "it's a service": why, after a change that says what.
_REASON_RE = re.compile(
    r"^(?:(?:as|since|because)\s+)?(?:it'?s|it\s+is|that'?s|they'?re|they\s+are)\s+(?:a\s+|an\s+)?"
    r"(?:[\w-]+\s+){0,3}(?:service|labou?r|work|exempt|not\s+taxable|charge|cost|expense|fee"
    r"|school|charity|pass[\s-]?through|reimbursement|zero[\s-]rated|export)s?$",
    re.I,
)


def _read_exemption(clause: str) -> Change | None:
    if not _EXEMPTION_RE.search(clause) or _REASON_RE.match(clause):
        return None
    if re.search(rf"\b(?:from|on|for|off)\s+(?!{_TAX_WORD}\b)\w", clause, re.I):
        return None  # "remove the VAT from the fitting": one line's tax
    words = re.findall(r"[\w']+", clause.lower())
    return SetTax(Decimal(0)) if all(word in _EXEMPTION_WORDS for word in words) else None


# "incl. VAT", "prices include 20% VAT", "tax included": the amounts would be gross.
_TAX_INCLUDED_RE = re.compile(
    rf"\b(?:incl\.?|including|inclusive\s+of|includes?|included|inclusive|gross)\b.*\b{_TAX_WORD}\b"
    rf"|\b{_TAX_WORD}\b.*\b(?:included|inclusive|incl\.?)\b|\b{_TAX_WORD}[\s-]inclusive\b",
    re.I,
)
_ALL_LINES_RE = re.compile(
    r"^(?:all|every|each)(?:\s+(?:the\s+)?(?:lines?|items?|of\s+them))?$|^everything$"
    r"|^(?:the\s+)?(?:whole\s+)?(?:invoice|total|subtotal|it|bill)$",
    re.I,
)


def _scope(ref: str | None) -> LineRef | None:
    """None for "all lines"/"everything"; a line reference otherwise."""
    if ref is None or (_ALL_LINES_RE.match(ref.strip()) and ref.strip().lower() != "it"):
        return None
    return LineRef(ref.strip())  # "it" is settled by the message (the line just named, or all)


def _percent_value(text: str) -> Decimal | Question:
    value = parse_number(text)
    if value > 100:
        return Question(f"{plain(value)}% is more than 100% — what rate did you mean?")
    return value


_BARE_PERCENT_RE = re.compile(rf"^(?:add|plus|with|apply|and)?\s*{PERCENT}$", re.I)


def _read_tax(clause: str) -> Change | Question | None:
    bare = _BARE_PERCENT_RE.match(clause)
    if bare:
        pct = bare["pct"]
        return Question(
            f"Should {pct}% be tax or a discount? Say “{pct}% tax” or “{pct}% discount”."
        )
    if _TAX_INCLUDED_RE.search(clause):
        return Question(
            "I can't take tax out of prices that already include it. Give me the prices "
            "before tax and the rate, e.g. “$500 plus 20% VAT”."
        )
    for regex in _TAX_RATE_RES:
        match = regex.match(clause)
        if match:
            rate = _percent_value(match["pct"])
            return rate if isinstance(rate, Question) else SetTax(rate, _scope(match["ref"]))
    for regex in _NO_TAX_RES:
        match = regex.match(clause)
        if match:
            return SetTax(Decimal(0), _scope(match["ref"]))
    return None


_DISCOUNT_WORD = r"(?:(?:[\w-]+\s+){0,2}discount|off|reduction|rebate|markdown)"
_REASON = r"(?:\s+(?:for|as)\s+(?!the\b)[^\d]+)?"  # "for bulk", "as a thank-you"
_DISCOUNT_PERCENT_RES = (
    re.compile(rf"^{_VERB_PREFIX}{PERCENT}\s+{_DISCOUNT_WORD}{_REASON}$", re.I),
    re.compile(rf"^{_VERB_PREFIX}{PERCENT}\s+{_DISCOUNT_WORD}{_SCOPE}$", re.I),
    re.compile(rf"^{_VERB_PREFIX}{PERCENT}\s+off\s+(?!for\b|as\b)(?P<ref>.+)$", re.I),
    re.compile(rf"^{_VERB_PREFIX}{PERCENT}\s+off\s+(?:for|as)\s+.+$", re.I),  # "for bulk"
    re.compile(rf"^(?:less|minus)\s+(?:a\s+)?{PERCENT}(?:\s+discount)?$", re.I),  # "less 10%"
    re.compile(
        rf"^{_VERB_PREFIX}(?:[\w-]+\s+){{0,2}}discount\s*(?:(?:of|to|at|is|should\s+be)\s+|[:=]\s*)?"
        rf"{PERCENT}{_SCOPE}$",
        re.I,
    ),
)
_DISCOUNT_AMOUNT_RES = (
    re.compile(
        rf"^{_VERB_PREFIX}(?P<money>.+?)\s+{_DISCOUNT_WORD}(?:\s+(?:on\s+)?the\s+total)?$", re.I
    ),
    # "minus $150 as a goodwill discount", "less $50 loyalty discount"
    re.compile(
        r"^(?:minus|less|deduct|take\s+off|subtract)\s+(?P<money>\S+(?:\s+\w{3})?)\s+"
        r"(?:as\s+)?(?:an?\s+)?(?:[\w-]+\s+){0,3}(?:discount|reduction|rebate)$",
        re.I,
    ),
    re.compile(rf"^{_VERB_PREFIX}discount\s*(?:(?:of|to|is)\s+|[:=]\s*)?(?P<money>.+)$", re.I),
)
_NO_DISCOUNT_RE = re.compile(
    r"^(?:no|remove|drop|delete|clear|cancel|without|take\s+off|no\s+more)\s+(?:the\s+|any\s+)?"
    r"(?:invoice\s+)?discounts?(?:\s+(?:on|from|for)\s+(?P<ref>.+))?$",
    re.I,
)


def _read_discount(clause: str) -> Change | Question | None:
    match = _NO_DISCOUNT_RE.match(clause)
    if match:
        ref = _scope(match["ref"])
        return SetDiscount(None) if ref is None else SetLineDiscount(Decimal(0), ref)
    for regex in _DISCOUNT_PERCENT_RES:
        match = regex.match(clause)
        if match:
            percent = _percent_value(match["pct"])
            if isinstance(percent, Question):
                return percent
            ref = _scope(match.groupdict().get("ref"))
            if ref is not None:
                return SetLineDiscount(percent, ref)
            return SetDiscount("percent", Money(percent))
    for regex in _DISCOUNT_AMOUNT_RES:
        match = regex.match(clause)
        price = money_value(match["money"]) if match else None
        if price and not price.per:
            return ambiguous_amount(price) or SetDiscount("amount", price.money)
    return None


# --- dates and terms -------------------------------------------------------------------------

_ISO_DATE = r"(?P<date>\d{4}-\d{2}-\d{2})"
_DUE_PREFIX = (
    r"^(?:(?:set|change|make|move|update|push|and)\s+)?(?:the\s+)?"
    r"(?:(?:it'?s|it\s+is|invoice\s+is|invoice|payment\s+is|it|(?:the\s+)?bill\s+is)\s+)?"
)
_DUE_WORD = (
    r"(?:(?:is\s+)?due(?:\s+date)?|payable|pay(?:ment)?(?:\s+due)?|to\s+be\s+paid|deadline"
    r"|payment\s+deadline)"
)
_PERIOD = rf"(?P<n>\d+|{NUMBER_WORD_ALT})\s*[\s-]\s*(?P<unit>days?|weeks?|months?)"
_DUE_IN_RE = re.compile(
    rf"{_DUE_PREFIX}(?:{_DUE_WORD}\s+)?(?:is\s+)?(?:to\s+)?(?:in|within|after)\s+{_PERIOD}"
    r"(?:\s+(?:from|after|of)\s+.+)?$",
    re.I,
)
_DUE_IN_REQUIRED_RE = re.compile(rf"{_DUE_PREFIX}{_DUE_WORD}\b|^(?:in|within)\b", re.I)
_DAYS_TERMS_RE = re.compile(rf"^{_PERIOD}(?:\s+payment)?\s+terms?$", re.I)
_NET_RE = re.compile(
    r"^(?:(?:payment\s+)?terms?\s*(?:are|is|:|=|of)?\s*)?net[\s-]?(?P<n>\d+)(?:\s+days)?"
    r"(?:\s+terms)?$",
    re.I,
)
_DUE_ON_RE = re.compile(
    rf"{_DUE_PREFIX}(?:{_DUE_WORD}\s*(?:(?:on|by|to|is|for|at|as|before)\s+|[:=]\s*)?|by\s+)"
    rf"{_ISO_DATE}$",
    re.I,
)
_DUE_ON_RECEIPT_RE = re.compile(
    rf"{_DUE_PREFIX}(?:{_DUE_WORD}\s+(?:on|upon|at)\s+receipt|(?:due|payable)\s+immediately"
    r"|(?:payment\s+)?terms?\s*(?:[:=]|are|is)?\s*(?:due\s+)?(?:on|upon)\s+receipt)$",
    re.I,
)
_NO_DUE_RE = re.compile(
    r"^(?:no|remove|drop|delete|clear)\s+(?:the\s+)?due\s+date$|^no\s+deadline$", re.I
)
_NO_TERMS_RE = re.compile(
    r"^(?:no|remove|drop|delete|clear)\s+(?:the\s+)?(?:payment\s+)?terms$", re.I
)
_ISSUE_DATE_RE = re.compile(
    r"^(?:(?:set|change|update|make)\s+)?(?:the\s+)?(?:(?:issue|invoice)\s+date|dated|date"
    rf"|issued(?:\s+on)?)\s*(?:(?:to|is|on|as|of)\s+|[:=]\s*)?{_ISO_DATE}$",
    re.I,
)


_DUE_SHIFT_RE = re.compile(
    rf"^(?:push|move|extend|postpone|delay|shift)\s+(?:the\s+)?(?:due\s+date|deadline|payment)"
    rf"\s+(?:back\s+|out\s+|by\s+|later\s+by\s+)*(?:an?\s+(?P<one>day|week|month)|{_PERIOD})"
    r"(?:\s+later)?$",
    re.I,
)


_TERMS_LEAD_RE = re.compile(
    r"^(?:make\s+(?:it|that|them|the\s+terms)|set\s+(?:it|the\s+terms)\s+to|change\s+(?:it|the\s+terms)"
    r"\s+to|switch\s+(?:it\s+)?to|use|go\s+with)\s+(?=net\b|due\b|\d+\s+days?\b)",
    re.I,
)
# "they asked for 30 days to pay", "they have 14 days to pay"
_DAYS_TO_PAY_RE = re.compile(
    rf"^(?:(?:they|the\s+client|he|she)\s+)?(?:asked\s+for|want|wants|need|needs|get|gets|have|has"
    rf"|can\s+have|give\s+them)\s+{_PERIOD}\s+to\s+pay$",
    re.I,
)


def _read_dates(clause: str) -> Change | Question | None:
    clause = _TERMS_LEAD_RE.sub("", clause)  # "make it net 60"
    to_pay = _DAYS_TO_PAY_RE.match(clause)
    if to_pay:
        return SetDueIn(int(number_value(to_pay["n"])), to_pay["unit"].lower().rstrip("s"))
    shifted = _DUE_SHIFT_RE.match(clause)
    if shifted:
        count = 1 if shifted["one"] else int(number_value(shifted["n"]))
        return ShiftDueDate(count, (shifted["one"] or shifted["unit"]).lower().rstrip("s"))
    match = _DUE_IN_RE.match(clause)
    if match and _DUE_IN_REQUIRED_RE.match(clause):
        count = int(number_value(match["n"]))
        return SetDueIn(count, match["unit"].lower().rstrip("s"))
    match = _NET_RE.match(clause) or _DAYS_TERMS_RE.match(clause)
    if match and match["n"].isdigit() and (match.groupdict().get("unit") or "day")[:3] == "day":
        return SetDueIn(int(match["n"]), "day", terms=f"Net {int(match['n'])}")
    if _DUE_ON_RECEIPT_RE.match(clause):
        return SetDueIn(0, "day", terms=DUE_ON_RECEIPT)
    if _NO_DUE_RE.match(clause):
        return SetDueDate(None)
    if _NO_TERMS_RE.match(clause):
        return SetTerms(None)
    for regex, change in ((_DUE_ON_RE, SetDueDate), (_ISSUE_DATE_RE, SetIssueDate)):
        match = regex.match(clause)
        if match:
            day = iso(match["date"])
            return change(day) if day else Question(f"{match['date']} is not a valid date.")
    return None


# --- currency --------------------------------------------------------------------------------

_CURRENCY_RE = re.compile(
    r"^(?:(?:change|set|switch|make|use|bill|invoice|charge|put|do|want|move|turn|redo)\s+)?"
    r"(?:(?:it|everything|the\s+invoice|this|all\s+(?:amounts|prices)|prices)\s+)?"
    r"(?:(?:the\s+)?currency\s*(?:(?:to|is|as|in|into|should\s+be)\s+|[:=]\s*)?"
    r"|(?:to|in|into|as|using)\s+)?"
    rf"(?P<currency>{CODE_ALT}|{NAME_ALT}|{SYMBOL_ALT})(?:\s+currency)?(?:\s+instead)?$",
    re.I,
)
_CONVERT_RE = re.compile(
    rf"^convert\b.*?\b(?:to|into)\s+(?P<currency>{CODE_ALT}|{NAME_ALT})$", re.I
)


def _read_currency(clause: str) -> Change | Question | None:
    match = _CONVERT_RE.match(clause)
    if match:
        code = currency_of(match["currency"])
        return Question(
            "I can't convert amounts — I have no exchange rates. Say “change currency to "
            f"{code}” to keep the numbers and switch the currency, or give the new prices."
        )
    match = _CURRENCY_RE.match(clause)
    code = currency_of(match["currency"]) if match else None
    return SetCurrency(code) if code else None


# --- the client and the seller ---------------------------------------------------------------

_BUYER_WORD = r"(?:client|customer|buyer|recipient|bill[\s-]to|their|the\s+client's)"
_SELLER_WORD = r"(?:my|our|seller|sender|vendor|supplier|from|bill[\s-]from|own)"
_DETAIL_FIELD = (
    r"(?P<field>e-?mail(?:\s+address)?|phone(?:\s+number)?|tel(?:ephone)?|mobile|cell"
    r"|(?:billing\s+|postal\s+|street\s+)?address|tax\s*(?:id|number|no\.?)|vat\s*(?:id|number"
    r"|no\.?|reg(?:istration)?(?:\s+number)?)|ein|abn|gst\s+number|company(?:\s+name)?"
    r"|business(?:\s+name)?|name)"
)
_PARTY_DETAIL_RE = re.compile(
    r"^(?:(?:set|change|update|add|put|use)\s+)?(?:the\s+)?"
    rf"(?:(?P<buyer>{_BUYER_WORD})|(?P<seller>{_SELLER_WORD}))?(?:'s)?\s*\b{_DETAIL_FIELD}"
    r"\s*(?:(?:is|to|as|should\s+be)\s+|[:=]\s*|-\s+)?(?P<value>.+)$",
    re.I,
)
_PARTY_DETAIL_REMOVAL_RE = re.compile(
    r"^(?:remove|delete|clear|drop)\s+(?:the\s+)?"
    rf"(?:(?P<buyer>{_BUYER_WORD})|(?P<seller>{_SELLER_WORD}))(?:'s)?\s+{_DETAIL_FIELD}$",
    re.I,
)
_CLIENT_RES = (
    re.compile(
        r"^(?:(?:change|set|switch|update|make|(?P<rename>rename|correct|fix))\s+)?(?:the\s+)?(?:client"
        r"|customer|buyer|recipient|bill[\s-]to)(?:'s)?(?P<name_only>\s+name)?\s*(?:(?:is\s+called"
        r"|is\s+actually"
        r"|should\s+be|is|to|as)\s+|[:=]\s*)(?P<name>.+?)(?:\s+instead)?$",
        re.I,
    ),
    re.compile(
        r"^(?:bill(?:ed)?|invoice|send\s+(?:it|this)|make\s+it\s+out|address\s+it|it'?s\s+for)"
        r"\s+to\s*:?\s+(?P<name>.+?)(?:\s+instead)?$",
        re.I,
    ),
    re.compile(r"^(?:bill|invoice|charge)\s+(?P<name>.+?)\s+instead$", re.I),
    # "for Acme Corp", "invoice Acme": only a capitalised name, so "for travel" stays a line
    re.compile(
        r"^(?:[Ff]or|[Tt]o|[Ii]nvoice|[Bb]ill|[Ii]t'?s\s+for)\s+(?P<name>(?:[A-Z]|\d+[A-Z])"
        r"[^\d$€£¥₹]*)$"
    ),
)
_SELLER_RES = (
    re.compile(
        r"^(?:(?:the\s+)?(?:seller|sender|vendor|supplier)(?:'s\s+name|\s+name)?|from|bill[\s-]from"
        r"|(?:my|our)\s+(?:company|business|firm|studio|agency)(?:'s)?(?:\s+name)?"
        r"|my\s+name|(?:it'?s|this\s+is)\s+from)\s*(?:(?:is|should\s+be)\s+|[:=]\s*)(?P<name>.+)$",
        re.I,
    ),
    re.compile(
        r"^(?:(?:it'?s|this\s+is|invoice|bill)\s+)?from\s+(?P<name>(?:[A-Z]|\d+[A-Z])"
        r"[^\d$€£¥₹]*)$"
    ),
    re.compile(r"^(?:I'?m|I\s+am|we\s+are|we'?re)\s+(?P<name>[A-Z][^\d$€£¥₹]*)$"),
)
_EMAIL_VALUE_RE = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")


def _detail_field(role: str, written: str) -> str:
    field = written.lower()
    if field.startswith(("e-mail", "email")):
        return "email"
    if field.startswith(("phone", "tel", "mobile", "cell")):
        return "phone"
    if field.endswith("address"):
        return "address"
    if field.startswith(("tax", "vat", "ein", "abn", "gst")):
        return "tax_id"
    if field.startswith(("company", "business", "name")):
        # "client company is X" is the company field; "my company is X" is the seller's name.
        return "company" if role == "buyer" and not field.startswith("name") else "name"
    return field


def _read_party(clause: str) -> Change | Question | None:
    match = _PARTY_DETAIL_REMOVAL_RE.match(clause)
    if match:
        role = "buyer" if match["buyer"] else "seller"
        field = _detail_field(role, match["field"])
        return SetPartyDetail(role, field, None) if field != "name" else None
    match = _PARTY_DETAIL_RE.match(clause)
    if match:
        role = "seller" if match["seller"] else "buyer"
        field = _detail_field(role, match["field"])
        unsaid = not (match["buyer"] or match["seller"])
        if unsaid and field in {"name", "company"}:
            return None  # "name: …" alone says nothing about whose
        if unsaid and field == "tax_id":
            value = match["value"].strip()
            return Question(
                f"Is {value} your tax ID or the client's? Say “my tax ID is {value}” or "
                f"“client tax ID is {value}”."
            )
        value = match["value"].strip().strip("\"'“”")
        if field == "name":
            name = party_name(value)
            return SetParty(role, name, keep_details=True) if name else None
        if field == "email" and not _EMAIL_VALUE_RE.match(value):
            return None if unsaid else Question(f"“{value}” doesn't look like an email address.")
        return SetPartyDetail(role, field, value) if value else None
    for regex in _CLIENT_RES:
        match = regex.match(clause)
        name = party_name(match["name"]) if match else None
        if name:
            groups = match.groupdict()
            keep = bool(groups.get("name_only") or groups.get("rename"))
            return SetParty("buyer", name, keep_details=keep)
    for regex in _SELLER_RES:
        match = regex.match(clause)
        name = party_name(match["name"]) if match else None
        if name:
            return SetParty("seller", name)
    return None


_NOTE_ADD_RE = re.compile(
    r"^(?:add|put|include|write|mention)\s+(?P<text>.+?)\s+(?:to|in|into|on)\s+(?:the\s+)?"
    r"(?:notes?|memo)$",
    re.I,
)


def _read_notes(clause: str) -> Change | Question | None:
    if re.match(r"^(?:remove|delete|clear|drop|no)\s+(?:the\s+|any\s+)?notes?$", clause, re.I):
        return SetNotes(None)
    match = _NOTE_ADD_RE.match(clause)
    if not match:
        return None
    text = match["text"].strip(" \"'“”")
    own = re.match(r"^(?:our|my|your|the)\s+", text, re.I)
    if own and not re.search(r"\d", text):
        return Question(
            f"What should the note say? I don't know {text} — write it out after “note:”, "
            "e.g. “note: IBAN DE89 3704 0044 0532 0130 00”."
        )
    return SetNotes(text[own.end() :] if own else text, append=True)


# --- the clause ------------------------------------------------------------------------------

_FILLER_RE = re.compile(
    r"^(?:no|nope|nah|yes|yeah|yep|right|correct|please|pls|thanks|thank\s+you(?:\s+(?:so\s+much|very\s+much))?|thx|ty|cheers|ok(?:ay)?"
    r"|great|perfect|awesome|cool|nice|lovely|asap|hi|hello|hey|that'?s\s+(?:it|all)|and|also"
    r"|invoice|looks\s+good|sounds\s+good|got\s+it|no\s+rush|sure|yes|yep|done|good|fine"
    r"|hi\s+there|hello\s+there|much\s+appreciated|appreciated|many\s+thanks|that\s+is\s+all"
    r"|for\s+(?:me|us)|thanks\s+a\s+lot|one\s+more\s+thing|also\s+please|instead|oops|whoops"
    r"|sorry|hmm+|wait|ugh|actually|my\s+bad|my\s+mistake|never\s*mind|all\s+good"
    r"|(?:that'?s|that\s+is|it'?s|looks|sounds)\s+(?:perfect|great|good|fine|correct|right"
    r"|lovely|ok(?:ay)?)|great\s+job|well\s+done|good\s+job)?[\s!.]*$",
    re.I,
)
_LEADING_NOISE_RE = re.compile(
    r"^(?:(?:and|also|then|now|please|pls|so|but|just|oh|ok|okay|actually|kindly|can\s+you"
    r"|could\s+you|would\s+you|will\s+you|i'?d\s+like\s+to|i\s+want\s+to|i\s+need\s+to"
    r"|let'?s|you\s+can|go\s+ahead\s+and|finally|oh\s+and|lastly|plus\s+(?=\d+\s*%)|sorry"
    r"|oops|whoops|no\s+wait|wait|hmm+|ah|my\s+bad|correction|no(?=\s*[,!:]|\s+\d))\b"
    r"[\s,!:—–-]*|(?:swap|switch)\s+(?:the\s+)?(?:rates|prices)\s*:\s*)+",
    re.I,
)
_TRAILING_NOISE_RE = re.compile(
    r"(?:[\s,]+(?:please|thanks|thank\s+you|thx|ty|cheers|too|as\s+well|pls|plz|asap))+$", re.I
)


def tidy(clause: str) -> str:
    """A clause without "and", "please", "thanks" around it."""
    clause = _LEADING_NOISE_RE.sub("", clause.strip()).strip(" \t,;:.!?")
    head, tail = clause[:-80], clause[-80:]  # the noise is a word or two at the end
    return (head + _TRAILING_NOISE_RE.sub("", tail)).strip(" \t,;:.!?")


_READERS = (
    _read_total,
    _read_undo,
    _read_exemption,
    _read_tax,
    _read_discount,
    _read_dates,
    _read_currency,
    _read_party,
    _read_notes,
    read_split,
    read_replace,
    read_correction,
    read_more,
    read_removal,
    read_line_change,
)

# One instruction is a few words; longer runs without punctuation are not read (which also
# keeps the patterns' backtracking bounded on pathological input).
MAX_CLAUSE_CHARS = 240


# "design 8h @ 90 (20% VAT)", "menu consulting €1,500 at 20% VAT", "stock photos £120 (no VAT)":
# the tax of that line only.
_LINE_TAX_RE = re.compile(
    rf"[\s,]*\(?\s*(?:(?:at|with|plus|\+)\s+)?(?:{PERCENT}\s*(?:sales\s+)?{_TAX_WORD}"
    rf"|(?P<none>(?:no|zero|without|0\s?%)\s+{_TAX_WORD}|{_TAX_WORD}[\s-]*(?:free|exempt)))\s*\)?$",
    re.I,
)


def _read_line_with_tax(clause: str, item_expected: bool, answers: Answers) -> Any:
    match = _LINE_TAX_RE.search(clause)
    if match is None or match.start() == 0:
        return None
    line = read_clause(clause[: match.start()], item_expected=item_expected, answers=answers)
    if not isinstance(line, AddLine):
        return None
    rate = Decimal(0) if match["none"] else _percent_value(match["pct"])
    return rate if isinstance(rate, Question) else replace(line, tax_rate=rate)


def read_clause(clause: str, *, item_expected: bool = False, answers: Answers | None = None) -> Any:
    """The change one clause asks for: a Change (or a list), a Question, IGNORED, or None."""
    clause = tidy(clause)
    if len(clause) > MAX_CLAUSE_CHARS:
        return None
    with_tax = _read_line_with_tax(clause, item_expected, answers or {})
    if with_tax is not None:
        return with_tax
    if _FILLER_RE.match(clause) or _REASON_RE.match(clause) or is_period_only(clause):
        return IGNORED
    for read in _READERS:
        result = read(clause)
        if result is not None:
            return result
    return read_line_item(clause, item_expected=item_expected, answers=answers or {})


def is_change(result: Any) -> bool:
    return isinstance(result, Change) or (
        isinstance(result, list) and all(isinstance(r, Change) for r in result) and bool(result)
    )


def changes_of(result: Any) -> list[Change]:
    return list(result) if isinstance(result, list) else [result]


_ANSWER_LEAD_RE = re.compile(
    r"^(?:(?:it|that|this)(?:'s|'d\s+be|\s+(?:is|was|were|would\s+be|will\s+be|comes\s+to"
    r"|came\s+to|costs?|cost))|(?:the|my|our)\s+[^\d$€£¥₹]{1,40}?\s+(?:is|was|were|would\s+be"
    r"|comes\s+to|came\s+to|costs?|cost)|make\s+it|charge(?:\s+them)?|bill(?:\s+them)?|put"
    r"|say|call\s+it|let'?s\s+say|price(?:\s+is)?|rate(?:\s+is)?|for|at|@|about|around)"
    r"\s*:?\s+",
    re.I,
)
_ANSWER_TAIL_RE = re.compile(
    r"\s+(?:for\s+(?:that|it|this|them|all\s+of\s+it|the\s+[^\d$€£¥₹]+)|total|in\s+total|flat"
    r"|all\s+in(?:clusive)?)$",
    re.I,
)


def answer_price(text: str) -> Answer | None:
    """A reply that is just a price ("$500", "500", "€90/h", "it's $500 each", "it was 640
    dollars", "charge 4,500 for that", "my fee was £350")."""
    text = _ANSWER_TAIL_RE.sub("", _ANSWER_LEAD_RE.sub("", tidy(text)))
    price = money_value(text)
    if price is None or price.ambiguous:
        return None
    return Answer(price.money, price.unit)
