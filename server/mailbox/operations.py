"""Putting officers' actions in a tip's mailbox, and reading a mailbox's entries after a sequence number.

Entries are sealed when written (to the tip's public key), so the database, its backups and the server's memory
after the request hold ciphertext only; the console keeps the readable thread in the report's own tables.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select

from ..extensions import db
from . import sealing
from .models import TipMailbox, TipMailboxEntry


def for_report(report_id: uuid.UUID) -> TipMailbox | None:
    return db.session.scalar(select(TipMailbox).where(TipMailbox.report_id == report_id).with_for_update())


def deliver(report_id: uuid.UUID, payload: dict[str, Any]) -> bool:
    """Seal ``payload`` (UTF-8 JSON) into the tip's mailbox inside the caller's transaction; False if it has none.

    The mailbox row is locked (PostgreSQL) so that two officers acting at once take different sequence numbers.
    """
    mailbox = for_report(report_id)
    if mailbox is None:
        return False
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    mailbox.last_seq += 1
    db.session.add(
        TipMailboxEntry(mailbox_id=mailbox.id, seq=mailbox.last_seq, sealed=sealing.seal(mailbox.public_key, plaintext))
    )
    return True


def entries(mailbox: TipMailbox, since: int | None, limit: int) -> list[TipMailboxEntry]:
    query = select(TipMailboxEntry).where(TipMailboxEntry.mailbox_id == mailbox.id)
    if since:
        query = query.where(TipMailboxEntry.seq > since)
    return list(db.session.scalars(query.order_by(TipMailboxEntry.seq).limit(limit)))
