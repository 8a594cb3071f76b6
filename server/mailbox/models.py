"""A mailbox per anonymous tip, and the sealed entries officers' actions put in it."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model


class TipMailbox(Model):
    """Known by the SHA-256 of a 32-byte secret only the tipster's phone holds; no time, no group, no device."""

    __tablename__ = "tip_mailbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    verifier: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the secret
    public_key: Mapped[bytes] = mapped_column(LargeBinary(65))  # uncompressed P-256 point: entries are sealed to it
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("report.id"), unique=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class TipMailboxEntry(Model):
    """One sealed entry (a reply or a status): ciphertext only, numbered per mailbox, no time of its own."""

    __tablename__ = "tip_mailbox_entry"
    __table_args__ = (UniqueConstraint("mailbox_id", "seq", name="uq_tip_mailbox_entry_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("tip_mailbox.id"))
    seq: Mapped[int] = mapped_column(Integer)
    sealed: Mapped[str] = mapped_column(Text)  # base64url(ephemeral point ‖ nonce ‖ AES-GCM ciphertext+tag)
