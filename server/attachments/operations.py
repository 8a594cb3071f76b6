"""Resumable uploads: a chunk is accepted only at the offset the server holds; the whole is checked by SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import func, or_, select

from .. import queue_key
from ..audit import operations as audit
from ..database import get_in_commune, hour_floor, table_of, utcnow
from ..errors import ApiError, Conflict, NotFound, PayloadTooLarge, UnsupportedMediaType
from ..extensions import db
from ..groups.models import Device
from ..officers.models import Officer
from . import audio, images, storage
from .models import Attachment


def status(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": str(attachment.id),
        "size": attachment.size,
        "received": attachment.received,
        "complete": attachment.complete,
    }


def taken_ids(ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Which of the photo ids a push batch declares a record already uses: one query for the whole batch."""
    if not ids:
        return set()
    return set(db.session.scalars(select(Attachment.id).where(Attachment.id.in_(ids))))


def photo_rows(
    declared: list[dict[str, Any]], *, commune_id: int, report_id: uuid.UUID, group_id: int | None, at: datetime
) -> list[dict[str, Any]]:
    """The rows a report's photos fill in later, chunk by chunk, as one multi-row INSERT takes them (every
    column given: a Core INSERT runs no ORM defaults)."""
    return [
        {
            "id": photo["id"],
            "commune_id": commune_id,
            "report_id": report_id,
            "group_id": group_id,
            "filename": "",
            "content_type": photo["content_type"],
            "size": photo["size"],
            "sha256": photo["sha256"],
            "received": 0,
            "stored_size": None,
            "complete": False,
            "message_id": None,
            "duration_ms": photo.get("duration_ms") if photo.get("key_version") else None,
            "transcript": None,
            "sealed_key_version": photo.get("key_version"),
            "queue_key_id": photo.get("key_id"),
            "created_at": at,
            "completed_at": None,
        }
        for photo in declared
    ]


def insert_photo_rows(rows: list[dict[str, Any]]) -> None:
    """Write a batch's declared photos (a list of parameter sets: one cached multi-row INSERT)."""
    if rows:
        db.session.execute(table_of(Attachment).insert(), rows)


PDF_MAGIC = b"%PDF-"
SEALED_TYPE = "application/octet-stream"


def _clean_file(content_type: str, data: bytes) -> tuple[bytes, str, int | None]:
    """A PDF (checked by its magic bytes), a recording (an announcement's voice version: audio.clean) or an image
    (re-encoded without metadata by images.clean); with a recording's duration."""
    if data.startswith(PDF_MAGIC):
        return data, "application/pdf", None
    if content_type == "application/pdf":
        raise ApiError("The file is not a PDF.", status=422, code="invalid_file")
    if content_type.startswith("audio/") or data.startswith(audio.MAGIC):
        voice = audio.clean(data)
        return voice.data, voice.content_type, voice.duration_ms
    if content_type.startswith("image/") or content_type == "application/octet-stream":
        cleaned = images.clean(data)
        return cleaned.data, cleaned.content_type, None
    raise UnsupportedMediaType("Forms are PDF files, JPEG, PNG or WebP images, or Opus recordings.")


def store_form(
    data: bytes, content_type: str, filename: str, commune_id: int, announcement_id: uuid.UUID
) -> Attachment:
    """A form sent whole (for an announcement): the bytes are stored before the row that names them."""
    stored, stored_type, duration_ms = _clean_file(content_type, data)
    attachment = Attachment(
        duration_ms=duration_ms,
        id=uuid.uuid4(),
        commune_id=commune_id,
        announcement_id=announcement_id,
        filename=filename,
        content_type=stored_type,
        size=len(stored),
        sha256=hashlib.sha256(stored).hexdigest(),
        received=len(stored),
        stored_size=len(stored),
        complete=True,
        completed_at=utcnow(),
    )
    storage.store_final(attachment.id, stored, stored_type)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def store_voice_reply(data: bytes, commune_id: int, message_id: uuid.UUID) -> Attachment:
    """An officer's spoken reply (issue 16), sent whole: checked and cleaned like a phone's recording."""
    voice = audio.clean(data)
    attachment = Attachment(
        id=uuid.uuid4(),
        commune_id=commune_id,
        message_id=message_id,
        filename="",
        content_type=voice.content_type,
        size=len(voice.data),
        sha256=hashlib.sha256(voice.data).hexdigest(),
        received=len(voice.data),
        stored_size=len(voice.data),
        complete=True,
        completed_at=utcnow(),
        duration_ms=voice.duration_ms,
    )
    storage.store_final(attachment.id, voice.data, voice.content_type)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def reply_key(attachment_id: uuid.UUID) -> bytes:
    """The AES-256 key of a voice reply as phones fetch it: derived from the server's secret and the file's id,
    and told to the household only inside its sealed reply (the device token alone fetches ciphertext)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"binhan voice reply v1" + attachment_id.bytes, hashlib.sha256).digest()


def sealed_reply_bytes(attachment: Attachment) -> bytes:
    """The voice reply as a phone downloads it: nonce (12) ‖ AES-256-GCM(reply_key) of the stored file."""
    data = storage.read_final(attachment.id)
    if data is None:
        raise NotFound("No such recording.")
    nonce = os.urandom(12)
    return nonce + AESGCM(reply_key(attachment.id)).encrypt(nonce, data, None)


def for_device(device: Device, attachment_id: uuid.UUID, *, lock: bool = False) -> Attachment:
    """A photo the device's group declared; anything else is 404, whether it exists or not."""
    query = select(Attachment).where(Attachment.id == attachment_id)
    if lock:
        query = query.with_for_update()
    attachment = db.session.scalar(query)
    if attachment is None or attachment.group_id != device.group_id or attachment.report_id is None:
        raise NotFound("No such attachment for this phone.")
    return attachment


def receive_chunk(device: Device, attachment_id: uuid.UUID, offset: int, data: bytes) -> dict[str, Any]:
    return receive_into(for_device(device, attachment_id, lock=True), offset, data)


def receive_into(attachment: Attachment, offset: int, data: bytes) -> dict[str, Any]:
    """A chunk for an attachment its caller found (and locked) for the uploader: a phone, or an anonymous tip's
    mailbox (server/tips)."""
    if attachment.complete:
        storage.discard_part(attachment.id)  # left over if a crash came between the commit and the unlink
        if offset + len(data) <= attachment.size:
            return status(attachment)  # a retry of a chunk whose answer was lost
        raise PayloadTooLarge("More bytes than the attachment's declared size.")
    held = storage.part_size(attachment.id)
    if held < attachment.received:
        # The bytes the database counts are not all in the store (lost between a write and its commit): tell
        # the phone where to resume, rather than pad the gap with zeros that the SHA-256 would refuse.
        attachment.received = held
        db.session.commit()
    if offset != attachment.received:
        raise Conflict(f"The server holds {attachment.received} bytes; send from there.", code="offset_mismatch")
    if not data:
        raise ApiError("The chunk is empty.", code="empty_chunk")
    if offset == 0:
        _check_group_quota(attachment)
    if offset + len(data) > attachment.size:
        raise PayloadTooLarge("More bytes than the attachment's declared size.")
    storage.write_chunk(attachment.id, offset, data)
    attachment.received = offset + len(data)
    if attachment.received == attachment.size:
        _complete(attachment)
    db.session.commit()
    if attachment.complete:
        storage.discard_part(attachment.id)  # only now: until the commit, a crash must find the bytes
    return status(attachment)


class QuotaExceeded(ApiError):
    """The group stored its share of photo bytes for the period: keep the photo and send it later."""

    status, code = 413, "quota_exceeded"

    def __init__(self, quota_mb: int, days: int) -> None:
        super().__init__(f"This group has stored {quota_mb} MB of photos in {days} days; try again later.")
        self.headers = {"Retry-After": "3600"}


def _check_group_quota(attachment: Attachment) -> None:
    """Before the first byte of a photo: the group's photos of the last GROUP_QUOTA_DAYS, this one included,
    must fit in GROUP_QUOTA_MB (one phone must not fill the disk). Uploads already under way go on."""
    if attachment.group_id is None:
        return  # an anonymous tip's photo: its group is unknown; tokens bound how many tips a phone sends
    quota_mb, days = current_app.config["GROUP_QUOTA_MB"], current_app.config["GROUP_QUOTA_DAYS"]
    used = db.session.scalar(
        select(func.coalesce(func.sum(Attachment.size), 0)).where(
            Attachment.group_id == attachment.group_id,
            Attachment.id != attachment.id,
            Attachment.created_at >= utcnow() - timedelta(days=days),
            or_(Attachment.complete.is_(True), Attachment.received > 0),
        )
    )
    if int(used or 0) + attachment.size > quota_mb * 1024 * 1024:
        raise QuotaExceeded(quota_mb, days)


def _complete(attachment: Attachment) -> None:
    """Check the whole against the declared SHA-256, then keep a metadata-free copy."""
    data = storage.read_part(attachment.id, attachment.size)
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        _restart(attachment)
        raise ApiError(
            "The file does not match the SHA-256 its report declared; send it again from the start.",
            status=422,
            code="checksum_mismatch",
        )
    if attachment.sealed_key_version is not None:
        _keep_sealed(attachment, data)
        return
    if attachment.queue_key_id is not None:
        data = _opened(attachment, data)
    try:
        if attachment.content_type in audio.AUDIO_TYPES:
            # A recording is checked by its own bytes (never as an image): a PNG declared audio/webm is not_audio.
            voice = audio.clean(data)
            attachment.duration_ms = voice.duration_ms
            cleaned = images.CleanImage(voice.data, voice.content_type, reencoded=True)
        else:
            cleaned = images.clean(data)
    except (images.InvalidImage, audio.NotAudio, audio.AudioTooLong):
        _restart(attachment)
        raise
    storage.store_final(attachment.id, cleaned.data, cleaned.content_type)
    attachment.content_type = cleaned.content_type
    attachment.stored_size = len(cleaned.data)
    attachment.complete = True
    # An anonymous tip's photo (no group) keeps the hour only: its upload time is the tipster's (ADR 0004).
    attachment.completed_at = utcnow() if attachment.group_id is not None else hour_floor(utcnow())


def _opened(attachment: Attachment, data: bytes) -> bytes:
    """A file the phone queued sealed to the server's queue key, opened (checked and cleaned next as any)."""
    try:
        return queue_key.open_file(str(attachment.queue_key_id), data)
    except queue_key.Unreadable as exc:
        _restart(attachment)
        raise ApiError(str(exc), status=422, code="sealed_unreadable") from exc


def _keep_sealed(attachment: Attachment, data: bytes) -> None:
    """A tip's file sealed to the commune: kept as it came (the server cannot look inside; the console checks it
    is a picture or a sound once opened). Typed as bytes, so no browser ever renders it as what it claims."""
    storage.store_final(attachment.id, data, SEALED_TYPE)
    attachment.stored_size = len(data)
    attachment.complete = True
    attachment.completed_at = utcnow() if attachment.group_id is not None else hour_floor(utcnow())


def _restart(attachment: Attachment) -> None:
    """Forget the bytes and commit that, so the error answer and the stored state agree.

    The database first, then the store: a crash in between leaves stale bytes that the next chunk (at offset 0)
    replaces, never a database counting bytes that are gone.
    """
    attachment.received = 0
    db.session.commit()
    storage.discard_part(attachment.id)


def served_type(content_type: str, sealed_key_version: int | None) -> str:
    """What a file is sent as: a sealed one as bytes (the console opens it), never as the picture it claims."""
    return SEALED_TYPE if sealed_key_version is not None else content_type


def open_for_officer(officer: Officer, attachment_id: uuid.UUID) -> Attachment:
    """A complete photo or form of the officer's commune; every view is audited."""
    attachment = get_in_commune(Attachment, attachment_id, officer.commune_id, "file")
    if not attachment.complete:
        raise Conflict("This file has not finished uploading.", code="upload_incomplete")
    audit.record(
        "attachment.viewed",
        commune_id=attachment.commune_id,
        officer_id=officer.id,
        target_type="attachment",
        target_id=attachment.id,
    )
    db.session.commit()
    return attachment
