"""Groups of 5–10 households share one enrolled phone; a device token is the phone's only credential."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..communes.models import Commune, Village
from ..database import UTCDateTime, utcnow
from ..extensions import Model


class HouseholdGroup(Model):
    __tablename__ = "household_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Denormalised from the village so that every scope check is one indexed column.
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    commune: Mapped[Commune] = relationship()
    village: Mapped[Village] = relationship()
    households: Mapped[list[Household]] = relationship(back_populates="group", order_by="Household.id")
    devices: Mapped[list[Device]] = relationship(order_by="Device.id", viewonly=True)


class Household(Model):
    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("household_group.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[HouseholdGroup] = relationship(back_populates="households")


class Device(Model):
    """An enrolled phone. Only the SHA-256 of its token is stored; revocation takes effect on the next call."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("household_group.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    # Feed position at enrolment: a new phone gets the commune's announcements from the start, but none of
    # the group's older report changes (replies to what another phone sent are not its business).
    feed_floor: Mapped[int] = mapped_column(BigInteger, default=0)

    group: Mapped[HouseholdGroup] = relationship()


class EnrolmentCode(Model):
    """A one-time, expiring code read out by the commune; stored hashed like a password reset token."""

    __tablename__ = "enrolment_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("household_group.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    # SHA-256 of the phone's request_id: lets that phone retry an enrolment whose answer it never heard.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))

    group: Mapped[HouseholdGroup] = relationship()
