"""Officers write announcements, attach forms, publish, expire and withdraw them (their commune only)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, g, request
from flask_smorest import Blueprint
from sqlalchemy import select

from ..errors import PayloadTooLarge
from ..extensions import db
from ..officers import scope
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
    state,
)

blp = Blueprint(
    "officer_announcements",
    __name__,
    url_prefix="/api/v1/officer/announcements",
    description="Announcements and forms, for officers",
)

SESSION = [{"officerSession": []}]


@blp.route("", methods=["GET"])
@blp.doc(security=SESSION)
@officer_required()
@blp.arguments(AnnouncementListArgsSchema, location="query")
@blp.response(200, AnnouncementSchema(many=True))
def list_announcements(args: dict[str, Any]) -> list[Announcement]:
    """The commune's announcements, newest first (drafts, published, expired and withdrawn)."""
    query = select(Announcement).where(Announcement.commune_id == g.officer.commune_id)
    found = db.session.scalars(query.order_by(Announcement.created_at.desc())).all()
    return [a for a in found if not args.get("state") or state(a) == args["state"]]


@blp.route("", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required()
@blp.arguments(AnnouncementCreateSchema)
@blp.response(201, AnnouncementSchema)
def create_announcement(args: dict[str, Any]) -> Announcement:
    """A draft for the whole commune (no villages) or some of its villages; publish it when ready."""
    return operations.create(
        g.officer.commune_id, g.officer.id, args["title"], args["body"], args["village_ids"], args["expires_at"]
    )


@blp.route("/<uuid:announcement_id>", methods=["GET"])
@blp.doc(security=SESSION)
@officer_required()
@blp.response(200, AnnouncementSchema)
def get_announcement(announcement_id: uuid.UUID) -> Announcement:
    return scope.announcement(announcement_id)


@blp.route("/<uuid:announcement_id>", methods=["PATCH"])
@blp.doc(security=SESSION)
@officer_required()
@blp.arguments(AnnouncementUpdateSchema)
@blp.response(200, AnnouncementSchema)
def update_announcement(args: dict[str, Any], announcement_id: uuid.UUID) -> Announcement:
    """Edit a draft; a published announcement only takes a new expiry (phones are told)."""
    return operations.update(scope.announcement(announcement_id), g.officer.id, args)


@blp.route("/<uuid:announcement_id>/files", methods=["POST"])
@blp.doc(
    security=SESSION,
    requestBody={
        "required": True,
        "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "image/*": {"schema": {"type": "string", "format": "binary"}},
        },
    },
)
@officer_required()
@blp.arguments(FileUploadArgsSchema, location="query")
@blp.response(201, AnnouncementFileSchema)
def add_file(args: dict[str, Any], announcement_id: uuid.UUID) -> Any:
    """Attach a form (the raw bytes of a PDF, JPEG, PNG or WebP file as the body) to a draft."""
    announcement = scope.announcement(announcement_id)
    limit = current_app.config["ANNOUNCEMENT_FILE_MAX_BYTES"]
    if (request.content_length or 0) > limit:
        raise PayloadTooLarge(f"Forms are at most {limit // (1024 * 1024)} MB.")
    request.max_content_length = limit  # above the 2 MB of sync bodies, for this request only
    return operations.add_file(announcement, g.officer.id, args["name"], request.mimetype, request.get_data())


@blp.route("/<uuid:announcement_id>/files/<uuid:file_id>", methods=["DELETE"])
@blp.doc(security=SESSION)
@officer_required()
@blp.response(204)
def remove_file(announcement_id: uuid.UUID, file_id: uuid.UUID) -> None:
    """Take a file off a draft."""
    operations.remove_file(scope.announcement(announcement_id), g.officer.id, file_id)


@blp.route("/<uuid:announcement_id>/publish", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required()
@blp.response(200, AnnouncementSchema)
def publish(announcement_id: uuid.UUID) -> Announcement:
    """Send it: phones of its villages receive it on their next sync."""
    return operations.publish(scope.announcement(announcement_id), g.officer.id)


@blp.route("/<uuid:announcement_id>/expire", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required()
@blp.response(200, AnnouncementSchema)
def expire(announcement_id: uuid.UUID) -> Announcement:
    """End a published announcement now; phones stop showing it after their next sync."""
    return operations.expire_now(scope.announcement(announcement_id), g.officer.id)


@blp.route("/<uuid:announcement_id>/withdraw", methods=["POST"])
@blp.doc(security=SESSION)
@officer_required()
@blp.response(200, AnnouncementSchema)
def withdraw(announcement_id: uuid.UUID) -> Announcement:
    """Take it back: phones remove it on their next sync."""
    return operations.withdraw(scope.announcement(announcement_id), g.officer.id)
