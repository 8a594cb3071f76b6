"""An append-only log of what phones must learn, addressed to a group, village or commune."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import Model


class FeedEntry(Model):
    """One change. ``id`` is the feed position; see operations.py for why commit order equals ``id`` order."""

    __tablename__ = "feed_entry"
    __table_args__ = (
        Index("ix_feed_group_id", "group_id", "id"),
        Index("ix_feed_commune_id", "commune_id", "id"),
        # The commune-wide entries alone: a pull ORs this with ix_feed_group_id instead of reading every
        # group's entries of the commune (migration 0003, benchmarks/scale.py).
        Index(
            "ix_feed_commune_shared",
            "commune_id",
            "id",
            postgresql_where=text("group_id IS NULL"),
            sqlite_where=text("group_id IS NULL"),
        ),
    )

    # INTEGER on SQLite so that it is the rowid and autoincrements; BIGINT identity on PostgreSQL.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    # Audience: a group (report status, reply, profile), else a village, else the whole commune.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("household_group.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
