"""Communes and villages as officers see them, and what an admin or a head sends to create or rename them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..fields import Name

NAME = validate.Length(min=1, max=120)


class VillageRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class CommuneVillageSchema(Schema):
    id = fields.Integer(dump_only=True)
    commune_id = fields.Integer(dump_only=True)
    name = Name(required=True, validate=NAME)


class CommuneSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{2,32}$"))
    name = Name(required=True, validate=NAME)
    villages = fields.List(fields.Nested(VillageRefSchema), dump_only=True)
    village_names = fields.List(
        Name(validate=NAME), load_only=True, load_default=list, validate=validate.Length(max=100)
    )


class CommuneRenameSchema(Schema):
    name = Name(required=True, validate=NAME)
