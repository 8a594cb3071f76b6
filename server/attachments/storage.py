"""Where attachment bytes live: one interface, two stores, chosen by ``ATTACHMENTS_STORE``.

- ``local`` (the default, for one machine): a directory, ``ATTACHMENTS_DIR`` (``local_store.py``).
- ``s3`` (production, several app servers): a private bucket of an S3-compatible object store, MinIO, Ceph
  RGW, Garage or a cloud one (``s3_store.py``): ``S3_BUCKET``, ``S3_ENDPOINT_URL`` (empty for AWS itself),
  ``S3_REGION``, ``S3_PREFIX`` (a key prefix, to share a bucket); the credentials are the standard AWS ones
  (``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` in the environment, or any other source boto3 reads).

What every store promises, and what ``operations.py`` relies on for resumable uploads:

- The bytes of an unfinished upload ("the part") live in the store, never in a process: a phone's chunks may
  land on different processes or servers one after the other. How many bytes a phone has sent is the
  attachment row's ``received`` in the shared database, and every chunk is written under that row's lock.
- A chunk is written before the database records it, so after a crash the store may hold more than the
  database says, never less; a chunk written again at an offset replaces what was there from that offset on.
  ``part_size`` tells how many bytes the part holds from 0 without a gap; if that is less than ``received``
  (bytes lost between a write and its commit, or an expiry rule of the bucket), the phone is sent back there.
- Removing goes the other way round: the caller commits first, then discards, so a crash in between leaves
  stale bytes, never a database counting on bytes that are gone.
- The finished file is written whole or not at all (readers see the old state or the new file).

Downloads are streamed through the app with the attachment's content type (``send``): every view is audited
by the caller, the bucket stays private (no public read, no presigned URL that would work for anyone holding it
until it expires), and the officer's browser never needs to reach the store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from flask import Flask, Response, current_app

from ..errors import ApiError

STORES = ("local", "s3")
_EXTENSION = "binhan.attachment_stores"
_BUILDING = threading.Lock()  # the threads of a worker may ask for the store at once, before it exists


class StoreUnavailable(ApiError):
    """The object store did not answer: the phone keeps its photo and tries again later."""

    status, code, message = 503, "unavailable", "File storage is unavailable; try again shortly."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": "30"}


class Store(Protocol):
    """The bytes of attachments, by attachment id (see the module's docstring for the promises)."""

    def write_chunk(self, attachment_id: str, offset: int, data: bytes) -> None:
        """Write ``data`` at ``offset`` of the part, replacing whatever the part held from ``offset`` on."""

    def part_size(self, attachment_id: str) -> int:
        """How many bytes of the part are held from offset 0 without a gap (0 when there is no part)."""

    def read_part(self, attachment_id: str, size: int) -> bytes:
        """The first ``size`` bytes of the part."""

    def discard_part(self, attachment_id: str) -> None:
        """Forget the part (nothing happens if there is none)."""

    def store_final(self, attachment_id: str, data: bytes, content_type: str) -> None:
        """Write the finished file atomically; the part stays until ``discard_part``."""

    def read_final(self, attachment_id: str) -> bytes | None:
        """The finished file's bytes, or None if there is none (checks, backups, tests)."""

    def delete_final(self, attachment_id: str) -> None:
        """Remove the finished file (nothing happens if there is none)."""

    def blur_time(self, attachment_id: str, when: datetime) -> None:
        """Make the finished file's own time ``when`` where the store lets us (a tip's photo: the hour only)."""

    def send(self, attachment_id: str, *, mimetype: str, download_name: str | None) -> Response:
        """The finished file as a streamed answer with ``mimetype``, conditional on its ETag."""

    def names(self) -> Iterator[str]:
        """The name of every stored object, parts included (backups, checks)."""

    def check(self) -> None:
        """Raise ``StoreUnavailable`` if the store cannot be reached (readiness)."""


def current(app: Flask | None = None) -> Store:
    """The store the app's configuration names; built once per configuration (tests change it per test)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    kind = config.get("ATTACHMENTS_STORE") or "local"
    if kind == "local":
        key: tuple[str, ...] = (kind, str(config["ATTACHMENTS_DIR"]))
    elif kind == "s3":
        key = (kind, *(str(config.get(name) or "") for name in ("S3_ENDPOINT_URL", "S3_REGION", "S3_BUCKET")))
        key += (str(config.get("S3_PREFIX") or ""),)
    else:
        raise RuntimeError(f"ATTACHMENTS_STORE is {kind!r}; it must be one of {', '.join(STORES)}")
    stores: dict[tuple[str, ...], Store] = app.extensions.setdefault(_EXTENSION, {})
    store = stores.get(key)
    if store is None:
        with _BUILDING:
            store = stores.get(key)
            if store is None:
                store = stores[key] = _build(kind, key)
    return store


def _build(kind: str, key: tuple[str, ...]) -> Store:
    if kind == "local":
        from .local_store import LocalStore

        return LocalStore(key[1])
    from .s3_store import S3Store

    endpoint, region, bucket, prefix = key[1:]
    if not bucket:
        raise RuntimeError("ATTACHMENTS_STORE=s3 needs S3_BUCKET")
    return S3Store(bucket, endpoint_url=endpoint or None, region=region or None, prefix=prefix)


# The functions the feature calls: one name each, so a test can make any step "crash" (tests/faults).


def write_chunk(attachment_id: object, offset: int, data: bytes) -> None:
    current().write_chunk(_name(attachment_id), offset, data)


def part_size(attachment_id: object) -> int:
    return current().part_size(_name(attachment_id))


def read_part(attachment_id: object, size: int) -> bytes:
    return current().read_part(_name(attachment_id), size)


def discard_part(attachment_id: object) -> None:
    current().discard_part(_name(attachment_id))


def store_final(attachment_id: object, data: bytes, content_type: str = "application/octet-stream") -> None:
    current().store_final(_name(attachment_id), data, content_type)


def read_final(attachment_id: object) -> bytes | None:
    return current().read_final(_name(attachment_id))


def delete_final(attachment_id: object) -> None:
    current().delete_final(_name(attachment_id))


def send(attachment_id: object, *, mimetype: str, download_name: str | None) -> Response:
    return current().send(_name(attachment_id), mimetype=mimetype, download_name=download_name)


def blur_time(attachment_id: object, when: datetime) -> None:
    current().blur_time(_name(attachment_id), when)


def check() -> None:
    current().check()


def _name(attachment_id: object) -> str:
    """An attachment's id as 32 hex digits (a ``uuid.UUID`` or its string, with or without dashes)."""
    text = getattr(attachment_id, "hex", None) or str(attachment_id).replace("-", "")
    if len(text) != 32 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"not an attachment id: {attachment_id!r}")
    return text
