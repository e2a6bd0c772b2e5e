"""Your business profile: seller details, payment, defaults and number patterns.

GET   /api/profile     the whole profile; sections never set are {} (never 404)
PATCH /api/profile     any subset; null clears a field or a section
"""

from __future__ import annotations

from flask import g

from api.blueprint import Blueprint
from api.schemas import ErrorSchema
from api.services import services
from core.records.schemas import ProfileSchema

blp = Blueprint("profile", __name__, url_prefix="/api", description="Your business profile")

UNAVAILABLE = "unavailable: the records database (or Redis) cannot be reached"


@blp.route("/profile")
@blp.response(200, ProfileSchema)
@blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
def get_profile():
    """Your profile: seller, payment, defaults and numbering."""
    return services().records.profile(g.owner)


@blp.route("/profile", methods=["PATCH"])
@blp.arguments(ProfileSchema)
@blp.response(200, ProfileSchema)
@blp.alt_response(422, schema=ErrorSchema, description="validation_error, per field")
@blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
def patch_profile(changes):
    """Change any part of your profile; null clears a field or a section."""
    return services().records.update_profile(g.owner, changes)
