"""``POST /api/v1/sync``: the one round trip of the sync contract (docs/api-contract.md)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_smorest import Api

from ..api import Blueprint
from ..extensions import device_key, device_limit, limiter
from ..groups.auth import device_required
from . import operations
from .schemas import (
    BookingItemSchema,
    MessageItemSchema,
    ReceiptItemSchema,
    ReportItemSchema,
    SyncRequestSchema,
    SyncResponseSchema,
)

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="Phone synchronisation")


@blp.route("/sync", methods=["POST"])
@limiter.limit(device_limit("DEVICE_SYNC_LIMIT"), key_func=device_key)
@device_required
@blp.arguments(SyncRequestSchema)
@blp.response(200, SyncResponseSchema)
def sync(args: dict[str, Any]) -> dict[str, Any]:
    """Push queued items (results one per item) and pull the group's changes since the cursor."""
    return operations.sync(g.device, args["cursor"], args["push"], compact=args["results"] == "compact")


def document_items(api: Api) -> None:
    """Push items are validated one by one (not by the request schema), so name them in the spec here."""
    for name, schema in (
        ("ReportItem", ReportItemSchema),
        ("MessageItem", MessageItemSchema),
        ("ReceiptItem", ReceiptItemSchema),
        ("BookingItem", BookingItemSchema),
    ):
        api.spec.components.schema(name, schema=schema)
