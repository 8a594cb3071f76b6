"""A push is set-based: a batch of 50 reports costs a constant, small number of SQL statements; compact answers.

Counted: every statement the request sends to the database through the app's engine (SQLAlchemy's
``before_cursor_execute``), from the device-token check to the pull, ``BEGIN IMMEDIATE`` on SQLite included;
an ``executemany`` counts once. Not counted: ``COMMIT``, which the driver sends itself, not through a cursor, and
what the request leaves to a background thread after its commit (urgent categories, pushes).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from server.extensions import db
from server.reports.models import Attachment, Message, Report
from tests.conftest import message_item, report_item

# issue 12: at most 10 statements per batch, whatever its size; issue 15 adds one, the INSERT of the batch's one
# live_event row (what the officers' consoles are told; server/live/operations.py).
BUDGET = 11


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []
    request_thread = threading.get_ident()  # the test client answers in this thread

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Not the work the request hands to a thread after its commit (urgent categories, pushes): it does not
        # hold up the phone's answer.
        if threading.get_ident() == request_thread:
            statements.append(" ".join(statement.split())[:70])

    db.session.rollback()  # end the test's own read transaction: what is counted is the request's alone
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _photo(n: int) -> dict[str, Any]:
    return {"id": f"00000000-0000-4000-8000-{n:012d}", "sha256": "ab" * 32, "size": 1000, "content_type": "image/jpeg"}


def test_a_batch_of_50_new_reports_takes_at_most_10_statements(phone, demo) -> None:
    household = demo.household("DONG-01").id
    batch = [report_item(household, body=f"Tin số {n}: có người lạ ở đầu xóm.") for n in range(50)]
    batch[7]["attachments"] = [_photo(1), _photo(2)]
    with counted() as statements:
        response = phone.sync(batch)
    assert response.status_code == 200
    assert [r["status"] for r in response.json["results"]] == ["created"] * 50
    assert len(statements) <= BUDGET, "\n".join(statements)
    assert db.session.scalar(db.select(db.func.count()).select_from(Report)) == 50
    assert db.session.scalar(db.select(db.func.count()).select_from(Attachment)) == 2


def test_the_same_batch_again_is_50_duplicates_in_at_most_10_statements(phone, demo) -> None:
    household = demo.household("DONG-01").id
    batch = [report_item(household, body=f"Tin số {n}") for n in range(50)]
    codes = [r["tracking_code"] for r in phone.sync(batch).json["results"]]
    with counted() as statements:
        again = phone.sync(batch).json["results"]
    assert [r["status"] for r in again] == ["duplicate"] * 50
    assert [r["tracking_code"] for r in again] == codes
    assert len(statements) <= BUDGET, "\n".join(statements)


def test_a_mixed_batch_with_follow_ups_and_rejections_stays_within_budget(phone, demo) -> None:
    household = demo.household("DONG-01").id
    reports = [report_item(household, body=f"Tin số {n}") for n in range(25)]
    batch: list[dict[str, Any]] = []
    for report in reports:
        batch += [report, message_item(report["id"])]
    batch[10] = report_item(demo.household("TAY-01").id)  # another group's household: rejected alone
    with counted() as statements:
        results = phone.sync(batch).json["results"]
    assert results[10]["error"]["code"] == "unknown_household"
    assert results[11]["error"]["code"] == "unknown_report"  # its report was the rejected item
    assert sum(r["status"] == "created" for r in results) == 48
    assert len(statements) <= BUDGET, "\n".join(statements)
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 24


def test_compact_results_keep_push_order_and_name_only_rejected_items(phone, demo) -> None:
    household = demo.household("DONG-01").id
    report, bad = report_item(household), report_item(household, kind="bribe")
    body = {"cursor": None, "push": [report, bad, message_item(report["id"])], "results": "compact"}
    results = phone.client.post("/api/v1/sync", json=body, headers=phone.headers).json["results"]
    assert results[0].keys() == {"status", "tracking_code"} and results[0]["status"] == "created"
    assert results[1]["id"] == bad["id"] and results[1]["status"] == "rejected"
    assert results[2] == {"status": "created"}
    full = phone.client.post("/api/v1/sync", json={"cursor": None, "push": [report]}, headers=phone.headers)
    assert full.json["results"] == [
        {"id": report["id"], "status": "duplicate", "tracking_code": results[0]["tracking_code"]}
    ]


def test_a_tracking_code_already_taken_is_drawn_again_in_the_batch(phone, demo, monkeypatch) -> None:
    """Codes are random (40 bits); a collision is resolved by the INSERT itself, then a fresh draw for that row."""
    from server import tokens

    household = demo.household("DONG-01").id
    taken = phone.sync([report_item(household)]).json["results"][0]["tracking_code"]
    draws = iter([taken, "AAAA-BBBB", "CCCC-DDDD"])
    monkeypatch.setattr(tokens, "new_tracking_code", lambda: next(draws))
    results = phone.sync([report_item(household), report_item(household)]).json["results"]
    assert [r["status"] for r in results] == ["created", "created"]
    assert sorted(r["tracking_code"] for r in results) == ["AAAA-BBBB", "CCCC-DDDD"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Report)) == 3
