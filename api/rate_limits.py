"""Which request budget each /api/* call spends (core/request_budgets.py), and where.

    turns   TURN_RATE_LIMIT (30/minute): POST /api/generate-invoice, /api/chat, /api/batches
            (a batch counts once; its items are paced by LLM_RATE_LIMIT in the workers)
    reads   READ_RATE_LIMIT (600/minute): every other /api/* call (polls, reads, exports;
            a long-poll counts once)

Health, metrics and the API documents are not limited. The caller is its API key (hashed)
when the key is valid, else its address, so guessing keys is throttled too: the check runs
before authentication.

Every request is charged at the door (a `before_request` hook), except a chat turn or a new
invoice from a caller with a valid key: its charge goes into the script that stores the turn
(BEGIN_TURN), which saves the API one Redis round trip per turn. Such a request refused
before it reaches the store (a body that does not validate, an attachment refused) is
charged then, and answered 429 instead when over the budget, as at the door.
"""

from __future__ import annotations

import logging

from flask import g, request

from api.auth import owner_for_request
from core.errors import Unauthorized, Unavailable
from core.request_budgets import BudgetName, Charge, RequestBudgets

log = logging.getLogger(__name__)

TURN_ENDPOINTS = frozenset({"turns.generate_invoice", "turns.chat", "batches.create_batch"})
CHARGED_WITH_THE_TURN = frozenset({"turns.generate_invoice", "turns.chat"})


def charge_at_the_door(budgets: RequestBudgets, api_keys: tuple[str, ...]) -> None:
    """Charge this request to its caller's budget, or leave its charge in `g.turn_charge`
    for the turn's own script. Raises RateLimited."""
    caller, known = _caller(api_keys)
    budget: BudgetName = "turns" if request.endpoint in TURN_ENDPOINTS else "reads"
    charge = budgets.charge(budget, caller)
    if known and request.endpoint in CHARGED_WITH_THE_TURN:
        g.turn_charge = charge
        return
    spend(budgets, charge)


def turn_charge() -> Charge | None:
    """The charge the view passes to the store with its turn (taken: it is spent once)."""
    return g.pop("turn_charge", None)


def spend(budgets: RequestBudgets, charge: Charge) -> None:
    """Admit the request or raise RateLimited. When Redis cannot be reached the request is
    let through: the view then answers 503 itself, which says more than a 429 would."""
    try:
        budgets.hit(charge)
    except Unavailable:
        log.warning("rate limit not checked: Redis unavailable")


def _caller(api_keys: tuple[str, ...]) -> tuple[str, bool]:
    """The caller's API key (hashed) when it is valid, else the client address; and whether
    the request carries a valid key (or keys are off)."""
    if api_keys:
        try:
            return f"key:{owner_for_request(request, api_keys)}", True
        except Unauthorized:
            return f"ip:{request.remote_addr}", False
    return f"ip:{request.remote_addr}", True
