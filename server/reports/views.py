"""Officer endpoints for the commune's reports. Every lookup is scoped to the officer's commune (404 outside)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from sqlalchemy import Select

from ..api import Blueprint, QueryPage
from ..officers.auth import officer_required
from . import operations, queries
from .models import Message, Report
from .schemas import (
    AppointmentSchema,
    AssignSchema,
    BulkActionSchema,
    MessageSchema,
    ReplySchema,
    ReportDetailSchema,
    ReportFilterSchema,
    ReportPageSchema,
    ReportSchema,
    StatusChangeSchema,
)

blp = Blueprint(
    "officer_reports", __name__, url_prefix="/api/v1/officer/reports", description="The commune's reports, for officers"
)


@blp.route("", methods=["GET"])
@officer_required()
@blp.arguments(ReportFilterSchema, location="query")
@blp.response(200, ReportPageSchema)
@blp.paginate(QueryPage)
def list_reports(args: dict[str, Any]) -> Select[Any]:
    """The commune's reports, filtered, searched (with or without tones), sorted and paged."""
    return queries.page(g.officer, args)


@blp.route("/bulk", methods=["POST"])
@officer_required()
@blp.arguments(BulkActionSchema)
@blp.response(200, ReportSchema(many=True))
def bulk_action(args: dict[str, Any]) -> list[Report]:
    """Acknowledge, assign or set the status of several reports: all or none, one transaction, one audit entry each
    (404 if one is not of the commune, 409 ``invalid_transition`` naming those that cannot take the change)."""
    return operations.bulk(g.officer, args["report_ids"], args["action"], args)


@blp.route("/<uuid:report_id>", methods=["GET"])
@officer_required()
@blp.response(200, ReportDetailSchema)
def get_report(report_id: uuid.UUID) -> Report:
    """One report with its thread, internal notes included; the view is audited."""
    return operations.record_view(queries.report(g.officer, report_id), g.officer)


@blp.route("/<uuid:report_id>/messages", methods=["POST"])
@officer_required()
@blp.arguments(ReplySchema)
@blp.response(201, MessageSchema)
def post_message(args: dict[str, Any], report_id: uuid.UUID) -> Message:
    """Reply to the household (synced to its phone) or, with ``internal``, add a note officers only see."""
    return operations.post_message(
        queries.report(g.officer, report_id), g.officer, args["body"], internal=args["internal"]
    )


@blp.route("/<uuid:report_id>/status", methods=["POST"])
@officer_required()
@blp.arguments(StatusChangeSchema)
@blp.response(200, ReportSchema)
def change_status(args: dict[str, Any], report_id: uuid.UUID) -> Report:
    """Move the report through the workflow; rejected and referred need a reason."""
    return operations.change_status(queries.report(g.officer, report_id), g.officer, args["status"], args["reason"])


@blp.route("/<uuid:report_id>/appointment", methods=["POST"])
@officer_required()
@blp.arguments(AppointmentSchema)
@blp.response(200, ReportSchema)
def confirm_appointment(args: dict[str, Any], report_id: uuid.UUID) -> Report:
    """Confirm the date and time of an appointment request; the phone shows it after its next sync."""
    return operations.confirm_appointment(queries.report(g.officer, report_id), g.officer, args["appointment_at"])


@blp.route("/<uuid:report_id>/assign", methods=["POST"])
@officer_required()
@blp.arguments(AssignSchema)
@blp.response(200, ReportSchema)
def assign(args: dict[str, Any], report_id: uuid.UUID) -> Report:
    """Give the report to an officer of the same commune, or with ``null`` to nobody."""
    return operations.assign(queries.report(g.officer, report_id), g.officer, args["officer_id"])
