"""Reading a whole message: what sits anywhere first, then the opening, then clause by clause.

1. The text is normalised: quotes, digits grouped by spaces next to a currency ("18 000 SEK"),
   "CHF 3'400.–", dot leaders; dates become ISO dates (`dates.rewrite_dates`), fractions
   decimals ("2 1/2 hours" -> "2.5 hours").
2. What is found over the whole message (`entities.py`): an amount it cannot read or a
   negative one stops the reading with a question; party blocks ("From:", "Invoice to:"),
   details in brackets, phones, tax IDs, purchase orders and contacts are cut out; so are the
   parts that run to the end of a sentence (notes, payment terms, labelled addresses), e-mail
   addresses, greetings, sign-offs and pleasantries.
3. An opening such as "Invoice Acme Corp for …", "bill acme corp 10 hrs …", "Charge 3M …" or
   "acme, 2d onsite …" gives the client (and its address, "from Pixel Studio" the seller).
4. The rest is split into clauses at commas, "and", "plus", full stops, new lines and list
   bullets; each clause is read by `clauses.read_clause`. Pieces the splitter cut apart are
   joined again when only together they make sense: "consulting and travel $200" is one line,
   "travel, $200" too, "Procter & Gamble" one name; "remove line 1 and 2" lends its verb,
   "10% VAT on the curtains and 5% on the fitting" its tax word. In an edit the current
   invoice is known: "layout $60" is the Layout line's price when there is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from core.invoice import InvoiceDraft
from core.money import plain
from core.providers.offline.amounts import find_price, quantity_value
from core.providers.offline.changes import (
    NET_TERMS_RE,
    AddLine,
    AddToQuantity,
    Change,
    ChangeLine,
    CorrectValue,
    LineRef,
    Question,
    SetDiscount,
    SetDueIn,
    SetLineDiscount,
    SetNotes,
    SetParty,
    SetPartyDetail,
    SetTax,
    SetTerms,
)
from core.providers.offline.clauses import (
    IGNORED,
    answer_price,
    changes_of,
    is_change,
    read_clause,
    tidy,
)
from core.providers.offline.dates import rewrite_dates
from core.providers.offline.einvoice import take_einvoice_fields
from core.providers.offline.entities import (
    SIGNATURE_RE,
    odd_numbers,
    strip_pleasantries,
    take_blocks,
    take_details,
    take_from_to,
)
from core.providers.offline.lines import (
    SPLIT_START_RE,
    STARTS_WITH_QUANTITY_RE,
    Answers,
    answer_key,
    clean_description,
)
from core.providers.offline.parties import (
    INVOICE_WORD,
    Opening,
    party_name,
    split_name,
    take_address,
    take_opening,
)
from core.providers.offline.vat import take_prepaid, take_vat_categories
from core.providers.offline.vocabulary import (
    CODE_ALT,
    COMPANY_SUFFIXES,
    NAME_ALT,
    NUMBER_WORD_NOT_A_ALT,
    SYMBOL_ALT,
)

MAX_CLAUSES = 60

# --- normalising -----------------------------------------------------------------------------

_QUOTES = str.maketrans({"’": "'", "‘": "'", "\t": " "})
_SPACE_IN_NUMBER_RE = re.compile(r"(?<=\d)[\u00a0\u202f](?=\d{3}\b)")


# "18 000 SEK", "€ 1 500": digits grouped with plain spaces, next to a currency.
_SPACED_GROUPS_RE = re.compile(
    rf"(?P<before>(?:{SYMBOL_ALT}|\b{CODE_ALT})\s?)?(?<![\d.,])(?P<number>\d{{1,3}}(?: \d{{3}})+)"
    rf"(?![\d])(?P<after>(?:,\d{{1,2}})?\s?(?:{SYMBOL_ALT}|(?:{CODE_ALT}|{NAME_ALT})\b))?",
    re.I,
)


def _group_spaced_numbers(match: re.Match[str]) -> str:
    if not (match["before"] or match["after"]):
        return match.group()
    number = match["number"].replace(" ", "\u202f")
    return f"{match['before'] or ''}{number}{match['after'] or ''}"


_FRACTION_DENOMINATORS = {"2", "4", "5", "8", "10"}  # those with exact decimals
_MIXED_FRACTION_RE = re.compile(r"(?<![\w.,/])(\d+)\s+(\d)/(\d{1,2})(?![\d/])")
_FRACTION_RE = re.compile(r"(?<![\w.,/])(\d)/(\d{1,2})(?![\d/])")
_FRACTION_WORDS = (
    (re.compile(r"\b(?:a|one)\s+and\s+a\s+half\s+", re.I), "1.5 "),
    (re.compile(r"\b(\d+)\s+and\s+a\s+half\s+", re.I), None),
    (re.compile(r"\b(?:a\s+|one\s+)?quarter\s+(?:of\s+)?an?\s+", re.I), "0.25 "),
    (re.compile(r"\bthree\s+quarters\s+(?:of\s+)?an?\s+", re.I), "0.75 "),
    (re.compile(r"\b(?:a\s+)?half\s+(?:of\s+)?an?\s+(?=\w)", re.I), "0.5 "),
)


def _fraction(whole: str, numerator: str, denominator: str) -> str | None:
    if denominator not in _FRACTION_DENOMINATORS or int(numerator) >= int(denominator):
        return None
    return plain(Decimal(whole) + Decimal(numerator) / Decimal(denominator))


def write_fractions(text: str) -> str:
    """ "2 1/2 hours" -> "2.5 hours", "half a day" -> "0.5 day", "a quarter of a day" -> "0.25
    day": quantities as numbers (only fractions with an exact decimal)."""
    text = _MIXED_FRACTION_RE.sub(lambda m: _fraction(*m.groups()) or m.group(), text)
    text = _FRACTION_RE.sub(lambda m: _fraction("0", *m.groups()) or m.group(), text)
    for regex, replacement in _FRACTION_WORDS:
        if replacement is None:
            text = regex.sub(lambda m: f"{m[1]}.5 ", text)
        else:
            text = regex.sub(replacement, text)
    return text


def normalise(message: str, today: date) -> str:
    text = message.translate(_QUOTES).replace("\r\n", "\n")
    text = _SPACE_IN_NUMBER_RE.sub("\u202f", text)  # "1 200 €" keeps its digit group
    text = _SPACED_GROUPS_RE.sub(_group_spaced_numbers, text)
    text = re.sub(r"(?<!\d)\u202f|\u202f(?!\d)", " ", text)
    text = re.sub(r"(?<=\d)\.[–—-](?![\w\d])", "", text)  # CHF 3'400.– (no cents)
    text = re.sub(r"[ \t]*(?:\.{3,}|…+|_{3,})[ \t]*", " ", text)  # "Copywriting ........ $450"
    text = re.sub(r"[\u00a0\u2009]| {2,}", " ", text).strip()
    return write_fractions(rewrite_dates(text, today))


# --- tails: notes, payment terms, addresses --------------------------------------------------

_NOTES_RE = re.compile(
    r"(?:^|(?<=[\s,;.]))(?:(?:and|also|please)\s+)*(?:(?:add|put|include|with|set|change)\s+"
    r"(?:a\s+|the\s+)?)?(?:notes?|memo|message|comment)\s*(?:[:=]|-\s|\bto\b|\bsaying\b"
    r"|\bthat\s+says\b|\breading\b)\s*(?P<value>.+)$",
    re.I | re.S,
)
_TERMS_RE = re.compile(
    r"(?:^|(?<=[\s,;.]))(?:(?:and|also|set|change)\s+)*(?:the\s+)?(?:payment\s+terms?|terms)"
    r"\s*(?:[:=]|\bare\b|\bis\b|\bto\b)\s*(?P<value>.+?)\s*(?=[.;\n](?:\s|$)|$)",
    re.I,
)
_ADDRESS_RE = re.compile(
    r"(?:^|(?<=[\s,;.]))(?:(?:and|also|set|change|update)\s+)*(?:the\s+)?"
    r"(?:(?:(?P<buyer>client|customer|buyer|recipient|their|bill[\s-]to)|(?P<seller>my|our|seller"
    r"|sender|from))(?:'s)?\s+)?\b(?:billing\s+|postal\s+|street\s+)?address\s*(?:[:=]|\bis\b"
    r"|\bto\b)?\s*(?P<value>[^;\n]+)",
    re.I,
)


def _address_parts(value: str) -> tuple[str, str]:
    """The address, and what follows it ("1 Main St, Springfield, due in 30 days"): it ends
    at a sentence's end or at a comma followed by something else the engine understands."""
    for dot in re.finditer(r"\.(?=\s|$)", value):
        if _is_sentence_end(value, dot.start()):
            value, rest = value[: dot.start()], value[dot.start() :]
            break
    else:
        rest = ""
    parts = value.split(",")
    kept = [parts[0]]
    for index, part in enumerate(parts[1:], start=1):
        result = read_clause(part)
        if is_change(result) or result is IGNORED and part.strip():
            return ",".join(kept), ",".join(parts[index:]) + rest
        kept.append(part)
    return ",".join(kept), rest


def take_tails(text: str) -> tuple[str, list[Change]]:
    """Take out notes, payment terms and addresses, which may contain commas."""
    changes: list[Change] = []
    match = _NOTES_RE.search(text)
    if match:
        note = match["value"].strip().strip("\"'“”")
        if note:
            changes.append(SetNotes(note))
            text = text[: match.start()]
    match = _TERMS_RE.search(text)
    if match and match["value"].strip():
        terms = match["value"].strip().strip("\"'“”")
        net = NET_TERMS_RE.match(terms)
        changes.append(
            SetDueIn(int(net[1]), "day", terms=f"Net {int(net[1])}") if net else SetTerms(terms)
        )
        text = text[: match.start()] + text[match.end() :]
    match = _ADDRESS_RE.search(text)
    if match and match["value"].strip():
        address, after = _address_parts(match["value"])
        role = "seller" if match["seller"] else "buyer"
        address = re.sub(r"(?:\s+(?:and|&|plus))+$", "", address.strip(" .,"), flags=re.I)
        changes.append(SetPartyDetail(role, "address", address.strip(" .,")))
        text = text[: match.start()] + ", " + after
    return text, changes


# --- email addresses -------------------------------------------------------------------------

# An address starts where no address character precedes it, so each run is scanned once.
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# The words that introduce it ("client email is", "send it to", "("), ending where it starts.
_EMAIL_INTRO_RE = re.compile(
    r"(?:(?:(?:set|change|update|add)\s+)?(?:the\s+)?(?:(?:client|customer|buyer|billing|their"
    r"|bill[\s-]to|my|our|seller|sender|vendor)(?:'s)?\s+)?e-?mail(?:\s+address)?"
    r"(?:\s+(?:is|to|as))?\s*[:=]?\s*|(?:send\s+(?:it\s+|this\s+)?to|at|email\s+it\s+to|from)\s*:?\s+)?"
    r"[(<\[]?$",
    re.I,
)
# Whose address it is: the nearest word before it that names a party decides.
_PARTY_HINT_RE = re.compile(
    r"\b(?P<seller>my|our|i'?m|i\s+am|we'?re|we\s+are|from|seller'?s?|sender'?s?|vendor'?s?)\b"
    r"|\b(?:client'?s?|customer'?s?|buyer'?s?|their|send\s+(?:it\s+|this\s+)?to|bill[\s-]to"
    r"|attn|invoice|bill|charge)\b",
    re.I,
)


def take_emails(text: str) -> tuple[str, list[Change]]:
    """Take out email addresses: the client's, or the seller's after "my email is"/"from"."""
    changes: list[Change] = []
    pieces = []
    position = 0
    for match in _EMAIL_RE.finditer(text):
        window = max(position, match.start() - 40)
        hints = list(_PARTY_HINT_RE.finditer(text, window, match.start()))
        role = "seller" if hints and hints[-1]["seller"] else "buyer"
        intro = _EMAIL_INTRO_RE.search(text, window, match.start())
        changes.append(SetPartyDetail(role, "email", match.group().rstrip(".")))
        pieces.append(text[position : intro.start() if intro else match.start()])
        position = match.end() + (
            1 if text[match.end() : match.end() + 1] in {")", ">", "]"} else 0
        )
    pieces.append(text[position:])
    return " ".join(pieces), changes


# --- clauses ---------------------------------------------------------------------------------

_BULLET_RE = re.compile(r"(?m)^[ \t]*(?:[-*•·▪]|\(?\d{1,2}[.)]|\(?[a-h]\))[ \t]+")
_INLINE_NUMBER_RE = re.compile(r"(?<=\s)\(?\d{1,2}\)\s+")
_SEPARATOR_RE = re.compile(
    r"\s*[;\n]+\s*"  # semicolons and new lines
    r"|(?<!\d),\s*|,(?!\d)\s*"  # commas, but not inside "1,200" or "12,50"
    r"|\.(?=\s|$)\s*"  # full stops, but not "19.99" (abbreviations are checked below)
    r"|[?!]+(?=\s|$)\s*"
    r"|\s+(?:and|plus|&|with|also|then|\+|as\s+well\s+as|along\s+with)\s+"
    r"|\s+[-–—]\s+",
    re.I,
)
_ABBREVIATIONS = frozenset({
    "no", "nr", "approx", "ca", "incl", "excl", "st", "ave", "rd", "dr", "mr", "mrs", "ms", "vs",
    "ea", "e.g", "i.e", "fig", "ref", "jr", "sr", "prof", "mt", "ft", "dept", "apt", "ste",
})  # fmt: skip


def _is_sentence_end(text: str, dot: int) -> bool:
    before = re.search(r"([\w.]+)$", text[max(0, dot - 40) : dot])
    after = text[dot + 1 : dot + 40].lstrip()
    if before and before[1].lower() in _ABBREVIATIONS:
        return False
    return not after[:1].islower()


# Where one run of words holds two things: "30h frontend @ 110/h net 15", "8 classes @ 30 due
# 2026-11-30", "8% tax 10h consulting @ 120"; and "12 hours, not 10" is one thing.
_INLINE_BREAKS_RE = re.compile(
    r"(?<=[\w$€£¥%)])(?<!payment)(?<!\band)(?<!\bis)(?<!\bbe)(?<!\bthe)(?<!\bare)(?<!\bit)"
    r"(?<!\bto)(?<!\bthat)(?<!\buse)\s+"
    r"(?=net[\s-]?\d+\b|(?:payment\s+)?due\s+(?:\d{4}-\d\d-\d\d|in\s|within\s"
    r"|on\s+receipt|upon\s|by\s|end\b|immediately))"
    r"|(?<=\d%\s(?:tax|vat|gst|hst))\s+(?=\d)|(?<=\d%\s(?:sales\s)tax)\s+(?=\d)"
    r"|(?<=\d%\s(?:tax|vat|gst|hst)),?\s+(?=\d)",
    re.I,
)


def split_clauses(text: str) -> list[tuple[str, str]]:
    """The clauses of `text`, each with the separator that came before it."""
    text = _INLINE_NUMBER_RE.sub("\n", _BULLET_RE.sub("\n", text))
    text = _INLINE_BREAKS_RE.sub("; ", text)
    text = re.sub(r",\s*(?=not\s)", " ", text, flags=re.I)
    clauses: list[tuple[str, str]] = []
    separator = ""
    start = 0
    for match in _SEPARATOR_RE.finditer(text):
        if match.group().startswith(".") and not _is_sentence_end(text, match.start()):
            continue
        piece = text[start : match.start()].strip()
        if piece:
            clauses.append((piece, separator))
            separator = match.group()
        elif not clauses:
            separator = ""
        else:
            separator = separator if separator.strip() else match.group()
        start = match.end()
    piece = text[start:].strip()
    if piece:
        clauses.append((piece, separator))
    return clauses


_TRAILING_CLIENT_RE = re.compile(
    r"^(?P<item>.*\S)\s+(?P<client>(?:for|to)\s+(?:[A-Z]|\d+[A-Z])[^\d$€£¥₹]*)$"
)


def _client_at_end(clause: tuple[str, str]) -> list[tuple[str, str]]:
    """Split "40 hours of consulting at $150/h for Acme Corp" into the line and the client.

    Only when the part before "for" is a whole line by itself, so "$750 for Menu Design" stays
    one line.
    """
    text, separator = clause
    match = _TRAILING_CLIENT_RE.match(text)
    item = read_clause(match["item"]) if match else None
    if isinstance(item, AddLine) or (isinstance(item, Question) and item.line is not None):
        return [(match["item"], separator), (match["client"], " ")]
    return [clause]


# "with three items:", "the following:", "Items:" on a line of its own, "For:": what a list
# is, not a line of it.
_LIST_HEADER_RE = re.compile(
    r"(?:\b(?:with|for|including|containing)\s+|(?:^|(?<=\n))[ \t]*)(?:the\s+)?(?:following\s+)?"
    rf"(?:(?:\d{{1,2}}|{NUMBER_WORD_NOT_A_ALT})\s+)?(?:items?|things|lines|line\s+items|services"
    r"|products|charges|entries)(?:\s+(?:below|as\s+follows))?[ \t]*(?:[:–—-]+|(?=\n))"
    r"|\b(?:the\s+)?following(?:\s+(?:items?|services|work|charges))?\s*:"
    rf"|\b(?:\d{{1,2}}|{NUMBER_WORD_NOT_A_ALT})\s+(?:items?|things)\s*[:–—-]"
    r"|(?:^|(?<=\n))[ \t]*for\s*:",
    re.I,
)
_CLIENT_FIRST_RE = re.compile(
    r"^(?P<name>[^\d,:;\n@$€£¥₹]{2,40}?)\s*(?:,|\s[-–—]\s|:)\s*(?P<rest>.+)$", re.S
)


_PRONOUN_CLIENT_RE = re.compile(
    rf"\b(?P<verb>{INVOICE_WORD}|bill|charge)\s+(?:them|him|her)\b(?!\s+(?:for|at)\s+\$)", re.I
)
_NAMED_BEFORE_RE = re.compile(
    r"\b(?:for|with|at|from|to)\s+(?P<name>(?-i:[A-Z0-9][\w&'.-]*)(?:\s+(?:&|and|of|(?-i:[A-Z]"
    r"[\w&'.-]*)))*)"
)


def _name_for_pronoun(text: str) -> str:
    """ "We finished the Q3 campaign for Larch & Pine. Please invoice them: …": the client is
    the one named in the sentence before; that sentence is only its context."""
    pronoun = _PRONOUN_CLIENT_RE.search(text)
    if pronoun is None:
        return text
    sentence_start = max(text.rfind(". ", 0, pronoun.start()), text.rfind("\n", 0, pronoun.start()))
    named = list(_NAMED_BEFORE_RE.finditer(text, 0, max(sentence_start, 0)))
    if sentence_start < 0 or not named:
        return text
    name = named[-1]["name"].rstrip(".")
    return f"{pronoun['verb']} {name}{text[pronoun.end() :]}"


def _client_first(text: str) -> Opening | None:
    """ "acme, 2d onsite @ 700/d + parts 310", "mrs patel - piano lessons x6 @ 35": a note
    that starts with the client, when what follows is a whole line without it."""
    match = _CLIENT_FIRST_RE.match(text)
    if match is None or len(match["name"].split()) > 4:
        return None
    if read_clause(match["name"]) is not None:
        return None  # "consulting, 40 hours at $150/h": a description, or an instruction
    first = split_clauses(match["rest"])
    if not first or not isinstance(read_clause(first[0][0]), AddLine):
        return None
    name = party_name(match["name"])
    return Opening(True, match["rest"], name) if name else None


# --- the message -----------------------------------------------------------------------------


@dataclass
class Reading:
    """What a message says: the changes, the questions it raises, the parts not understood."""

    opening: bool
    changes: list[Change] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)


_VERB_RE = re.compile(r"^(?:remove|delete|drop|add|set|change|make|update|rename)\b", re.I)


class _Clauses:
    """The clauses of one message, each read once (reading is pure, so results are kept)."""

    def __init__(self, clauses: list[tuple[str, str]], item_expected: bool, answers: Answers):
        self.clauses = clauses
        self.item_expected = item_expected
        self.answers = answers
        self._read: dict[str, Any] = {}

    def read(self, text: str) -> Any:
        if text not in self._read:
            self._read[text] = read_clause(
                text, item_expected=self.item_expected, answers=self.answers
            )
        return self._read[text]

    def bare_description(self, index: int) -> bool:
        """A clause that is only a description: "consulting", "research" (no number, no price)."""
        text = self.clauses[index][0]
        result = self.read(text)
        missing = isinstance(result, Question) and result.missing_price is not None
        return (result is None or missing) and not re.search(r"\d", text)

    def address_after(self, index: int) -> tuple[int, str | None]:
        """ "client is Acme, 123 Main Street, Springfield, IL 62701": the postal address that
        follows a name (as `parties.take_address` reads one); the last index used."""
        following = self.clauses[index + 1 :]
        if not following or following[0][1].strip() not in {",", ""}:
            return index, None
        text = "".join(f"{separator}{clause}" for clause, separator in following)
        address, rest = take_address(text)
        if address is None:
            return index, None
        used = len(following) - len(split_clauses(rest)) if rest.strip(" ,") else len(following)
        return index + used, address

    def joined(self, first: int, last: int) -> str:
        text = self.clauses[first][0]
        for clause, separator in self.clauses[first + 1 : last + 1]:
            text += f"{separator}{clause}" if separator.strip() else f" {clause}"
        return text

    def join_at(self, index: int) -> tuple[int, str, Any]:
        """The clause at `index`, joined with the following ones when the splitter cut one
        thing in two; returns the last index used, the text and what it says."""
        text, _ = self.clauses[index]
        result = self.read(text)
        count = len(self.clauses)
        # "consulting and travel $200", "design, development and testing at $100/h": one line.
        if self.bare_description(index):
            last = index + 1
            while (
                last < count
                and self.clauses[last][1].strip() == ","
                and self.bare_description(last)
            ):
                last += 1
            if last < count and self.clauses[last][1].strip().lower() in {"and", "&", "with", "+"}:
                following = tidy(self.clauses[last][0])
                if isinstance(self.read(following), AddLine) and not STARTS_WITH_QUANTITY_RE.match(
                    following
                ):
                    joined = self.read(self.joined(index, last))
                    if isinstance(joined, AddLine):
                        return last, self.joined(index, last), joined
        if index + 1 >= count:
            return index, text, result
        following_text, separator = self.clauses[index + 1]
        following = self.read(following_text)
        if is_change(following) or following is IGNORED:
            return index, text, result
        # "travel, $200", "consulting, 40 hours at $150/h": a line and its price cut apart.
        # "client is Procter & Gamble": a name cut at its "&".
        is_name = isinstance(result, SetParty)
        if is_name and not _continues_name(following_text, separator):
            return index, text, result
        if is_name:
            joined_text = self.joined(index, index + 1)
            joined = self.read(joined_text)
            return (index + 1, joined_text, joined) if is_change(joined) else (index, text, result)
        following_count = quantity_value(following_text)
        if is_change(result) and following is None and following_count and following_count[1]:
            joined_text = self.joined(index, index + 1)  # "servicing $85/h, 4 hours"
            joined = self.read(joined_text)
            if is_change(joined):
                return index + 1, joined_text, joined
        if is_change(result):
            return index, text, result
        # "consulting - 40 hours - $150/h": up to three pieces that only together are a line.
        pending = None
        for last in range(index + 1, min(index + 3, count)):
            if last > index + 1 and is_change(self.read(self.clauses[last][0])):
                break
            joined_text = self.joined(index, last)
            joined = self.read(joined_text)
            if is_change(joined):
                return last, joined_text, joined
            # "servicing, 4 hours": one line, its price still to come
            if pending is None and isinstance(joined, Question) and joined.missing_price:
                pending = (last, joined_text, joined) if following is None else None
        return pending or (index, text, result)


def _continues_name(text: str, separator: str) -> bool:
    """ "Procter" & "Gamble", "Acme", "Inc": the rest of a name the splitter cut."""
    words = text.split()
    if separator.strip() == ",":
        return text.lower().strip(".") in COMPANY_SUFFIXES
    return 0 < len(words) <= 3 and (words[0][:1].isupper() or words[0][:1].isdigit())


# Words that count the times or people a service was for ("3 site visits", "80 guests"): after
# the service named on its own ("the kitchen remodel consultation, 3 site visits at 180 each")
# they are how it was billed, not another line.
_OCCASIONS_RE = re.compile(
    r"^(?:\w+\s+)?(?:visits?|sessions?|guests?|people|persons?|attendees|participants|trips?"
    r"|calls?|meetings?|appointments?|classes|lessons?|covers|heads|pax|students|rooms?)$",
    re.I,
)
# "It was $12,400 all in": the price of the one line still without one
_SAID_PRICE_RE = re.compile(
    r"^(?:it|that|this|the\s+(?:price|cost|fee|total))\s*(?:'s|\s+was|\s+is|\s+comes\s+to"
    r"|\s+came\s+to|\s+costs?|\s+would\s+be)\s+(?P<amount>.+)$",
    re.I,
)
# "double-sided actually, make it $0.30 each": why, next to the change
_AS_IT_TURNS_OUT_RE = re.compile(r"^[^\d$€£¥₹]{1,40}\s+actually$", re.I)
# "we removed a stump": what was done, said before the change it explains
_CONTEXT_CLAUSE_RE = re.compile(
    r"^(?:we|i)(?:'ve|\s+have)?\s+(?:also\s+|just\s+|then\s+|finally\s+)?"
    r"(?:[a-z]+ed|did|went|had|made|took|ran|built|wrote|drove|met|spent|finished|gave|got|put)\b",
    re.I,
)
_FOR_THAT_RE = re.compile(
    r"^(?P<subject>(?:we|i)\s+(?:also\s+|just\s+)?)(?P<what>[^,.;\n]+?)[,.;]\s*"
    r"(?P<rest>[^\n]*?\bfor\s+)(?:that|this|it)\b",
    re.I,
)


def read_message(
    message: str,
    today: date,
    answers: Answers | None = None,
    current: InvoiceDraft | None = None,
) -> Reading:
    """What `message` says; `current` is the invoice it may be about (None: a new one)."""
    editing = current is not None and bool(current.items or current.buyer)
    text = normalise(message, today)
    text, vat_changes = take_vat_categories(text)
    text, paid_changes, paid_questions = take_prepaid(text, current)
    if paid_questions:
        return Reading(False, questions=paid_questions)
    text, einvoice_changes, einvoice_questions = take_einvoice_fields(text, today)
    if einvoice_questions:
        return Reading(False, questions=einvoice_questions)
    odd = odd_numbers(text)
    if odd:
        return Reading(False, questions=[odd])
    text = SIGNATURE_RE.sub("", text).rstrip()
    text, block_changes, block_questions = take_blocks(text)
    details = take_details(text)
    text, tail_changes = take_tails(details.text)
    text = strip_pleasantries(text)
    text, email_changes = take_emails(text)
    text, from_to = take_from_to(text.strip())
    text = _LIST_HEADER_RE.sub(":\n", text)
    text = _name_for_pronoun(text)
    # "we also hauled the wood away, add $300 for that": what "that" is
    text = _FOR_THAT_RE.sub(lambda m: f"{m['rest']}{m['what']}", text.strip(), count=1)
    text = re.sub(r"\b(we|i)\s+also\b", r"\1", text, flags=re.I)  # "also" splits clauses
    opening = take_opening(text.strip())
    if not opening.found and not from_to and not block_changes and not editing:
        opening = _client_first(text.strip()) or opening
    reading = Reading(opening.found or bool(from_to))
    reading.questions += block_questions + details.questions
    if opening.client:
        reading.changes.append(SetParty("buyer", opening.client))
    reading.changes += opening.changes + from_to + block_changes

    opening.rest = _drop_headings(opening.rest)
    split = SPLIT_START_RE.match(tidy(opening.rest))
    sentence_end = re.search(r"(?:[.!?](?=\s)|\n)", opening.rest)
    if split:  # "split that into 20 hours of development and 10 hours of testing": one change
        end = sentence_end.start() if sentence_end else len(opening.rest)
        clause_list = [(opening.rest[:end], ""), *split_clauses(opening.rest[end:])]
    else:
        clause_list = split_clauses(opening.rest)
    if len(clause_list) > MAX_CLAUSES:
        reading.questions.append(
            Question(
                "That is a lot for one message — please send the invoice in a few smaller messages."
            )
        )
        return reading
    clause_list = [piece for clause in clause_list for piece in _client_at_end(clause)]
    clauses = _Clauses(clause_list, opening.found, answers or {})
    _split_run_on_name(opening, clauses, reading)

    index = 0
    verb = None  # the last verb, for "remove the discount and the notes"
    last_rate_word = None  # "tax" or "discount", for "… and 5% on the fitting"
    while index < len(clauses.clauses):
        index, clause, result = clauses.join_at(index)
        if result is None and verb:
            with_verb = clauses.read(f"{verb} {tidy(clause)}")
            result = with_verb if is_change(with_verb) else None
        if isinstance(result, SetParty):
            index, address = clauses.address_after(index)
            if address:
                result = [result, SetPartyDetail(result.role, "address", address)]
        if editing and current is not None:
            result = _about_current(result, clause, current)
        if not is_change(result) and "%" in clause and last_rate_word:
            # "10% VAT on the curtains and 5% on the fitting": the 5% is VAT too
            lent = clauses.read(re.sub(r"%", f"% {last_rate_word}", tidy(clause), count=1))
            result = lent if is_change(lent) else result
        result = _same_line_as_before(result, reading.changes)
        occasion = _occasions(clauses, index, result)
        if occasion is not None:
            index, result = occasion
        said = _SAID_PRICE_RE.match(tidy(clause)) if answers and result is None else None
        if said and answer_price(said["amount"]) in answers.values():
            result = IGNORED  # the price already read into the line it was for
        if is_change(result):
            reading.changes += changes_of(result)
        elif isinstance(result, Question):
            reading.questions.append(result)
        elif result is None:
            reading.not_understood.append(tidy(clause))
        for change in changes_of(result) if is_change(result) else []:
            if isinstance(change, SetTax | SetLineDiscount | SetDiscount):
                last_rate_word = "tax" if isinstance(change, SetTax) else "discount"
        leading_verb = _VERB_RE.match(tidy(clause))
        verb = leading_verb[0] if leading_verb else verb
        index += 1
    reading.changes = _taxes_after_their_lines(reading.changes)
    reading.changes += email_changes + details.changes + tail_changes + vat_changes + paid_changes
    reading.changes += einvoice_changes
    _drop_settled_questions(reading)
    pending = [q for q in reading.questions if q.missing_price]
    if len(pending) == 1 and not answers:  # "… for the shop fit-out? It was $12,400 all in."
        for text in reading.not_understood:
            said = _SAID_PRICE_RE.match(text)
            answer = answer_price(said["amount"]) if said else None
            if answer is not None and pending[0].missing_price:
                return read_message(message, today, {pending[0].missing_price: answer}, current)
    if reading.changes:  # "we removed a stump, add $250 for stump removal": the why
        reading.not_understood = [
            text
            for text in reading.not_understood
            if not (_CONTEXT_CLAUSE_RE.match(text) or _AS_IT_TURNS_OUT_RE.search(text))
        ]
    if reading.opening:  # "Invoice Hooli for $2,400": a new invoice bills it as "Services"
        for question in [q for q in reading.questions if q.line is not None]:
            reading.questions.remove(question)
            reading.changes.append(question.line)
    return reading


def _taxes_after_their_lines(changes: list[Change]) -> list[Change]:
    """ "design 20 h at €85 + 21% VAT and printing 500 pcs at €0.45 + 9% VAT": when two or more
    taxes each come straight after a line, each is that line's tax, not every line's. One tax
    after the last line ("…, plus 6% sales tax") stays the invoice's."""
    pairs = [
        i
        for i in range(1, len(changes))
        if isinstance(changes[i], SetTax)
        and changes[i].ref is None
        and isinstance(changes[i - 1], AddLine)
        and changes[i - 1].tax_rate is None
    ]
    if len(pairs) < 2:
        return changes
    taxed = list(changes)
    for i in pairs:
        taxed[i - 1] = replace(taxed[i - 1], tax_rate=changes[i].rate)
    return [change for i, change in enumerate(taxed) if i not in pairs]


_HEADING_RE = re.compile(r"(?m)^[ \t]*(?P<heading>[^\d\n:$€£¥₹]{2,60}):[ \t]*\n(?P<next>[^\n]+)")


def _drop_headings(text: str) -> str:
    """ "Did their new website:" over a list whose lines say what they are: a heading, not a
    line (while "Consulting:" over "40 hours at $150/h" names the line under it)."""

    def heading(match: re.Match[str]) -> str:
        following = read_clause(_BULLET_RE.sub("", match["next"]).split(",")[0])
        return match["next"] if isinstance(following, AddLine) else match.group()

    return _HEADING_RE.sub(heading, text)


_PRONOUN_REFS = frozenset({"it", "that", "this", "them", "that line", "this line", "that one"})


def _same_line_as_before(result: Any, before: list[Change]) -> Any:
    """ "localisation is zero-rated, remove the VAT from it": "it" is the line just named."""
    if not is_change(result) or isinstance(result, list):
        return result
    ref = getattr(result, "ref", None)
    if not isinstance(ref, LineRef) or ref.text.strip().lower() not in _PRONOUN_REFS:
        return result
    named = [getattr(c, "ref", None) for c in before]
    named = [
        r
        for r in named
        if isinstance(r, LineRef) and r.text.strip().lower() not in _PRONOUN_REFS and r.text.strip()
    ]
    if named:
        return replace(result, ref=named[-1])
    return replace(result, ref=None) if isinstance(result, SetTax) else result  # "no tax on it"


def _drop_settled_questions(reading: Reading) -> None:
    """ "there were 4 guitars, so make it 4": the count is said; "make it 4" asks nothing."""
    counts = {
        change.quantity
        for change in reading.changes
        if isinstance(change, ChangeLine | CorrectValue | AddToQuantity) and change.quantity
    }
    if not counts:
        return
    reading.questions = [q for q in reading.questions if q.about is None or q.about not in counts]
    reading.not_understood = [t for t in reading.not_understood if not re.fullmatch(r"\d+", t)]


_ADDS_RE = re.compile(r"^\W*(?:add|plus|also|include|insert|append|another|new|\+)\b", re.I)


def _about_current(result: Any, clause: str, current: InvoiceDraft) -> Any:
    """In an edit, "layout $60" is the price of the Layout line already there (not a second
    Layout line), and "5.5 hours" alone is a new count for the line counted in hours."""
    text = tidy(clause)
    if isinstance(result, AddLine) and not _ADDS_RE.match(text):
        same = [
            i for i in current.items if answer_key(i.description) == answer_key(result.description)
        ]
        if len(same) == 1:
            price = find_price(text)
            rest = f"{text[: price.start]} {text[price.end :]}" if price else text
            quantity = result.quantity if re.search(r"\d", rest) else None
            return ChangeLine(LineRef(result.description), quantity=quantity, price=result.price)
    if result is None or isinstance(result, Question):
        count = quantity_value(text)
        if count and count[1]:
            return ChangeLine(LineRef("", count[1]), quantity=count[0], unit=count[1])
    return result


def _occasions(clauses: _Clauses, index: int, result: Any) -> tuple[int, Any] | None:
    """ "the kitchen remodel consultation, 3 site visits at 180 each": one line, the service
    billed by visit."""
    if index + 1 >= len(clauses.clauses) or index > 0:
        return None
    text = clauses.clauses[index][0]
    following_text, separator = clauses.clauses[index + 1]
    if not clauses.bare_description(index) or separator.strip() != ",":
        return None
    following = clauses.read(following_text)
    if not isinstance(following, AddLine):
        return None
    service = clean_description(text)
    counted = following.description.lower()
    if _CONTEXT_CLAUSE_RE.match(text):
        return None
    if counted in _COUNTING_NOUNS or (" " not in counted and _stems(counted) & _stems(service)):
        description = service  # "rug repair, 2 rugs at $120"
    elif _OCCASIONS_RE.match(counted):
        description = f"{service} – {counted}"
    else:
        return None
    return index + 1, replace(following, description=description)


_COUNTING_NOUNS = frozenset({"copies", "pieces", "items", "units", "pcs", "lots", "sets"})


def _stems(text: str) -> set[str]:
    return {
        word[:-1] if word.endswith("s") else word
        for word in re.findall(r"[^\W\d_]{3,}", text.lower())
    }


def _split_run_on_name(opening: Opening, clauses: _Clauses, reading: Reading) -> None:
    """ "invoice acme corp logo design $800": the name took the line's description; give it
    back when the first clause is a price that says what for."""
    if not opening.client or opening.delimited or not clauses.clauses:
        return
    first, separator = clauses.clauses[0]
    result = clauses.read(first)
    if not (isinstance(result, Question) and result.needs_description):
        return
    split = split_name(opening.name_words)
    name = party_name(split[0]) if split else None
    if split is None or name is None:
        return
    line = f"{split[1]} {first}"
    if isinstance(clauses.read(line), AddLine):
        clauses.clauses[0] = (line, separator)
        reading.changes[0] = SetParty("buyer", name)
