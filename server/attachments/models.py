"""An attachment is declared by its report (id, size, SHA-256) and filled in by resumable chunks."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import Model


class Attachment(Model):
    __tablename__ = "attachment"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    # Exactly one owner: a report (photo or recording from a phone), an announcement (form or voice version from
    # the commune), or an officer's reply (its voice, issue 16; report_id is then the reply's report too).
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("report.id"), index=True)
    announcement_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("announcement.id"), index=True)
    message_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)  # an officer's voice reply
    group_id: Mapped[int | None] = mapped_column(ForeignKey("household_group.id"))  # uploader of a photo
    filename: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)  # declared size of the upload
    sha256: Mapped[str] = mapped_column(String(64))  # declared checksum of the upload
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    stored_size: Mapped[int | None] = mapped_column(BigInteger)  # after metadata stripping
    complete: Mapped[bool] = mapped_column(default=False)
    # A recording (content_type audio/*): its length as counted from the sound (audio.py), and what an officer
    # typed hearing it (searchable with the report: reports/search.py).
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    transcript: Mapped[str | None] = mapped_column(Text)
    # A tip's file sealed on the phone to this version of its commune's key (issue 11): the server holds ciphertext,
    # checked by SHA-256 and size only; officers open it, and check it is a picture or a sound, in the console.
    sealed_key_version: Mapped[int | None] = mapped_column(Integer)
    # Any other file sealed in the phone's queue to the server's queue key (queue_key.py): opened when complete,
    # then checked and cleaned as one sent in clear.
    queue_key_id: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
