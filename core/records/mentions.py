"""Which stored clients a chat message may name: "invoice acme for 3 h at 90" names Acme Corp.

A client is mentioned when, ignoring case and spaces (core/records/clients.py):

- **exact**: a run of up to `MAX_NAME_WORDS` words of the message is its company or name, or
  a word is its VAT ID or e-mail address ("ACME corp", "acmecorp", "DE123456789");
- **prefix**: a run of words is the first whole words of its company or name ("acme" for
  "Acme Corp", "acme corp" for "Acme Corp Ltd"), never part of a word ("ac" is not "Acme"),
  and never a common word of invoice requests ("design" is not "Design Hub Ltd": such a
  client is found by its whole name).

These are candidates: the offline engine keeps one only when it is where the message names
the client, and asks when a prefix fits several; Bedrock gets them as data in its context.
One query per message, whatever the number of clients, built once per database dialect: the
message's runs of words (a hundred or more) and the prefixes go to it as two JSON arrays.
Built for each message as `IN` lists and `LIKE`s, the statement cost more than running it
(about 3 ms of a worker's CPU per turn, more than the rest of a turn's records work).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from sqlalchemy import JSON, Select, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from core.records import clients as client_rules
from core.records.models import Client

MAX_NAME_WORDS = 6
MAX_WORDS = 200  # of a message, for the exact runs (a long e-mail names its client early)
MAX_PREFIX_WORDS = 40
MAX_CANDIDATES = 5
_WORD_RE = re.compile(r"[^\s,;:!?()\[\]{}<>\"“”‘’]+")
# Words of ordinary requests, never taken as the start of a client's name on their own.
COMMON_WORDS = frozenset(
    """
    a an the and or of for to at in on by with from per as is it its this that these those
    i me my we our us you your they them their he she his her please pls plz thanks thank
    hi hello hey ok okay yes no not also again same last time month week year day days
    hour hours hrs hr minute minutes invoice invoices bill charge make create new send draft
    client customer buyer seller company profile save usual previous before like repeat copy
    one two three four five six seven eight nine ten add remove change set due net tax vat
    gst discount total rate price fee fees line lines item items work job project services
    service consulting design development support hosting travel maintenance training
    website web app dev design logo copywriting editing writing photography repair cleaning
    lessons lesson session sessions visit visits fixed flat each unit units piece pieces
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_COMMON_OR_EMPTY = COMMON_WORDS | {""}


@dataclass(frozen=True)
class Mention:
    """A stored client, how the message wrote it, and how well that fits."""

    client: Client
    mentioned_as: str
    match: str  # "exact" or "prefix"


def _words(text: str) -> list[str]:
    words = []
    for word in _WORD_RE.findall(text[:4000]):
        word = re.sub(r"(?:'s|’s)$", "", word)
        word = word.rstrip(".'’")
        if word:
            words.append(word)
    return words[:MAX_WORDS]


def _name_words(party_name: str) -> list[str]:
    return [k for k in (client_rules.normalise(w) for w in _words(party_name)) if k]


def find_mentions(session: Session, owner: str, text: str) -> list[Mention]:
    """The owner's clients that `text` may name: exact ones first, the longest mention first,
    then the most recently invoiced; at most MAX_CANDIDATES."""
    words = _words(text)
    keys = [client_rules.normalise(word) or "" for word in words]
    runs: dict[str, str] = {}  # key of a run of words -> the words as written
    for start in range(len(words)):
        for end in range(start + 1, min(start + MAX_NAME_WORDS, len(words)) + 1):
            key = "".join(keys[start:end])
            runs.setdefault(key, " ".join(words[start:end]))
            runs.setdefault(key + ".", " ".join(words[start:end]))  # "B.V." keeps its dot
    # where a prefix may start: an uncommon word, or a common one with an uncommon one after
    # it ("design hub" for "Design Hub Ltd")
    firsts = [
        key
        for key in dict.fromkeys(
            keys[i] if keys[i] not in COMMON_WORDS else keys[i] + keys[i + 1]
            for i in range(len(keys))
            if keys[i] not in COMMON_WORDS
            or (i + 1 < len(keys) and keys[i + 1] not in _COMMON_OR_EMPTY)
        )
        if len(key) >= 3 and key[0].isalpha()
    ][:MAX_PREFIX_WORDS]
    if not runs:
        return []
    query = _query(session.get_bind().dialect.name)
    prefixes = [_like_escaped(key) + "%" for key in firsts]
    rows = session.scalars(query, {"owner": owner, "runs": list(runs), "prefixes": prefixes}).all()
    mentions: list[Mention] = []
    for row in rows:
        exact = next(
            (
                runs[getattr(row, column)]
                for column in ("name_key", "person_key", "tax_key", "email_key")
                if getattr(row, column) in runs
            ),
            None,
        )
        if exact is not None:
            mentions.append(Mention(row, exact, "exact"))
            continue
        prefix = _prefix_in(keys, words, row)
        if prefix is not None:
            mentions.append(Mention(row, prefix, "prefix"))
    mentions.sort(
        key=lambda m: (
            m.match != "exact",
            -len(m.mentioned_as),  # "Acme Corp" named, before "Acme" named within it
            -(m.client.last_invoiced_at.timestamp() if m.client.last_invoiced_at else 0),
            m.client.display_name,
        )
    )
    return mentions[:MAX_CANDIDATES]


def _prefix_in(keys: list[str], words: list[str], row: Client) -> str | None:
    """The words of the message that are the first whole words of the client's company or
    name (not all of them: that is an exact match), as written; None when none are."""
    for name in (row.display_name, (row.party or {}).get("name") or ""):
        name_keys = _name_words(name)
        for start, key in enumerate(keys):
            if not name_keys or key != name_keys[0]:
                continue
            length = 1
            while (
                length < len(name_keys) - 1
                and start + length < len(keys)
                and keys[start + length] == name_keys[length]
            ):
                length += 1
            common = all(k in COMMON_WORDS for k in keys[start : start + length])
            if length < len(name_keys) and not common:
                return " ".join(words[start : start + length])
    return None


@cache
def _query(dialect: str) -> Select:
    """The owner's clients with a key among the JSON array `runs`, or a company or person's
    key that starts like one of the `LIKE` patterns of `prefixes` (SQLite or PostgreSQL)."""

    def elements(name: str):
        array = bindparam(name, type_=JSON)
        if dialect == "postgresql":
            return func.json_array_elements_text(array).table_valued("value")
        return func.json_each(array).table_valued("value")

    runs = select(elements("runs").c.value).cte("runs")
    prefix = elements("prefixes").alias("prefix")
    exact = [
        column.in_(select(runs.c.value))
        for column in (Client.name_key, Client.person_key, Client.tax_key, Client.email_key)
    ]
    starts = exists().where(
        or_(
            Client.name_key.like(prefix.c.value, escape="\\"),
            Client.person_key.like(prefix.c.value, escape="\\"),
        )
    )
    return select(Client).where(Client.owner == bindparam("owner"), or_(*exact, starts)).limit(200)


def _like_escaped(text: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", text)
