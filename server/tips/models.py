"""A commune's tip keys, the count of tokens each phone got a day, and the tokens spent (ADR 0004).

Nothing here ties a token to a phone: the issue count is per phone, day and key (no finer time); a spent token
is known by the SHA-256 of its message, which the server never saw when it signed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import Model


class TipKey(Model):
    """A commune's RSA key for blind-signing tokens. The private key is stored as PKCS#8 PEM encrypted with a key
    derived from SECRET_KEY (a database copy alone cannot sign). A key is current until a phone of the commune is
    revoked: ``revocations`` counts the commune's revoked phones when it was made, so a later revocation retires
    it (operations.current_key) and the next one is made with the new count (unique: two requests cannot both
    make it)."""

    __tablename__ = "tip_key"
    __table_args__ = (UniqueConstraint("commune_id", "revocations", name="uq_tip_key_commune_revocations"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)  # blind.key_id of the public key
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # SubjectPublicKeyInfo DER
    private_key: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted PKCS#8 PEM
    revocations: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # floored to the hour
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TipTokenIssue(Model):
    """How many tokens a phone got under a key on a commune-local day: the quota's count, and nothing finer."""

    __tablename__ = "tip_token_issue"
    __table_args__ = (UniqueConstraint("device_id", "key_id", "day", name="uq_tip_token_issue_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    key_id: Mapped[int] = mapped_column(ForeignKey("tip_key.id"))
    day: Mapped[date] = mapped_column(Date)
    issued: Mapped[int] = mapped_column(Integer, default=0)


class TipTokenRequest(Model):
    """A token request already answered, so that its retry gets the same signatures without counting again.

    ``blinded_hash`` (SHA-256 of the blinded values) tells a retry from another request reusing the id; the
    answer itself is not kept: signing the same blinded values again gives the same signatures.
    """

    __tablename__ = "tip_token_request"
    __table_args__ = (UniqueConstraint("device_id", "key_id", "request_hash", name="uq_tip_token_request"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    key_id: Mapped[int] = mapped_column(ForeignKey("tip_key.id"))
    request_hash: Mapped[str] = mapped_column(String(64))
    blinded_hash: Mapped[str] = mapped_column(String(64))
    signed: Mapped[int] = mapped_column(Integer)  # how many of the blinded values were signed


class SpentTipToken(Model):
    """A token spent on a tip: the same token again with the same tip is a retry, with another tip a refusal."""

    __tablename__ = "spent_tip_token"

    message_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex SHA-256 of the token's message
    key_id: Mapped[int] = mapped_column(ForeignKey("tip_key.id"))
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("report.id"))
