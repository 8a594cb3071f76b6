"""An announcement targets the whole commune, or only some of its villages."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..attachments.models import Attachment
from ..communes.models import Village
from ..database import UTCDateTime, utcnow
from ..extensions import Model, db

announcement_village = Table(
    "announcement_village",
    db.metadata,
    Column("announcement_id", ForeignKey("announcement.id", ondelete="CASCADE"), primary_key=True),
    Column("village_id", ForeignKey("village.id"), primary_key=True),
)


class Announcement(Model):
    __tablename__ = "announcement"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    villages: Mapped[list[Village]] = relationship(secondary=announcement_village, order_by="Village.name")
    files: Mapped[list[Attachment]] = relationship(
        primaryjoin="Attachment.announcement_id == Announcement.id", order_by="Attachment.created_at"
    )
    reads: Mapped[list[AnnouncementRead]] = relationship(viewonly=True)


class AnnouncementRead(Model):
    """A group's phone said it showed the announcement (read receipt)."""

    __tablename__ = "announcement_read"

    announcement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("announcement.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("household_group.id"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)


STATES = ("draft", "published", "expired", "withdrawn")


def state(announcement: Announcement) -> str:
    if announcement.withdrawn_at is not None:
        return "withdrawn"
    if announcement.published_at is None:
        return "draft"
    if announcement.expires_at is not None and announcement.expires_at <= utcnow():
        return "expired"
    return "published"
