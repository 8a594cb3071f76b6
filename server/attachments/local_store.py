"""Attachments in a local directory (the embedded default): ``<dir>/<2 hex>/<hex>`` when complete, ``.part``
beside it while uploading.

A chunk is written (and fsynced) into the ``.part`` file after truncating it at the chunk's offset, so what
follows a rewritten offset is gone; the finished file is written to a ``.tmp`` file and renamed over.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from flask import Response, send_file

from .storage import StoreUnavailable


class LocalStore:
    def __init__(self, directory: str) -> None:
        self.base = Path(directory)

    def final_path(self, name: str) -> Path:
        return self.base / name[:2] / name

    def part_path(self, name: str) -> Path:
        return self.final_path(name).with_suffix(".part")

    def write_chunk(self, name: str, offset: int, data: bytes) -> None:
        path = self.part_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "r+b" if path.exists() else "wb") as handle:
            handle.truncate(offset)
            handle.seek(offset)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def part_size(self, name: str) -> int:
        try:
            return self.part_path(name).stat().st_size
        except FileNotFoundError:
            return 0

    def read_part(self, name: str, size: int) -> bytes:
        with open(self.part_path(name), "rb") as handle:
            return handle.read(size)

    def discard_part(self, name: str) -> None:
        self.part_path(name).unlink(missing_ok=True)

    def store_final(self, name: str, data: bytes, content_type: str) -> None:
        path = self.final_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".tmp")
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)

    def read_final(self, name: str) -> bytes | None:
        try:
            return self.final_path(name).read_bytes()
        except FileNotFoundError:
            return None

    def delete_final(self, name: str) -> None:
        self.final_path(name).unlink(missing_ok=True)

    def blur_time(self, name: str, when: datetime) -> None:
        path = self.final_path(name)
        if path.exists():
            os.utime(path, (when.timestamp(), when.timestamp()))

    def send(self, name: str, *, mimetype: str, download_name: str | None) -> Response:
        return send_file(
            self.final_path(name), mimetype=mimetype, max_age=0, download_name=download_name, conditional=True
        )

    def names(self) -> Iterator[str]:
        if self.base.exists():
            yield from sorted(str(p.relative_to(self.base)) for p in self.base.rglob("*") if p.is_file())

    def check(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        if not os.access(self.base, os.W_OK):
            raise StoreUnavailable(f"{self.base} is not writable")
