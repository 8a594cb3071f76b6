"""The cursor never skips a change, even when transactions commit out of sequence order (PostgreSQL).

On SQLite writers are serialised by the database, so the race cannot happen there; these tests need the real
server. See server/feed/operations.py for the rule they check.
"""

from __future__ import annotations

import random
import threading
import time
import uuid

import pytest

from server.extensions import db
from server.feed import operations as feed


@pytest.fixture
def pg(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; the out-of-order commit needs PostgreSQL")
    return app


def _append_in_thread(app, group, body, inserted=None, release=None):
    def run():
        with app.app_context():
            feed.append(
                "message",
                {"id": str(uuid.uuid4()), "body": body},
                commune_id=group["commune_id"],
                group_id=group["id"],
            )
            if inserted:
                inserted.set()
            if release:
                release.wait(10)
            db.session.commit()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _group(demo):
    group = demo.groups["DONG-01"]
    return {"id": group.id, "commune_id": group.commune_id}


def test_a_late_commit_still_reaches_a_phone_that_pulled_in_between(pg, phone, demo):
    phone.pull_all()
    group = _group(demo)
    inserted, release = threading.Event(), threading.Event()
    first = _append_in_thread(pg, group, "A", inserted, release)
    assert inserted.wait(10)
    second = _append_in_thread(pg, group, "B")
    second.join(timeout=0.5)
    assert second.is_alive(), "B must wait for A's commit before it may append"
    assert phone.sync().json["changes"] == []
    release.set()
    first.join(10)
    second.join(10)
    assert [change["body"] for change in phone.pull_all()] == ["A", "B"]


def test_without_the_feed_lock_the_same_interleaving_skips_a_change(pg, phone, demo, monkeypatch):
    """Control: shows the race the lock prevents is real, so the test above can fail."""
    monkeypatch.setattr(feed, "is_postgres", lambda: False)
    phone.pull_all()
    group = _group(demo)
    inserted, release = threading.Event(), threading.Event()
    first = _append_in_thread(pg, group, "A", inserted, release)
    assert inserted.wait(10)
    _append_in_thread(pg, group, "B").join(10)
    assert [c["body"] for c in phone.sync().json["changes"]] == ["B"]
    release.set()
    first.join(10)
    assert phone.pull_all() == []  # A committed, but behind the cursor: lost to this phone


def test_concurrent_writers_and_a_puller_lose_nothing(pg, phone, demo):
    phone.pull_all()
    group = _group(demo)
    writers, per_writer = 6, 25
    stop = threading.Event()
    pulled: list[str] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        with pg.app_context():
            for n in range(per_writer):
                feed.append(
                    "message",
                    {"id": str(uuid.uuid4()), "body": f"{seed}-{n}"},
                    commune_id=group["commune_id"],
                    group_id=group["id"],
                )
                time.sleep(rng.random() / 200)  # hold the transaction open a little, at random
                db.session.commit()

    def puller() -> None:
        client = pg.test_client()
        cursor = phone.cursor
        while True:
            done = stop.is_set()
            response = client.post("/api/v1/sync", json={"cursor": cursor, "push": []}, headers=phone.headers)
            cursor = response.json["cursor"]
            pulled.extend(change["body"] for change in response.json["changes"])
            if done and not response.json["more"]:
                return

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(writers)]
    reader = threading.Thread(target=puller)
    reader.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    stop.set()
    reader.join(60)
    expected = {f"{seed}-{n}" for seed in range(writers) for n in range(per_writer)}
    print(
        f"\ncursor race: {len(expected)} changes by {writers} writers; pulled {len(pulled)}, "
        f"missing {len(expected - set(pulled))}, duplicated {len(pulled) - len(set(pulled))}"
    )
    assert sorted(pulled) == sorted(expected)
