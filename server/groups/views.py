"""Phone enrolment (a one-time code in, a device token and the group's profile out), and the head's screens for
groups, households, enrolment codes and phones (all within their commune)."""

from __future__ import annotations

from typing import Any

from flask import g

from ..api import Blueprint
from ..communes import queries as communes
from ..extensions import limiter
from ..officers.auth import officer_required
from ..officers.models import MANAGERS
from . import operations, queries
from .models import Device, Household, HouseholdGroup
from .schemas import (
    EnrolmentCodeSchema,
    EnrolRequestSchema,
    EnrolResponseSchema,
    GroupCreateSchema,
    GroupListArgsSchema,
    GroupRenameSchema,
    HouseholdUpdateSchema,
    ManagedDeviceSchema,
    ManagedGroupDetailSchema,
    ManagedGroupSchema,
    ManagedHouseholdSchema,
)

blp = Blueprint("enrolment", __name__, url_prefix="/api/v1", description="Joining a phone to its group")


@blp.route("/enrol", methods=["POST"])
@limiter.limit("10 per minute;60 per hour")  # codes are short enough to read aloud: slow guessing down
@blp.arguments(EnrolRequestSchema)
@blp.response(201, EnrolResponseSchema)
def enrol(args: dict[str, Any]) -> dict[str, Any]:
    """Exchange a one-time enrolment code for a long-lived device token."""
    return operations.enrol_device(args["code"], args["label"], args["request_id"])


officer_groups = Blueprint(
    "officer_groups",
    __name__,
    url_prefix="/api/v1/officer",
    description="Household groups, households and phones, for the commune's head",
)


@officer_groups.route("/groups", methods=["GET"])
@officer_required(*MANAGERS)
@officer_groups.arguments(GroupListArgsSchema, location="query")
@officer_groups.response(200, ManagedGroupSchema(many=True))
def list_groups(args: dict[str, Any]) -> list[HouseholdGroup]:
    """The commune's groups with their household and phone counts and when a phone last synced."""
    return queries.groups(g.officer, args.get("village_id"))


@officer_groups.route("/groups", methods=["POST"])
@officer_required(*MANAGERS)
@officer_groups.arguments(GroupCreateSchema)
@officer_groups.response(201, ManagedGroupDetailSchema)
def create_group(args: dict[str, Any]) -> HouseholdGroup:
    """A new group in one of the commune's villages; add its households, then enrol its phone."""
    return operations.create_group(
        g.officer, communes.village(g.officer.commune_id, args["village_id"]), args["code"], args["name"]
    )


@officer_groups.route("/groups/<int:group_id>", methods=["GET"])
@officer_required(*MANAGERS)
@officer_groups.response(200, ManagedGroupDetailSchema)
def get_group(group_id: int) -> HouseholdGroup:
    """One group with all its households (inactive ones too) and its phones."""
    return queries.group(g.officer, group_id)


@officer_groups.route("/groups/<int:group_id>", methods=["PATCH"])
@officer_required(*MANAGERS)
@officer_groups.arguments(GroupRenameSchema)
@officer_groups.response(200, ManagedGroupDetailSchema)
def rename_group(args: dict[str, Any], group_id: int) -> HouseholdGroup:
    """Rename the group; its phone shows the new name after its next sync."""
    return operations.rename_group(g.officer, queries.group(g.officer, group_id), args["name"])


@officer_groups.route("/groups/<int:group_id>/households", methods=["POST"])
@officer_required(*MANAGERS)
@officer_groups.arguments(ManagedHouseholdSchema)
@officer_groups.response(201, ManagedHouseholdSchema)
def add_household(args: dict[str, Any], group_id: int) -> Household:
    """Add a household to the group; it appears on the group's phone after its next sync."""
    return operations.add_household(g.officer, queries.group(g.officer, group_id), args["name"])


@officer_groups.route("/households/<int:household_id>", methods=["PATCH"])
@officer_required(*MANAGERS)
@officer_groups.arguments(HouseholdUpdateSchema)
@officer_groups.response(200, ManagedHouseholdSchema)
def update_household(args: dict[str, Any], household_id: int) -> Household:
    """Rename a household, or deactivate it (it leaves the phone; its reports stay)."""
    return operations.update_household(g.officer, queries.household(g.officer, household_id), args)


@officer_groups.route("/groups/<int:group_id>/enrolment-codes", methods=["POST"])
@officer_required(*MANAGERS)
@officer_groups.response(201, EnrolmentCodeSchema)
def issue_enrolment_code(group_id: int) -> operations.IssuedCode:
    """A one-time code to enrol the group's phone; shown once, to read out or print."""
    return operations.issue_code(queries.group(g.officer, group_id), g.officer.id)


@officer_groups.route("/devices/<int:device_id>/revoke", methods=["POST"])
@officer_required(*MANAGERS)
@officer_groups.response(200, ManagedDeviceSchema)
def revoke_device(device_id: int) -> Device:
    """Revoke a lost phone: its token stops working on its next call."""
    return operations.revoke_device(queries.device(g.officer, device_id), g.officer.id)
