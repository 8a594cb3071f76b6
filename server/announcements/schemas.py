"""What officers write and see of announcements."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..communes.schemas import VillageRefSchema
from ..fields import Name, Text
from .models import STATES, state


class AnnouncementFileSchema(Schema):
    id = fields.String()
    name = fields.String(attribute="filename")
    content_type = fields.String()
    size = fields.Function(lambda f: f.stored_size or f.size)


class AnnouncementSchema(Schema):
    id = fields.String()
    title = fields.String()
    body = fields.String()
    state = fields.Function(state)
    villages = fields.List(fields.Nested(VillageRefSchema))
    files = fields.List(fields.Nested(AnnouncementFileSchema))
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)
    read_by_groups = fields.Function(lambda a: len(a.reads))


class AnnouncementCreateSchema(Schema):
    title = Name(required=True, validate=validate.Length(min=1, max=200))
    body = Text(required=True, validate=validate.Length(min=1, max=10000))
    village_ids = fields.List(
        fields.Integer(), load_default=list, metadata={"description": "Empty: the whole commune."}
    )
    expires_at = fields.AwareDateTime(allow_none=True, load_default=None)


class AnnouncementUpdateSchema(Schema):
    title = Name(validate=validate.Length(min=1, max=200))
    body = Text(validate=validate.Length(min=1, max=10000))
    village_ids = fields.List(fields.Integer())
    expires_at = fields.AwareDateTime(allow_none=True)


class AnnouncementListArgsSchema(Schema):
    state = fields.String(validate=validate.OneOf(STATES))


class FileUploadArgsSchema(Schema):
    name = Name(required=True, validate=validate.Length(min=1, max=200), metadata={"description": "File name."})
