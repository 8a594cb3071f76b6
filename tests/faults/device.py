"""A scripted phone speaking the sync contract over real HTTP, with the PWA's outbox rules.

The rules it follows are the PWA's (docs/adr/pwa-outbox-sync.md): an item leaves the outbox only when a 2xx
answer carries its own ``created``/``duplicate`` result; a 5xx, a timeout, a cut connection or a cut body,
409 and 429 mean "nothing is known, retry" (``RetryLater``, raised by the shared ``HttpClient``). Photos go up
in chunks from the offset the server holds.

Anonymous tips travel alone (ADR 0004): after a successful sync the phone tops up its blind-signed tokens
(a lost answer is asked again with the same request id and blinded values), sends each queued tip in its own
tokenless request, uploads its photos with the mailbox secret, and reads each tip's mailbox, sending the
tipster's follow-ups and read receipts there, exactly once by id.
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
from tests.tips.tipster import Tip, Tipster, follow_up, receipt

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
    tipster: Tipster | None = None
    tip_queue: list[dict[str, Any]] = field(default_factory=list)  # written, not yet answered: {fields, tip?}
    tips_sent: dict[str, Tip] = field(default_factory=dict)  # tip id -> the tip, once answered created/duplicate
    tip_uploads: list[tuple[Tip, dict[str, Any]]] = field(default_factory=list)
    tip_items: list[tuple[Tip, dict[str, Any]]] = field(default_factory=list)  # mailbox follow-ups and receipts
    tip_follow_ups: dict[str, dict[str, Any]] = field(default_factory=dict)  # every follow-up written, by id
    tokens_got: int = 0

    # --- what people do --------------------------------------------------------------------------------

    def write_report(self, marker: str, photo_count: int = 0) -> dict[str, Any]:
        households = self.group["households"]
        kind = self.rng.choice(KINDS)
        anonymous = kind == "tip" and self.rng.random() < 0.5
        attachments = []
        for _ in range(photo_count):
            data = photo(self.rng, self.rng.choice((3_000, 40_000, 200_000, 400_000)))
            declared = photo_declaration(data, "image/png")
            self.photos[declared["id"]] = data
            attachments.append(declared)
        body = f"Báo cáo {marker} — xe máy lạ đi lại nhiều lần trong xóm vào ban đêm."
        if anonymous:  # queued apart, sent alone with a token (no household: the server never hears of it)
            fields = {"category": self.rng.choice(("drugs", "theft", "gambling")), "body": body, "location": "Xóm 2"}
            fields.update(urgency=self.rng.choice(("normal", "urgent")), attachments=attachments)
            self.tip_queue.append({"fields": fields})
            return {"id": None, "anonymous": True, **fields}
        item = report_item(
            self.rng.choice(households)["id"],
            kind=kind,
            category=self.rng.choice(("drugs", "theft", "gambling")) if kind == "tip" else None,
            body=body,
            anonymous=False,
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
        # Read receipts may wait: an officer replying all the time keeps making new ones (the run drains them last).
        follow_ups = any(item["type"] == "message" for _, item in self.tip_items)
        return not (self.outbox or self.uploads or self.tip_queue or self.tip_uploads or follow_ups)

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
        self.tips_step()

    # --- anonymous tips, alone ----------------------------------------------------------------------------

    def _tipster(self) -> Tipster:
        if self.tipster is None:
            self.tipster = Tipster(self.client, self.headers, self.group["village"]["id"])
            self.tipster.retry_statuses = (408, 429)  # a 409 here is a bug to see, not a reason to retry
        return self.tipster

    def tips_step(self) -> None:
        """After a successful sync: top up tokens, send due tips alone, their photos, then the mailboxes."""
        tipster = self._tipster()
        needing = sum(1 for queued in self.tip_queue if "tip" not in queued)
        if needing and (len(tipster.wallet) < 2 or tipster.pending is not None):
            self.stats["token_requests"] += 1
            answer, got = tipster.request_tokens(3)
            assert answer.status_code == 200, (self.name, answer.status_code, answer.json)
            tipster.wallet += got
            self.tokens_got += len(got)
        for queued in list(self.tip_queue):
            if "tip" not in queued:
                if not tipster.wallet:
                    break
                queued["tip"] = tipster.new_tip(tipster.wallet.pop(0), **queued["fields"])
            tip = queued["tip"]
            self.stats["tip_requests"] += 1
            answer = tipster.send(tip)
            assert answer.status_code in (200, 201), (self.name, answer.status_code, answer.json)
            self.tip_queue.remove(queued)
            self.stats["tip_" + answer.json["status"]] += 1
            self.tips_sent[tip.id] = tip
            self.tip_uploads += [(tip, declared) for declared in tip.tip["attachments"]]
            if self.rng.random() < 0.3:
                item = follow_up(f"Bổ sung cho tin {tip.id[:8]}: họ đi hai người.")
                self.tip_follow_ups[item["id"]] = item
                self.tip_items.append((tip, item))
        while self.tip_uploads:
            tip, declared = self.tip_uploads[0]
            self.upload_photo(declared, tip)
            self.tip_uploads.pop(0)
        waiting = {id(tip): tip for tip, _ in self.tip_items}
        others = [tip for tip in self.tips_sent.values() if id(tip) not in waiting]
        tips = list(waiting.values()) + self.rng.sample(others, min(3, len(others)))
        self.rng.shuffle(tips)  # one request per tip, in random order
        for tip in tips:
            self.read_mailbox(tip)

    def read_mailbox(self, tip: Tip) -> None:
        tipster = self._tipster()
        items = [item for owner, item in self.tip_items if owner is tip]
        self.stats["mailbox_requests"] += 1
        answer = tipster.mailbox(tip, items)
        assert answer.status_code == 200, (self.name, answer.status_code, answer.json)
        for item, result in zip(items, answer.json["results"], strict=True):
            assert result["status"] in ("created", "duplicate"), (self.name, item, result)
            self.tip_items.remove((tip, item))
        for entry in tip.opened:
            if entry["type"] == "message" and entry["id"] not in self.replies_read:
                self.replies_read.add(entry["id"])
                self.tip_items.append((tip, receipt(entry["id"])))

    def upload_photo(self, attachment: dict[str, Any], tip: Tip | None = None) -> None:
        """Send a declared photo from the offset the server holds; a checksum mismatch starts it again. A tip's
        photo goes to its own endpoint with the mailbox secret, never the device token."""
        data = self.photos[attachment["id"]]
        path = f"/api/v1/tips/attachments/{attachment['id']}" if tip else f"/api/v1/attachments/{attachment['id']}"
        auth = tip.header if tip else self.headers
        status = self.client.get(path, headers=auth)
        assert status.status_code == 200, (self.name, status.status_code, status.json)
        state = status.json
        restarts = 0
        while not state["complete"]:
            offset = state["received"]
            self.stats["chunk_requests"] += 1
            try:
                answer = self.client.patch(
                    f"{path}?offset={offset}",
                    data=data[offset : offset + CHUNK],
                    headers={**auth, "Content-Type": "application/octet-stream"},
                    timeout=60,
                )
            except RetryLater as exc:
                if "409" not in str(exc):
                    raise
                self.stats["offset_mismatch"] += 1
                state = self.client.get(path, headers=auth).json
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
                raise AssertionError(
                    f"{self.name}: {len(self.outbox)} items, {len(self.uploads)} photos, {len(self.tip_queue)} tips, "
                    f"{len(self.tip_uploads)} tip photos, {len(self.tip_items)} mailbox items left"
                )
            try:
                self.step()
                failures = 0
            except RetryLater:
                self.stats["retries"] += 1
                failures += 1
                time.sleep(min(1.0, 0.02 * 2**failures) * self.rng.uniform(0.5, 1.0))
