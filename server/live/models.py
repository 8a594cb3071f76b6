"""What the live console is told, what makes a report urgent for a commune, and each urgent alert's life.

These rows sit below every feature (reports, tips and officers write them inside their own transaction), so they
name the tables above them by foreign key only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import Model

DEFAULT_ESCALATE_MINUTES = 10


class LiveEvent(Model):
    """One notification for a commune's open consoles: ids only (never text), kept a short while for replay.

    ``payload``: ``{"reports": [ids], "messages": [report ids], "receipts": [report ids], "alerts": true}``.
    The console re-reads what they name through the normal, commune-scoped API. The id is the SSE event id
    (``Last-Event-ID`` on reconnect).
    """

    __tablename__ = "live_event"
    # AUTOINCREMENT on SQLite: a purge that empties the table must not hand out old ids again, or a console
    # reconnecting with a higher Last-Event-ID would skip the new events (PostgreSQL's sequence never goes back).
    __table_args__ = (Index("ix_live_event_commune_id", "commune_id", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertSettings(Model):
    """A commune's choices: which tip categories are urgent whatever the sender said, and when to escalate."""

    __tablename__ = "alert_settings"

    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), primary_key=True)
    # Comma-separated TipCategory values (e.g. "violence,racing"); empty: only reports marked urgent.
    urgent_categories: Mapped[str] = mapped_column(String(200), default="")
    escalate_after_minutes: Mapped[int] = mapped_column(default=DEFAULT_ESCALATE_MINUTES)


class UrgentAlert(Model):
    """An urgent report someone must acknowledge: raised on arrival, pushed to the officers on duty, escalated to
    the head when nobody acknowledged it in time.

    For a tip sent alone (ADR 0004) the precise ``raised_at`` exists only while the alert is pending: once it is
    acknowledged only ``ack_seconds`` and the local ``month`` remain (``operations.close``).
    """

    __tablename__ = "urgent_alert"
    __table_args__ = (Index("ix_urgent_alert_commune_open", "commune_id", "acknowledged_at"),)

    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("report.id"), primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    tracking_code: Mapped[str] = mapped_column(String(9))
    raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    ack_seconds: Mapped[int | None] = mapped_column()
    month: Mapped[str] = mapped_column(String(7))  # "2026-12", in the commune's time zone: the stats' unit
