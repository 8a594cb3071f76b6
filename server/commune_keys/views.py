"""``/api/v1/officer/commune-keys``: the commune's reading keys for tips (wrapped: the browser opens them)."""

from __future__ import annotations

from typing import Any

from flask import g

from ..api import Blueprint
from ..officers.auth import officer_required
from ..officers.models import Role
from . import operations
from .models import CommuneKey
from .schemas import CommuneKeySchema, CommuneKeysSchema, NewCommuneKeySchema

blp = Blueprint(
    "officer_commune_keys", __name__, url_prefix="/api/v1/officer/commune-keys", description="Reading keys for tips"
)


@blp.route("", methods=["GET"])
@officer_required()
@blp.response(200, CommuneKeysSchema)
def list_keys() -> dict[str, Any]:
    """Every version of the commune's key, wrapped by the officers' passphrase, and the province's recovery key
    (the head's browser seals a new key to it)."""
    return {"recovery_public_key": operations.recovery_public_key(), "keys": operations.keys(g.officer.commune_id)}


@blp.route("", methods=["POST"])
@officer_required(Role.HEAD)
@blp.arguments(NewCommuneKeySchema)
@blp.response(201, CommuneKeySchema)
def create_key(args: dict[str, Any]) -> CommuneKey:
    """A new version, made in the head's browser: phones seal new tips to it; older tips keep their version."""
    return operations.create(g.officer, args)
