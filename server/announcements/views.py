"""Phones download announcement files (forms) with their device token, to keep them for offline reading."""

from __future__ import annotations

import uuid

from flask import Response, g, send_file
from flask_smorest import Blueprint

from ..attachments import storage
from ..attachments.schemas import FILE_RESPONSE
from ..errors import NotFound
from ..fields import printable_name
from ..groups.auth import device_required
from . import operations

blp = Blueprint("announcements", __name__, url_prefix="/api/v1", description="Announcements for phones")


@blp.route("/announcements/<uuid:announcement_id>/files/<uuid:file_id>", methods=["GET"])
@blp.doc(security=[{"deviceToken": []}], responses={"200": FILE_RESPONSE})
@device_required
def download_file(announcement_id: uuid.UUID, file_id: uuid.UUID) -> Response:
    """A file of an announcement this phone's group can read."""
    announcement = operations.visible_to(g.device, announcement_id)
    file = next((f for f in announcement.files if f.id == file_id and f.complete), None) if announcement else None
    if file is None:
        raise NotFound()
    return send_file(
        storage.final_path(file.id),
        mimetype=file.content_type,
        download_name=printable_name(file.filename) or None,  # older rows may hold CR/LF
        max_age=0,
        conditional=True,
    )
