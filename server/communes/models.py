"""A commune holds villages; every group, report and officer belongs to exactly one commune."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import Model


class Commune(Model):
    __tablename__ = "commune"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    villages: Mapped[list[Village]] = relationship(back_populates="commune", order_by="Village.name")


class Village(Model):
    __tablename__ = "village"
    __table_args__ = (UniqueConstraint("commune_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))

    commune: Mapped[Commune] = relationship(back_populates="villages")
