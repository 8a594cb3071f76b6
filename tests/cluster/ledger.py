"""What the phones wrote against what the database holds: the cluster runs' lost and duplicated counts."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg

from tests.faults.device import OutboxPhone


@dataclass
class Written:
    """Everything the phones queued: reports by id, tips (their id is drawn when sent), household follow-ups."""

    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    tips: list[dict[str, Any]] = field(default_factory=list)

    def add(self, item: dict[str, Any]) -> None:
        if item["id"] is None:
            self.tips.append(item)
        else:
            self.reports[item["id"]] = item


def write_reports(phones: list[OutboxPhone], rng: random.Random, count: int, photo_share: float) -> Written:
    """``count`` reports dealt over the phones in turn, some with one or two photos."""
    written = Written()
    for i in range(count):
        photos = rng.choice((1, 2)) if rng.random() < photo_share else 0
        written.add(phones[i % len(phones)].write_report(f"C{i:05d}-{rng.getrandbits(24):06x}", photos))
    return written


def follow_ups(phones: list[OutboxPhone]) -> dict[str, dict[str, Any]]:
    """The household follow-ups still queued (call before the run: delivered items leave the outbox)."""
    return {i["id"]: i for p in phones for i in p.outbox if i["type"] == "message"}


@dataclass(frozen=True)
class Tally:
    missing: list[str]
    duplicated: int

    @property
    def lost(self) -> int:
        return len(self.missing)


def tally(database_url: str, written: Written, messages: dict[str, dict[str, Any]]) -> Tally:
    """Each written report, tip and follow-up stored exactly once? Tips are matched by their unique body."""
    with psycopg.connect(database_url) as conn:
        stored = dict(conn.execute("SELECT id::text, body FROM report WHERE group_id IS NOT NULL").fetchall())
        tip_bodies = Counter(row[0] for row in conn.execute("SELECT body FROM report WHERE group_id IS NULL"))
        stored_messages = {r[0] for r in conn.execute("SELECT id::text FROM message WHERE author = 'household'")}
    missing = sorted(set(written.reports) - set(stored)) + sorted(set(messages) - stored_messages)
    missing += [tip["body"][:20] for tip in written.tips if tip["body"] not in tip_bodies]
    bodies = Counter(stored.values())
    duplicated = sum(n - 1 for n in bodies.values() if n > 1) + len(set(stored) - set(written.reports))
    duplicated += sum(n - 1 for n in tip_bodies.values() if n > 1)
    return Tally(missing, duplicated)
