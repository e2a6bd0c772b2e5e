"""Due dates, terms and issue dates, relative to a fixed today (Tuesday 2026-11-24)
(`dates.py`)."""

from __future__ import annotations

import pytest

from core.schemas import load_draft
from tests.core.offline.support import (
    DETAILED,
    L,
    ask,
    check,
    draft,
    stored,
)

# --- dates, relative to a fixed today (Tuesday 2026-11-24) -----------------------------------

DATES = [
    ("due in 30 days", "2026-12-24", None),
    ("due in two weeks", "2026-12-08", None),
    ("due in a week", "2026-12-01", None),
    ("due in 1 month", "2026-12-24", None),
    ("due next month", "2026-12-24", None),
    ("payable within 14 days", "2026-12-08", None),
    ("net 15", "2026-12-09", "Net 15"),
    ("Net-30", "2026-12-24", "Net 30"),
    ("30 day terms", "2026-12-24", "Net 30"),
    ("due on receipt", "2026-11-24", "Due on receipt"),
    ("due 2026-12-31", "2026-12-31", None),
    ("due December 31", "2026-12-31", None),
    ("due Dec 31st, 2026", "2026-12-31", None),
    ("due 31 December", "2026-12-31", None),
    ("due Jan 15", "2027-01-15", None),  # the nearest Jan 15 is next year's
    ("due 15/01/2027", "2027-01-15", None),
    ("due 12/31", "2026-12-31", None),
    ("due 31.12.2026", "2026-12-31", None),
    ("due tomorrow", "2026-11-25", None),
    ("due Friday", "2026-11-27", None),
    ("due this Friday", "2026-11-27", None),
    ("due next Friday", "2026-12-04", None),  # Friday of next week
    ("due next Tuesday", "2026-12-01", None),
    ("due Monday next week", "2026-11-30", None),
    ("due by the end of the month", "2026-11-30", None),
    ("due end of next month", "2026-12-31", None),
    ("due the 15th", "2026-12-15", None),
    ("payment deadline: Dec 1", "2026-12-01", None),
]


@pytest.mark.parametrize(("phrase", "due_date", "terms"), DATES)
def test_due_dates(phrase, due_date, terms):
    reply = ask(f"Invoice Acme for consulting $500, {phrase}")

    expected = draft(buyer="Acme", lines=[L("Consulting", "1", "500")], due=due_date, terms=terms)
    check(reply, expected, "500.00")


def test_an_issue_date_moves_a_net_terms_due_date():
    invoice = ask("Invoice Acme for consulting $500, net 30").invoice
    assert invoice is not None
    reply = ask("dated 2026-12-01", stored(load_draft(invoice)))

    expected = draft(
        buyer="Acme",
        lines=[L("Consulting", "1", "500")],
        issue="2026-12-01",
        due="2026-12-31",
        terms="Net 30",
    )
    check(reply, expected, "500.00")


def test_a_fixed_due_date_replaces_net_terms():
    reply = ask("due Dec 31", stored(DETAILED))

    check(reply, draft(DETAILED, due="2026-12-31", terms=None), "6026.40")
