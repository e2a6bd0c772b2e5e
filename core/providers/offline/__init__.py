"""The offline provider: a deterministic engine that turns plain-English invoice requests and
edits into invoice drafts, with no network and no model.

    message ─▶ message.read_message ─▶ Reading(changes, questions, not understood)
                 │ normalise             dates, fractions, digit groups
                 │ entities              odd and negative amounts, blocks, details, greetings
                 │ parties.take_opening  "Invoice Acme Corp for …" -> the client
                 │ clauses               split at commas, "and", …, each read by clauses.py
                 ▼
    provider.OfflineProvider ─▶ changes.apply_changes ─▶ InvoiceDraft ─▶ price_invoice (check)

It never guesses an amount: a line without a price, an unreadable or negative amount, an
unclear line reference or a clash of currencies gets a question back and leaves the invoice
unchanged, and a message it does not fully understand gets a reply saying what it understood
and what it can do. Amounts are Decimal from the text to the JSON; the one piece of
arithmetic is the core's `price_invoice`, which validates the new draft and supplies the total
quoted in the reply. docs/offline-engine.md lists what it understands and how well.
"""

from core.providers.offline.provider import HELP, OfflineProvider

__all__ = ["HELP", "OfflineProvider"]
