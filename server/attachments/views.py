"""Photo upload from phones (resumable chunks) and photo download for officers of the same commune."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, g

from ..api import Blueprint
from ..extensions import device_key, device_limit, limiter
from ..fields import printable_name
from ..groups.auth import device_required
from ..officers.auth import officer_required
from . import operations, storage
from .chunks import CHUNK_BODY, chunk_from_request
from .schemas import FILE_RESPONSE, ChunkArgsSchema, UploadStatusSchema

blp = Blueprint("attachments", __name__, url_prefix="/api/v1", description="Resumable photo uploads")


@blp.route("/attachments/<uuid:attachment_id>", methods=["GET"])
@device_required
@blp.response(200, UploadStatusSchema)
def upload_status(attachment_id: uuid.UUID) -> dict[str, Any]:
    """How many bytes of this photo the server holds: resume from there."""
    return operations.status(operations.for_device(g.device, attachment_id))


@blp.route("/attachments/<uuid:attachment_id>", methods=["PATCH"])
@blp.doc(requestBody=CHUNK_BODY)
@limiter.limit(device_limit("DEVICE_UPLOAD_LIMIT"), key_func=device_key)
@device_required
@blp.arguments(ChunkArgsSchema, location="query")
@blp.response(200, UploadStatusSchema)
def upload_chunk(args: dict[str, Any], attachment_id: uuid.UUID) -> dict[str, Any]:
    """Append the bytes in the body at ``offset``, which must equal what the server holds."""
    return operations.receive_chunk(g.device, attachment_id, args["offset"], chunk_from_request())


@blp.route("/officer/attachments/<uuid:attachment_id>", methods=["GET"])
@blp.doc(responses={"200": FILE_RESPONSE})
@officer_required()
def download(attachment_id: uuid.UUID) -> Response:
    """A photo or form of the officer's commune (every view is audited)."""
    attachment = operations.open_for_officer(g.officer, attachment_id)
    return storage.send(
        attachment.id,
        mimetype=operations.served_type(attachment.content_type, attachment.sealed_key_version),
        download_name=printable_name(attachment.filename) or None,  # older rows may hold CR/LF
    )
