"""VAT categories and amounts already paid, found anywhere in a message (issue 17).

People say why a line carries no VAT in many ways, often as a clause of its own that the
splitter would cut apart ("small business, no VAT (§19 UStG)"), so these phrases are found over
the whole message before it is split, turned into changes and cut out, as `entities.py` does
for tax IDs and purchase orders:

    reverse charge, reverse-charged, "VAT reverse charged to the customer", "the customer
      accounts for the VAT", Steuerschuldnerschaft des Leistungsempfängers, §13b UStG,
      autoliquidation, inversione contabile, btw verlegd, …                    -> AE
    intra-community supply / delivery, innergemeinschaftliche Lieferung,
      livraison intracommunautaire                                             -> K
    export outside the EU, export delivery, Ausfuhrlieferung, to a third country -> G
    not subject to VAT, outside the scope of VAT, nicht steuerbar             -> O
    exempt with a legal reason: "VAT exempt under Article 132(1)(c)", "exempt
      from VAT per §4 Nr. 14 UStG"; small business: "§19 UStG",
      Kleinunternehmer, "TVA non applicable, art. 293 B du CGI"                 -> E with reason
    zero-rated, said of the whole invoice                                      -> Z

A category applies to every line (those the message adds too) or, written as "the training is
exempt under Article 132", to the line named. Every category but S is 0 %. A plain "no VAT",
"tax exempt" or "they're a charity" stays what it was: 0 % tax (Z), since nothing says which
exemption applies. Reverse charge and intra-community supplies need both parties' VAT numbers:
without them the core refuses the draft and the reply asks for them (never assumed); the next
message that gives them is read together with the one that asked (`with_vat_numbers_waiting`).

Amounts already paid become the prepaid amount (BT-113; the amount due is the total less it):
"already paid 500", "they paid $1,000 in advance", "deposit of €200 received", "a £600 deposit
was paid", "less the $200 deposit they already paid", "minus a $200 deposit". A deposit that is
not said to be paid ("a 50% deposit", "deposit $500" as a line) is not one; an amount written
with a minus sign is still asked about (`entities.odd_numbers`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import ClassVar

from core.identifiers import vat_identifier, vatex_codes
from core.invoice import CATEGORY_WORDS, ExemptionReason, InvoiceDraft, InvoiceRuleError
from core.providers.base import ChatMessage
from core.providers.offline.amounts import NUMBER, Money, money_value
from core.providers.offline.changes import Change, Context, LineRef, Question, _money_text
from core.providers.offline.vocabulary import CODE_ALT, NAME_ALT, SYMBOL_ALT

_VAT = r"(?:vat|tax|mwst|ust|tva|iva|btw|moms|gst)"
_WHO = r"(?:customer|client|buyer|recipient|purchaser)"

# --- the changes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SetVatCategory(Change):
    """Lines become category `category` at 0 % with `reason` (None: the category's default)."""

    category: str
    reason: ExemptionReason | None = None
    ref: LineRef | None = None  # None: every line
    phase: ClassVar[int] = 3

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        if not draft.items:
            if not ctx.creating:
                raise Question("The VAT category is set per line — add a line first.")
            return draft, "The VAT category is set per line, so I'll need a line first."
        index = self.ref.find(draft.items) if self.ref else None
        category = None if self.category == "Z" else self.category
        reason = None if self.category == "Z" else self.reason
        items = tuple(
            replace(item, tax_rate=Decimal(0), tax_category=category, exemption_reason=reason)
            if index is None or i == index
            else item
            for i, item in enumerate(draft.items)
        )
        if index is not None:
            scope = draft.items[index].description
        else:
            scope = "all lines" if len(items) > 1 else "the line"
        return replace(draft, items=items), f"Marked {scope} as {self._words()}, 0% VAT."

    def _words(self) -> str:
        words = CATEGORY_WORDS[self.category]
        if self.reason and self.reason.text:
            words += f" ({self.reason.text})"
        return words

    def summary(self) -> str:
        scope = f" on {self.ref.shown}" if self.ref else ""
        return f"{self._words()}{scope}"


@dataclass(frozen=True)
class SetPrepaid(Change):
    """The amount already paid (BT-113); None removes it."""

    amount: Money | None
    phase: ClassVar[int] = 5

    def amounts(self) -> tuple[Money, ...]:
        return (self.amount,) if self.amount else ()

    def apply(self, draft: InvoiceDraft, ctx: Context) -> tuple[InvoiceDraft, str | None]:
        if self.amount is None:
            return replace(draft, prepaid_amount=None), "Removed the amount paid in advance."
        shown = _money_text(self.amount, draft.currency)
        return replace(draft, prepaid_amount=self.amount.amount), f"Recorded {shown} already paid."

    def summary(self) -> str:
        return (
            "nothing paid in advance"
            if self.amount is None
            else (f"{_money_text(self.amount)} already paid")
        )


# --- VAT categories -------------------------------------------------------------------------

# A legal reference: "Article 132(1)(c)", "Art. 44 of the VAT Directive", "§4 Nr. 14 UStG",
# "art. 293 B du CGI".
_LAW = (
    r"(?P<law>(?:art(?:icle|\.)?|§§?)\s*(?P<article>\d{1,3})\s?(?P<letter>[a-z]\b)?"
    r"(?:\s*\(\s*(?P<para>\d{1,2})\s*\))?(?:\s*\(\s*(?P<point>[a-z]{1,2})\s*\))?"
    r"(?:\s*(?:nr\.?|no\.?|abs\.?|para\.?|n°)\s*\d{1,2}[a-z]?)*"
    r"(?:\s+(?:of\s+(?:the\s+)?|du\s+|des\s+)?(?:(?:eu\s+)?vat\s+directive|directive\s+2006/112"
    r"(?:/ec)?|ustg|mwstg|cgi|vat\s+act(?:\s+\d{4})?|vatd?))?)"
)
_EXEMPT = rf"(?:{_VAT}[\s-]*)?(?:exempt(?:ed|ion)?|steuerfrei|steuerbefreit|exon[ée]r[ée]e?)"
_LAW_LEAD = (
    rf"(?:\s*(?:from\s+{_VAT}\s*)?(?:,\s*)?(?:under|per|as\s+per|according\s+to|pursuant\s+to"
    r"|in\s+accordance\s+with|by|via|see|-|–|—|:|\()?\s*)"
)

_SMALL_BUSINESS_DE = r"kleinunternehmer\w*|§\s*19\s*(?:abs\.?\s*1\s*)?ustg"
_SMALL_BUSINESS_FR = (
    r"franchise\s+en\s+base(?:\s+de\s+tva)?|(?:art(?:icle|\.)?\s*)?293\s?b(?:\s+du)?\s+cgi"
    r"|tva\s+non\s+applicable"
)
_SMALL_BUSINESS = (
    rf"small[\s-]+business(?:\s+(?:exemption|scheme|rule|relief|regime))?"
    rf"(?=[^.\n]{{0,40}}(?:\b{_VAT}\b|\bexempt|§))"
)


@dataclass(frozen=True)
class _Rule:
    category: str
    pattern: re.Pattern[str]
    whole_clause: bool = False  # only when the clause says nothing else ("zero-rated")


def _rule(category: str, pattern: str, *, whole_clause: bool = False) -> _Rule:
    return _Rule(category, re.compile(pattern, re.I), whole_clause)


_RULES = (
    _rule(
        "AE",
        rf"reverse[\s-]*charg(?:e[ds]?|ing)|steuerschuldnerschaft\s+des\s+leistungsempf(?:ä|ae)ngers"
        rf"|§\s*13b\s+ustg|autoliquidation|inversione\s+contabile"
        rf"|inversi[oó]n\s+del\s+sujeto\s+pasivo|(?:{_VAT}\s+)?verlegd|omv[äa]nd\s+skattskyldighet"
        rf"|odwrotne\s+obci[aą][żz]enie|(?:the\s+)?{_WHO}\s+(?:accounts?\s+for|pays|self[\s-]?assess"
        rf"(?:es)?)\s+(?:the\s+)?{_VAT}|{_VAT}\s+(?:is\s+)?(?:to\s+be\s+)?(?:accounted\s+for|paid"
        rf"|self[\s-]?assessed)\s+by\s+the\s+{_WHO}",
    ),
    _rule(
        "K",
        r"intra[\s-]*(?:community|eu|union)\s+(?:supply|supplies|deliver(?:y|ies)|sale|sales"
        r"|dispatch)(?:\s+of\s+goods)?|innergemeinschaftliche\s+lieferung(?:en)?"
        r"|livraisons?\s+intracommunautaires?|cessione\s+intracomunitaria"
        r"|entrega\s+intracomunitaria",
    ),
    _rule(
        "G",
        r"(?:an?\s+)?export(?:ed|s)?\s+(?:outside|out\s+of|beyond)\s+(?:the\s+)?(?:eu|european\s+union)"
        r"|(?:an?\s+)?export(?:ed|s)?\s+(?:to\s+)?(?:a\s+)?(?:non[\s-]eu|third)\s+countr(?:y|ies)"
        r"|(?:shipped|delivered|sold)\s+outside\s+the\s+(?:eu|european\s+union)"
        r"|(?:an?\s+)?export\s+(?:delivery|supply|sale)|(?:zero[\s-]rated|vat[\s-]free|tax[\s-]free)"
        r"\s+exports?|ausfuhrlieferung(?:en)?|exportation\s+hors\s+(?:de\s+l'|d')?(?:ue|union)",
    ),
    _rule(
        "O",
        rf"not\s+subject\s+to\s+{_VAT}|outside\s+(?:the\s+)?scope\s+of\s+{_VAT}"
        rf"|out\s+of\s+(?:the\s+)?scope\s+(?:of|for)\s+{_VAT}|{_VAT}\s+out\s+of\s+scope"
        r"|nicht\s+steuerbar|non\s+soumis\s+[àa]\s+la\s+tva"
        r"|hors\s+(?:du\s+)?champ\s+d'application\s+de\s+la\s+tva",
    ),
    _rule("E", rf"{_SMALL_BUSINESS_DE}|{_SMALL_BUSINESS_FR}|{_SMALL_BUSINESS}"),
    _rule("E", rf"{_EXEMPT}{_LAW_LEAD}{_LAW}\)?"),
    _rule("E", rf"{_LAW}\s*(?:-|:)?\s*{_EXEMPT}"),
    _rule("Z", rf"(?:{_VAT}\s*(?::|-)?\s*)?zero[\s-]rated(?:\s+{_VAT})?", whole_clause=True),
)

# Words that may stand around a phrase and go with it: "no VAT - reverse charge applies".
_BEFORE_RE = re.compile(
    rf"(?:(?:\b(?:no|keine|ohne|sans|zero|without|with|under|the|a|an|as|subject\s+to|apply|applies|mark(?:ed)?"
    rf"\s+as|treat(?:ed)?\s+as|bill(?:ed)?\s+as|charge(?:d)?\s+as|this\s+is|it\s+is|it's|its"
    rf"|that's|that\s+is|i'm|i\s+am|we're|we\s+are|they're|they\s+are|actually|sorry|so|and"
    rf"|but|all|{_VAT})\b"
    r"|0\s?%|[-–—:(,])\s*)+$",
    re.I,
)
_AFTER_RE = re.compile(
    rf"(?:\s*(?:\b(?:applies|apply|applied|applicable|mechanism|procedure|scheme|rules?|regime"
    rf"|basis|treatment|here|please|pls|so\s+no\s+{_VAT}|(?:no|keine|ohne|sans|pas\s+de)\s+{_VAT}"
    rf"|for\s+{_VAT}(?:\s+purposes)?"
    rf"|of\s+{_VAT}|to\s+the\s+{_WHO}|by\s+the\s+{_WHO}|(?:the\s+)?{_WHO}\s+(?:accounts\s+for"
    rf"|pays)\s+(?:the\s+)?{_VAT}|{_VAT}|0\s?%(?:\s+{_VAT})?)\b|[-–—:)]))*",
    re.I,
)
_NO_VAT_NEXT_RE = re.compile(
    rf"\s*[,;]\s*(?:so\s+)?(?:no|keine|ohne|sans|pas\s+de|without|zero)\s+{_VAT}\b"
    r"(?:\s+(?:please|pls|charged|applies|due))?(?=\s*(?:[,;.\n(]|$))",
    re.I,
)
# "the training is exempt under …": the line it is about.
_REF_BEFORE_RE = re.compile(
    r"(?:^|(?<=[,;:.\n])|\band\b)\s*(?P<ref>(?:the\s+)?[^\W\d][\w&'/-]*(?:\s+[^\W\d][\w&'/-]*){0,3}?)"
    r"\s+(?:is|are|should\s+be|will\s+be)\s+(?:all\s+)?$",
    re.I,
)
_NOT_A_LINE = frozenset({
    "it", "this", "that", "they", "everything", "all", "invoice", "the invoice", "this invoice",
    "client", "the client", "customer", "the customer", "buyer", "the buyer", "we", "i",
    "services", "the services", "the work", "work", "supply", "the supply", "sale", "the sale",
    "delivery", "the delivery", "all of it", "both", "these", "those", "everything here",
})  # fmt: skip
_CLAUSE_END = re.compile(r"[,;.\n!?]|\band\b|\bbut\b", re.I)


def _reason(category: str, match: re.Match[str]) -> ExemptionReason | None:
    if category != "E":
        return None
    text = match.group()
    if re.search(_SMALL_BUSINESS_DE, text, re.I):
        return ExemptionReason(None, "Small business, no VAT charged (§ 19 UStG)")
    if re.search(_SMALL_BUSINESS_FR, text, re.I):
        return ExemptionReason("VATEX-FR-FRANCHISE", "TVA non applicable, art. 293 B du CGI")
    law = match["law"] if "law" in match.re.groupindex else None
    if not law:
        return ExemptionReason(None, "Small business exemption, no VAT charged")
    law = " ".join(law.split())
    return ExemptionReason(_vatex(match), f"Exempt from VAT under {law}")


def _vatex(match: re.Match[str]) -> str | None:
    """The VATEX code of an article of the VAT Directive: 'Article 132(1)(c)' -> VATEX-EU-132-1C."""
    law = match["law"].lower()
    if re.search(r"ustg|mwstg|cgi|vat\s+act|§", law):
        return None  # a national law: no EU code, the text says it
    article, para, point = match["article"], match["para"], match["point"]
    candidates = [f"VATEX-EU-{article}"]
    if para and point:
        candidates.insert(0, f"VATEX-EU-{article}-{para}{point}".upper())
    elif point or match["letter"]:
        candidates.insert(0, f"VATEX-EU-{article}-{(point or match['letter'])}".upper())
    codes = vatex_codes()
    return next((code for code in candidates if code in codes), None)


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    before = [m.end() for m in _CLAUSE_END.finditer(text, 0, start)]
    after = _CLAUSE_END.search(text, end)
    return (before[-1] if before else 0), (after.start() if after else len(text))


_CLAUSE_FILLER_RE = re.compile(
    rf"\b(?:{_VAT}|all|the|lines?|items?|everything|is|are|it'?s|they'?re|actually|sorry|so|no"
    r"|please|supply|supplies)\b|[^\w]",
    re.I,
)


def _find_category(text: str) -> tuple[_Rule, re.Match[str]] | None:
    for rule in _RULES:
        for match in rule.pattern.finditer(text):
            if not rule.whole_clause:
                return rule, match
            low, high = _clause_bounds(text, match.start(), match.end())
            rest = text[low : match.start()] + text[match.end() : high]
            if not _CLAUSE_FILLER_RE.sub("", rest):
                return rule, match
    return None


# A cheap look first: most messages name no VAT category and pay nothing in advance.
_CATEGORY_HINT_RE = re.compile(
    r"revers|steuer|§|autoliq|inversi|verlegd|omv|odwrotne|accounts?\s+for|pays|self|intra"
    r"|innergem|livraison|cessione|entrega|export|ausfuhr|outside|scope|subject|soumis|champ"
    r"|kleinunt|franchise|293|tva|small|exempt|exon|zero",
    re.I,
)
_PAID_HINT_RE = re.compile(
    r"paid|received|deposit|advance|prepa|pre-pa|retainer|settled|transferred|upfront|up\s+front"
    r"|payment|remove|clear|drop|delete|take",
    re.I,
)


def take_vat_categories(text: str) -> tuple[str, list[Change]]:
    """The message without its VAT-category phrases, and the changes they make."""
    changes: list[SetVatCategory] = []
    if not _CATEGORY_HINT_RE.search(text):
        return text, []
    for _ in range(3):  # one category per message is usual; a few are bounded
        found = _find_category(text)
        if found is None:
            break
        rule, match = found
        low, high = _clause_bounds(text, match.start(), match.end())
        start = match.start()
        before = _BEFORE_RE.search(text, low, start)
        if before and before.end() == start:
            start = before.start()
        after = _AFTER_RE.match(text, match.end(), high)
        end = after.end() if after else match.end()
        no_vat = _NO_VAT_NEXT_RE.match(text, end)  # "Kleinunternehmer, keine USt"
        end = no_vat.end() if no_vat else end
        ref = None
        named = _REF_BEFORE_RE.search(text, low, start)
        if named and named.end() == start:
            words = " ".join(named["ref"].lower().split())
            if words not in _NOT_A_LINE:
                ref = LineRef(named["ref"].strip())
            start = named.start("ref")
        change = SetVatCategory(rule.category, _reason(rule.category, match), ref)
        same = [c for c in changes if (c.category, c.ref) == (change.category, change.ref)]
        if not same:
            changes.append(change)
        elif change.reason and (change.reason.code or "§" in (change.reason.text or "")):
            changes[changes.index(same[0])] = change  # "small business … §19 UStG": the law
        text = f"{text[:start]} {text[end:]}"
    return text, list(changes)


# --- amounts already paid -------------------------------------------------------------------


def _amount(name: str) -> str:
    """An amount as written, in group `name`: "$1,000", "500", "€ 200", "300 EUR"."""
    return (
        rf"(?P<{name}>(?:(?:{SYMBOL_ALT})\s?|\b(?:{CODE_ALT})\s?)?(?<![\w.,-]){NUMBER}k?"
        rf"(?:\s?(?:{SYMBOL_ALT})|\s?\b(?:{CODE_ALT}|{NAME_ALT})\b)?)"
    )


_DEPOSIT = (
    r"(?:deposit|advance(?:\s+payment)?|down\s*payment|prepayment|pre-payment|retainer"
    r"|part[\s-]payment|payment\s+on\s+account|upfront\s+payment)"
)
_PAID = r"(?:paid|received|settled|transferred)"
_EARLY = r"(?:already|up\s*front|upfront|in\s+advance|beforehand|earlier|before)"
_PREPAID_PATTERNS = (
    # "already paid 500", "they paid €1,000 upfront", "we received a deposit of €200"
    rf"(?:(?:they|the\s+{_WHO}|we|i|you)(?:'ve|\s+have|\s+had)?\s+)?(?P<early1>{_EARLY}\s+)?"
    rf"(?:{_PAID}|got|gave\s+(?:us|me))\s+(?:us\s+|me\s+)?(?:(?:an?|the)\s+)?(?P<dep1>{_DEPOSIT}\s+)?"
    rf"(?:of\s+)?{_amount('a1')}(?P<early2>\s+(?:{_EARLY}|as\s+(?:an?\s+)?{_DEPOSIT}))?",
    # "deposit of €200 received", "an advance of $500 was paid"
    rf"(?:(?:an?|the)\s+)?{_DEPOSIT}\s+(?:of\s+)?{_amount('a2')}\s+(?:(?:was|has\s+been"
    rf"|is|already|they|we)\s+)*{_PAID}(?:\s+{_EARLY})?",
    # "€200 deposit received", "a £600 deposit was paid in advance", "$300 deposit they paid"
    rf"(?:(?:an?|the)\s+)?{_amount('a3')}\s+{_DEPOSIT}\s+(?:(?:was|has\s+been|is"
    rf"|already|that|they|we|the\s+{_WHO})\s+)*{_PAID}(?:\s+{_EARLY})?",
    # "$300 paid in advance", "500 already paid", "$1,000 was paid upfront"
    rf"{_amount('a4')}\s+(?:(?:was|has\s+been|is)\s+)?(?:(?P<early3>{_EARLY})\s+)?"
    rf"{_PAID}(?:\s+(?P<early4>{_EARLY}|as\s+(?:an?\s+)?{_DEPOSIT}))?",
    # "less the $200 deposit they already paid", "minus a $200 deposit", "deduct the 500 advance"
    rf"(?:less|minus|deduct(?:ing)?|subtract(?:ing)?|take\s+off|net\s+of)\s+(?:the\s+|a\s+|an\s+"
    rf"|our\s+|their\s+)?(?:{_amount('a5')}\s+)?{_DEPOSIT}(?:\s+of\s+"
    rf"{_amount('a6')})?(?:\s+(?:that\s+)?(?:they|the\s+{_WHO}|we)?\s*(?:(?:have|had)\s+)?"
    rf"(?:{_EARLY}\s+)?{_PAID}(?:\s+{_EARLY})?)?",
    # "prepaid: 250", "amount paid: €400", "paid to date 300"
    rf"(?:prepaid|paid\s+in\s+advance|amount\s+(?:already\s+)?paid|paid\s+to\s+date|deposit\s+paid)"
    rf"\s*[:=]?\s*{_amount('a7')}",
)
_PREPAID_RE = re.compile("|".join(f"(?:{p})" for p in _PREPAID_PATTERNS), re.I)
_NO_PREPAID_RE = re.compile(
    rf"\b(?:remove|clear|drop|delete|take\s+(?:out|off))\s+(?:the\s+)?(?:{_DEPOSIT}|prepaid"
    r"(?:\s+amount)?|amount\s+(?:already\s+)?paid)\b|\bnothing\s+(?:has\s+been\s+|was\s+)?paid"
    r"\s+(?:yet|in\s+advance)\b|\bno\s+(?:deposit|prepayment)\s+(?:was\s+)?(?:paid|received)\b",
    re.I,
)


def _is_prepaid(match: re.Match[str]) -> bool:
    """Pattern 1 and 4 need a word that says the payment came before the invoice."""
    if match["a1"] is not None:
        return bool(match["early1"] or match["dep1"] or match["early2"])
    if match["a4"] is not None:
        return bool(match["early3"] or match["early4"])
    return True


def take_prepaid(
    text: str, current: InvoiceDraft | None
) -> tuple[str, list[Change], list[Question]]:
    """The message without its amounts already paid, the change, or a question."""
    if not _PAID_HINT_RE.search(text):
        return text, [], []
    amounts: list[Money] = []
    pieces = []
    last = 0
    for match in _PREPAID_RE.finditer(text):
        if not _is_prepaid(match) or text[: match.start()].rstrip().endswith(("-", "−")):
            continue  # "-$1,500 deposit already paid": a minus sign is asked about
        groups = ("a1", "a2", "a3", "a4", "a5", "a6", "a7")
        written = next((match[g] for g in groups if match[g]), None)
        price = money_value(written) if written else None
        if price is None:  # "less the deposit they paid": how much is asked (odd_numbers)
            continue
        if price.ambiguous:
            question = Question(
                f"Is “{written}” {price.money.amount} or a thousand times that? Please write the "
                "amount already paid as plain digits, e.g. “1,200.00”."
            )
            return text, [], [question]
        amounts.append(price.money)
        pieces.append(text[last : match.start()])
        last = match.end()
    if not amounts:
        if current is not None and current.prepaid_amount is not None:
            cleared = _NO_PREPAID_RE.search(text)
            if cleared:
                text = f"{text[: cleared.start()]} {text[cleared.end() :]}"
                return text, [SetPrepaid(None)], []
        return text, [], []
    text = " ".join([*pieces, text[last:]])
    if len({money.amount for money in amounts}) > 1:
        shown = ", ".join(_money_text(money) for money in amounts)
        return (
            text,
            [],
            [Question(f"Which amount was paid in advance: {shown}? Or is it their sum?")],
        )
    return text, [SetPrepaid(amounts[0])], []


# --- a question about VAT numbers, answered ---------------------------------------------------

VAT_NUMBER_QUESTION = re.compile(r"needs (?:the client's VAT number|your VAT number)")


def vat_numbers_question(error: InvoiceRuleError, draft: InvoiceDraft) -> str | None:
    """The question for a reverse charge or intra-community supply refused by the core for
    want of VAT numbers (`error.field` is seller.tax_id or buyer.tax_id); None for another
    refusal. Both missing numbers are asked for at once."""
    if error.field not in ("seller.tax_id", "buyer.tax_id"):
        return None
    categories = {item.tax_category for item in draft.items} & {"AE", "K"}
    words = CATEGORY_WORDS["AE" if "AE" in categories else "K"].removeprefix("an ")
    missing = [
        role
        for role, party in (("client", draft.buyer), ("you", draft.seller))
        if not vat_identifier(party.tax_id if party else None)
    ]
    if missing == ["client"]:
        needs, example = "the client's VAT number", "“their VAT number is DE811569869”"
    elif missing == ["you"]:
        needs, example = "your VAT number", _seller_example(draft)
    else:
        needs = "the client's VAT number and your VAT number"
        example = f"“their VAT number is DE811569869” and {_seller_example(draft)}"
    return (
        f"{words.capitalize()} needs {needs} (starting with the country code), so I haven't "
        f"applied it yet. Tell me, e.g. {example}, and I'll make the invoice {words}."
    )


def _seller_example(draft: InvoiceDraft) -> str:
    if draft.seller is None:
        return "“my company is Pixel Studio, VAT FR40303265045”"
    return "“my VAT number is FR40303265045”"


def waiting_for_vat_numbers(history: tuple[ChatMessage, ...]) -> str | None:
    """The message whose reverse charge (or intra-community supply) was refused for want of
    VAT numbers, when the last reply asked for them; None otherwise. The provider reads it
    again together with the message that gives them."""
    earlier: list[str] = []
    while len(history) >= 2 and len(earlier) < 3:  # one number, then the other: both go back
        reply, said = history[-1], history[-2]
        if reply.role != "assistant" or said.role != "user":
            break
        if not VAT_NUMBER_QUESTION.search(reply.content):
            break
        earlier.insert(0, said.content)
        history = history[:-2]
    return "\n".join(earlier) or None
