"""Stats for the commune and the CSV export of the filtered queue."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event

from server.audit.models import AuditEvent
from server.database import utcnow
from server.extensions import db
from server.reports.models import Report
from tests.tips.tipster import Tipster

S = "/api/v1/officer/stats"


def _shift(report_id: str, *, received_hours_ago: float, answered_after_hours: float | None = None) -> None:
    report = db.session.get(Report, uuid.UUID(report_id))
    report.received_at = utcnow() - timedelta(hours=received_hours_ago)
    if answered_after_hours is not None:
        report.first_response_at = report.received_at + timedelta(hours=answered_after_hours)
    db.session.commit()


def _counts(items: list[dict]) -> dict:
    return {item["key"]: item["count"] for item in items}


def test_counts_by_kind_category_village_and_status(officer, phone, enrol_phone, other_commune) -> None:
    west = enrol_phone("TAY-01")
    phone.send_report()
    phone.send_report(category="drugs")
    west.send_report(kind="question", category=None)
    resolved = west.send_report(kind="help", category=None)
    officer.post(f"/api/v1/officer/reports/{resolved}/status", json={"status": "resolved"})
    enrol_phone("NAM-01").send_report()  # another commune: never counted
    stats = officer.get(S).json
    assert stats["total"] == 4
    assert _counts(stats["by_kind"]) == {
        "tip": 2,
        "complaint": 0,
        "question": 1,
        "appointment": 0,
        "help": 1,
        "lost_found": 0,
    }
    assert _counts(stats["by_category"])["drugs"] == 1 and _counts(stats["by_category"])["theft"] == 1
    assert _counts(stats["by_status"]) == {
        "new": 3,
        "acknowledged": 0,
        "in_progress": 0,
        "resolved": 1,
        "rejected": 0,
        "referred": 0,
    }
    by_village = {v["label"]: v["count"] for v in stats["by_village"]}
    assert by_village == {"Thôn Bắc": 0, "Thôn Tây": 2, "Thôn Đông": 2}
    assert sum(period["total"] for period in stats["over_time"]) == 4
    assert stats["over_time"][-1]["by_status"] == {"new": 3, "resolved": 1}
    assert stats["bucket"] == "day" and len(stats["over_time"]) == 30


def test_median_time_to_first_answer_and_open_items_by_age(officer, phone) -> None:
    quick, slow, slower, waiting = (phone.send_report() for _ in range(4))
    _shift(quick, received_hours_ago=30, answered_after_hours=1)
    _shift(slow, received_hours_ago=30, answered_after_hours=3)
    _shift(slower, received_hours_ago=30, answered_after_hours=11)
    _shift(waiting, received_hours_ago=24 * 5)
    stats = officer.get(S).json
    assert stats["first_response"] == {"median_seconds": 3 * 3600, "answered": 3, "unanswered": 1}
    assert _counts(stats["open_by_age"]) == {"0-1": 0, "1-3": 3, "3-7": 1, "7+": 0}


def test_period_and_bucket(officer, phone) -> None:
    old = phone.send_report()
    phone.send_report()
    _shift(old, received_hours_ago=24 * 60)
    today = (utcnow() + timedelta(hours=7)).date()
    stats = officer.get(f"{S}?date_from={(today - timedelta(days=89)).isoformat()}&date_to={today.isoformat()}").json
    assert stats["bucket"] == "week" and stats["total"] == 2
    months = officer.get(f"{S}?date_from={(today - timedelta(days=89)).isoformat()}&bucket=month").json
    assert months["bucket"] == "month" and all(p["period"].endswith("-01") for p in months["over_time"])
    last_week = officer.get(f"{S}?date_from={(today - timedelta(days=6)).isoformat()}").json
    assert last_week["total"] == 1


def test_each_report_is_counted_in_its_commune_day_and_month(officer, phone) -> None:
    """Periods are the commune's (UTC+7): 23:30 and 00:30 there fall on two days, 7 hours off UTC's."""
    before_midnight, after_midnight, old = (phone.send_report() for _ in range(3))
    today = (utcnow() + timedelta(hours=7)).date()
    midnight = datetime.combine(today - timedelta(days=2), time.min, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    _receive(before_midnight, midnight - timedelta(minutes=30))
    _receive(after_midnight, midnight + timedelta(minutes=30))
    _receive(old, midnight - timedelta(days=58))
    days = {p["period"]: p["total"] for p in officer.get(S).json["over_time"]}
    assert days[(today - timedelta(days=3)).isoformat()] == 1
    assert days[(today - timedelta(days=2)).isoformat()] == 1
    assert sum(days.values()) == 2
    year = officer.get(f"{S}?date_from={(today - timedelta(days=364)).isoformat()}&bucket=month").json["over_time"]
    months = {p["period"]: p["total"] for p in year if p["total"]}
    old_month = (midnight - timedelta(days=58)).date().replace(day=1).isoformat()
    assert months[old_month] == 1 and sum(months.values()) == 3


def _receive(report_id: str, at: datetime) -> None:
    report = db.session.get(Report, uuid.UUID(report_id))
    report.received_at = at
    db.session.commit()


def _csv(officer, query: str = "") -> list[dict]:
    response = officer.get(f"{S}/export.csv{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_csv_export_follows_the_filters_and_hides_anonymous_senders(officer, phone) -> None:
    phone.send_report(body="Trộm xe máy ở chợ")
    Tipster.of(phone).tip(category="drugs", body='=HYPERLINK("x") bán ma tuý')
    phone.send_report(kind="question", category=None, body="Hỏi về tạm trú")
    rows = _csv(officer, "?kind=tip&sort=oldest")
    # The tip sent alone shows its hour only (ADR 0004), so it sorts before the named one of the same hour.
    assert [row["category"] for row in rows] == ["drugs", "theft"]
    hidden, named = rows
    assert hidden["received_at"].endswith(":00+07:00")
    assert (named["group"], named["household"], named["anonymous"]) == (
        "Tổ liên gia 1 — Thôn Đông",
        "Hộ ông Nguyễn Văn An",
        "no",
    )
    assert (hidden["group"], hidden["household"], hidden["anonymous"]) == ("", "", "yes")
    assert hidden["village"] == "Thôn Đông"
    assert hidden["body"].startswith("'=")  # a spreadsheet must not run it as a formula
    assert [row["body"] for row in _csv(officer, "?q=tam%20tru")] == ["Hỏi về tạm trú"]
    first = db.select(AuditEvent).where(AuditEvent.action == "reports.exported").order_by(AuditEvent.id).limit(1)
    export = db.session.scalar(first)  # the unfiltered export; the search above made a second one
    assert export.details["count"] == 2 and export.details["filters"]["kind"] == "tip"


def _statements_of_export(officer) -> int:
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE: transaction control, not a query
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        _csv(officer)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_csv_export_reads_its_rows_in_one_query_however_many_households(officer, phone) -> None:
    """A row names its village, group, household and officer: loaded with the rows, not one query each."""
    for _ in range(6):
        phone.send_report(household_index=0)
    one_household = _statements_of_export(officer)
    for index in range(1, 6):
        phone.send_report(household_index=index)
    assert len(_csv(officer)) == 11
    assert _statements_of_export(officer) == one_household
