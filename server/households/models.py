"""What the server holds of a household's keys: its public keys, a peppered PIN verifier and its wrapped share.

None of it reads anything on its own. The phone keeps the household's private keys wrapped by a key derived from
the PIN *and* the share; the share is released only after the online PIN check in operations.py, so a copy of
the phone cannot try PINs offline, and a copy of the database cannot try them without the server's secret key.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import Model
from ..groups.models import Household


class HouseholdKey(Model):
    """One key set of a household; a reset retires it and a new row becomes the current one."""

    __tablename__ = "household_key"
    __table_args__ = (
        # At most one current key per household.
        Index(
            "ux_household_key_current",
            "household_id",
            unique=True,
            postgresql_where=text("retired_at IS NULL"),
            sqlite_where=text("retired_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    # Uncompressed P-256 points: ECDH (what is sealed to the household) and ECDSA (what it signs).
    box_public_key: Mapped[bytes] = mapped_column(LargeBinary(65))
    sign_public_key: Mapped[bytes] = mapped_column(LargeBinary(65))
    # HMAC-SHA256 of the phone's PIN-derived check value under a key derived from SECRET_KEY.
    pin_verifier: Mapped[bytes] = mapped_column(LargeBinary(32))
    # AES-GCM of the 32-byte share under a key derived from SECRET_KEY (nonce ‖ ciphertext ‖ tag).
    wrapped_share: Mapped[bytes] = mapped_column(LargeBinary(60))
    failed_count: Mapped[int] = mapped_column(default=0)
    failed_day: Mapped[date | None] = mapped_column(Date)  # the commune's local day of failed_count
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    household: Mapped[Household] = relationship()


class CodePurpose(enum.StrEnum):
    CLAIM = "claim"  # the household's first PIN
    RESET = "reset"  # a forgotten PIN: a new key set, what was sealed to the old one is lost


class HouseholdCode(Model):
    """A one-time code an officer prints or reads out to one household; stored hashed like an enrolment code."""

    __tablename__ = "household_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    purpose: Mapped[CodePurpose] = mapped_column(
        Enum(CodePurpose, native_enum=False, length=8, values_callable=lambda e: [m.value for m in e])
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 of the phone's request_id and the key the use created: a retry whose answer was lost gets it again.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[int | None] = mapped_column(ForeignKey("household_key.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    household: Mapped[Household] = relationship()
