"""The live console (stream and its polling twin), urgent alerts, their settings and push subscriptions.

Every officer endpoint is scoped to the officer's commune on the server; events carry ids only, and the console
re-reads what they name through the ordinary endpoints.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app, g, request

from ..api import Blueprint
from ..errors import Unprocessable
from ..groups.auth import device_required
from ..live import stream
from ..live.models import AlertSettings, UrgentAlert
from ..officers.auth import officer_required
from ..officers.models import Role
from . import operations, webpush
from .schemas import (
    AckStatSchema,
    AlertSchema,
    AlertSettingsSchema,
    AlertSettingsUpdateSchema,
    AlertsSchema,
    LiveEventsArgsSchema,
    LiveEventsSchema,
    OfficerPushStateSchema,
    OfficerPushSubscriptionSchema,
    PushEndpointSchema,
    PushKeySchema,
    PushSubscriptionSchema,
)

blp = Blueprint("live", __name__, url_prefix="/api/v1/officer", description="Live console and urgent alerts")
phones = Blueprint("push", __name__, url_prefix="/api/v1", description="Web Push for the group's phone")

STREAM_RESPONSE = {"description": "text/event-stream: `change` events (ids only), `hello`, `reset`, heartbeats"}


def _check_endpoint(endpoint: str) -> None:
    # The server will POST to it: only HTTPS push services (plain HTTP for a local test push service only).
    if not endpoint.startswith("https://") and not current_app.config.get("PUSH_ALLOW_HTTP"):
        raise Unprocessable(fields={"endpoint": ["A push endpoint must be an https:// URL."]})


@blp.route("/live/stream", methods=["GET"])
@officer_required()
@blp.doc(responses={"200": STREAM_RESPONSE})
def live_stream() -> Response:
    """Server-Sent Events for the commune's consoles; send ``Last-Event-ID`` to get what was missed. 503
    ``stream_unavailable`` when this server holds as many streams as it may: poll ``/live/events``."""
    header = request.headers.get("Last-Event-ID") or request.args.get("last_event_id") or "0"
    last_id = int(header) if header.isdigit() else 0
    commune_id = g.officer.commune_id or 0
    events = stream.open_stream(current_app._get_current_object(), request.environ, commune_id, last_id)  # type: ignore[attr-defined]
    response = Response(events, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


@blp.route("/live/events", methods=["GET"])
@officer_required()
@blp.arguments(LiveEventsArgsSchema, location="query")
@blp.response(200, LiveEventsSchema)
def live_events(args: dict[str, Any]) -> dict[str, Any]:
    """The same events as the stream, for a console polling while it cannot hold one (``after``: the last id;
    0 or none: just the current position)."""
    answer = operations.events_since(g.officer, args["after"])
    return {**answer, "stream": stream.capacity(current_app._get_current_object(), request.environ) > 0}  # type: ignore[attr-defined]


@blp.route("/alerts", methods=["GET"])
@officer_required()
@blp.response(200, AlertsSchema)
def list_alerts() -> dict[str, Any]:
    """Urgent reports nobody acknowledged yet (oldest first) and those acknowledged over the last day."""
    return operations.commune_alerts(g.officer)


@blp.route("/alerts/<uuid:report_id>/ack", methods=["POST"])
@officer_required()
@blp.response(200, AlertSchema)
def acknowledge(report_id: uuid.UUID) -> UrgentAlert:
    """ "Đã nhận": stops the escalation; a new report becomes acknowledged."""
    return operations.acknowledge(g.officer, report_id)


@blp.route("/alerts/stats", methods=["GET"])
@officer_required()
@blp.response(200, AckStatSchema(many=True))
def ack_stats() -> list[dict[str, Any]]:
    """Per month (newest first): urgent alerts, how many were acknowledged or escalated, time to acknowledge."""
    return operations.ack_stats(g.officer.commune_id or 0)


@blp.route("/alerts/settings", methods=["GET"])
@officer_required()
@blp.response(200, AlertSettingsSchema)
def get_settings() -> AlertSettings:
    """Which tip categories are always urgent, and after how many minutes the head is told."""
    return operations.alert_settings(g.officer.commune_id or 0)


@blp.route("/alerts/settings", methods=["PUT"])
@officer_required(Role.HEAD)
@blp.arguments(AlertSettingsUpdateSchema)
@blp.response(200, AlertSettingsSchema)
def put_settings(args: dict[str, Any]) -> AlertSettings:
    """The head chooses the urgent categories and the escalation delay (default 10 minutes)."""
    return operations.update_settings(g.officer, args["urgent_categories"], args["escalate_after_minutes"])


@blp.route("/push/key", methods=["GET"])
@officer_required()
@blp.response(200, PushKeySchema)
def officer_push_key() -> dict[str, str]:
    """The VAPID public key the console's service worker subscribes with."""
    return {"public_key": webpush.public_key()}


@blp.route("/push/subscription", methods=["PUT"])
@officer_required()
@blp.arguments(OfficerPushSubscriptionSchema)
@blp.response(200, OfficerPushStateSchema)
def officer_subscribe(args: dict[str, Any]) -> dict[str, Any]:
    """This browser receives urgent alerts while ``on_duty`` (the head also gets escalations)."""
    _check_endpoint(args["endpoint"])
    keys = args["keys"]
    operations.subscribe_officer(g.officer, args["endpoint"], keys["p256dh"], keys["auth"], args["on_duty"])
    return _push_state()


@blp.route("/push/subscription", methods=["GET"])
@officer_required()
@blp.response(200, OfficerPushStateSchema)
def officer_push_state() -> dict[str, Any]:
    """How many browsers of this officer are subscribed, and whether any is on duty."""
    return _push_state()


def _push_state() -> dict[str, Any]:
    return operations.push_state(g.officer)


@blp.route("/push/subscription", methods=["DELETE"])
@officer_required()
@blp.arguments(PushEndpointSchema)
@blp.response(204)
def officer_unsubscribe(args: dict[str, Any]) -> None:
    """Stop pushes to this browser."""
    operations.unsubscribe_officer(g.officer, args["endpoint"])


@phones.route("/push/key", methods=["GET"])
@device_required
@phones.response(200, PushKeySchema)
def phone_push_key() -> dict[str, str]:
    """The VAPID public key the phone's service worker subscribes with."""
    return {"public_key": webpush.public_key()}


@phones.route("/push/subscription", methods=["PUT"])
@device_required
@phones.arguments(PushSubscriptionSchema)
@phones.response(204)
def phone_subscribe(args: dict[str, Any]) -> None:
    """The phone is told "Công an xã đã trả lời" (no content) when an officer answers its group."""
    _check_endpoint(args["endpoint"])
    operations.subscribe_group(g.device, args["endpoint"], args["keys"]["p256dh"], args["keys"]["auth"])


@phones.route("/push/subscription", methods=["DELETE"])
@device_required
@phones.response(204)
def phone_unsubscribe() -> None:
    """No more pushes to this phone."""
    operations.unsubscribe_group(g.device)
