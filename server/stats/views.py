"""Stats for the commune and the CSV export of the filtered queue (every export is audited)."""

from __future__ import annotations

from typing import Any

from flask import Response, g
from flask_smorest import Blueprint

from ..audit import operations as audit
from ..database import utcnow
from ..extensions import db
from ..officers.auth import officer_required
from ..reports import queue
from . import operations
from .schemas import ExportArgsSchema, StatsArgsSchema, StatsSchema

blp = Blueprint("officer_stats", __name__, url_prefix="/api/v1/officer/stats", description="Stats and export")

SESSION = [{"officerSession": []}]


@blp.route("", methods=["GET"])
@blp.doc(security=SESSION)
@officer_required()
@blp.arguments(StatsArgsSchema, location="query")
@blp.response(200, StatsSchema)
def stats(args: dict[str, Any]) -> dict[str, Any]:
    """Reports received in the period by kind, category, village and status over time; answer times; backlog."""
    return operations.compute(g.officer.commune_id, args)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return getattr(value, "value", value if isinstance(value, int | bool) else str(value))


@blp.route("/export.csv", methods=["GET"])
@blp.doc(security=SESSION)
@officer_required()
@blp.arguments(ExportArgsSchema, location="query")
@blp.response(200, {"type": "string"}, content_type="text/csv")
def export_csv(args: dict[str, Any]) -> Response:
    """The filtered queue as CSV; anonymous tips carry no group and no household."""
    query = queue.build(g.officer, args)
    audit.record(
        "reports.exported",
        commune_id=g.officer.commune_id,
        officer_id=g.officer.id,
        target_type="report",
        count=queue.count(query),
        filters={name: _plain(value) for name, value in args.items()},
    )
    db.session.commit()
    # Built whole inside the request: a lazily streamed body would outlive the database session (the rows are
    # loaded by then), and a commune's reports are a few thousand lines at most.
    body = "".join(operations.csv_lines(db.session.scalars(query.options(*queue.ROW_RELATIONS))))
    name = f"binhan-reports-{utcnow().astimezone(queue.local_zone()):%Y%m%d-%H%M}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
