"""Providers for tests: the user's message is a script of what the provider answers.

    {"reply": "...", "invoice": {...draft...} | null, "sleep": 2.5,
     "raise": "transient" | "permanent", "usage": {"input_tokens": 10, ...}}

Selected in a worker process with LLM_PROVIDER=tests.support.providers:ScriptedProvider.
A message that is not JSON gets the reply "echo: <message>" and no invoice change.
"""

from __future__ import annotations

import json
import time

from core.errors import ProviderError, ProviderTransient
from core.providers.base import ProviderReply, ProviderRequest, Usage


class ScriptedProvider:
    name = "scripted"

    def __init__(self, settings=None):
        self.settings = settings
        self.requests: list[ProviderRequest] = []

    def respond(self, request: ProviderRequest) -> ProviderReply:
        self.requests.append(request)
        try:
            script = json.loads(request.message)
        except ValueError:
            return ProviderReply(reply=f"echo: {request.message}", invoice=None)
        if script.get("sleep"):
            time.sleep(script["sleep"])
        if script.get("raise") == "transient":
            raise ProviderTransient()
        if script.get("raise") == "permanent":
            raise ProviderError("The scripted provider refused, as scripted.")
        if script.get("report_history"):
            reply = json.dumps([[m.role, m.content] for m in request.history])
        else:
            reply = script.get("reply", "Done.")
        return ProviderReply(
            reply=reply,
            invoice=script.get("invoice"),
            usage=Usage(**script.get("usage", {})),
            profile_update=script.get("profile_update"),
        )


def draft(*, buyer="Acme Corp", items=(("Consulting", "40", "150.00"),), tax_rate="8", **extra):
    """A draft JSON as a provider would state it."""
    return {
        "buyer": {"name": buyer},
        "items": [
            {"description": d, "quantity": q, "unit_price": p, "tax_rate": tax_rate}
            for d, q, p in items
        ],
        **extra,
    }


# Parties with everything an EN 16931 e-invoice asks of them, as a provider would state them.
SELLER = {
    "name": "Ingrid Sørensen",
    "company": "Nordlys Studio ApS",
    "email": "billing@nordlys.example",
    "address": "Vesterbrogade 12, 1620 København V, Denmark",
    "tax_id": "DK13585628",
}
BUYER = {"name": "Acme Corp", "address": "12 Rue de la Paix, 75002 Paris, France"}


def script(**fields) -> str:
    """A chat message that scripts the provider's answer."""
    return json.dumps(fields)
