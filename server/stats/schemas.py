from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..alerts.schemas import AckStatSchema
from ..reports.schemas import ReportFilterSchema


class StatsArgsSchema(Schema):
    date_from = fields.Date(metadata={"description": "First day (commune time); default 30 days ago."})
    date_to = fields.Date(metadata={"description": "Last day (commune time); default today."})
    bucket = fields.String(
        validate=validate.OneOf(("day", "week", "month")),
        metadata={"description": "Default: day up to a month, week up to six, else month."},
    )


class CountSchema(Schema):
    key = fields.Raw()
    label = fields.String()
    count = fields.Integer()


class PeriodSchema(Schema):
    period = fields.Date()
    total = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())


class FirstResponseSchema(Schema):
    median_seconds = fields.Float(allow_none=True)
    answered = fields.Integer()
    unanswered = fields.Integer()


class StatsSchema(Schema):
    date_from = fields.Date()
    date_to = fields.Date()
    bucket = fields.String()
    total = fields.Integer()
    by_kind = fields.List(fields.Nested(CountSchema))
    by_category = fields.List(fields.Nested(CountSchema))
    by_status = fields.List(fields.Nested(CountSchema))
    by_village = fields.List(fields.Nested(CountSchema))
    over_time = fields.List(fields.Nested(PeriodSchema))
    first_response = fields.Nested(FirstResponseSchema)
    open_by_age = fields.List(fields.Nested(CountSchema))
    urgent_ack = fields.List(
        fields.Nested(AckStatSchema), metadata={"description": "Urgent reports per month, newest first (12 months)."}
    )


class ExportArgsSchema(ReportFilterSchema):
    """The queue's filters: the export holds exactly what the filtered queue shows."""
