"""The head's screens for groups, households, enrolment codes and phones (all within their commune)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_smorest import Blueprint
from sqlalchemy import select

from .. import tokens
from ..extensions import db
from ..officers import scope
from ..officers.auth import officer_required
from ..officers.models import Role
from . import management, operations
from .management_schemas import (
    EnrolmentCodeSchema,
    GroupCreateSchema,
    GroupListArgsSchema,
    GroupRenameSchema,
    HouseholdUpdateSchema,
    ManagedDeviceSchema,
    ManagedGroupDetailSchema,
    ManagedGroupSchema,
    ManagedHouseholdSchema,
    code_answer,
)
from .models import Device, EnrolmentCode, Household, HouseholdGroup

blp = Blueprint(
    "officer_groups",
    __name__,
    url_prefix="/api/v1/officer",
    description="Household groups, households and phones, for the commune's head",
)

SESSION = [{"officerSession": []}]
MANAGERS = (Role.HEAD, Role.ADMIN)


@blp.route("/groups", methods=["GET"])
@blp.doc(security=SESSION)
@officer_required(*MANAGERS)
@blp.arguments(GroupListArgsSchema, location="query")
@blp.response(200, ManagedGroupSchema(many=True))
def list_groups(args: dict[str, Any]) -> list[HouseholdGroup]:
    """The commune's groups with their household and phone counts and when a phone last synced."""
    query = select(HouseholdGroup).where(HouseholdGroup.commune_id == g.officer.commune_id)
    if args.get("village_id") is not None:
        query = query.where(HouseholdGroup.village_id == args["village_id"])
    return list(db.session.scalars(query.order_by(HouseholdGroup.code)))


@blp.route("/groups", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required(*MANAGERS)
@blp.arguments(GroupCreateSchema)
@blp.response(201, ManagedGroupDetailSchema)
def create_group(args: dict[str, Any]) -> HouseholdGroup:
    """A new group in one of the commune's villages; add its households, then enrol its phone."""
    return management.create_group(g.officer, scope.village(args["village_id"]), args["code"], args["name"])


@blp.route("/groups/<int:group_id>", methods=["GET"])
@blp.doc(security=SESSION)
@officer_required(*MANAGERS)
@blp.response(200, ManagedGroupDetailSchema)
def get_group(group_id: int) -> HouseholdGroup:
    """One group with all its households (inactive ones too) and its phones."""
    return scope.group(group_id)


@blp.route("/groups/<int:group_id>", methods=["PATCH"])
@blp.doc(security=SESSION)
@officer_required(*MANAGERS)
@blp.arguments(GroupRenameSchema)
@blp.response(200, ManagedGroupDetailSchema)
def rename_group(args: dict[str, Any], group_id: int) -> HouseholdGroup:
    """Rename the group; its phone shows the new name after its next sync."""
    return management.rename_group(g.officer, scope.group(group_id), args["name"])


@blp.route("/groups/<int:group_id>/households", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required(*MANAGERS)
@blp.arguments(ManagedHouseholdSchema)
@blp.response(201, ManagedHouseholdSchema)
def add_household(args: dict[str, Any], group_id: int) -> Household:
    """Add a household to the group; it appears on the group's phone after its next sync."""
    return management.add_household(g.officer, scope.group(group_id), args["name"])


@blp.route("/households/<int:household_id>", methods=["PATCH"])
@blp.doc(security=SESSION)
@officer_required(*MANAGERS)
@blp.arguments(HouseholdUpdateSchema)
@blp.response(200, ManagedHouseholdSchema)
def update_household(args: dict[str, Any], household_id: int) -> Household:
    """Rename a household, or deactivate it (it leaves the phone; its reports stay)."""
    return management.update_household(g.officer, scope.household(household_id), args)


@blp.route("/groups/<int:group_id>/enrolment-codes", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required(*MANAGERS)
@blp.response(201, EnrolmentCodeSchema)
def issue_enrolment_code(group_id: int) -> dict[str, Any]:
    """A one-time code to enrol the group's phone; shown once, to read out or print."""
    group = scope.group(group_id)
    code = operations.issue_enrolment_code(group, g.officer.id)
    stored = db.session.scalar(
        select(EnrolmentCode).where(EnrolmentCode.code_hash == tokens.sha256_hex(tokens.normalise_code(code)))
    )
    return code_answer(group, code, stored.expires_at)


@blp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required(*MANAGERS)
@blp.response(200, ManagedDeviceSchema)
def revoke_device(device_id: int) -> Device:
    """Revoke a lost phone: its token stops working on its next call."""
    device = scope.device(device_id)
    operations.revoke_device(device, g.officer.id)
    return device
