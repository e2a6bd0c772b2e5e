"""Reading the clauses about lines: adding one ("40 hours of consulting at $150/h", "add a
$200 travel line"), changing one ("make it 45 hours", "travel is $250", "rename line 2 to
Flights"), and removing lines ("remove lines 1 and 3", "remove 5 hours from consulting").

Like every reader, each returns a Change (or a list), an Question, or None when the clause is not
for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from core.money import plain
from core.providers.offline.amounts import (
    NUMBER,
    PRICE_LEAD_RE,
    QUANTITY,
    Money,
    PriceMatch,
    find_price,
    money_value,
    number_value,
    quantity_value,
)
from core.providers.offline.changes import (
    GENERIC_DESCRIPTION,
    AddLine,
    AddToQuantity,
    Change,
    ChangeLine,
    CorrectValue,
    LineRef,
    Part,
    Question,
    RemoveLine,
    ReplaceLine,
    SplitLine,
)
from core.providers.offline.reply_text import capitalise
from core.providers.offline.vocabulary import (
    CODE_ALT,
    NUMBER_WORD_ALT,
    NUMBER_WORD_NOT_A_ALT,
    RATE_ADVERBS,
    SYMBOL_ALT,
    UNIT_ALT,
    UNIT_BY_WORD,
)


@dataclass(frozen=True)
class Answer:
    """A price the person gave in answer to "How much should I charge for …?"."""

    money: Money
    unit: str | None = None


Answers = dict[str, Answer]  # by answer_key(description)


def answer_key(description: str) -> str:
    return " ".join(re.findall(r"\w+", description.lower()))


# --- removing lines, changing quantities -----------------------------------------------------

_REMOVE_VERB = (
    r"(?:remove|delete|drop|take\s+(?:out|off)|get\s+rid\s+of|cancel|scrap|strike|erase"
    r"|cut|lose|kill)"
)
_REMOVE_RE = re.compile(
    rf"^{_REMOVE_VERB}\s+(?P<ref>.+?)(?:\s+(?:line|item|entry|row)s?)?"
    r"(?:\s+from\s+(?:the\s+)?(?:invoice|bill|list))?$",
    re.I,
)
_RANGE_RE = re.compile(
    r"^(?:the\s+)?(?:lines?|items?|rows?)\s*(?P<a>\d+)\s*(?:-|–|to|through|thru)\s*(?P<b>\d+)$",
    re.I,
)
_FIRST_LAST_RE = re.compile(
    rf"^(?:the\s+)?(?P<which>first|last)\s+(?P<n>\d+|{NUMBER_WORD_NOT_A_ALT})"
    r"(?:\s+(?:lines|items|rows))?$",
    re.I,
)
_LIST_RE = re.compile(
    r"^(?:the\s+)?(?:lines?|items?|rows?)\s*(?P<list>\d+(?:\s*[,&]\s*\d+)+)$", re.I
)
_LESS_RE = re.compile(
    rf"^(?:{_REMOVE_VERB}|subtract|deduct|minus)\s+{QUANTITY}\s*(?P<unit>{UNIT_ALT})\b"
    r"(?:\s+(?:from|off|of)\s+(?P<ref>.+))?$",
    re.I,
)
_MORE_RE = re.compile(
    rf"^(?P<verb>(?:add|plus|bill|charge|put)\s+(?:(?:for|in)\s+)?)?(?:another\s+)?{QUANTITY}\s*"
    rf"(?P<more>more|extra|additional)?\s*(?P<unit>{UNIT_ALT})\b(?P<more_after>\s+(?:more|extra))?"
    r"(?:\s+(?P<link>to|on|for|of)\s+(?P<ref>.+))?$",
    re.I,
)


_COUNTED_THING_RE = re.compile(
    rf"^(?P<qty>\d+|{NUMBER_WORD_ALT})\s+(?:more\s+|extra\s+|additional\s+)?"
    r"(?!(?:lines?|items?|rows?|entries|more|of)\b)(?P<noun>[^\W\d_]{3,})(?:\s+actually)?$",
    re.I,
)
_MORE_THINGS_RE = re.compile(
    rf"^(?:(?:add|plus)\s+)?(?:(?P<qty>\d+|{NUMBER_WORD_ALT})\s+(?:more|extra|additional)|another)"
    r"\s+(?P<noun>[^\W\d_]{3,})(?:\s+actually)?$",
    re.I,
)


def read_removal(clause: str) -> Change | list[Change] | None:
    match = _LESS_RE.match(clause)
    if match:
        unit = UNIT_BY_WORD[match["unit"].lower()]
        ref = LineRef(match["ref"] or "", unit)
        return AddToQuantity(ref, -number_value(match["qty"]), unit)
    match = _REMOVE_RE.match(clause)
    if not match or re.search(r"\sto\s+\S*\d", match["ref"]):
        return None  # "drop the cakes to 2" changes a count
    ref = match["ref"].strip()
    counted = _COUNTED_THING_RE.match(ref)
    if counted:  # "remove one video": one fewer
        return AddToQuantity(LineRef(counted["noun"]), -number_value(counted["qty"]), None)
    numbers: list[int] = []
    spans = _RANGE_RE.match(ref)
    listed = _LIST_RE.match(ref)
    first_last = _FIRST_LAST_RE.match(ref)
    if spans and int(spans["a"]) <= int(spans["b"]):
        numbers = list(range(int(spans["a"]), int(spans["b"]) + 1))
    elif listed:
        numbers = [int(n) for n in re.findall(r"\d+", listed["list"])]
    elif first_last:
        count = int(number_value(first_last["n"]))
        sign = 1 if first_last["which"].lower() == "first" else -1
        return [RemoveLine(LineRef(f"line {sign * n}")) for n in range(1, count + 1)]
    if numbers:
        return [RemoveLine(LineRef(f"line {n}")) for n in numbers]
    return RemoveLine(LineRef(ref))


def read_more(clause: str) -> Change | None:
    """ "add 5 more hours", "3 extra days on the workshop", "add 2 hours to consulting"."""
    things = _MORE_THINGS_RE.match(clause)  # "one more rug", "add 2 more tunings"
    if things and not find_price(clause) and things["noun"].lower() not in UNIT_BY_WORD:
        count = number_value(things["qty"]) if things["qty"] else Decimal(1)
        return AddToQuantity(LineRef(things["noun"]), count, None)
    clause = re.sub(rf"\banother\s+(?=(?:{UNIT_ALT})\b)", "1 more ", clause, flags=re.I)
    match = _MORE_RE.match(clause)
    if not match or find_price(clause):
        return None
    more = match["more"] or match["more_after"] or re.match(r"^another\b", clause, re.I)
    onto = match["verb"] and (match["link"] or "").lower() in {"to", "on"}
    if not (more or onto):
        return None
    unit = UNIT_BY_WORD[match["unit"].lower()]
    return AddToQuantity(LineRef(match["ref"] or "", unit), number_value(match["qty"]), unit)


# --- changing a line -------------------------------------------------------------------------

_CHANGE_VERB = (
    r"(?:change|set|update|make|adjust|correct|raise|increase|lower|reduce|bump|put|edit|fix"
    r"|switch|drop|cut|bring|take)"
)
_PRICE_ATTR_RE = re.compile(
    r"\b(?:(?:(?P<per>hourly|daily|weekly|monthly)|unit|day)\s+)?(?:rate|price|cost|fee|amount"
    r"|charge)\b",
    re.I,
)
_QUANTITY_ATTR_RE = re.compile(
    rf"\b(?:quantity|qty|count|number\s+of\s+\w+|(?P<unit>{UNIT_ALT}))\b", re.I
)
_DESCRIPTION_ATTR_RE = re.compile(r"\b(?:description|name|title|label|wording)\b", re.I)
_VALUE_START = rf"(?:{SYMBOL_ALT}|(?:{CODE_ALT})\s|\d|\.\d|(?:{NUMBER_WORD_NOT_A_ALT})\s)"
_CHANGE_RES = (
    re.compile(rf"^(?:make|set|change)\s+(?P<target>.+?)\s+(?P<value>{_VALUE_START}.*)$", re.I),
    re.compile(rf"^{_CHANGE_VERB}\s+(?P<target>.+?)\s+(?:to|=|at|into)\s+(?P<value>.+)$", re.I),
    re.compile(r"^(?P<target>)there\s+(?:were|are|was|is)\s+(?P<value>\d+\s+\S+)$", re.I),
    re.compile(  # "it's 4.5 hours", "that was $600"
        r"^(?P<target>it|that|this)(?:'s|\s+is|\s+was|\s+were|\s+should\s+be|\s+should\s+have\s+been)"
        r"\s+(?:actually\s+|really\s+)?(?P<value>.+)$",
        re.I,
    ),
    re.compile(
        r"^(?:actually\s+|no\s*,?\s+)?(?P<target>.+?)\s+(?:should\s+be|should\s+read|is|are|was"
        r"|were|=|needs\s+to\s+be|costs?|came\s+to|comes\s+to)\s+(?:actually\s+|really\s+|now\s+)?"
        r"(?P<value>.+)$",
        re.I,
    ),
    re.compile(
        r"^(?:actually\s+|no\s*,?\s+|make\s+it\s+)?(?P<value>.+?)\s+instead(?:\s+of\s+.+)?$", re.I
    ),
    # "and the rate to $75", "hours to 14": an attribute and its value, the verb said before
    re.compile(
        r"^(?P<target>(?:the\s+)?(?:[^\W\d_][\w-]*\s+){0,2}(?:rate|price|cost|fee|quantity|qty"
        r"|hours|days|amount|count))\s+(?:to|=)\s+(?P<value>.+)$",
        re.I,
    ),
    re.compile(  # "I worked 42 hours, not 40"
        r"^(?:actually\s+|no\s*,?\s+)?(?:(?:i|we)\s+(?:worked|did|spent|used|billed)\s+)?"
        r"(?P<value>.+?),?\s+not\s+.+$",
        re.I,
    ),
)
_QTY_AT_PRICE_RE = re.compile(
    rf"^{QUANTITY}\s*(?:(?P<unit>{UNIT_ALT})\b|(?P<noun>[^\W\d_]{{3,}}))?\s*(?:at|@|×|x|for)\s*"
    r"(?P<price>.+)$",
    re.I,
)
_RENAME_RES = (
    re.compile(
        r"^(?:rename|relabel|retitle)\s+(?P<ref>.+?)\s+(?:to|as)\s+[\"'“]?(?P<value>[^\"“”]+?)[\"'”]?$",
        re.I,
    ),
    re.compile(r"^call\s+(?P<ref>.+?)\s+[\"'“](?P<value>[^\"“”]+)[\"'”]$", re.I),
    re.compile(
        r"^(?:call|name|label)\s+(?P<ref>it|that|(?:the\s+)?(?:\w+\s+)?(?:line|item)(?:\s+\d+)?"
        r"|line\s+\d+)\s+(?P<value>[^\"“”]+)$",
        re.I,
    ),
)
_INSTEAD_RE = re.compile(r"\s+instead(?:\s+of\s+.+)?$", re.I)
_PRONOUNS = frozenset({"it", "that", "this", "them", ""})


def _split_target(target: str) -> tuple[str | None, str, str | None]:
    """("price" | "quantity" | "description" | None, the line reference, a unit hint)."""
    for attribute, regex in (
        ("price", _PRICE_ATTR_RE),
        ("quantity", _QUANTITY_ATTR_RE),
        ("description", _DESCRIPTION_ATTR_RE),
    ):
        match = regex.search(target)
        if match:
            unit = match.groupdict().get("unit") or match.groupdict().get("per")
            rest = (target[: match.start()] + " " + target[match.end() :]).strip()
            rest = re.sub(r"^(?:the\s+)?(?:of|for|on|in)\s+|\s+(?:of|for|on|in)$", "", rest)
            rest = re.sub(r"'s$", "", rest)
            unit = unit and (UNIT_BY_WORD.get(unit.lower()) or RATE_ADVERBS[unit.lower()])
            return attribute, rest, unit or None
    return None, target.strip(), None


_CORRECTION_RE = re.compile(
    r"^(?:(?:it|that|this|they|there)\s+(?:was|were|is|are|should\s+(?:be|have\s+been))\s+"
    r"|(?P<ref>(?:the\s+)?[^\d$€£¥₹]+?)\s+(?:was|were|is|are|should\s+(?:be|have\s+been)|costs?)\s+"
    r"|(?:i|we)\s+(?:worked|did|spent|used|billed|sold|delivered|drove|made|needed)\s+"
    r"|make\s+(?:it|that)\s+)?"
    r"(?P<new>[^,]+?)\s*,?\s+(?:not|instead\s+of|rather\s+than)\s+(?P<old>[^,]+)$",
    re.I,
)


def read_correction(clause: str) -> Change | None:
    """ "it was 12 hours, not 10", "the shelves were $200 each, not $180", "8 sessions not 10":
    the value that was wrong is named, so is the line that has it."""
    match = _CORRECTION_RE.match(clause)
    if match is None:
        return None
    old_price = money_value(match["old"])
    old_quantity = quantity_value(match["old"]) or _counted(match["old"])
    old = old_price.money.amount if old_price else old_quantity[0] if old_quantity else None
    if old is None:
        return None
    attribute, ref_text, unit_hint = _split_target(match["ref"] or "")
    named = ref_text.strip().lower() not in {"", "the", "it", "that", "this"}
    ref = LineRef(ref_text, unit_hint) if named else None
    new_price = money_value(match["new"])
    new_quantity = quantity_value(match["new"]) or _counted(match["new"])
    if new_price and (new_price.marked or new_price.per or attribute == "price"):
        return CorrectValue(old, price=new_price.money, ref=ref)
    if new_quantity and (new_quantity[1] or attribute == "quantity" or _counted(match["new"])):
        return CorrectValue(old, quantity=new_quantity[0], unit=new_quantity[1], ref=ref)
    if new_quantity and attribute == "price":  # "the rate is 160 not 150"
        return CorrectValue(old, price=Money(new_quantity[0]), ref=ref)
    if new_quantity:
        return CorrectValue(old, number=new_quantity[0], ref=ref)
    return None


_COUNTED_RE = re.compile(rf"^{QUANTITY}\s+(?P<noun>[^\W\d_]{{3,}})$", re.I)


def _counted(text: str) -> tuple[Decimal, str | None] | None:
    """ "8 sessions", "800 leaflets": a count of things that are not a unit of ours."""
    match = _COUNTED_RE.match(text.strip())
    if match is None or match["noun"].lower() in UNIT_BY_WORD:
        return None
    return number_value(match["qty"]), None


_SPLIT_RE = re.compile(r"^split\s+(?P<ref>.+?)\s+(?:in(?:to)?|between)\s+(?P<parts>.+)$", re.I)
# "split …", "replace … with …": one change whose parts the splitter would cut apart
SPLIT_START_RE = re.compile(
    r"^(?:\W*(?:please|pls|can\s+you|could\s+you)\s+)?(?:split|replace|swap\s+out|substitute)\b",
    re.I,
)


_REPLACE_RE = re.compile(
    r"^(?:replace|swap(?:\s+out)?|substitute)\s+(?P<ref>.+?)\s+(?:with|by|for)\s+(?P<line>.+)$",
    re.I,
)


def read_replace(clause: str) -> Change | Question | None:
    """ "replace travel with mileage 90 miles at $0.67"."""
    match = _REPLACE_RE.match(clause)
    if match is None:
        return None
    line = read_line_item(match["line"], item_expected=True, answers={})
    if isinstance(line, AddLine):
        return ReplaceLine(LineRef(match["ref"]), line)
    return line if isinstance(line, Question) else None


def read_split(clause: str) -> Change | None:
    """ "split that into 20 hours of development and 10 hours of testing", "split line 1: 20
    hours design at $100, 20 hours dev"."""
    match = _SPLIT_RE.match(
        re.sub(r"^(?:split\s+.+?)\s*:\s*", lambda m: m.group()[:-1] + " into ", clause, count=1)
    )
    if match is None:
        return None
    parts = []
    for text in re.split(r"\s*(?:,|;|\band\b|\+)\s*", match["parts"]):
        price = find_price(text)
        rest = f"{text[: price.start]} {text[price.end :]}" if price else text
        rest = PRICE_LEAD_RE.sub("", rest)
        found = _quantity_and_description(rest)
        if not (found.explicit and found.description):
            return None
        parts.append(
            Part(found.description, found.quantity, found.unit, price.money if price else None)
        )
    return SplitLine(LineRef(match["ref"]), tuple(parts)) if len(parts) > 1 else None


def read_line_change(clause: str) -> Change | Question | None:
    match = next((m for m in (r.match(clause) for r in _RENAME_RES) if m), None)
    if match:
        description = clean_description(match["value"])
        return ChangeLine(LineRef(match["ref"]), description=description) if description else None
    for position, regex in enumerate(_CHANGE_RES):
        match = regex.match(clause)
        if match:
            target = match.groupdict().get("target") or "it"
            # the first two name the change with a verb; the others only say "X is Y"
            change = _line_change(target, _INSTEAD_RE.sub("", match["value"]), strict=position >= 2)
            if change is not None:
                return change
    return None


def ambiguous_amount(price: PriceMatch) -> Question | None:
    if not price.ambiguous:
        return None
    whole, decimals = price.written.split(".")
    return Question(
        f"Did you mean {whole},{decimals} or {whole}.{decimals[:2]}? Please write the amount "
        f"as {whole}{decimals} or {whole}.{decimals[:2]}."
    )


def _names_counted_things(ref_text: str) -> bool:
    """ "the posters", "the cakes": a line named by the things it counts, so a bare number
    for it is how many."""
    words = re.findall(r"[^\W\d_]+", ref_text.lower())
    return (
        bool(words)
        and len(words[-1]) > 3
        and words[-1].endswith("s")
        and (words[-1] not in UNIT_BY_WORD and words[-1] not in {"this", "its", "yes", "rates"})
    )


def _names_one_thing(ref_text: str) -> bool:
    """ "the valve", "the report": one thing, so "the valve was 110" is what it cost."""
    words = re.findall(r"[^\W\d_]+", ref_text.lower())
    return bool(words) and words[0] == "the" and not words[-1].endswith("s") and len(words) <= 3


def _line_change(target: str, value: str, *, strict: bool) -> Change | Question | None:
    target = re.sub(r"\s+(?:to|into|at|=)$", "", target.strip(), flags=re.I)
    attribute, ref_text, unit_hint = _split_target(target)
    pronoun = ref_text.lower() in _PRONOUNS
    price = money_value(value)
    quantity = quantity_value(value)
    counted = _COUNTED_RE.match(value.strip())
    if counted and not quantity and counted["noun"].lower() not in UNIT_BY_WORD:
        ref = LineRef(counted["noun"] if pronoun else ref_text)  # "make it 800 leaflets"
        return ChangeLine(ref, quantity=number_value(counted["qty"]))
    stated = (price and (price.marked or price.per)) or (quantity and quantity[1])
    stated = stated or _names_one_thing(ref_text) or _names_counted_things(ref_text)
    if strict and attribute is None and not pronoun and not stated:
        return None  # "X is Y" only when X names a rate, a quantity or "it", or Y an amount
    if price and (price.marked or price.per or attribute == "price"):
        ref = LineRef(ref_text, unit_hint or price.unit)
        return ambiguous_amount(price) or ChangeLine(ref, price=price.money, unit=price.unit)
    both = _QTY_AT_PRICE_RE.match(value.strip())
    both_price = money_value(both["price"]) if both else None
    if both and both_price:  # "42 hours at $160", "5 lessons at CHF 85"
        unit = UNIT_BY_WORD[both["unit"].lower()] if both["unit"] else both_price.unit
        ref_text = both["noun"] if pronoun and both["noun"] else ref_text
        ref = LineRef(ref_text, unit or unit_hint)
        amount = number_value(both["qty"])
        return ambiguous_amount(both_price) or ChangeLine(
            ref, quantity=amount, unit=unit, price=both_price.money
        )
    if quantity:
        amount, unit = quantity
        if unit or attribute == "quantity" or _names_counted_things(ref_text):
            return ChangeLine(LineRef(ref_text, unit or unit_hint), quantity=amount, unit=unit)
        if strict and not pronoun and _names_one_thing(ref_text):
            return ChangeLine(LineRef(ref_text), price=Money(amount))  # "the valve was 110"
        return Question(
            f"Should {value.strip()} be the quantity or the price? Say e.g. “make it "
            f"{value.strip()} hours” or “change the rate to {value.strip()}”.",
            about=amount,
        )
    if re.search(r"\d", value):
        return None
    positional = re.fullmatch(
        r"(?:the\s+)?(?:line\s*\d+|\w+\s+(?:line|item)|last\s+line|(?:first|second|third)\s+\w+)",
        ref_text,
        re.I,
    )
    if attribute == "description" or (attribute is None and not strict and not pronoun):
        description = clean_description(value)
        if description and (attribute or positional or not strict):
            return ChangeLine(LineRef(ref_text), description=description)
    return None


# --- adding a line ---------------------------------------------------------------------------

_ADD_PREFIX_RE = re.compile(
    r"^(?:\+\s*|(?:add|plus|include|put|insert|append|bill\s+(?:them\s+)?for"
    r"|charge\s+(?:them\s+)?for|also)\s+)(?:(?:another|a\s+new|new|one\s+more|an?(?=\s+(?:line|item|entry|row)\b))\s+)?"
    r"(?:(?:line(?:\s+item)?|item|entry|row)\s*(?:for\b|:)?\s*)?",
    re.I,
)
_ITEMS_LABEL_RE = re.compile(
    r"^(?:items?|lines?|line\s+items|services|products|work|charges)\s*:\s*", re.I
)
_QTY_FIRST_RE = re.compile(
    rf"^{QUANTITY}(?:\s*[x×*](?=\s|$)|\s*(?P<unit>{UNIT_ALT})(?!\w)|(?=\s))\s*(?:of\s+)?"
    r"(?P<desc>.*)$",
    re.I | re.S,
)
_LABELLED_RE = re.compile(rf"^(?P<label>[^:\d]+):\s*{QUANTITY}\s+(?P<desc>\D+)$", re.I)
# "license, 2" (not "1,000", which is one number)
_QTY_AFTER_COMMA_RE = re.compile(
    rf"^(?=[^\W\d_]|.*?[^\W\d_])(?P<desc>.+?)(?<!\d)\s*[,:]\s*{QUANTITY}$", re.I
)
_UNIT_OF_RE = re.compile(rf"^(?P<unit>{UNIT_ALT})\s+of\s+(?P<desc>.+)$", re.I)  # "day of training"
_QTY_TIMES_LAST_RE = re.compile(
    rf"^(?P<desc>.+?)[\s,]+(?P<times>[x×]\s*)?{QUANTITY}(?(times)|\s*[x×])$", re.I
)
_QTY_UNIT_LAST_RE = re.compile(
    rf"^(?P<desc>.+?)[\s,:]+(?:for\s+|of\s+)?{QUANTITY}\s*(?P<unit>{UNIT_ALT})\.?$", re.I
)
# "mowing x4 weeks", "Brochure printing – 1,000", "Retouching 40 images": a count after the
# description (the counted noun is dropped: the description says what it is).
_QTY_LATER_RES = (
    re.compile(rf"^(?P<desc>.+?)\s+[x×]\s*{QUANTITY}\s*(?P<unit>{UNIT_ALT})?\.?$", re.I),
    re.compile(rf"^(?=.*?[^\W\d_])(?P<desc>.+?)\s*[–—-]\s*{QUANTITY}$", re.I),
    re.compile(rf"^(?=[^\d]*?[^\W\d_])(?P<desc>[^\d]+?),?\s+(?P<qty>{NUMBER})\s+[^\W\d_]+$", re.I),
)
# Words that show a clause is a request about something else, never a line description.
_NOT_A_DESCRIPTION = frozenset({
    "should", "is", "are", "be", "was", "total", "subtotal", "instead",
    "off", "discount", "due", "currency", "client", "customer", "my", "our", "me", "it",
    "them", "us", "you", "this", "that",
})  # fmt: skip
_VERBS_FIRST = frozenset({"set", "change", "make", "remove", "delete", "undo"})


def _not_a_description(description: str) -> bool:
    """A request about something else ("set the rate", "my email"), not what a line bills;
    "DJ set" is a line, "set the rate" is not."""
    words = [w for w in description.split() if w != "IT"]  # "IT support" is a line
    words = [w.lower() for w in words]
    if words in (["rate"], ["price"], ["cost"], ["amount"]):
        return True  # "rate $175" is a change of rate; "price list poster" is a line
    if words[:2] == ["due", "diligence"]:
        words = words[2:]
    return bool(set(words) & (_NOT_A_DESCRIPTION - _VERBS_FIRST)) or (
        bool(words) and words[0] in _VERBS_FIRST
    )


_COUNT_INSIDE_RE = re.compile(rf"\b{NUMBER}\s*(?:{UNIT_ALT})\b", re.I)
STARTS_WITH_QUANTITY_RE = re.compile(
    rf"^(?:{_ADD_PREFIX_RE.pattern[1:]})?(?:(?:{NUMBER})(?=[\s×x*]|$|[a-z])|(?:{NUMBER_WORD_ALT})(?=\s|$))",
    re.I,
)


def clean_description(text: str) -> str:
    previous = None
    text = " ".join(text.replace("(", " ").replace(")", " ").split())
    while text != previous:
        previous = text
        text = text.strip(" \t-–—:,.;\"'“”")
        # "on site", "on call" say what the line is; "on the design" does not
        text = re.sub(
            r"^(?:of|for|a|an|the|some|on(?!\s+(?:site|call|location|premises)\b)|with)\s+",
            "",
            text,
            flags=re.I,
        )
        text = re.sub(
            r"\s+(?:line(?:\s+item)?|item|entry|row|each|apiece|at|@|for|of|priced|costing"
            r"|with|and|plus|x|×|total|in\s+total|all\s+in|all\s+inclusive|flat|net|nett"
            r"|excl\.?\s+(?:vat|tax)|ex\.?\s+vat|before\s+tax)$",
            "",
            text,
            flags=re.I,
        )
    if re.fullmatch(
        r"(?:all\s+in(?:clusive)?|in\s+total|total|flat|each|only|net|nett|excl\.?\s+(?:vat|tax)"
        r"|ex\.?\s+vat|before\s+tax|plus\s+(?:vat|tax))",
        text,
        re.I,
    ):
        return ""
    return capitalise(text) if text else ""


@dataclass(frozen=True)
class _QuantityAndDescription:
    quantity: Decimal
    unit: str | None
    description: str
    explicit: bool  # the quantity was written as a number ("40"), not implied ("a")


_TIMES_EACH_RE = re.compile(
    rf"{QUANTITY}\s+(?P<things>[^\W\d_]+),?\s+(?P<each>{NUMBER})\s*(?P<unit>{UNIT_ALT})\s+each\b,?",
    re.I,
)


def _quantity_and_description(text: str) -> _QuantityAndDescription:
    text = " ".join(text.replace("(", " ").replace(")", " ").split()).strip(" -–—:,;")
    text = re.sub(
        r",?\s*\b(?:qty|quantity|rate|price|unit\s+price)\s*[:=]?\s*(?=\d|$)", " ", text, flags=re.I
    )
    text = text.strip(" ,")
    each = _TIMES_EACH_RE.search(text)  # "3 visits, 2.5 hours each": 7.5 hours
    if each:
        rest = clean_description(f"{text[: each.start()]} {text[each.end() :]}")
        quantity = number_value(each["qty"]) * number_value(each["each"])
        unit = UNIT_BY_WORD[each["unit"].lower()]
        return _QuantityAndDescription(quantity, unit, rest, True)
    text = re.sub(r"^(?:for|of)\s+", "", text, flags=re.I)
    labelled = _LABELLED_RE.match(text)  # "printing: 500 flyers"
    if labelled and not UNIT_BY_WORD.get(labelled["desc"].strip().lower()):
        counted = labelled["desc"].strip().lower() in {"copies", "pieces", "items", "units", "pcs"}
        desc = "" if counted else f" {labelled['desc']}"
        text = f"{labelled['qty']} {labelled['label']}{desc}"
    match = _QTY_FIRST_RE.match(text)
    if match is None or not match["desc"].strip():
        match = (
            _QTY_UNIT_LAST_RE.match(text)
            or _QTY_TIMES_LAST_RE.match(text)
            or _QTY_AFTER_COMMA_RE.match(text)
            or match
        )
    if match is None:
        match = next((m for m in (r.match(text) for r in _QTY_LATER_RES) if m), None)
    if match is None:
        unit_of = _UNIT_OF_RE.match(text)
        unit = UNIT_BY_WORD[unit_of["unit"].lower()] if unit_of else None
        description = clean_description(unit_of["desc"] if unit_of else text)
        return _QuantityAndDescription(Decimal(1), unit, description, False)
    unit = match.groupdict().get("unit")
    unit = UNIT_BY_WORD[unit.lower()] if unit else None
    description = match["desc"].strip()
    if unit and re.match(r"(?:at|in)\s", description, re.I):  # "3 nights at the Hilton"
        description = f"{unit}s {description}"
    return _QuantityAndDescription(
        quantity=number_value(match["qty"]),
        unit=unit,
        description=clean_description(description),
        explicit=match["qty"].lower() not in {"a", "an"},
    )


def _price_question(found: _QuantityAndDescription) -> Question:
    description = found.description[0].lower() + found.description[1:]
    if found.explicit and found.unit:
        what = f"{plain(found.quantity)} {found.unit}{'s' if found.quantity != 1 else ''}"
        example = f"“$150/{found.unit}”"
        description = f"{what} of {description}"
    else:
        example = f"“{description.lower()} $500”"
    return Question(
        f"How much should I charge for {description}? Reply with the price, e.g. {example}.",
        missing_price=answer_key(found.description),
        subject=description,
    )


def read_line_item(
    clause: str, *, item_expected: bool, answers: Answers
) -> Change | Question | None:
    """A new line: "40 hours of consulting at $150/h", "add a $200 travel line", …"""
    if "%" in clause:
        return None  # a rate: tax or a discount, never a line
    add = _ADD_PREFIX_RE.match(clause)
    body = clause[add.end() :] if add else clause
    body = re.sub(r"\s+(?:too|also|as\s+well)\s*:", ":", body, flags=re.I)  # "mastering too:"
    heading = re.match(r"^(?:the|our|this|that)\s+[^:\d]{1,30}:\s*(?=[^\W\d_])", body, re.I)
    if heading:  # "the launch: stage hire $1,800" (but "the audit: Rs 1,25,000" is the audit)
        line = read_line_item(body[heading.end() :], item_expected=item_expected, answers=answers)
        if isinstance(line, AddLine):
            return line
    body = _ITEMS_LABEL_RE.sub("", body)
    price = find_price(body)
    if price is None:
        found = _quantity_and_description(body)
        if not found.description or _not_a_description(found.description):
            return None
        answer = answers.get(answer_key(found.description))
        if answer is not None:
            unit = found.unit or answer.unit
            return AddLine(found.description, found.quantity, unit, answer.money)
        if found.explicit or add or item_expected:
            return _price_question(found)
        return None
    ambiguous = ambiguous_amount(price)
    if ambiguous:
        return ambiguous
    if price.per and re.match(r"\s*(?:/|per\s)", body[price.end :], re.I):
        shown = body[price.start :].strip()
        return Question(  # "$120 per unit per month": a rate over two counts
            f"“{shown}” is a rate over two counts — how many in all should I bill? Say e.g. "
            "“6 unit-months at $120”."
        )
    before = PRICE_LEAD_RE.sub("", body[: price.start])
    found = _quantity_and_description(f"{before} {body[price.end :]}")
    if _not_a_description(found.description) or find_price(found.description):
        return None  # a request about something else, or two prices run together
    if not found.explicit and _COUNT_INSIDE_RE.search(found.description):
        return None  # "Acme Corp 40 hours consulting": the 40 hours belong somewhere else
    if not found.description or not re.search(r"[^\W\d_]", found.description):
        shown = body[price.start : price.end].strip()
        line = AddLine(GENERIC_DESCRIPTION, found.quantity, found.unit or price.unit, price.money)
        return Question(
            f"What is the {shown} for? Say e.g. “{shown} for travel”.",
            needs_description=True,
            line=line,
        )
    quantity, unit = found.quantity, found.unit or price.unit
    if found.unit == "dozen" and price.unit != "dozen":  # "three dozen eggs at $0.40 each"
        quantity, unit = quantity * 12, None
    return AddLine(found.description, quantity, unit, price.money)
