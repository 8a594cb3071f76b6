from __future__ import annotations

from marshmallow import Schema, fields, validate


class AuditQueryArgsSchema(Schema):
    action = fields.String(validate=validate.Length(max=48), metadata={"description": "e.g. report.viewed"})
    target_type = fields.String(validate=validate.Length(max=32))
    target_id = fields.String(validate=validate.Length(max=64))
    officer_id = fields.Integer()


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    action = fields.String()
    officer_id = fields.Integer(allow_none=True)
    officer_name = fields.Method("_officer_name", allow_none=True)
    device_id = fields.Integer(allow_none=True)
    target_type = fields.String()
    target_id = fields.String()
    details = fields.Dict()

    def _officer_name(self, event: object) -> str | None:
        officer = getattr(event, "officer", None)
        return officer.display_name if officer is not None else None


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
