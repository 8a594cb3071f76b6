"""Audit entries never name the household of an anonymous report: they point at the report id only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import Model


class AuditEvent(Model):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_commune_at", "commune_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    action: Mapped[str] = mapped_column(String(48))
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    officer = relationship("Officer", lazy="joined", viewonly=True)
