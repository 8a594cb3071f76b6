"""Officers write announcements, attach forms, publish, expire and withdraw them (their commune only); phones
download the forms with their device token, to keep them for offline reading."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app, g, request

from ..api import Blueprint
from ..attachments import storage
from ..attachments.models import Attachment
from ..attachments.schemas import FILE_RESPONSE
from ..errors import PayloadTooLarge
from ..fields import printable_name
from ..groups.auth import device_required
from ..officers.auth import officer_required
from . import operations
from .models import Announcement
from .schemas import (
    AnnouncementCreateSchema,
    AnnouncementFileSchema,
    AnnouncementListArgsSchema,
    AnnouncementSchema,
    AnnouncementUpdateSchema,
    FileUploadArgsSchema,
)

blp = Blueprint("announcements", __name__, url_prefix="/api/v1", description="Announcements for phones")


@blp.route("/announcements/<uuid:announcement_id>/files/<uuid:file_id>", methods=["GET"])
@blp.doc(responses={"200": FILE_RESPONSE})
@device_required
def download_file(announcement_id: uuid.UUID, file_id: uuid.UUID) -> Response:
    """A file of an announcement this phone's group can read."""
    file = operations.file_for_device(g.device, announcement_id, file_id)
    return storage.send(
        file.id,
        mimetype=file.content_type,
        download_name=printable_name(file.filename) or None,  # older rows may hold CR/LF
    )


officer_announcements = Blueprint(
    "officer_announcements",
    __name__,
    url_prefix="/api/v1/officer/announcements",
    description="Announcements and forms, for officers",
)


@officer_announcements.route("", methods=["GET"])
@officer_required()
@officer_announcements.arguments(AnnouncementListArgsSchema, location="query")
@officer_announcements.response(200, AnnouncementSchema(many=True))
def list_announcements(args: dict[str, Any]) -> list[Announcement]:
    """The commune's announcements, newest first (drafts, published, expired and withdrawn)."""
    return operations.listed(g.officer.commune_id, args.get("state"))


@officer_announcements.route("", methods=["POST"])
@officer_required()
@officer_announcements.arguments(AnnouncementCreateSchema)
@officer_announcements.response(201, AnnouncementSchema)
def create_announcement(args: dict[str, Any]) -> Announcement:
    """A draft for the whole commune (no villages) or some of its villages; publish it when ready."""
    return operations.create(
        g.officer.commune_id, g.officer.id, args["title"], args["body"], args["village_ids"], args["expires_at"]
    )


@officer_announcements.route("/<uuid:announcement_id>", methods=["GET"])
@officer_required()
@officer_announcements.response(200, AnnouncementSchema)
def get_announcement(announcement_id: uuid.UUID) -> Announcement:
    return operations.in_commune(g.officer.commune_id, announcement_id)


@officer_announcements.route("/<uuid:announcement_id>", methods=["PATCH"])
@officer_required()
@officer_announcements.arguments(AnnouncementUpdateSchema)
@officer_announcements.response(200, AnnouncementSchema)
def update_announcement(args: dict[str, Any], announcement_id: uuid.UUID) -> Announcement:
    """Edit a draft; a published announcement only takes a new expiry (phones are told)."""
    return operations.update(operations.in_commune(g.officer.commune_id, announcement_id), g.officer.id, args)


@officer_announcements.route("/<uuid:announcement_id>/files", methods=["POST"])
@officer_announcements.doc(
    requestBody={
        "required": True,
        "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "image/*": {"schema": {"type": "string", "format": "binary"}},
        },
    },
)
@officer_required()
@officer_announcements.arguments(FileUploadArgsSchema, location="query")
@officer_announcements.response(201, AnnouncementFileSchema)
def add_file(args: dict[str, Any], announcement_id: uuid.UUID) -> Attachment:
    """Attach a form (the raw bytes of a PDF, JPEG, PNG or WebP file as the body) to a draft."""
    announcement = operations.in_commune(g.officer.commune_id, announcement_id)
    limit = current_app.config["ANNOUNCEMENT_FILE_MAX_BYTES"]
    if (request.content_length or 0) > limit:
        raise PayloadTooLarge(f"Forms are at most {limit // (1024 * 1024)} MB.")
    request.max_content_length = limit  # above the 2 MB of sync bodies, for this request only
    return operations.add_file(announcement, g.officer.id, args["name"], request.mimetype, request.get_data())


@officer_announcements.route("/<uuid:announcement_id>/files/<uuid:file_id>", methods=["DELETE"])
@officer_required()
@officer_announcements.response(204)
def remove_file(announcement_id: uuid.UUID, file_id: uuid.UUID) -> None:
    """Take a file off a draft."""
    operations.remove_file(operations.in_commune(g.officer.commune_id, announcement_id), g.officer.id, file_id)


@officer_announcements.route("/<uuid:announcement_id>/publish", methods=["POST"])
@officer_required()
@officer_announcements.response(200, AnnouncementSchema)
def publish(announcement_id: uuid.UUID) -> Announcement:
    """Send it: phones of its villages receive it on their next sync."""
    return operations.publish(operations.in_commune(g.officer.commune_id, announcement_id), g.officer.id)


@officer_announcements.route("/<uuid:announcement_id>/expire", methods=["POST"])
@officer_required()
@officer_announcements.response(200, AnnouncementSchema)
def expire(announcement_id: uuid.UUID) -> Announcement:
    """End a published announcement now; phones stop showing it after their next sync."""
    return operations.expire_now(operations.in_commune(g.officer.commune_id, announcement_id), g.officer.id)


@officer_announcements.route("/<uuid:announcement_id>/withdraw", methods=["POST"])
@officer_required()
@officer_announcements.response(200, AnnouncementSchema)
def withdraw(announcement_id: uuid.UUID) -> Announcement:
    """Take it back: phones remove it on their next sync."""
    return operations.withdraw(operations.in_commune(g.officer.commune_id, announcement_id), g.officer.id)
