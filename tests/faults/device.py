"""A scripted phone speaking the sync contract over real HTTP, with the PWA's outbox rules.

The rules it follows are the PWA's (docs/adr/pwa-outbox-sync.md): an item leaves the outbox only when a 2xx
answer carries its own ``created``/``duplicate`` result; a 5xx, a timeout, a cut connection or a cut body,
409 and 429 mean "nothing is known, retry" (``RetryLater``, raised by the shared ``HttpClient``). Photos go up
in chunks from the offset the server holds.
"""

from __future__ import annotations

import io
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from tests.conftest import Phone, RetryLater, message_item, photo_declaration, receipt_item, report_item

CHUNK = 256 * 1024
KINDS = ("tip", "complaint", "question", "appointment", "help", "lost_found")


def photo(rng: random.Random, size_hint: int) -> bytes:
    """A metadata-free PNG of about ``size_hint`` bytes (noise does not compress): the server keeps it as is."""
    side = max(8, int(size_hint**0.5))
    image = Image.frombytes("L", (side, side), rng.randbytes(side * side))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


@dataclass(kw_only=True)
class OutboxPhone(Phone):
    """The shared test ``Phone`` with an outbox, queued photos and the engine that empties them through faults.

    ``client`` is an ``HttpClient`` on the fault proxy's port; what the feed brought is in ``seen``.
    """

    name: str
    rng: random.Random
    outbox: list[dict[str, Any]] = field(default_factory=list)
    photos: dict[str, bytes] = field(default_factory=dict)  # attachment id -> the bytes the phone queued
    uploads: list[dict[str, Any]] = field(default_factory=list)  # declared attachments still to send
    delivered: dict[str, str] = field(default_factory=dict)  # item id -> status first answered
    rejected: list[dict[str, Any]] = field(default_factory=list)
    replies_read: set[str] = field(default_factory=set)
    stats: Counter[str] = field(default_factory=Counter)

    # --- what people do --------------------------------------------------------------------------------

    def write_report(self, marker: str, photo_count: int = 0) -> dict[str, Any]:
        households = self.group["households"]
        kind = self.rng.choice(KINDS)
        attachments = []
        for _ in range(photo_count):
            data = photo(self.rng, self.rng.choice((3_000, 40_000, 200_000, 400_000)))
            declared = photo_declaration(data, "image/png")
            self.photos[declared["id"]] = data
            attachments.append(declared)
        item = report_item(
            self.rng.choice(households)["id"],
            kind=kind,
            category=self.rng.choice(("drugs", "theft", "gambling")) if kind == "tip" else None,
            body=f"Báo cáo {marker} — xe máy lạ đi lại nhiều lần trong xóm vào ban đêm.",
            anonymous=kind == "tip" and self.rng.random() < 0.5,
            location="Xóm 2",
            urgency=self.rng.choice(("normal", "urgent")),
            attachments=attachments,
        )
        self.outbox.append(item)
        if self.rng.random() < 0.1:  # a follow-up typed before the report was even sent
            self.outbox.append(message_item(item["id"], f"Bổ sung cho {marker}: họ đi hai người."))
        return item

    # --- the engine ------------------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return not self.outbox and not self.uploads

    def step(self) -> None:
        """One sync run: push a batch (pulling changes), then the photos. RetryLater leaves everything queued."""
        batch = self.outbox[: self.rng.randint(1, 60)]
        self.stats["sync_requests"] += 1
        answer = self.sync(batch)
        if answer.status_code != 200:
            raise AssertionError(f"{self.name}: sync answered {answer.status_code} {answer.json}")
        results = {r["id"]: r for r in answer.json["results"]}
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
        for change in answer.json["changes"]:
            if change["type"] == "message" and change["id"] not in self.replies_read:
                self.replies_read.add(change["id"])
                self.outbox.append(receipt_item(change["id"]))
        while self.uploads:
            self.upload_photo(self.uploads[0])
            self.uploads.pop(0)

    def upload_photo(self, attachment: dict[str, Any]) -> None:
        """Send a declared photo from the offset the server holds; a checksum mismatch starts it again."""
        data = self.photos[attachment["id"]]
        status = self.upload_status(attachment["id"])
        assert status.status_code == 200, (self.name, status.status_code, status.json)
        state = status.json
        restarts = 0
        while not state["complete"]:
            offset = state["received"]
            self.stats["chunk_requests"] += 1
            try:
                answer = self.client.patch(
                    f"/api/v1/attachments/{attachment['id']}?offset={offset}",
                    data=data[offset : offset + CHUNK],
                    headers={**self.headers, "Content-Type": "application/octet-stream"},
                    timeout=60,
                )
            except RetryLater as exc:
                if "409" not in str(exc):
                    raise
                self.stats["offset_mismatch"] += 1
                state = self.upload_status(attachment["id"]).json
                continue
            if answer.status_code == 422 and answer.json["error"]["code"] == "checksum_mismatch" and restarts < 3:
                self.stats["checksum_restarts"] += 1
                restarts += 1
                state = {"received": 0, "complete": False}
                continue
            assert answer.status_code == 200, (self.name, offset, answer.status_code, answer.json)
            state = answer.json

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
