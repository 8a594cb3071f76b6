"""``POST /api/v1/sms/inbound`` (the gateway's webhook), ``GET /api/v1/sms/config`` (a phone's SMS key and its
commune's gateway number) and the console's gateway settings and refused-SMS log."""

from __future__ import annotations

from typing import Any

from flask import g, request

from ..api import Blueprint
from ..groups.auth import device_required
from ..officers.auth import officer_required
from ..officers.models import MANAGERS
from . import operations
from .models import SmsInbound
from .schemas import GatewaySchema, GatewayUpdateSchema, InboundResultSchema, RefusedSmsSchema, SmsConfigSchema

blp = Blueprint("sms", __name__, url_prefix="/api/v1/sms", description="Reports by SMS through the commune's gateway")


@blp.route("/inbound", methods=["POST"])
@blp.response(200, InboundResultSchema)
def inbound() -> dict[str, Any]:
    """The gateway's ``sms:received`` webhook (SMS Gateway for Android), signed with X-Timestamp / X-Signature.

    ``?commune=CODE`` (optional) names the gateway's commune; without it every configured key is tried."""
    return operations.receive(
        request.get_data(cache=True),
        request.headers.get("X-Timestamp"),
        request.headers.get("X-Signature"),
        request.args.get("commune"),
    )


@blp.route("/config", methods=["GET"])
@device_required
@blp.response(200, SmsConfigSchema)
def config() -> dict[str, Any]:
    """This phone's SMS key and its commune's gateway number (the phone keeps them for days without data)."""
    return operations.device_config(g.device)


officer_sms = Blueprint(
    "officer_sms", __name__, url_prefix="/api/v1/officer/sms", description="The commune's SMS gateway, for officers"
)


def _gateway_view(commune_id: int) -> dict[str, Any]:
    row = operations.gateway(commune_id)
    return {
        "number": row.number if row else None,
        "configured": row is not None,
        "key_hint": row.signing_key[-4:] if row else None,
        "updated_at": row.updated_at if row else None,
        "webhook_url": request.host_url.rstrip("/") + "/api/v1/sms/inbound",
        "api_url": row.api_url if row else None,
        "api_username": row.api_username if row else None,
    }


@officer_sms.route("/gateway", methods=["GET"])
@officer_required(*MANAGERS)
@officer_sms.response(200, GatewaySchema)
def get_gateway() -> dict[str, Any]:
    """The commune's gateway: its number and the last characters of its signing key."""
    return _gateway_view(g.officer.commune_id)


@officer_sms.route("/gateway", methods=["PUT"])
@officer_required(*MANAGERS)
@officer_sms.arguments(GatewayUpdateSchema)
@officer_sms.response(200, GatewaySchema)
def put_gateway(args: dict[str, Any]) -> dict[str, Any]:
    """Set the gateway's number and signing key (the head of the commune police, or an admin)."""
    commune = operations.commune_of(g.officer)
    api = None
    if args["api_url"] is not None:
        api = (args["api_url"], args["api_username"] or "", args["api_password"] or "")
    operations.set_gateway(commune, args["number"], args["signing_key"], g.officer.id, api)
    return _gateway_view(commune.id)


@officer_sms.route("/refused", methods=["GET"])
@officer_required()
@officer_sms.response(200, RefusedSmsSchema(many=True))
def refused() -> list[SmsInbound]:
    """SMS the gateway delivered that were not stored, newest first, and why."""
    return operations.refused(g.officer.commune_id)
