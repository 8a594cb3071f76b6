"""Stats for the commune and the CSV export of the filtered queue (every export is audited)."""

from __future__ import annotations

from typing import Any

from flask import Response, g

from ..api import Blueprint
from ..audit.schemas import AuditQueryArgsSchema
from ..officers.auth import officer_required
from ..officers.models import MANAGERS
from . import operations
from .schemas import ExportArgsSchema, StatsArgsSchema, StatsSchema

blp = Blueprint("officer_stats", __name__, url_prefix="/api/v1/officer/stats", description="Stats and export")


@blp.route("", methods=["GET"])
@officer_required()
@blp.arguments(StatsArgsSchema, location="query")
@blp.response(200, StatsSchema)
def stats(args: dict[str, Any]) -> dict[str, Any]:
    """Reports received in the period by kind, category, village and status over time; answer times; backlog."""
    return operations.compute(g.officer.commune_id, args)


@blp.route("/export.csv", methods=["GET"])
@officer_required()
@blp.arguments(ExportArgsSchema, location="query")
@blp.response(200, {"type": "string"}, content_type="text/csv")
def export_csv(args: dict[str, Any]) -> Response:
    """The filtered queue as CSV; anonymous tips carry no group and no household."""
    name, body = operations.export(g.officer, args)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


audit_export = Blueprint(
    "officer_audit_export", __name__, url_prefix="/api/v1/officer/audit", description="The audit log as CSV"
)


@audit_export.route("/export.csv", methods=["GET"])
@officer_required(*MANAGERS)
@audit_export.arguments(AuditQueryArgsSchema, location="query")
@audit_export.response(200, {"type": "string"}, content_type="text/csv")
def export_audit_csv(args: dict[str, Any]) -> Response:
    """The commune's audit log, filtered as the list is, newest first, as CSV (the export is audited)."""
    name, body = operations.audit_csv(g.officer, args)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
