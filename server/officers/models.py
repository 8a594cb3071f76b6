"""Officers sign in with a password hashed by Argon2id; their commune bounds everything they can see."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..communes.models import Commune
from ..database import UTCDateTime, utcnow
from ..extensions import Model


class Role(enum.StrEnum):
    OFFICER = "officer"  # works the commune's queue
    HEAD = "head"  # also manages the commune: villages, groups, officers, devices, audit log
    ADMIN = "admin"  # manages communes and officers everywhere


MANAGERS = (Role.HEAD, Role.ADMIN)

# Each role's one name, (Vietnamese, English), served in GET /api/v1/rules like the reports' LABELS.
ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.OFFICER: ("Cán bộ", "Officer"),
    Role.HEAD: ("Trưởng công an xã", "Commune police chief"),
    Role.ADMIN: ("Quản trị", "Administrator"),
}


class Officer(Model):
    __tablename__ = "officer"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16), default=Role.OFFICER)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change or deactivation: every older session cookie stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    commune: Mapped[Commune | None] = relationship()

    def can_manage_commune(self) -> bool:
        return self.role in (Role.HEAD, Role.ADMIN)


class OfficerSession(Model):
    """One signed-in browser, kept on the server so that signing out really ends it.

    The cookie carries a random token; only its SHA-256 is stored here (a leaked database row cannot be
    replayed as a cookie). Signing out deletes the row, so a cookie copied before the sign-out is worthless;
    ``last_seen_at`` and ``created_at`` bound the session by idle time and by absolute lifetime.
    """

    __tablename__ = "officer_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 hex of the cookie's token
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
