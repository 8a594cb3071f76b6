"""The commune's console for appointment slots, holidays and procedures (issue 15). Phones book through /sync."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g

from ..api import Blueprint
from ..officers.auth import officer_required
from . import operations
from .models import Holiday, Procedure, Slot
from .schemas import (
    AppointmentsSchema,
    HolidaySchema,
    ProcedureSchema,
    ProcedureUpdateSchema,
    ReportBookingSchema,
    SlotGenerateSchema,
    SlotListArgsSchema,
    SlotSchema,
    SlotUpdateSchema,
)

officer_appointments = Blueprint(
    "officer_appointments",
    __name__,
    url_prefix="/api/v1/officer/appointments",
    description="Appointment slots, holidays and procedures, for officers",
)


@officer_appointments.route("", methods=["GET"])
@officer_required()
@officer_appointments.arguments(SlotListArgsSchema, location="query")
@officer_appointments.response(200, AppointmentsSchema)
def overview(args: dict[str, Any]) -> dict[str, Any]:
    """The commune's slots of these local days (with who booked them), its holidays and its procedures."""
    return operations.overview(g.officer.commune_id, args["first_day"], args["last_day"])


@officer_appointments.route("/reports/<uuid:report_id>", methods=["GET"])
@officer_required()
@officer_appointments.response(200, ReportBookingSchema)
def report_booking(report_id: uuid.UUID) -> dict[str, Any]:
    """What an appointment request of the commune booked: procedure, papers to bring, seat (404 elsewhere)."""
    return operations.booking_of(g.officer.commune_id, report_id)


@officer_appointments.route("/slots", methods=["POST"])
@officer_required()
@officer_appointments.arguments(SlotGenerateSchema)
@officer_appointments.response(201, SlotSchema(many=True))
def open_slots(args: dict[str, Any]) -> list[Slot]:
    """Cut office hours into slots (skipping holidays and starts that have a slot); phones get them next sync."""
    return operations.generate_slots(g.officer.commune_id, g.officer, args)


@officer_appointments.route("/slots/<int:slot_id>", methods=["PATCH"])
@officer_required()
@officer_appointments.arguments(SlotUpdateSchema)
@officer_appointments.response(200, SlotSchema)
def update_slot(args: dict[str, Any], slot_id: int) -> Slot:
    """Capacity (not below the bookings: 409 ``capacity_below_booked``), officer on duty, closed."""
    return operations.update_slot(operations.slot_in_commune(g.officer.commune_id, slot_id), g.officer, args)


@officer_appointments.route("/holidays", methods=["POST"])
@officer_required()
@officer_appointments.arguments(HolidaySchema)
@officer_appointments.response(201, HolidaySchema)
def add_holiday(args: dict[str, Any]) -> Holiday:
    """Close the office that day: its slots close and phones stop offering them."""
    return operations.add_holiday(g.officer.commune_id, g.officer, args["day"], args["name"])


@officer_appointments.route("/holidays/<int:holiday_id>", methods=["DELETE"])
@officer_required()
@officer_appointments.response(204)
def remove_holiday(holiday_id: int) -> None:
    operations.remove_holiday(g.officer.commune_id, g.officer, holiday_id)


@officer_appointments.route("/procedures", methods=["POST"])
@officer_required()
@officer_appointments.arguments(ProcedureSchema)
@officer_appointments.response(201, ProcedureSchema)
def create_procedure(args: dict[str, Any]) -> Procedure:
    """A procedure and the papers to bring (one per line); phones show them when booking."""
    return operations.create_procedure(g.officer.commune_id, g.officer, args)


@officer_appointments.route("/procedures/<int:procedure_id>", methods=["PATCH"])
@officer_required()
@officer_appointments.arguments(ProcedureUpdateSchema)
@officer_appointments.response(200, ProcedureSchema)
def update_procedure(args: dict[str, Any], procedure_id: int) -> Procedure:
    """Rename, change the papers, reorder, or retire it (``active: false``)."""
    procedure = operations.procedure_in_commune(g.officer.commune_id, procedure_id)
    return operations.update_procedure(procedure, g.officer, args)
