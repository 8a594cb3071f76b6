"""Communes (admins), villages (the commune's head; every officer may list them for the queue filters) and the
commune's audit log for its head: who viewed or changed what, newest first."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import Select

from ..api import Blueprint, QueryPage
from ..audit import operations as audit
from ..audit.schemas import AuditPageSchema, AuditQueryArgsSchema
from ..communes import queries as communes
from ..communes.models import Commune, Village
from ..communes.schemas import CommuneRenameSchema, CommuneSchema, CommuneVillageSchema
from ..officers import queries as officers
from ..officers.auth import officer_required
from ..officers.models import MANAGERS, Role
from . import operations

blp = Blueprint("officer_communes", __name__, url_prefix="/api/v1/officer", description="Communes and villages")
audit_log = Blueprint("officer_audit", __name__, url_prefix="/api/v1/officer/audit", description="The audit log")


@blp.route("/communes", methods=["GET"])
@officer_required(Role.ADMIN)
@blp.response(200, CommuneSchema(many=True))
def list_communes() -> list[Commune]:
    """Every commune, with its villages."""
    return communes.communes()


@blp.route("/communes", methods=["POST"])
@officer_required(Role.ADMIN)
@blp.arguments(CommuneSchema)
@blp.response(201, CommuneSchema)
def create_commune(args: dict[str, Any]) -> Commune:
    """A new commune, with the names of its villages."""
    return operations.create_commune(g.officer, args["code"], args["name"], args["village_names"])


@blp.route("/communes/<int:commune_id>", methods=["PATCH"])
@officer_required(Role.ADMIN)
@blp.arguments(CommuneRenameSchema)
@blp.response(200, CommuneSchema)
def rename_commune(args: dict[str, Any], commune_id: int) -> Commune:
    """Rename a commune; its phones learn the new name on their next sync."""
    return operations.rename_commune(g.officer, officers.commune(g.officer, commune_id), args["name"])


@blp.route("/villages", methods=["GET"])
@officer_required()
@blp.response(200, CommuneVillageSchema(many=True))
def list_villages() -> list[Village]:
    """The villages of the officer's commune."""
    return communes.villages(g.officer.commune_id)


@blp.route("/villages", methods=["POST"])
@officer_required(*MANAGERS)
@blp.arguments(CommuneVillageSchema)
@blp.response(201, CommuneVillageSchema)
def create_village(args: dict[str, Any]) -> Village:
    """Add a village to the commune."""
    return operations.create_village(g.officer, args["name"])


@blp.route("/villages/<int:village_id>", methods=["PATCH"])
@officer_required(*MANAGERS)
@blp.arguments(CommuneVillageSchema)
@blp.response(200, CommuneVillageSchema)
def rename_village(args: dict[str, Any], village_id: int) -> Village:
    """Rename a village of the commune."""
    return operations.rename_village(g.officer, communes.village(g.officer.commune_id, village_id), args["name"])


@audit_log.route("", methods=["GET"])
@officer_required(*MANAGERS)
@audit_log.arguments(AuditQueryArgsSchema, location="query")
@audit_log.response(200, AuditPageSchema)
@audit_log.paginate(QueryPage)
def list_events(args: dict[str, Any]) -> Select[Any]:
    """The commune's audit entries, filtered by action, target or officer, paged."""
    return audit.events(g.officer.commune_id, args)
