"""What a phone gets at enrolment; what the head sees of groups, households and phones, and sends to change them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..communes.schemas import VillageRefSchema
from ..fields import CleanedName, Name
from .models import Device, HouseholdGroup

NAME = validate.Length(min=1, max=120)


class ManagedHouseholdSchema(Schema):
    id = fields.Integer(dump_only=True)
    group_id = fields.Integer(dump_only=True)
    name = Name(required=True, validate=NAME)
    active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class HouseholdUpdateSchema(Schema):
    name = Name(validate=NAME)
    active = fields.Boolean()


class ManagedDeviceSchema(Schema):
    id = fields.Integer()
    label = fields.String()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


def _live_devices(group: HouseholdGroup) -> list[Device]:
    return [device for device in group.devices if device.revoked_at is None]


class ManagedGroupSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    village = fields.Nested(VillageRefSchema)
    household_count = fields.Function(lambda grp: sum(1 for h in grp.households if h.active))
    device_count = fields.Function(lambda grp: len(_live_devices(grp)))
    last_seen_at = fields.Method("_last_seen_at", allow_none=True)

    def _last_seen_at(self, group: HouseholdGroup) -> Any:
        seen = [d.last_seen_at for d in _live_devices(group) if d.last_seen_at is not None]
        return max(seen).isoformat() if seen else None


class ManagedGroupDetailSchema(ManagedGroupSchema):
    households = fields.List(fields.Nested(ManagedHouseholdSchema))
    devices = fields.List(fields.Nested(ManagedDeviceSchema))


class GroupListArgsSchema(Schema):
    village_id = fields.Integer()


class GroupCreateSchema(Schema):
    village_id = fields.Integer(required=True)
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{2,32}$"))
    name = Name(required=True, validate=NAME)


class GroupRenameSchema(Schema):
    name = Name(required=True, validate=NAME)


class EnrolmentCodeSchema(Schema):
    code = fields.String(metadata={"description": "Shown once: only its hash is kept."})
    expires_at = fields.DateTime()
    group = fields.Nested(ManagedGroupSchema)


class HouseholdSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class PlaceSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class GroupProfileSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    code = fields.String()
    village = fields.Nested(PlaceSchema)
    commune = fields.Nested(PlaceSchema)
    households = fields.List(fields.Nested(HouseholdSchema))


class EnrolRequestSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=4, max=40))
    label = CleanedName(load_default="", validate=validate.Length(max=120))
    # Random per enrolment attempt, kept by the phone: repeating it with the same code recovers a lost answer.
    request_id = fields.String(load_default=None, validate=validate.Length(min=16, max=64))


class EnrolResponseSchema(Schema):
    device_token = fields.String(required=True)
    group = fields.Nested(GroupProfileSchema, required=True)
    cursor = fields.String(required=True)
