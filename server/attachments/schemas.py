from __future__ import annotations

from marshmallow import Schema, fields, validate


class UploadStatusSchema(Schema):
    id = fields.String(required=True)
    size = fields.Integer(required=True)
    received = fields.Integer(required=True)
    complete = fields.Boolean(required=True)


class ChunkArgsSchema(Schema):
    offset = fields.Integer(required=True, validate=validate.Range(min=0))


# Files go out with their own type (a photo's, or a form's), so the spec lists every type one can have.
_FILE_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")
FILE_RESPONSE = {
    "description": "The file's bytes, with its own content type",
    "content": {ct: {"schema": {"type": "string", "format": "binary"}} for ct in _FILE_TYPES},
}
