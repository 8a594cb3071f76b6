from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..fields import Name
from .models import Role

PASSWORD = validate.Length(min=8, max=256)


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class OfficerSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.Function(lambda officer: officer.role.value)
    active = fields.Boolean()
    commune_id = fields.Integer(allow_none=True)
    commune_name = fields.Function(lambda officer: officer.commune.name if officer.commune else None)


class SessionSchema(Schema):
    officer = fields.Nested(OfficerSchema, required=True)
    csrf_token = fields.String(required=True)


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, load_only=True, validate=PASSWORD)


class PasswordResetSchema(Schema):
    new_password = fields.String(required=True, load_only=True, validate=PASSWORD)


class OfficerListArgsSchema(Schema):
    commune_id = fields.Integer(metadata={"description": "Admins only: another commune's officers."})
    include_inactive = fields.Boolean(load_default=False)


class OfficerCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9._-]{3,64}$"))
    display_name = Name(required=True, validate=validate.Length(min=1, max=120))
    password = fields.String(required=True, load_only=True, validate=PASSWORD)
    role = fields.Enum(Role, by_value=True, load_default=Role.OFFICER)
    commune_id = fields.Integer(allow_none=True, metadata={"description": "Admins only; a head creates in theirs."})


class OfficerUpdateSchema(Schema):
    display_name = Name(validate=validate.Length(min=1, max=120))
    role = fields.Enum(Role, by_value=True)
    active = fields.Boolean()
