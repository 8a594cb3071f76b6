"""One sync round trip: apply a phone's pushed items (push.py), then pull its changes; one commit.

A bad item is rejected with its errors while the others are kept. A retry of the whole request is always safe
because every item is idempotent by its UUID.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from ..extensions import db
from ..groups.models import Device
from ..groups.operations import touch
from . import feed
from . import push as push_items

log = logging.getLogger(__name__)


def sync(device: Device, cursor: str | None, push: list[Any]) -> dict[str, Any]:
    """One round trip: push results, then the changes since ``cursor`` (validated before any write)."""
    feed.decode_cursor(cursor)
    results = push_items.apply(device, push)
    touch(device)
    page = feed.pull(device, cursor, current_app.config["SYNC_PAGE_SIZE"])
    device_id = device.id  # read before the commit expires it: reading it after would cost a new transaction
    db.session.commit()
    log.info("sync device=%s pushed=%d changes=%d", device_id, len(push), len(page.changes))
    return {"results": results, "changes": page.changes, "cursor": page.cursor, "more": page.more}
