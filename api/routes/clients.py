"""Your clients: every issued invoice's buyer is remembered (or saved), per API key.

GET    /api/clients?q=&page=&per_page=   by name; q finds a name, e-mail or VAT ID part
GET    /api/clients/{client_id}
PATCH  /api/clients/{client_id}          change details (null clears a field)
DELETE /api/clients/{client_id}          forget it; its invoices keep their buyer
"""

from __future__ import annotations

from dataclasses import asdict

from flask import g

from api.blueprint import Blueprint
from api.schemas import ClientListArgsSchema, ClientPageSchema, ClientSchema, ErrorSchema
from api.services import services
from core.records.schemas import PartyDetailsSchema

blp = Blueprint("clients", __name__, url_prefix="/api", description="Your clients")

UNAVAILABLE = "unavailable: the records database (or Redis) cannot be reached"


@blp.route("/clients")
@blp.arguments(ClientListArgsSchema, location="query")
@blp.response(200, ClientPageSchema)
@blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
def list_clients(args):
    """Your clients by name, paginated; `q` searches names, e-mails and VAT IDs."""
    page = services().records.list_clients(
        g.owner, q=args["q"], page=args["page"], per_page=args["per_page"]
    )
    return asdict(page)


@blp.route("/clients/<client_id>")
@blp.response(200, ClientSchema)
@blp.alt_response(404, schema=ErrorSchema, description="client_not_found")
@blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
def get_client(client_id):
    """One client, with how many invoices it had and the last one."""
    return services().records.client(g.owner, client_id)


@blp.route("/clients/<client_id>", methods=["PATCH"])
@blp.arguments(PartyDetailsSchema)
@blp.response(200, ClientSchema)
@blp.alt_response(404, schema=ErrorSchema, description="client_not_found")
@blp.alt_response(422, schema=ErrorSchema, description="validation_error, per field")
@blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
def patch_client(changes, client_id):
    """Change a client's details; null clears a field (the name cannot be cleared)."""
    return services().records.update_client(g.owner, client_id, changes)


@blp.route("/clients/<client_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(404, schema=ErrorSchema, description="client_not_found")
@blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
def delete_client(client_id):
    """Forget a client; its issued invoices keep their buyer."""
    services().records.delete_client(g.owner, client_id)
