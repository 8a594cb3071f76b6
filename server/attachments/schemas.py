from __future__ import annotations

from marshmallow import Schema, fields, validate


class UploadStatusSchema(Schema):
    id = fields.String(required=True)
    size = fields.Integer(required=True)
    received = fields.Integer(required=True)
    complete = fields.Boolean(required=True)


class ChunkArgsSchema(Schema):
    offset = fields.Integer(required=True, validate=validate.Range(min=0))
