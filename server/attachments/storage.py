"""Attachment bytes on disk: ``<dir>/<2 hex>/<uuid>`` when complete, ``.part`` beside it while uploading.

Bytes are written (and fsynced) before the database records that they arrived, so after a crash the file
may hold more than the database says, never less; the next chunk truncates back to the recorded offset.
Deleting goes the other way round: the ``.part`` file is removed only after the database stopped counting on
it (the caller commits first), so a crash in between leaves a stale file, never a count of missing bytes.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from flask import current_app


def _base() -> Path:
    return Path(current_app.config["ATTACHMENTS_DIR"])


def final_path(attachment_id: uuid.UUID) -> Path:
    return _base() / attachment_id.hex[:2] / attachment_id.hex


def part_path(attachment_id: uuid.UUID) -> Path:
    return final_path(attachment_id).with_suffix(".part")


def write_chunk(attachment_id: uuid.UUID, offset: int, data: bytes) -> None:
    path = part_path(attachment_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "r+b" if path.exists() else "wb") as handle:
        handle.truncate(offset)
        handle.seek(offset)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def part_size(attachment_id: uuid.UUID) -> int:
    """How many bytes of an unfinished upload are on disk (0 when there is no ``.part`` file)."""
    try:
        return part_path(attachment_id).stat().st_size
    except FileNotFoundError:
        return 0


def read_part(attachment_id: uuid.UUID, size: int) -> bytes:
    with open(part_path(attachment_id), "rb") as handle:
        return handle.read(size)


def discard_part(attachment_id: uuid.UUID) -> None:
    part_path(attachment_id).unlink(missing_ok=True)


def store_final(attachment_id: uuid.UUID, data: bytes) -> None:
    """Write the finished file atomically: readers see the old state or the whole file, never half.

    The ``.part`` file stays: the caller discards it once the database has recorded the completion.
    """
    path = final_path(attachment_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def ping() -> None:
    """Raise unless the store can take bytes now (readiness, server/ops/checks.py): here, the directory exists
    (created on first use, as uploads do) and this process may write to it."""
    base = _base()
    base.mkdir(parents=True, exist_ok=True)
    if not os.access(base, os.W_OK | os.X_OK):
        raise PermissionError("the attachments directory is not writable")
