"""A commune's SMS gateway, what it delivered (the dedupe log, with refusals for officers) and parts waiting."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .. import at_rest
from ..database import UTCDateTime, utcnow
from ..extensions import Model

SIGNING_KEY = "sms gateway signing key"
API_PASSWORD = "sms gateway api password"  # noqa: S105 - the purpose label of a sealed value, not a password


class SmsGateway(Model):
    """The commune office's Android phone running "SMS Gateway for Android": its number (what phones write to)
    and the signing key of its webhooks (X-Signature), which the server must read back to check them."""

    __tablename__ = "sms_gateway"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), unique=True)
    number: Mapped[str] = mapped_column(String(32))
    # The two secrets are kept sealed (server/at_rest.py, migration 0016); the clear columns of earlier releases
    # stay empty, until a later release drops them.
    signing_key_sealed: Mapped[str | None] = mapped_column(Text)
    legacy_signing_key: Mapped[str] = mapped_column("signing_key", String(200), default="")
    # The gateway's send API (replies by SMS): e.g. http://192.168.1.50:8080/messages (local server) and its
    # basic-auth credentials; None: replies reach phones through the feed only.
    api_url: Mapped[str | None] = mapped_column(String(300))
    api_username: Mapped[str | None] = mapped_column(String(100))
    api_password_sealed: Mapped[str | None] = mapped_column(Text)
    legacy_api_password: Mapped[str | None] = mapped_column("api_password", String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def signing_key(self) -> str:
        """The webhook signing key (X-Signature), opened from its sealed column."""
        if self.signing_key_sealed:
            return at_rest.open_sealed(self.signing_key_sealed, SIGNING_KEY)
        return self.legacy_signing_key

    @signing_key.setter
    def signing_key(self, value: str) -> None:
        self.signing_key_sealed, self.legacy_signing_key = at_rest.seal(value, SIGNING_KEY), ""

    @property
    def api_password(self) -> str | None:
        """The send API's password, opened from its sealed column."""
        if self.api_password_sealed:
            return at_rest.open_sealed(self.api_password_sealed, API_PASSWORD)
        return self.legacy_api_password

    @api_password.setter
    def api_password(self, value: str | None) -> None:
        self.api_password_sealed = at_rest.seal(value, API_PASSWORD) if value else None
        self.legacy_api_password = None


class SmsInbound(Model):
    """One webhook delivery the server acted on: a retry of the same envelope id finds it and changes nothing.

    ``outcome``: ``stored``, ``duplicate`` (the report was already there), ``partial`` (a part is waiting for
    the others) or ``refused`` (``reason`` says why; officers read these). ``sender`` keeps only the number's
    last three digits."""

    __tablename__ = "sms_inbound"
    __table_args__ = (UniqueConstraint("commune_id", "envelope_id", name="uq_sms_inbound_envelope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    envelope_id: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(40))
    sender: Mapped[str] = mapped_column(String(8), default="")
    device_id: Mapped[int | None] = mapped_column(Integer)
    report_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class SmsPart(Model):
    """A part of a multi-part report, waiting for the others (any order), then kept for three days so that a late
    copy of it (the SMS centre delivered it twice, the villager sent again) fails the unique key: a duplicate."""

    __tablename__ = "sms_part"
    __table_args__ = (UniqueConstraint("commune_id", "sender_hash", "message_key", "part_index", name="uq_sms_part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    sender_hash: Mapped[str] = mapped_column(String(64))
    message_key: Mapped[str] = mapped_column(String(8))
    part_index: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SmsThread(Model):
    """A report that came by SMS: the number to answer, and what of the report was already told by SMS."""

    __tablename__ = "sms_thread"

    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))
    told_status: Mapped[str] = mapped_column(String(20), default="new")
    told_until: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # officer replies up to here
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SmsOutbound(Model):
    """A short SMS to a phone that reported by SMS (a reply or a status change, with the tracking code), queued
    for the gateway's send API; its id is the gateway message id its sms:sent/delivered/failed webhooks name.

    ``state``: ``queued`` (to send, at ``next_attempt_at``), ``accepted`` (the gateway took it), ``sent``,
    ``delivered``, ``failed`` (``last_error`` says why: the gateway refused it or it was retried out)."""

    __tablename__ = "sms_outbound"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    number: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(160))
    state: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
