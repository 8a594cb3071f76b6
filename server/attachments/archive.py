"""The finished attachments into one tar file and back, whatever the store: the files' half of a backup.

``scripts/backup.sh`` runs ``flask --app wsgi attachments export FILE`` after dumping the database and
``scripts/restore.sh`` runs ``attachments import FILE`` after restoring it. Going through the store interface,
rather than ``tar`` on a directory or a bucket tool on S3, gives both stores one path that the restore drill
checks, and takes exactly the files the database knows as complete. Unfinished uploads are left out on purpose:
the restored row still counts the bytes it had received, the store holds none, so the phone is sent back to the
part's end (offset 0) and sends the photo again (``storage.py``: "never a database counting on bytes that are
gone").

Each member is named by the attachment's 32 hex digits and dated by its ``completed_at``, which is already the
hour only for a tip's photo: the archive keeps no time finer than the database does.
"""

from __future__ import annotations

import io
import tarfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from . import storage
from .models import Attachment
from .operations import served_type


@dataclass
class Tally:
    """What an export or an import did, for the script's one line of output."""

    files: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)  # complete in the database, absent from the store/archive
    unknown: list[str] = field(default_factory=list)  # in the archive, not a complete attachment of the database

    def __str__(self) -> str:
        text = f"{self.files} files, {self.bytes} bytes"
        if self.missing:
            text += f"; {len(self.missing)} missing: {', '.join(self.missing[:5])}"
        if self.unknown:
            text += f"; {len(self.unknown)} not in the database, skipped: {', '.join(self.unknown[:5])}"
        return text


def export(path: Path) -> Tally:
    """Write every complete attachment's stored file into a new tar file at ``path``."""
    tally = Tally()
    rows = db.session.execute(
        select(Attachment.id, Attachment.completed_at).where(Attachment.complete).order_by(Attachment.id)
    ).all()
    with tarfile.open(path, "x", format=tarfile.PAX_FORMAT) as archive:
        for attachment_id, completed_at in rows:
            data = storage.read_final(attachment_id)
            if data is None:  # removed between the database dump and now, or lost: say so, keep going
                tally.missing.append(attachment_id.hex)
                continue
            member = tarfile.TarInfo(attachment_id.hex)
            member.size = len(data)
            member.mtime = int((completed_at or datetime(1970, 1, 1, tzinfo=UTC)).timestamp())
            member.mode = 0o600
            archive.addfile(member, io.BytesIO(data))
            tally.files += 1
            tally.bytes += len(data)
    return tally


class StoreNotEmpty(Exception):
    """A restore never writes over files that are already there."""


def restore(path: Path) -> Tally:
    """Put the archive's files back into an empty store, each with its attachment's content type and time."""
    store = storage.current()
    if next(iter(store.names()), None) is not None:
        raise StoreNotEmpty("the attachment store is not empty")
    columns = select(Attachment.id, Attachment.content_type, Attachment.sealed_key_version)
    complete = {
        row.id.hex: served_type(row.content_type, row.sealed_key_version)
        for row in db.session.execute(columns.where(Attachment.complete))
    }
    tally = Tally()
    with tarfile.open(path, "r") as archive:
        for member in archive:
            content_type = complete.pop(member.name, None)
            source = archive.extractfile(member) if member.isfile() else None
            if content_type is None or source is None:
                tally.unknown.append(member.name)
                continue
            data = source.read()
            attachment_id = uuid.UUID(hex=member.name)
            storage.store_final(attachment_id, data, content_type)
            storage.blur_time(attachment_id, datetime.fromtimestamp(member.mtime, UTC))
            tally.files += 1
            tally.bytes += len(data)
    tally.missing = sorted(complete)
    return tally
