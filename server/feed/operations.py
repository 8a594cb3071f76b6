"""Append to and read from the change feed without ever letting a cursor skip a change.

The danger (DESIGN.md, "Sync contract"): on PostgreSQL a sequence value is taken at INSERT, but rows become
visible at COMMIT. If transaction A takes id 10 and commits after B took id 11 and committed, a phone that
pulled in between saw 11, moved its cursor past 10, and would never see 10.

The rule here: a transaction appends to the feed only while holding one transaction-scoped advisory lock,
taken just before its first feed INSERT and released by its COMMIT or ROLLBACK. Ids are therefore handed
out in commit order, and "every id below the highest visible one is committed (or gone)" holds, so a
reader can always take the highest id it saw as its cursor. Officer actions append, and of phones' pushes
only appointment bookings do (issue 15), so the lock is rarely contended; transactions take it as their
last step to hold it briefly. SQLite serialises writers already (BEGIN IMMEDIATE), so it needs nothing more.
See docs/adr/0002-sync-cursor.md and tests/sync/test_cursor_postgres.py.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, text

from ..database import is_postgres
from ..errors import ApiError
from ..extensions import db
from .models import FeedEntry

FEED_LOCK_KEY = 0x42696E68416E  # "BinhAn": the advisory lock that orders feed appends

_CURSOR_PREFIX = "f1:"


def encode_cursor(position: int) -> str:
    """Cursors are opaque to clients (a versioned, url-safe token) so the scheme can change later."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if cursor is None or cursor == "":
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(raw)
        position = int(raw.removeprefix(_CURSOR_PREFIX))
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise ApiError("The sync cursor is not one this server gave out.", code="invalid_cursor") from exc
    if position < 0:
        raise ApiError("The sync cursor is not one this server gave out.", code="invalid_cursor")
    return position


def append(
    kind: str,
    payload: dict[str, Any],
    *,
    commune_id: int,
    group_id: int | None = None,
    village_id: int | None = None,
) -> FeedEntry:
    """Add a change to the feed inside the caller's transaction (call it last, just before commit)."""
    if is_postgres():
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK_KEY})
    # Absent, not null: the contract marks these fields optional, and a month of changes repeats them hundreds
    # of times on a phone's 2G link.
    payload = {key: value for key, value in payload.items() if value is not None}
    entry = FeedEntry(kind=kind, payload=payload, commune_id=commune_id, group_id=group_id, village_id=village_id)
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True)
class Page:
    changes: list[dict[str, Any]]
    cursor: str
    more: bool


@dataclass(frozen=True)
class Audience:
    """Who pulls: a phone reads its group's entries past ``floor``, and its village's and commune's."""

    commune_id: int
    village_id: int
    group_id: int
    floor: int


def _addressed_to(audience: Audience) -> Any:
    for_group = (FeedEntry.group_id == audience.group_id) & (FeedEntry.id > audience.floor)
    for_village_or_commune = FeedEntry.group_id.is_(None) & or_(
        FeedEntry.village_id.is_(None), FeedEntry.village_id == audience.village_id
    )
    return (FeedEntry.commune_id == audience.commune_id) & or_(for_group, for_village_or_commune)


def pull(audience: Audience, cursor: str | None, limit: int) -> Page:
    """The audience's changes after ``cursor``, oldest first, at most ``limit`` of them."""
    after = decode_cursor(cursor)
    rows = db.session.scalars(
        select(FeedEntry).where(_addressed_to(audience), FeedEntry.id > after).order_by(FeedEntry.id).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    position = rows[-1].id if rows else after
    return Page([{"type": row.kind, **row.payload} for row in rows], encode_cursor(position), more)


def head_position() -> int:
    """The highest feed position; a new device's floor for group changes (see Device.feed_floor)."""
    return db.session.scalar(select(func.max(FeedEntry.id))) or 0


RESTORE_GAP = 1_000_000_000  # positions left unused after a restore: ~750 years of a province's changes


def skip_lost_positions(commune_ids: Sequence[int], gap: int = RESTORE_GAP) -> int:
    """After a restore from backup, number new changes past every position the lost hours could have used.

    A phone that synced between the backup and the disaster holds a cursor past the backup's last change. Were
    new changes numbered from there, it would skip every one below its cursor, an officer's reply included,
    without a sign. So the numbering jumps ``gap`` ahead, and each commune gets a ``restored`` change at the
    new start (``backup_position``: where the restored data ends), which is also what keeps the jump on SQLite,
    whose next rowid is always the highest one plus one. Returns the first new position.
    """
    backup_position = head_position()
    start = backup_position + gap
    communes = sorted(commune_ids)
    for offset, commune_id in enumerate(communes):
        db.session.add(
            FeedEntry(
                id=start + offset,
                kind="restored",
                payload={"backup_position": backup_position},
                commune_id=commune_id,
            )
        )
    db.session.flush()
    if is_postgres():
        db.session.execute(
            text("SELECT setval(pg_get_serial_sequence('feed_entry', 'id'), :last)"),
            {"last": start + max(len(communes) - 1, 0)},
        )
    return start
