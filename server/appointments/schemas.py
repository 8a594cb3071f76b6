"""What officers send and see of appointment slots, holidays and procedures."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..fields import Name, Text


class OfficeHoursSchema(Schema):
    start = fields.Time(required=True, metadata={"description": "Local time, e.g. 07:30."})
    end = fields.Time(required=True)

    @validates_schema
    def _forward(self, data: dict[str, Any], **_: Any) -> None:
        if data["end"] <= data["start"]:
            raise ValidationError("Must end after it starts.", "end")


class SlotGenerateSchema(Schema):
    first_day = fields.Date(required=True)
    last_day = fields.Date(required=True)
    weekdays = fields.List(
        fields.Integer(validate=validate.Range(min=0, max=6)),
        load_default=lambda: [0, 1, 2, 3, 4],
        metadata={"description": "0 = Monday … 6 = Sunday; Monday to Friday unless told."},
    )
    periods = fields.List(fields.Nested(OfficeHoursSchema), required=True, validate=validate.Length(min=1, max=6))
    minutes = fields.Integer(required=True, validate=validate.Range(min=5, max=480))
    capacity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=500))
    officer_id = fields.Integer(load_default=None, allow_none=True, metadata={"description": "On duty."})


class SlotUpdateSchema(Schema):
    capacity = fields.Integer(validate=validate.Range(min=1, max=500))
    officer_id = fields.Integer(allow_none=True)
    closed = fields.Boolean()


class SlotListArgsSchema(Schema):
    first_day = fields.Date(load_default=None, metadata={"description": "Default: today (commune time)."})
    last_day = fields.Date(load_default=None, metadata={"description": "Default: two weeks from first_day."})


class SlotBookingSchema(Schema):
    report_id = fields.String()
    tracking_code = fields.Function(lambda b: b.report.tracking_code if b.report else None)
    procedure = fields.Function(lambda b: b.procedure.name if b.procedure else None)


class SlotSchema(Schema):
    id = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    capacity = fields.Integer()
    booked = fields.Integer()
    closed = fields.Boolean()
    officer_id = fields.Integer(allow_none=True)
    officer_name = fields.Function(lambda s: s.officer.display_name if s.officer else None)
    bookings = fields.List(fields.Nested(SlotBookingSchema))


class HolidaySchema(Schema):
    id = fields.Integer(dump_only=True)
    day = fields.Date(required=True)
    name = Name(load_default="", validate=validate.Length(max=200))


class ProcedureSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(required=True, validate=validate.Length(min=1, max=200))
    papers = Text(load_default="", validate=validate.Length(max=4000), metadata={"description": "One per line."})
    position = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1000))
    active = fields.Boolean(dump_only=True)


class ProcedureUpdateSchema(Schema):
    name = Name(validate=validate.Length(min=1, max=200))
    papers = Text(validate=validate.Length(max=4000))
    position = fields.Integer(validate=validate.Range(min=0, max=1000))
    active = fields.Boolean()


class ReportBookingSchema(Schema):
    """What the household booked for an appointment request: its procedure, the papers to bring, and the seat."""

    outcome = fields.String(allow_none=True, metadata={"description": "confirmed, full or released; null: none yet"})
    procedure = fields.String(allow_none=True)
    papers = fields.List(fields.String())
    starts_at = fields.DateTime(allow_none=True)
    ends_at = fields.DateTime(allow_none=True)


class AppointmentsSchema(Schema):
    slots = fields.List(fields.Nested(SlotSchema))
    holidays = fields.List(fields.Nested(HolidaySchema))
    procedures = fields.List(fields.Nested(ProcedureSchema))
