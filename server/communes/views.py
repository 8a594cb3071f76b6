"""Communes (admins) and villages (the commune's head; every officer may list them for the queue filters)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_smorest import Blueprint
from sqlalchemy import select

from ..errors import Conflict
from ..extensions import db
from ..officers import scope
from ..officers.auth import officer_required
from ..officers.models import Role
from . import operations
from .models import Commune, Village
from .schemas import CommuneRenameSchema, CommuneSchema, CommuneVillageSchema

blp = Blueprint("officer_communes", __name__, url_prefix="/api/v1/officer", description="Communes and villages")

SESSION = [{"officerSession": []}]
MANAGERS = (Role.HEAD, Role.ADMIN)


@blp.route("/communes", methods=["GET"])
@blp.doc(security=SESSION)
@officer_required(Role.ADMIN)
@blp.response(200, CommuneSchema(many=True))
def list_communes() -> list[Commune]:
    """Every commune, with its villages."""
    return list(db.session.scalars(select(Commune).order_by(Commune.name)))


@blp.route("/communes", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required(Role.ADMIN)
@blp.arguments(CommuneSchema)
@blp.response(201, CommuneSchema)
def create_commune(args: dict[str, Any]) -> Commune:
    """A new commune, with the names of its villages."""
    return operations.create_commune(g.officer, args["code"], args["name"], args["village_names"])


@blp.route("/communes/<int:commune_id>", methods=["PATCH"])
@blp.doc(security=SESSION)
@officer_required(Role.ADMIN)
@blp.arguments(CommuneRenameSchema)
@blp.response(200, CommuneSchema)
def rename_commune(args: dict[str, Any], commune_id: int) -> Commune:
    """Rename a commune; its phones learn the new name on their next sync."""
    return operations.rename_commune(g.officer, scope.commune(commune_id), args["name"])


@blp.route("/villages", methods=["GET"])
@blp.doc(security=SESSION)
@officer_required()
@blp.response(200, CommuneVillageSchema(many=True))
def list_villages() -> list[Village]:
    """The villages of the officer's commune."""
    return list(
        db.session.scalars(select(Village).where(Village.commune_id == g.officer.commune_id).order_by(Village.name))
    )


@blp.route("/villages", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required(*MANAGERS)
@blp.arguments(CommuneVillageSchema)
@blp.response(201, CommuneVillageSchema)
def create_village(args: dict[str, Any]) -> Village:
    """Add a village to the commune."""
    return operations.create_village(g.officer, _own_commune_id(), args["name"])


@blp.route("/villages/<int:village_id>", methods=["PATCH"])
@blp.doc(security=SESSION)
@officer_required(*MANAGERS)
@blp.arguments(CommuneVillageSchema)
@blp.response(200, CommuneVillageSchema)
def rename_village(args: dict[str, Any], village_id: int) -> Village:
    """Rename a village of the commune."""
    return operations.rename_village(g.officer, scope.village(village_id), args["name"])


def _own_commune_id() -> int:
    if g.officer.commune_id is None:
        raise Conflict("Your account belongs to no commune.", code="no_commune")
    return int(g.officer.commune_id)
