"""One sync round trip: apply a phone's pushed items (push.py), then pull its changes; one commit.

A bad item is rejected with its errors while the others are kept. A retry of the whole request is always safe
because every item is idempotent by its UUID.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from ..extensions import db
from ..feed import operations as feed
from ..groups.models import Device
from ..groups.operations import feed_audience, touch
from . import push as push_items

log = logging.getLogger(__name__)


def sync(device: Device, cursor: str | None, push: list[Any], *, compact: bool = False) -> dict[str, Any]:
    """One round trip: push results, then the changes since ``cursor`` (validated before any write).

    ``compact`` (the phone asked for it): results keep push order, so only a rejected one needs its id to be
    found again by a person reading logs; the others drop it (100 UUIDs are ~2.4 KB of a 3.1 KB answer).
    """
    feed.decode_cursor(cursor)
    results = push_items.apply(device, push)
    if compact:
        results = [r if r["status"] == "rejected" else {k: v for k, v in r.items() if k != "id"} for r in results]
    touch(device)
    page = feed.pull(feed_audience(device), cursor, current_app.config["SYNC_PAGE_SIZE"])
    db.session.commit()
    # No device id, token or address (ADR 0004): a log line must not place a phone beside an anonymous tip.
    log.info("sync pushed=%d changes=%d", len(push), len(page.changes))
    return {"results": results, "changes": page.changes, "cursor": page.cursor, "more": page.more}
