"""A scripted phone speaking the sync contract over real HTTP, with the PWA's outbox rules.

The rules it follows are the PWA's (docs/adr/pwa-outbox-sync.md): an item leaves the outbox only when a 2xx
answer carries its own ``created``/``duplicate`` result; a 5xx, a timeout, a cut connection or a cut body,
409 and 429 mean "nothing is known, retry". Photos go up in chunks from the offset the server holds.

``http.client`` is used (not ``benchmarks/wire.py``) because it checks ``Content-Length``: a body cut by the
fault proxy must read as a failure, never as a short but parseable answer.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from PIL import Image

CHUNK = 256 * 1024
KINDS = ("tip", "complaint", "question", "appointment", "help", "lost_found")


class RetryLater(Exception):
    """Nothing is known about the request: the server may or may not have acted on it."""


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


def call(
    port: int,
    method: str,
    path: str,
    *,
    json_body: Any = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
    retry_statuses: tuple[int, ...] = (408, 409, 429),
) -> Answer:
    """One HTTP exchange with the rules of ``pwa/js/api.js``; raises RetryLater for what it calls "retry later"."""
    sent = {"Accept": "application/json", "Accept-Encoding": "gzip", **(headers or {})}
    body = raw
    if json_body is not None:
        body = json.dumps(json_body, ensure_ascii=False).encode()
        sent["Content-Type"] = "application/json"
        if len(body) > 4096:  # as the PWA: gzip only pays on larger pushes
            body = gzip.compress(body)
            sent["Content-Encoding"] = "gzip"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()  # raises IncompleteRead on a cut body
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
    except (OSError, http.client.HTTPException) as exc:
        raise RetryLater(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()
    if answer_headers.get("content-encoding") == "gzip":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise RetryLater("cut gzip body") from exc
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = None
    status = response.status
    if 200 <= status < 300 and parsed is None and method != "HEAD" and data:
        raise RetryLater("2xx with a body that is not JSON")
    if status >= 500 or status in retry_statuses:
        raise RetryLater(f"HTTP {status} {parsed}")
    return Answer(status, parsed, answer_headers)


def photo(rng: random.Random, size_hint: int) -> bytes:
    """A metadata-free PNG of about ``size_hint`` bytes (noise does not compress): the server keeps it as is."""
    side = max(8, int(size_hint**0.5))
    image = Image.frombytes("L", (side, side), rng.randbytes(side * side))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Phone:
    """One shared phone: an outbox, queued photos, a cursor and what the feed brought it."""

    name: str
    port: int  # the fault proxy's
    token: str
    group: dict[str, Any]
    rng: random.Random
    cursor: str | None = None
    outbox: list[dict[str, Any]] = field(default_factory=list)
    photos: dict[str, bytes] = field(default_factory=dict)  # attachment id -> the bytes the phone queued
    uploads: list[dict[str, Any]] = field(default_factory=list)  # declared attachments still to send
    delivered: dict[str, str] = field(default_factory=dict)  # item id -> status first answered
    rejected: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    replies_read: set[str] = field(default_factory=set)
    stats: Counter[str] = field(default_factory=Counter)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    # --- what people do --------------------------------------------------------------------------------

    def write_report(self, marker: str, photo_count: int = 0) -> dict[str, Any]:
        households = self.group["households"]
        kind = self.rng.choice(KINDS)
        attachments = []
        for _ in range(photo_count):
            data = photo(self.rng, self.rng.choice((3_000, 40_000, 200_000, 400_000)))
            attachment_id = str(uuid.uuid4())
            self.photos[attachment_id] = data
            attachments.append(
                {
                    "id": attachment_id,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                    "content_type": "image/png",
                }
            )
        item = {
            "type": "report",
            "id": str(uuid.uuid4()),
            "household_id": self.rng.choice(households)["id"],
            "kind": kind,
            "category": self.rng.choice(("drugs", "theft", "gambling")) if kind == "tip" else None,
            "body": f"Báo cáo {marker} — xe máy lạ đi lại nhiều lần trong xóm vào ban đêm.",
            "anonymous": kind == "tip" and self.rng.random() < 0.5,
            "location": "Xóm 2",
            "urgency": self.rng.choice(("normal", "urgent")),
            "created_at": now_iso(),
            "attachments": attachments,
        }
        self.outbox.append(item)
        if self.rng.random() < 0.1:  # a follow-up typed before the report was even sent
            self.outbox.append(
                {
                    "type": "message",
                    "id": str(uuid.uuid4()),
                    "report_id": item["id"],
                    "body": f"Bổ sung cho {marker}: họ đi hai người.",
                    "created_at": now_iso(),
                }
            )
        return item

    # --- the engine ------------------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return not self.outbox and not self.uploads

    def step(self) -> None:
        """One sync run: push a batch (pulling changes), then the photos. RetryLater leaves everything queued."""
        batch = self.outbox[: self.rng.randint(1, 60)]
        self.stats["sync_requests"] += 1
        answer = call(
            self.port, "POST", "/api/v1/sync", json_body={"cursor": self.cursor, "push": batch}, headers=self.auth
        )
        if answer.status != 200:
            raise AssertionError(f"{self.name}: sync answered {answer.status} {answer.body}")
        results = {r["id"]: r for r in answer.body["results"]}
        for item in batch:
            result = results.get(item["id"])
            if result is None:
                continue  # no result for it: keep it waiting
            self.outbox.remove(item)
            if result["status"] == "rejected":
                self.rejected.append({"item": item, "result": result})
                continue
            self.delivered.setdefault(item["id"], result["status"])
            self.stats[result["status"]] += 1
            self.uploads += [a for a in item.get("attachments", [])]
        self.changes += answer.body["changes"]
        for change in answer.body["changes"]:
            if change["type"] == "message" and change["id"] not in self.replies_read:
                self.replies_read.add(change["id"])
                self.outbox.append(
                    {
                        "type": "receipt",
                        "id": str(uuid.uuid4()),
                        "target": "message",
                        "target_id": change["id"],
                        "read_at": now_iso(),
                    }
                )
        self.cursor = answer.body["cursor"]
        while self.uploads:
            self.upload(self.uploads[0])
            self.uploads.pop(0)

    def upload(self, attachment: dict[str, Any]) -> None:
        url = f"/api/v1/attachments/{attachment['id']}"
        data = self.photos[attachment["id"]]
        status = call(self.port, "GET", url, headers=self.auth)
        assert status.status == 200, (self.name, status.status, status.body)
        state = status.body
        restarts = 0
        while not state["complete"]:
            offset = state["received"]
            self.stats["chunk_requests"] += 1
            try:
                answer = call(
                    self.port,
                    "PATCH",
                    f"{url}?offset={offset}",
                    raw=data[offset : offset + CHUNK],
                    headers={**self.auth, "Content-Type": "application/octet-stream"},
                    timeout=60,
                )
            except RetryLater as exc:
                if "409" not in str(exc):
                    raise
                self.stats["offset_mismatch"] += 1
                state = call(self.port, "GET", url, headers=self.auth).body
                continue
            if answer.status == 422 and answer.body["error"]["code"] == "checksum_mismatch" and restarts < 3:
                self.stats["checksum_restarts"] += 1
                restarts += 1
                state = {"received": 0, "complete": False}
                continue
            assert answer.status == 200, (self.name, offset, answer.status, answer.body)
            state = answer.body

    def pull_all(self) -> None:
        """Pull until ``more`` is false (faults are expected to be off)."""
        while True:
            answer = call(
                self.port, "POST", "/api/v1/sync", json_body={"cursor": self.cursor, "push": []}, headers=self.auth
            )
            assert answer.status == 200, answer.body
            self.changes += answer.body["changes"]
            self.cursor = answer.body["cursor"]
            if not answer.body["more"]:
                return

    def run(self, deadline: float) -> None:
        """Sync until the outbox and the uploads are empty, backing off a little after each failure."""
        failures = 0
        while not self.done:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: {len(self.outbox)} items and {len(self.uploads)} photos left")
            try:
                self.step()
                failures = 0
            except RetryLater:
                self.stats["retries"] += 1
                failures += 1
                time.sleep(min(1.0, 0.02 * 2**failures) * self.rng.uniform(0.5, 1.0))
