"""Phone enrolment: a one-time code in, a device token and the group's profile out."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from ..extensions import limiter
from ..sync.feed import encode_cursor
from ..sync.schemas import EnrolRequestSchema, EnrolResponseSchema
from . import operations

blp = Blueprint("enrolment", __name__, url_prefix="/api/v1", description="Joining a phone to its group")


@blp.route("/enrol", methods=["POST"])
@limiter.limit("10 per minute;60 per hour")  # codes are short enough to read aloud: slow guessing down
@blp.arguments(EnrolRequestSchema)
@blp.response(201, EnrolResponseSchema)
def enrol(args: dict[str, Any]) -> dict[str, Any]:
    """Exchange a one-time enrolment code for a long-lived device token."""
    device, token = operations.enrol_device(args["code"], args["label"], args["request_id"])
    # The cursor starts at the beginning: the feed floor (not the cursor) hides older group changes.
    return {
        "device_token": token,
        "group": operations.group_profile(device.group),
        "cursor": encode_cursor(0),
    }
