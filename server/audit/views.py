"""The commune's audit log for its head: who viewed or changed what, newest first."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_smorest import Blueprint
from sqlalchemy import func, select

from ..extensions import db
from ..officers.auth import officer_required
from ..officers.models import Role
from .models import AuditEvent
from .schemas import AuditPageSchema, AuditQueryArgsSchema

blp = Blueprint("officer_audit", __name__, url_prefix="/api/v1/officer/audit", description="The audit log")

_EQUAL_FILTERS = ("action", "target_type", "target_id", "officer_id")


@blp.route("", methods=["GET"])
@blp.doc(security=[{"officerSession": []}])
@officer_required(Role.HEAD, Role.ADMIN)
@blp.arguments(AuditQueryArgsSchema, location="query")
@blp.response(200, AuditPageSchema)
def list_events(args: dict[str, Any]) -> dict[str, Any]:
    """The commune's audit entries, filtered by action, target or officer, paged."""
    query = select(AuditEvent).where(AuditEvent.commune_id == g.officer.commune_id)
    for name in _EQUAL_FILTERS:
        if args.get(name) is not None:
            query = query.where(getattr(AuditEvent, name) == args[name])
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page, per_page = args["page"], args["per_page"]
    items = db.session.scalars(query.order_by(AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}
