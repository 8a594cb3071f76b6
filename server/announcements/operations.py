"""Publishing announcements to the feed and recording that phones showed them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..attachments import operations as attachments
from ..attachments import storage
from ..attachments.models import Attachment
from ..audit import operations as audit
from ..communes.models import Village
from ..database import get_in_commune, utcnow
from ..errors import ApiError, Conflict, ItemRejected, NotFound
from ..extensions import db
from ..feed import operations as feed
from ..groups.models import Device
from .models import Announcement, AnnouncementRead, state


def payload(announcement: Announcement) -> dict[str, Any]:
    """What a phone stores: text, targets and the list of files it can download."""
    return {
        "id": str(announcement.id),
        "title": announcement.title,
        "body": announcement.body,
        "published_at": announcement.published_at.isoformat() if announcement.published_at else None,
        "expires_at": announcement.expires_at.isoformat() if announcement.expires_at else None,
        "village_ids": [village.id for village in announcement.villages],
        "files": [
            {
                "id": str(f.id),
                "name": f.filename,
                "content_type": f.content_type,
                "size": f.stored_size or f.size,
            }
            for f in announcement.files
            if f.complete
        ],
    }


def _append_to_audience(kind: str, body: dict[str, Any], announcement: Announcement) -> None:
    # One feed entry per targeted village, or one for the whole commune, so that pulls stay one indexed query.
    if announcement.villages:
        for village in announcement.villages:
            feed.append(kind, body, commune_id=announcement.commune_id, village_id=village.id)
    else:
        feed.append(kind, body, commune_id=announcement.commune_id)


def _audit(action: str, announcement: Announcement, officer_id: int | None, **details: Any) -> None:
    audit.record(
        action,
        commune_id=announcement.commune_id,
        officer_id=officer_id,
        target_type="announcement",
        target_id=announcement.id,
        **details,
    )


def create(
    commune_id: int,
    officer_id: int | None,
    title: str,
    body: str,
    village_ids: list[int],
    expires_at: datetime | None = None,
) -> Announcement:
    """A draft; it reaches phones when published."""
    villages = _commune_villages(commune_id, village_ids)
    announcement = Announcement(
        commune_id=commune_id,
        created_by_id=officer_id,
        title=title,
        body=body,
        villages=villages,
        expires_at=expires_at,
    )
    db.session.add(announcement)
    db.session.flush()
    _audit("announcement.created", announcement, officer_id)
    db.session.commit()
    return announcement


def publish(announcement: Announcement, officer_id: int | None) -> Announcement:
    if announcement.withdrawn_at is not None:
        raise Conflict("A withdrawn announcement cannot be published again.", code="announcement_withdrawn")
    if any(not f.complete for f in announcement.files):
        raise Conflict("A file of this announcement is still uploading.", code="upload_incomplete")
    announcement.published_at = announcement.published_at or utcnow()
    _audit("announcement.published", announcement, officer_id)
    _append_to_audience("announcement", payload(announcement), announcement)
    db.session.commit()
    return announcement


def withdraw(announcement: Announcement, officer_id: int | None) -> Announcement:
    if announcement.withdrawn_at is None:
        announcement.withdrawn_at = utcnow()
        _audit("announcement.withdrawn", announcement, officer_id)
        if announcement.published_at is not None:
            _append_to_audience("announcement_withdrawn", {"id": str(announcement.id)}, announcement)
    db.session.commit()
    return announcement


def visible_to(device: Device, announcement_id: uuid.UUID) -> Announcement | None:
    """The announcement if the device's group is in its audience and it was published."""
    announcement = db.session.get(Announcement, announcement_id)
    group = device.group
    if (
        announcement is None
        or announcement.commune_id != group.commune_id
        or announcement.published_at is None
        or announcement.withdrawn_at is not None
        or (announcement.villages and group.village_id not in {v.id for v in announcement.villages})
    ):
        return None
    return announcement


def file_for_device(device: Device, announcement_id: uuid.UUID, file_id: uuid.UUID) -> Attachment:
    """A complete file of an announcement the device's group can read; anything else is 404."""
    announcement = visible_to(device, announcement_id)
    file = next((f for f in announcement.files if f.id == file_id and f.complete), None) if announcement else None
    if file is None:
        raise NotFound()
    return file


def mark_read(device: Device, announcement_id: uuid.UUID, read_at: datetime) -> bool:
    if visible_to(device, announcement_id) is None:
        raise ItemRejected("No announcement with this id was sent to this phone.", code="unknown_announcement")
    key = {"announcement_id": announcement_id, "group_id": device.group_id}
    if db.session.get(AnnouncementRead, key) is not None:
        return False
    db.session.add(AnnouncementRead(**key, read_at=read_at))
    db.session.flush()
    return True


# --- officer side: drafts, files, expiry ------------------------------------------------------------------


def in_commune(commune_id: int | None, announcement_id: uuid.UUID) -> Announcement:
    return get_in_commune(Announcement, announcement_id, commune_id, "announcement")


def listed(commune_id: int | None, wanted_state: str | None) -> list[Announcement]:
    """The commune's announcements, newest first, in one state or all."""
    query = select(Announcement).where(Announcement.commune_id == commune_id)
    found = db.session.scalars(query.order_by(Announcement.created_at.desc())).all()
    return [a for a in found if not wanted_state or state(a) == wanted_state]


def _commune_villages(commune_id: int, village_ids: list[int]) -> list[Village]:
    villages = list(
        db.session.scalars(select(Village).where(Village.id.in_(village_ids), Village.commune_id == commune_id))
    )
    if len(villages) != len(set(village_ids)):
        raise ApiError(
            "A village is not in this commune.",
            status=422,
            code="validation_error",
            fields={"village_ids": ["Unknown village."]},
        )
    return villages


def update(announcement: Announcement, officer_id: int | None, changes: dict[str, Any]) -> Announcement:
    """Edit a draft; once published only the expiry may change, and phones are told the new one."""
    if announcement.withdrawn_at is not None:
        raise Conflict("A withdrawn announcement cannot change.", code="announcement_withdrawn")
    published = announcement.published_at is not None
    if published and set(changes) - {"expires_at"}:
        raise Conflict(
            "A published announcement can only get a new expiry; withdraw it to change it.",
            code="announcement_published",
        )
    if "village_ids" in changes:
        announcement.villages = _commune_villages(announcement.commune_id, changes.pop("village_ids"))
    for name, value in changes.items():
        setattr(announcement, name, value)
    _audit("announcement.updated", announcement, officer_id)
    if published:
        # Applying a change twice is harmless on the phone: it replaces the announcement by id.
        _append_to_audience("announcement", payload(announcement), announcement)
    db.session.commit()
    return announcement


def expire_now(announcement: Announcement, officer_id: int | None) -> Announcement:
    """End a published announcement today: phones stop showing it once they learn the expiry."""
    if announcement.published_at is None:
        raise Conflict("Only a published announcement can expire.", code="announcement_draft")
    return update(announcement, officer_id, {"expires_at": utcnow()})


def add_file(
    announcement: Announcement, officer_id: int | None, filename: str, content_type: str, data: bytes
) -> Attachment:
    """Attach a form to a draft; the bytes are stored before the row that names them is committed."""
    if announcement.published_at is not None or announcement.withdrawn_at is not None:
        raise Conflict("Files can only be added to a draft.", code="announcement_published")
    if not data:
        raise ApiError("The file is empty.", status=422, code="invalid_file")
    attachment = attachments.store_form(data, content_type, filename, announcement.commune_id, announcement.id)
    _audit("announcement.file_added", announcement, officer_id, file_id=str(attachment.id))
    db.session.commit()
    db.session.refresh(announcement, ["files"])
    return attachment


def remove_file(announcement: Announcement, officer_id: int | None, file_id: uuid.UUID) -> None:
    if announcement.published_at is not None:
        raise Conflict("Files of a published announcement stay; withdraw it instead.", code="announcement_published")
    file = next((f for f in announcement.files if f.id == file_id), None)
    if file is None:
        raise NotFound("No such file.")
    db.session.delete(file)
    _audit("announcement.file_removed", announcement, officer_id, file_id=str(file_id))
    db.session.commit()
    storage.delete_final(file_id)
