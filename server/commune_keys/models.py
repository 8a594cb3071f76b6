"""A commune's reading keys for tips, newest version current; older versions stay to open older tips."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import Model


class CommuneKey(Model):
    """One version of a commune's P-256 reading key.

    ``passphrase_wrap`` is the private key (PKCS#8) encrypted in the head's browser under the officers'
    passphrase (JSON: PBKDF2-SHA256 iterations, salt, AES-GCM nonce and ciphertext); ``recovery_wrap`` is the same
    private key sealed to the province's recovery public key (ECIES, server/mailbox/sealing.py's layout), opened
    only offline with the province's private key when the passphrase is lost (``flask commune-keys recover``).
    """

    __tablename__ = "commune_key"
    __table_args__ = (UniqueConstraint("commune_id", "version", name="uq_commune_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    version: Mapped[int] = mapped_column(Integer)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(65))  # uncompressed P-256 point
    passphrase_wrap: Mapped[str] = mapped_column(Text)  # JSON, see above
    recovery_wrap: Mapped[str] = mapped_column(Text)  # base64url sealed box
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
