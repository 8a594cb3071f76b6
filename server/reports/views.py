"""Officer endpoints for the commune's reports. Every lookup is scoped to the officer's commune (404 outside)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from ..audit import operations as audit
from ..extensions import db
from ..officers import scope
from ..officers.auth import officer_required
from . import operations, queue
from .models import Report
from .schemas import (
    AppointmentSchema,
    AssignSchema,
    MessageSchema,
    ReplySchema,
    ReportDetailSchema,
    ReportPageSchema,
    ReportQueryArgsSchema,
    ReportSchema,
    StatusChangeSchema,
)

blp = Blueprint(
    "officer_reports", __name__, url_prefix="/api/v1/officer/reports", description="The commune's reports, for officers"
)

SESSION = [{"officerSession": []}]

# What ReportSchema shows of each report, loaded with the page (a join, and one query for the photos)
# instead of one query per report and relation: 124 queries per page of 50 before (benchmarks/scale.py).
PAGE_RELATIONS = (*queue.ROW_RELATIONS, selectinload(Report.attachments))


def report_in_scope(report_id: uuid.UUID) -> Report:
    """The report if it belongs to the signed-in officer's commune; otherwise 404, never 403 (no oracle)."""
    return scope.report(report_id)


@blp.route("", methods=["GET"])
@blp.doc(security=SESSION)
@officer_required()
@blp.arguments(ReportQueryArgsSchema, location="query")
@blp.response(200, ReportPageSchema)
def list_reports(args: dict[str, Any]) -> dict[str, Any]:
    """The commune's reports, filtered, searched (with or without tones), sorted and paged."""
    query = queue.build(g.officer, args)
    page, per_page = args["page"], args["per_page"]
    items = db.session.scalars(query.options(*PAGE_RELATIONS).offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": items, "total": queue.count(query), "page": page, "per_page": per_page}


@blp.route("/<uuid:report_id>", methods=["GET"])
@blp.doc(security=SESSION)
@officer_required()
@blp.response(200, ReportDetailSchema)
def get_report(report_id: uuid.UUID) -> Report:
    """One report with its thread, internal notes included; the view is audited."""
    report = report_in_scope(report_id)
    audit.record(
        "report.viewed",
        commune_id=report.commune_id,
        officer_id=g.officer.id,
        target_type="report",
        target_id=report.id,
    )
    db.session.commit()
    return report


@blp.route("/<uuid:report_id>/messages", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required()
@blp.arguments(ReplySchema)
@blp.response(201, MessageSchema)
def post_message(args: dict[str, Any], report_id: uuid.UUID) -> Any:
    """Reply to the household (synced to its phone) or, with ``internal``, add a note officers only see."""
    return operations.post_message(report_in_scope(report_id), g.officer, args["body"], internal=args["internal"])


@blp.route("/<uuid:report_id>/status", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required()
@blp.arguments(StatusChangeSchema)
@blp.response(200, ReportSchema)
def change_status(args: dict[str, Any], report_id: uuid.UUID) -> Report:
    """Move the report through the workflow; rejected and referred need a reason."""
    return operations.change_status(report_in_scope(report_id), g.officer, args["status"], args["reason"])


@blp.route("/<uuid:report_id>/appointment", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required()
@blp.arguments(AppointmentSchema)
@blp.response(200, ReportSchema)
def confirm_appointment(args: dict[str, Any], report_id: uuid.UUID) -> Report:
    """Confirm the date and time of an appointment request; the phone shows it after its next sync."""
    return operations.confirm_appointment(report_in_scope(report_id), g.officer, args["appointment_at"])


@blp.route("/<uuid:report_id>/assign", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required()
@blp.arguments(AssignSchema)
@blp.response(200, ReportSchema)
def assign(args: dict[str, Any], report_id: uuid.UUID) -> Report:
    """Give the report to an officer of the same commune, or with ``null`` to nobody."""
    return operations.assign(report_in_scope(report_id), g.officer, args["officer_id"])
