"""Who the invoice is for and from: party names as people write them, and the opening of a
request ("Invoice Acme Corp for …", "bill acme corp 10 hrs …", "Charge 3M …") that names the
client (and the seller, and the currency) before the lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.providers.offline.amounts import currency_of, find_price
from core.providers.offline.changes import Change, SetCurrency, SetParty, SetPartyDetail
from core.providers.offline.vocabulary import (
    CODE_ALT,
    COMPANY_SUFFIXES,
    CURRENCY_CODES,
    ITEM_NOUNS,
    NAME_ALT,
    UNIT_BY_WORD,
)

# --- names -----------------------------------------------------------------------------------

_NAME_CASE = {
    "llc": "LLC", "inc": "Inc", "ltd": "Ltd", "gmbh": "GmbH", "plc": "PLC", "llp": "LLP",
    "ag": "AG", "sa": "SA", "bv": "BV", "nv": "NV", "co": "Co", "corp": "Corp", "and": "and",
    "of": "of", "the": "the", "&": "&", "ab": "AB", "oy": "Oy", "kg": "KG", "sarl": "SARL",
}  # fmt: skip


def _tidy_name_case(name: str) -> str:
    """An all-lower-case name in title case ("acme corp" -> "Acme Corp"); others as typed."""
    if name != name.lower():
        return name
    words = name.split()
    shown = []
    for index, word in enumerate(words):
        bare = word.rstrip(".,")
        cased = _NAME_CASE.get(bare)
        if cased is None or (index == 0 and bare in {"and", "of", "the"}):
            cased = bare[:1].upper() + bare[1:]
        shown.append(cased + word[len(bare) :])
    return " ".join(shown)


_DIGIT_NAME_RE = re.compile(r"^\d+(?:[A-Z][\w&'-]*|-[A-Za-z][\w&'-]*|[a-z]*[A-Z][\w&'-]*)$")


def is_digit_name(word: str) -> bool:
    """ "3M", "7-Eleven", "23andMe": a name that starts with digits (but not "10h" or "2k")."""
    return bool(_DIGIT_NAME_RE.match(word))


def party_name(text: str) -> str | None:
    """A cleaned-up party name, or None when `text` cannot be one (a number, an amount)."""
    name = text.strip(" \t\"'“”‘’,;:")
    name = re.sub(r"^the\s+", "", name, flags=re.I) if name.lower().startswith("the ") else name
    if not name or not re.search(r"[^\W\d_]", name) or len(name) > 200:
        return None
    first = name.split()[0]
    if name[0].isdigit() and not is_digit_name(first):
        return None
    if find_price(name) and re.search(r"\d", name) and not is_digit_name(first):
        return None
    if name.split()[0].lower() in _PRONOUNS or re.search(r"\bby\s+e-?mail\b", name, re.I):
        return None
    return _tidy_name_case(name)


# --- postal addresses ------------------------------------------------------------------------

_STREET_TYPE = (
    r"(?:street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|way|court|ct|place|pl"
    r"|square|sq|terrace|parkway|pkwy|highway|hwy|close|crescent|cres|row|walk|mews|quay|grove"
    r"|gardens|circle|cir|trail|pike)"
)
_STREET_FIRST = (
    r"(?:rue|via|viale|corso|piazza|calle|avenida|avda|av|rua|praça|paseo|plaza|carrer|chemin"
    r"|allée|place|boulevard|am|an\s+der|auf\s+der|im|in\s+der|ul\.?|ulica|aleja|al\.)"
)
_STREET_SUFFIX = (
    r"(?:str\.|straße|strasse|weg|gasse|allee|platz|gracht|laan|plein|straat|kade|singel|dijk"
    r"|vägen|gatan|veien|gata|vej|gade|tie|katu|ring|damm|ufer|markt|steig|wall)"
)
_HOUSE = r"\d+[a-zA-Z]?(?:[-/]\d+[a-zA-Z]?)?"
_STREET_RES = (
    # "221B Baker St.", "88 Ocean Dr.", "1 Main Street, Suite 4"
    re.compile(
        rf"^{_HOUSE}\s+(?:[\w.'-]+\s+){{0,4}}{_STREET_TYPE}\b\.?"
        r"(?:\s+(?:suite|ste|unit|apt|floor|fl|#)\.?\s*\w+)?",
        re.I,
    ),
    re.compile(
        rf"^{_HOUSE},?\s+{_STREET_FIRST}\s+(?:[\w.'-]+\s*){{1,5}}", re.I
    ),  # 14 Rue de la Paix
    re.compile(rf"^(?:[\w.'-]+\s+){{0,3}}\S*{_STREET_SUFFIX}\.?\s+{_HOUSE}\b", re.I),
    re.compile(rf"^{_STREET_FIRST}\s+(?:[\w.'-]+\s+){{0,5}}{_HOUSE}\b", re.I),  # Via Roma 12
)
_CITY_WORD = r"[A-ZÀ-Þ][\w'.-]+"
_CITY = rf"{_CITY_WORD}(?:[ -](?:{_CITY_WORD}|am|an|de|la|le|sur|upon|on))*"
_PLACE_RES = (
    re.compile(rf"^(?:[A-Z]{{1,2}}-)?\d{{4,5}}\s+{_CITY}"),  # 10115 Berlin, D-10115 Berlin
    re.compile(rf"^\d{{4}}\s?[A-Z]{{2}}\s+{_CITY}"),  # 1015 CJ Amsterdam
    re.compile(rf"^\d{{3}}\s\d{{2}}\s+{_CITY}"),  # 111 34 Stockholm
    re.compile(rf"^\d{{4}}-\d{{3}}\s+{_CITY}"),  # 1250-146 Lisboa
    re.compile(rf"^{_CITY}\s+[A-Z]{{1,2}}\d[A-Z\d]?\s?\d[A-Z]{{2}}\b"),  # London E14 5AB
    re.compile(r"^[A-Z]{2}\s+\d{5}(?:-\d{4})?\b"),  # IL 62701
)
_CITY_ONLY_RE = re.compile(rf"^{_CITY}$")
_COUNTRY_RE = re.compile(
    r"^(?:germany|deutschland|france|the\s+netherlands|netherlands|nederland|belgium|spain"
    r"|españa|portugal|italy|italia|sweden|sverige|norway|norge|denmark|danmark|finland|suomi"
    r"|austria|österreich|switzerland|schweiz|suisse|ireland|poland|polska|uk|united\s+kingdom"
    r"|england|scotland|wales|usa|us|united\s+states|canada|australia|new\s+zealand|japan"
    r"|india|brazil|mexico)$",
    re.I,
)


def postal_piece(piece: str, after_street: bool) -> tuple[str, str, bool] | None:
    """The address part at the start of `piece`, what follows it, and whether it is a place
    (postcode and city); None when `piece` does not start with one."""
    stripped = piece.strip()
    for regexes, place in ((_STREET_RES, False), (_PLACE_RES, True)):
        for regex in regexes:
            match = regex.match(stripped)
            if match:
                return match.group().strip(), stripped[match.end() :], place
    if after_street and (_CITY_ONLY_RE.match(stripped) or _COUNTRY_RE.match(stripped)):
        return stripped, "", True
    return None


def take_address(text: str, *, block: bool = False) -> tuple[str | None, str]:
    """The postal address at the start of `text`, its parts separated by commas or lines,
    and the rest: ", Hauptstr. 5, 10115 Berlin, for design" -> ("Hauptstr. 5, 10115 Berlin",
    ", for design"). In a sentence it takes a street and a place ("10115 Berlin", "London
    E14 5AB", "Springfield, IL 62701"), so "2 days at the Dr. Who studio" stays a line; in a
    block of lines under "Invoice to:", any address line."""
    parts: list[str] = []
    places = 0
    rest = text
    while True:
        lead = re.match(r"\s*(?:[,\n]\s*)?", rest)
        assert lead is not None
        candidate = rest[lead.end() :]
        piece_end = re.search(r"[,\n]", candidate)
        piece = candidate[: piece_end.start()] if piece_end else candidate
        found = postal_piece(piece, after_street=bool(parts))
        if found is None:
            break
        part, remainder, place = found
        parts.append(part)
        places += place
        if remainder.strip():  # "40212 Düsseldorf for IT training": the rest is the request
            rest = remainder + candidate[len(piece) :]
            break
        rest = candidate[len(piece) :]
    if not parts or not (block or (places and len(parts) > 1)):
        return None, text
    return ", ".join(parts), rest


_PRONOUNS = frozenset({
    "it", "them", "that", "this", "me", "us", "you", "him", "her", "someone", "everyone",
    "they", "we", "i", "my", "our", "their", "his", "its",
})  # fmt: skip

# --- the opening: "Invoice Acme Corp for …" --------------------------------------------------

# "invoice", and how it gets mistyped or cut short
INVOICE_WORD = r"(?:invoice|invoce|invocie|invoic3|invioce|invoise|invoic|inv)"
_OPENING_RE = re.compile(
    r"^(?:(?:hi|hey|hello|ok|okay|so|please|pls|plz|kindly|just|now|also|quick\s+one"
    r"|(?:can|could|would|will)\s+(?:you|u)|(?:i|we)\s+(?:need|want|have|would\s+like|'?d\s+like)"
    r"\s+to|need\s+to|want\s+to|let'?s|help\s+me|go\s+ahead\s+and)\b[\s,—–-]*)*"
    r"(?:(?:create|make|draft|prepare|generate|write(?:\s+up)?|start|raise|issue|send|do|get"
    r"|set\s+up|draw\s+up|put\s+together|knock\s+up|whip\s+up|make\s+out|new)"
    rf"\s+(?:me\s+|us\s+)?(?:(?:a|an|the)\s+)?(?:new\s+|quick\s+)?{INVOICE_WORD}(?:\s+out)?"
    rf"|(?:(?:i|we)\s+)?(?:need|want|'?d\s+like|would\s+like)\s+(?:a|an|to\s+send\s+an?)\s+"
    rf"(?:new\s+)?{INVOICE_WORD}"
    rf"|new\s+{INVOICE_WORD}|{INVOICE_WORD}|bill|bil|charge"
    r"|(?:got\s+)?(?:a\s+)?new\s+(?:one|client|customer|job)(?:\s+for\s+you)?(?=\s*[-–—:]))(?![\w@])"
    r"(?:\s+(?:request|please|pls|plz)\b)?"
    r"(?!\s+(?:them|him|her|it|us|me|date|number|no|total|currency|notes?|terms|#)\b)"
    r"(?:\s+(?:for|to)(?!\w))?[\s:,—–-]*(?:(?:client|customer)\b\s*(?:is\b|:|=)?\s*)?",
    re.I,
)
# Titles and abbreviations with a full stop inside a name: "Dr. Amelia Grant", "St. Mary's".
_NAME_ABBREVIATIONS = frozenset({
    "dr", "mr", "mrs", "ms", "mx", "prof", "st", "ste", "mt", "ft", "jr", "sr", "bros", "b.v",
    "n.v", "s.a", "s.l", "s.r.l", "a.g", "e.v", "e.k", "p.c", "l.p", "u.s", "u.k",
})  # fmt: skip
_NAME_STOPS = frozenset({
    "for", "with", "at", "@", "due", "net", "plus", "including", "incl", "on", "by", "x", "×",
    "-", "–", "—", "per", "a", "an", "one", "two", "three", "four", "five", "six", "seven",
    "eight", "nine", "ten", "from", "in", "this", "all", "the", "some", "pls", "please", "thx",
    "thanks",
})  # fmt: skip
_NOT_AFTER_THE = frozenset({
    "client", "customer", "buyer", "following", "same", "usual", "work", "job", "project",
})  # fmt: skip
_NAME_CONNECTORS = frozenset({
    "and", "&", "of", "the", "de", "du", "la", "von", "van", "der", "y", "und", "+",
})  # fmt: skip
_CURRENCY_AFTER_NAME_RE = re.compile(
    rf"^\s*in\s+(?P<currency>{CODE_ALT}|{NAME_ALT})\b[\s,:]*(?:for\b\s*)?", re.I
)


@dataclass
class Opening:
    """What "Invoice Acme Corp for …" said: the client (and seller), and the rest."""

    found: bool
    rest: str
    client: str | None = None
    name_words: list[str] = field(default_factory=list)
    delimited: bool = True  # the name ended at "for", a comma, …: no line ran into it
    changes: list[Change] = field(default_factory=list)


def _name_words(rest: str) -> tuple[list[tuple[str, int]], bool]:
    """The words of a name at the start of `rest`, each with where it ends, and whether the
    name ended at punctuation or a stop word (rather than at a number or the text's end).

    The name runs until a word that starts the invoice's content: "for", "with", a number, an
    amount or a punctuation mark. When it starts with a capital, it also ends at the first
    lower-case word that is not a connector ("Bank of America", "Acme Corp logo design $800").
    """
    words: list[tuple[str, int]] = []
    capitalised: bool | None = None
    tokens = list(re.finditer(r"\S+", rest))
    for index, match in enumerate(tokens):
        word = match.group()
        if words and "\n" in rest[words[-1][1] : match.start()]:
            return words, True  # a name ends with its line
        bare = word.rstrip(",:;.!?")
        low = bare.lower()
        following = tokens[index + 1].group() if index + 1 < len(tokens) else ""
        next_word = following.lower().rstrip(",:;.")
        leading_the = not words and low == "the" and following[:1].isalpha()
        if leading_the and next_word not in _NOT_AFTER_THE:
            continue  # "Invoice the Nguyens", "invoice the daily planet"
        digits_inside = capitalised and bare.isdigit() and following[:1].isupper() and word == bare
        if digits_inside and next_word not in UNIT_BY_WORD:
            words.append((bare, match.start() + len(bare)))  # "Studio 54 Photo"
            continue
        is_code = bare.isupper() and bare in CURRENCY_CODES
        starts_name = bare[:1].isalpha() or bare[:1] == "&" or (not words and is_digit_name(bare))
        if not bare or low in _NAME_STOPS or is_code or not starts_name:
            stopped_by_word = bool(bare) and (low in _NAME_STOPS or bare[:1] in "-–—")
            return words, stopped_by_word and not is_code
        if capitalised is None:
            capitalised = bare[0].isupper() or bare[0].isdigit()
        elif capitalised and bare[0].islower() and low not in _NAME_CONNECTORS | COMPANY_SUFFIXES:
            return words, True
        if word[len(bare) :] == "." and low in _NAME_ABBREVIATIONS and not low.endswith("."):
            words.append((word, match.end()))  # "Dr. Amelia Grant", "Bakker B.V."
            if low in COMPANY_SUFFIXES or "." in low:
                return words, True
            continue
        if word[len(bare) :] == "." and low in COMPANY_SUFFIXES:
            words.append((word, match.end()))  # "Acme Corp." keeps its full stop
            return words, True
        words.append((bare, match.start() + len(bare)))
        if bare != word:
            return words, True
    return words, False


_SENTENCE_START_RE = re.compile(r"(?:[.!?][ \t]+|\n)(?=[ \t]*\S)")


def _opening_first(text: str) -> str:
    """ "Hi, I'm Jane. Invoice Acme for …": the sentence that opens the invoice goes first."""
    if _OPENING_RE.match(text):
        return text
    for start in _SENTENCE_START_RE.finditer(text):
        if _OPENING_RE.match(text[start.end() :]):
            return f"{text[start.end() :]}\n{text[: start.start() + 1]}"
    return text


def take_opening(text: str) -> Opening:
    """Read "Invoice Acme Corp for …", "bill acme corp 10 hrs …", "Invoice 3M from Pixel
    Studio in EUR for …" (at the start of the message or of one of its sentences)."""
    text = _opening_first(text)
    opening = _OPENING_RE.match(text)
    if not opening:
        return Opening(False, text)
    rest = text[opening.end() :]
    words, delimited = _name_words(rest)
    while words and words[-1][0].lower() in _NAME_CONNECTORS:
        words.pop()
    client = party_name(" ".join(word for word, _ in words)) if words else None
    if client is None:
        return Opening(True, rest)
    result = Opening(True, rest[words[-1][1] :], client, [w for w, _ in words], delimited)
    # "…, Hauptstr. 5, 10115 Berlin", "… from Pixel Studio", "… in EUR": more about the
    # invoice before its lines.
    address, after_address = take_address(result.rest)
    if address:
        result.changes.append(SetPartyDetail("buyer", "address", address))
        result.rest = after_address
    while True:
        after = result.rest
        seller = re.match(r"^\s*from\s+", after, re.I)
        currency = _CURRENCY_AFTER_NAME_RE.match(after)
        if seller:
            seller_words, _ = _name_words(after[seller.end() :])
            name = party_name(" ".join(w for w, _ in seller_words)) if seller_words else None
            if name is None:
                break
            result.changes.append(SetParty("seller", name))
            result.rest = after[seller.end() + seller_words[-1][1] :]
        elif currency:
            code = currency_of(currency["currency"])
            if code:
                result.changes.append(SetCurrency(code))
            result.rest = after[currency.end() :]
        else:
            break
    result.rest = re.sub(r"^(?:\s*(?:for\b|with\b|[:,.–—-]))*\s*", "", result.rest, flags=re.I)
    return result


def split_name(words: list[str]) -> tuple[str, str] | None:
    """Where a client's name ends and a line's description starts, for names that ran into
    the line ("acme corp logo design" -> "acme corp" + "logo design"). None: cannot tell.

    After a company suffix ("corp", "industries"); else one word before the first usual item
    noun ("logo design", "web design"), keeping at least one word of name; else after the
    first word.
    """
    if len(words) < 2:
        return None
    low = [w.lower().strip(".,") for w in words]
    for index, word in enumerate(low[:-1]):
        if word in COMPANY_SUFFIXES:
            return " ".join(words[: index + 1]), " ".join(words[index + 1 :])
    nouns = [index for index, word in enumerate(low) if word in ITEM_NOUNS and index >= 1]
    if nouns:
        start = nouns[0] - 1 if nouns[0] >= 2 else nouns[0]
        return " ".join(words[:start]), " ".join(words[start:])
    return words[0], " ".join(words[1:])
