"""Attachments in a private bucket of an S3-compatible object store (boto3): the store of several app servers.

Keys, under ``S3_PREFIX``: ``files/<id>`` for a finished file (with its content type), and
``parts/<id>/<offset, 12 digits>`` for each chunk of an upload under way.

Why chunk objects and not an S3 multipart upload. A phone sends a photo in 256 KiB chunks (512 KiB at most),
each to whichever app server the proxy picks, so the bytes received so far must be in the store. A multipart
upload cannot hold them: every part but the last must be at least 5 MiB (and a photo is at most 5 MiB), and a
part cannot be appended to. So each chunk is an object of its own, named by its offset, and the part is the
*chain* of chunk objects from offset 0, each starting where the one before ends (``_chain``):

- Writing a chunk at an offset is one PUT, which replaces the object at that offset. The phone always writes
  at the offset the database holds, so the chain from 0 follows the latest write at each offset; objects it
  no longer reaches (left by a try that was cut or refused) are skipped, and removed with the rest.
- How much the part holds (``part_size``) is where the chain ends: one LIST. It may be more than the database
  says (a crash after the PUT, before the commit), never less unless objects vanished (an expiry rule on
  ``parts/``): then ``operations.receive_chunk`` sends the phone back to where the chain ends.
- At completion the app reads the chain (it needs every byte anyway: the SHA-256 check, then Pillow to strip
  the metadata), a few GETs at a time, writes ``files/<id>`` in one PUT, and after the database has committed
  deletes the chunk objects (a LIST and one batched DELETE).

A 3 MB photo in 256 KiB chunks thus costs 12 x (LIST + PUT), then LIST + 12 GETs + PUT, then LIST + DELETE:
40 requests (benchmarks/attachment_stores.py); its download is one streamed GET.
The store must be read-after-write consistent for PUT and LIST, as AWS S3, MinIO and Ceph RGW are.

Nothing is made public: no ACL is set (buckets are private by default) and downloads are streamed through the
app (``send``). A failure to reach the store answers 503 ``unavailable`` with Retry-After (the phone keeps its
photo) and is logged.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import Response, send_file

from .storage import StoreUnavailable

log = logging.getLogger(__name__)

_PARALLEL_GETS = 4


class S3Store:
    def __init__(self, bucket: str, *, endpoint_url: str | None, region: str | None, prefix: str = "") -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.client = _client(endpoint_url or None, region or None)

    # --- keys ----------------------------------------------------------------------------------------------

    def _final_key(self, name: str) -> str:
        return f"{self.prefix}files/{name}"

    def _parts_prefix(self, name: str) -> str:
        return f"{self.prefix}parts/{name}/"

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        with _reaching(self.bucket):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                yield from page.get("Contents", [])

    def _chain(self, name: str) -> list[tuple[str, int, int]]:
        """(key, offset, size) of the chunk objects that make the part: from 0, each where the last ended."""
        prefix = self._parts_prefix(name)
        chunks = sorted((int(o["Key"][len(prefix) :]), int(o["Size"]), str(o["Key"])) for o in self._list(prefix))
        chain: list[tuple[str, int, int]] = []
        end = 0
        for offset, size, key in chunks:
            if offset == end and size > 0:
                chain.append((key, offset, size))
                end += size
            elif offset > end:
                break  # a gap: what lies beyond is not part of this upload's bytes
        return chain

    # --- the Store interface ---------------------------------------------------------------------------------

    def write_chunk(self, name: str, offset: int, data: bytes) -> None:
        with _reaching(self.bucket):
            self.client.put_object(Bucket=self.bucket, Key=f"{self._parts_prefix(name)}{offset:012d}", Body=data)

    def part_size(self, name: str) -> int:
        chain = self._chain(name)
        return chain[-1][1] + chain[-1][2] if chain else 0

    def read_part(self, name: str, size: int) -> bytes:
        wanted = [link for link in self._chain(name) if link[1] < size]
        with ThreadPoolExecutor(max_workers=_PARALLEL_GETS) as pool:
            pieces = list(pool.map(lambda link: self._get(link[0]), wanted))
        data = b"".join(pieces)
        return data if len(data) <= size else data[:size]

    def discard_part(self, name: str) -> None:
        keys = [o["Key"] for o in self._list(self._parts_prefix(name))]
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            with _reaching(self.bucket):
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def store_final(self, name: str, data: bytes, content_type: str) -> None:
        with _reaching(self.bucket):
            self.client.put_object(Bucket=self.bucket, Key=self._final_key(name), Body=data, ContentType=content_type)

    def read_final(self, name: str) -> bytes | None:
        try:
            return self._get(self._final_key(name))
        except FileNotFoundError:
            return None

    def delete_final(self, name: str) -> None:
        with _reaching(self.bucket):
            self.client.delete_object(Bucket=self.bucket, Key=self._final_key(name))

    def blur_time(self, name: str, when: datetime) -> None:
        """Nothing to do: an object's LastModified is the store's own (docs/threat-model.md: the bucket's times
        are precise, as are its access logs; its readers are the operators)."""

    def send(self, name: str, *, mimetype: str, download_name: str | None) -> Response:
        """Stream the object (64 KiB at a time) with its ETag; an If-None-Match that matches answers 304."""
        obj = self._open(self._final_key(name))
        response = send_file(
            obj["Body"],
            mimetype=mimetype,
            max_age=0,
            download_name=download_name,
            conditional=True,
            etag=str(obj["ETag"]).strip('"'),
            last_modified=obj.get("LastModified"),
        )
        if response.status_code == 200:
            response.content_length = int(obj["ContentLength"])
        return response

    def names(self) -> Iterator[str]:
        for obj in self._list(self.prefix):
            yield str(obj["Key"])[len(self.prefix) :]

    def check(self) -> None:
        with _reaching(self.bucket):
            self.client.head_bucket(Bucket=self.bucket)

    # --- reading ---------------------------------------------------------------------------------------------

    def _open(self, key: str) -> dict[str, Any]:
        try:
            with _reaching(self.bucket, missing_ok=True):
                return dict(self.client.get_object(Bucket=self.bucket, Key=key))
        except _Missing:
            raise FileNotFoundError(key) from None

    def _get(self, key: str) -> bytes:
        body = self._open(key)["Body"]
        try:
            with _reaching(self.bucket):
                return bytes(body.read())
        finally:
            body.close()


_CLIENTS: dict[tuple[str | None, str | None], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def _client(endpoint_url: str | None, region: str | None) -> Any:
    """One boto3 client per endpoint and region in a process (clients are thread-safe; making one is not, and
    costs a few hundred milliseconds)."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.get((endpoint_url, region))
        if client is None:
            config = Config(
                region_name=region,
                # Path-style URLs for MinIO, Ceph RGW, Garage: their buckets rarely have DNS names of their own.
                s3={"addressing_style": "path"} if endpoint_url else {},
                connect_timeout=3,
                read_timeout=20,
                retries={"max_attempts": 3, "mode": "standard"},
                max_pool_connections=16,  # a worker's threads, plus the parallel GETs of a completion
                # boto3 >= 1.36 adds CRC checksums to every PUT by default; S3-compatible stores that predate
                # them refuse such requests. Only when an operation requires one.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            )
            # A session of its own: boto3's default session is not safe to share between threads.
            client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)
            _CLIENTS[(endpoint_url, region)] = client
        return client


class _Missing(Exception):
    pass


@contextlib.contextmanager
def _reaching(bucket: str, *, missing_ok: bool = False) -> Iterator[None]:
    """The store's failures become 503 ``unavailable`` (logged); a missing key becomes ``_Missing`` if asked."""
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if missing_ok and code in ("NoSuchKey", "404"):
            raise _Missing() from exc
        log.error("object store: %s on bucket %s", code or exc, bucket)
        raise StoreUnavailable() from exc
    except BotoCoreError as exc:
        log.error("object store unreachable: %s", type(exc).__name__)
        raise StoreUnavailable() from exc
