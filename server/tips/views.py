"""The endpoints of ADR 0004: the key and tokens (device token), and the tokenless tip, photo and mailbox calls.

The tokenless calls carry no device token and no cookie; their rate limits count per token, per mailbox
secret (their hashes), never per address. Nothing here logs a request.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from flask import g, request

from ..api import Blueprint
from ..attachments.chunks import CHUNK_BODY, chunk_from_request
from ..attachments.schemas import ChunkArgsSchema, UploadStatusSchema
from ..extensions import device_key, device_limit, limiter
from ..groups.auth import device_required
from . import issuance, sending, thread
from .schemas import (
    MailboxRequestSchema,
    MailboxResponseSchema,
    SendTipSchema,
    SentTipSchema,
    TipKeySchema,
    TokenRequestSchema,
    TokenResponseSchema,
)

blp = Blueprint("tips", __name__, url_prefix="/api/v1/tips", description="Anonymous tips sent alone (ADR 0004)")

_MAILBOX_HEADER = {
    "in": "header",
    "name": "Tip-Mailbox",
    "required": True,
    "schema": {"type": "string"},
    "description": "base64url mailbox secret",
}
_NO_AUTH: list[dict[str, list[str]]] = []  # the spec's way to say: no device token, no cookie


def _hashed(kind: str, value: Any) -> str:
    return f"{kind}:" + hashlib.sha256(str(value).encode()).hexdigest()[:32]


def _token_key() -> str:
    """Rate-limit key of a tip: its token's message (a flood must spend or forge tokens, one key each)."""
    body = request.get_json(silent=True)
    token = body.get("token") if isinstance(body, dict) else None
    return _hashed("tip", token.get("message") if isinstance(token, dict) else None)


def _mailbox_key() -> str:
    body = request.get_json(silent=True)
    return _hashed("mailbox", body.get("secret") if isinstance(body, dict) else None)


def _upload_key() -> str:
    return _hashed("mailbox", request.headers.get(sending.MAILBOX_HEADER, ""))


@blp.route("/key", methods=["GET"])
@limiter.limit(device_limit("DEVICE_SYNC_LIMIT"), key_func=device_key)
@device_required
@blp.response(200, TipKeySchema)
def tip_key() -> dict[str, Any]:
    """The commune's current tip key and how many tokens this phone may still get today under it."""
    return issuance.key_for(g.device)


@blp.route("/tokens", methods=["POST"])
@limiter.limit(device_limit("DEVICE_SYNC_LIMIT"), key_func=device_key)
@device_required
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenResponseSchema)
def tokens(args: dict[str, Any]) -> dict[str, Any]:
    """Blind-sign the phone's blinded token messages (RFC 9474), up to its tokens left today; retry-safe."""
    return issuance.issue_tokens(g.device, args["request_id"], args["key_id"], args["blinded"])


@blp.route("", methods=["POST"])
@blp.doc(security=_NO_AUTH)
@limiter.limit(device_limit("TIP_SEND_LIMIT"), key_func=_token_key)
@blp.arguments(SendTipSchema)
@blp.response(201, SentTipSchema)
@blp.alt_response(200, schema=SentTipSchema, description="duplicate: this token and tip were already stored")
def send_tip(args: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """An anonymous tip, sent alone with a one-use token: no device token, no cookie."""
    return sending.send_tip(args)


@blp.route("/attachments/<uuid:attachment_id>", methods=["GET"])
@blp.doc(
    security=_NO_AUTH,
    parameters=[_MAILBOX_HEADER],
)
@blp.response(200, UploadStatusSchema)
def upload_status(attachment_id: uuid.UUID) -> dict[str, Any]:
    """How many bytes of this tip's photo the server holds: resume from there."""
    return sending.upload_status(request.headers.get(sending.MAILBOX_HEADER), attachment_id)


@blp.route("/attachments/<uuid:attachment_id>", methods=["PATCH"])
@blp.doc(
    security=_NO_AUTH,
    parameters=[_MAILBOX_HEADER],
    requestBody=CHUNK_BODY,
)
@limiter.limit(device_limit("TIP_UPLOAD_LIMIT"), key_func=_upload_key)
@blp.arguments(ChunkArgsSchema, location="query")
@blp.response(200, UploadStatusSchema)
def upload_chunk(args: dict[str, Any], attachment_id: uuid.UUID) -> dict[str, Any]:
    """Append the bytes in the body at ``offset`` to a photo of the tip whose mailbox secret is given."""
    return sending.receive_chunk(
        request.headers.get(sending.MAILBOX_HEADER), attachment_id, args["offset"], chunk_from_request()
    )


@blp.route("/mailbox", methods=["POST"])
@blp.doc(security=_NO_AUTH)
@limiter.limit(device_limit("TIP_MAILBOX_LIMIT"), key_func=_mailbox_key)
@blp.arguments(MailboxRequestSchema)
@blp.response(200, MailboxResponseSchema)
def mailbox(args: dict[str, Any]) -> dict[str, Any]:
    """The tipster's follow-ups and read receipts (exactly once), then the sealed entries since ``since``."""
    return thread.open_mailbox(args["secret"], args["since"], args["items"])
