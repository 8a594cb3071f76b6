"""Slots the commune opens for paperwork appointments, the procedures they serve and the bookings that take them."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import Model
from ..officers.models import Officer
from ..reports.models import Report


class Procedure(Model):
    """A common procedure (mất CCCD, đăng ký tạm trú, …) and the papers to bring, one per line; the commune edits
    them, phones show them when booking."""

    __tablename__ = "appointment_procedure"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    papers: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def paper_list(self) -> list[str]:
        return [line.strip() for line in self.papers.splitlines() if line.strip()]


class Holiday(Model):
    """A day the office is closed: no slot is made on it, and the slots it had are closed."""

    __tablename__ = "appointment_holiday"
    __table_args__ = (UniqueConstraint("commune_id", "day", name="uq_appointment_holiday_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200), default="")


class Slot(Model):
    """``capacity`` people from ``starts_at`` to ``ends_at``; ``booked`` only moves by a conditional UPDATE
    (operations.take_seat), and the database refuses a count above capacity too."""

    __tablename__ = "appointment_slot"
    __table_args__ = (
        Index("ix_appointment_slot_commune_start", "commune_id", "starts_at"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_appointment_slot_booked"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(default=1)
    booked: Mapped[int] = mapped_column(default=0)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))  # the officer on duty
    closed: Mapped[bool] = mapped_column(default=False)

    officer: Mapped[Officer | None] = relationship()
    bookings: Mapped[list[Booking]] = relationship(
        primaryjoin="and_(Booking.slot_id == Slot.id, Booking.outcome == 'confirmed')", viewonly=True
    )


class Outcome(enum.StrEnum):
    CONFIRMED = "confirmed"  # the slot was free: the household has its seat
    FULL = "full"  # it filled meanwhile (or closed): the nearest free slots were proposed
    RELEASED = "released"  # the household picked another slot later: its seat went back


class Booking(Model):
    """One request for a slot: the appointment report itself (same id) or a later pick (a ``booking`` item)."""

    __tablename__ = "appointment_booking"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report.id"), index=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_slot.id"), index=True)
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_procedure.id"))
    outcome: Mapped[Outcome] = mapped_column(
        Enum(Outcome, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    report: Mapped[Report] = relationship()
    slot: Mapped[Slot | None] = relationship()
    procedure: Mapped[Procedure | None] = relationship()
