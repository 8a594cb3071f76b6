"""The phone's household-key calls (claim with a household code, unlock with the PIN) and the officer's household
codes and unlocks. Both phone calls need the device token *and* something only the household has."""

from __future__ import annotations

from typing import Any

from flask import g

from ..api import Blueprint
from ..extensions import device_key, limiter
from ..groups import queries as groups
from ..groups.auth import device_required
from ..officers.auth import officer_required
from ..officers.models import MANAGERS
from . import operations
from .schemas import (
    ClaimSchema,
    CodeRequestSchema,
    HouseholdKeyStateSchema,
    IssuedHouseholdCodeSchema,
    ShareSchema,
    UnlockSchema,
)

blp = Blueprint("households", __name__, url_prefix="/api/v1", description="A household's keys on the shared phone")


@blp.route("/households/<int:household_id>/claim", methods=["POST"])
@limiter.limit("10 per minute;60 per hour", key_func=device_key)  # household codes are short: slow guessing down
@device_required
@blp.arguments(ClaimSchema)
@blp.response(201, ShareSchema)
def claim(args: dict[str, Any], household_id: int) -> dict[str, Any]:
    """Set the household's first PIN (or a new one after a reset) with its one-time household code."""
    return operations.claim(g.device, operations.household_of(g.device, household_id), args)


@blp.route("/households/<int:household_id>/unlock", methods=["POST"])
@device_required
@blp.arguments(UnlockSchema)
@blp.response(200, ShareSchema)
def unlock(args: dict[str, Any], household_id: int) -> dict[str, Any]:
    """Check the PIN online and release the server's share; wrong PINs are counted per household and day."""
    return operations.unlock(operations.household_of(g.device, household_id), args["pin_check"])


officer_households = Blueprint(
    "officer_households",
    __name__,
    url_prefix="/api/v1/officer",
    description="Household codes, reset codes and PIN unlocks, for the commune's head",
)


@officer_households.route("/households/<int:household_id>/codes", methods=["POST"])
@officer_required(*MANAGERS)
@officer_households.arguments(CodeRequestSchema)
@officer_households.response(201, IssuedHouseholdCodeSchema)
def issue_code(args: dict[str, Any], household_id: int) -> operations.IssuedHouseholdCode:
    """A one-time household code (first PIN) or reset code (forgotten PIN); shown once, to print or read out."""
    return operations.issue_code(g.officer, groups.household(g.officer, household_id), args["purpose"])


@officer_households.route("/groups/<int:group_id>/household-codes", methods=["POST"])
@officer_required(*MANAGERS)
@officer_households.response(201, IssuedHouseholdCodeSchema(many=True))
def issue_group_codes(group_id: int) -> list[operations.IssuedHouseholdCode]:
    """Household codes for every household of the group with no PIN yet, for the enrolment sheet."""
    return operations.issue_group_codes(g.officer, groups.group(g.officer, group_id))


@officer_households.route("/groups/<int:group_id>/household-keys", methods=["GET"])
@officer_required(*MANAGERS)
@officer_households.response(200, HouseholdKeyStateSchema(many=True))
def key_states(group_id: int) -> list[dict[str, Any]]:
    """Which households of the group have a PIN, and which are locked by wrong PINs."""
    return operations.key_states(groups.group(g.officer, group_id))


@officer_households.route("/households/<int:household_id>/unlock", methods=["POST"])
@officer_required(*MANAGERS)
@officer_households.response(200, HouseholdKeyStateSchema)
def unlock_household(household_id: int) -> dict[str, Any]:
    """Lift the lock of a household that typed too many wrong PINs."""
    return operations.unlock_household(g.officer, groups.household(g.officer, household_id))
