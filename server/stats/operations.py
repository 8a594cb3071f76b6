"""Counting the commune's reports for the stats screen, and writing the filtered queue as CSV.

A commune receives at most a few thousand reports a year, so the figures are computed in Python from one
narrow query: the same code on SQLite and PostgreSQL, and the median needs no database-specific function.
Days, weeks and months are the commune's (queries.local_zone), not UTC.
"""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, select, type_coerce

from ..alerts import operations as alerts
from ..audit import operations as audit
from ..communes.models import Village
from ..database import count, utcnow
from ..errors import Unprocessable
from ..extensions import db
from ..officers.models import Officer
from ..reports import queries
from ..reports.models import Report, ReportKind, ReportStatus, TipCategory, is_open

# One answer holds at most this many periods (a year by day, ten years by week, thirty by month) and spans
# at most MAX_RANGE_DAYS: 1000-01-01 to 3000-12-31 by day took 8.3 s, +550 MB and answered 34 MiB.
MAX_PERIODS = 400
MAX_RANGE_DAYS = 366 * 10
AGE_BUCKETS = (("0-1", 1), ("1-3", 3), ("3-7", 7), ("7+", None))  # days an open report has waited


def default_range(args: dict[str, Any]) -> tuple[date, date]:
    today = utcnow().astimezone(queries.local_zone()).date()
    end = args.get("date_to") or today
    start = args.get("date_from") or end - timedelta(days=29)
    return start, end


def _bucket_for(start: date, end: date, asked: str | None) -> str:
    if asked:
        return asked
    days = (end - start).days + 1
    return "day" if days <= 31 else "week" if days <= 190 else "month"


def _period_start(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())  # Monday
    if bucket == "month":
        return day.replace(day=1)
    return day


def _periods(start: date, end: date, bucket: str) -> list[date]:
    periods, current = [], _period_start(start, bucket)
    while current <= end:
        periods.append(current)
        if bucket == "month":
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            current += timedelta(days=7 if bucket == "week" else 1)
    return periods


def _counted(counter: Counter[Any], keys: Iterable[Any]) -> list[dict[str, Any]]:
    return [{"key": getattr(key, "value", key), "count": counter.get(key, 0)} for key in keys]


def _open_by_age(commune_id: int, now: datetime) -> list[dict[str, Any]]:
    received = db.session.scalars(select(Report.received_at).where(Report.commune_id == commune_id, is_open())).all()
    counts: Counter[str] = Counter()
    for at in received:
        age_days = (now - at).total_seconds() / 86400
        counts[next(key for key, limit in AGE_BUCKETS if limit is None or age_days < limit)] += 1
    return [{"key": key, "count": counts.get(key, 0)} for key, _ in AGE_BUCKETS]


def _check_range(start: date, end: date, bucket: str) -> None:
    """Refuse a range the console never asks for before any work is done (422 ``range_too_large``)."""
    if start > end:
        raise Unprocessable(fields={"date_from": ["Must be on or before date_to."]})
    days = (end - start).days + 1
    per_period = {"day": 1, "week": 7, "month": 28}[bucket]
    if days > MAX_RANGE_DAYS or days / per_period > MAX_PERIODS + 1:
        raise Unprocessable(
            f"At most {MAX_RANGE_DAYS} days and {MAX_PERIODS} periods per answer; choose a shorter range "
            "or a longer bucket.",
            code="range_too_large",
            fields={"date_from": ["Range too large for this bucket."]},
        )


def _received(commune_id: int, start: date, end: date) -> Sequence[Any]:
    """The commune's reports received from ``start`` to ``end`` (commune days), oldest first, as plain tuples.

    A commune-year is ~3,000 rows (10 M-report run, benchmarks/scale.py): there, loading them as ORM rows with
    enum members cost ~40 ms where the SQL took 1 ms, an index-only scan of ix_report_commune_received that
    also hands the rows over in date order. So the row is read through Core, enums as their stored strings.
    """
    statement = (
        select(
            type_coerce(Report.kind, String),
            type_coerce(Report.category, String),
            Report.village_id,
            type_coerce(Report.status, String),
            Report.received_at,
            Report.first_response_at,
        )
        .where(
            Report.commune_id == commune_id,
            Report.received_at >= queries.day_start(start),
            Report.received_at < queries.day_start(end + timedelta(days=1)),
        )
        .order_by(Report.received_at)
    )
    return db.session.connection().execute(statement).all()


def _over_time(rows: Sequence[Any], periods: list[date]) -> list[dict[str, Any]]:
    """Reports per period and status; ``rows`` oldest first, so each period is one stretch of them."""
    ends = [queries.day_start(period) for period in periods[1:]]  # where the next period starts
    counts: list[Counter[str]] = [Counter() for _ in periods]
    current = 0
    for row in rows:
        while current < len(ends) and row.received_at >= ends[current]:
            current += 1
        counts[current][row.status] += 1
    return [
        {"period": period, "total": counts[i].total(), "by_status": dict(counts[i])} for i, period in enumerate(periods)
    ]


def compute(commune_id: int, args: dict[str, Any]) -> dict[str, Any]:
    start, end = default_range(args)
    bucket = _bucket_for(start, end, args.get("bucket"))
    _check_range(start, end, bucket)
    rows = _received(commune_id, start, end)
    villages = db.session.scalars(select(Village).where(Village.commune_id == commune_id).order_by(Village.name))
    waits = [(row.first_response_at - row.received_at).total_seconds() for row in rows if row.first_response_at]
    village_counts = Counter(row.village_id for row in rows)
    return {
        "date_from": start,
        "date_to": end,
        "bucket": bucket,
        "total": len(rows),
        # StrEnum members hash and compare as their values: the counters of stored strings answer for them.
        "by_kind": _counted(Counter(row.kind for row in rows), ReportKind),
        "by_category": _counted(Counter(row.category for row in rows if row.category), TipCategory),
        "by_status": _counted(Counter(row.status for row in rows), ReportStatus),
        "by_village": [{"key": v.id, "label": v.name, "count": village_counts.get(v.id, 0)} for v in villages],
        "over_time": _over_time(rows, _periods(start, end, bucket)),
        # Urgent reports per month (issue 15): how many, acknowledged, escalated to the head, time to acknowledge.
        "urgent_ack": alerts.ack_stats(commune_id),
        "first_response": {
            "median_seconds": statistics.median(waits) if waits else None,
            "answered": len(waits),
            "unanswered": len(rows) - len(waits),
        },
        "open_by_age": _open_by_age(commune_id, utcnow()),
    }


# --- CSV export ------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "tracking_code",
    "received_at",
    "kind",
    "category",
    "urgency",
    "status",
    "status_reason",
    "village",
    "group",
    "household",
    "anonymous",
    "assigned_officer",
    "first_response_at",
    "location",
    "body",
)


# A cell a spreadsheet may read as a formula starts with one of these; and since a spreadsheet may split a line
# on ";" (the list separator of Vietnamese and most European settings), "," or a tab whatever the file
# uses, a cell can start after any of those too, or after a line break in a naive import.
_FORMULA_START = re.compile(r"(^|[;,\t\r\n|])(\s*)(?=[=+\-@\t\r])")


def _safe(value: Any) -> str:
    """Text that a spreadsheet will not run as a formula, however it splits the line (CSV injection).

    A quote goes before every =, +, -, @, tab or CR that starts the text or follows a separator: Excel and
    LibreOffice then show the text as typed and never evaluate it.
    """
    text = "" if value is None else str(value)
    return _FORMULA_START.sub(lambda m: f"{m.group(1)}{m.group(2)}'", text)


def _row(report: Report, zone: Any) -> list[str]:
    # An anonymous tip carries neither its household nor its group: the village is all an officer may know.
    hidden = report.anonymous
    values = [
        report.tracking_code,
        report.received_at.astimezone(zone).isoformat(timespec="minutes"),
        report.kind.value,
        report.category.value if report.category else "",
        report.urgency.value,
        report.status.value,
        report.status_reason,
        report.village.name,
        "" if hidden or report.group is None else report.group.name,
        "" if hidden or report.household is None else report.household.name,
        "yes" if hidden else "no",
        report.assigned_officer.display_name if report.assigned_officer else "",
        report.first_response_at.astimezone(zone).isoformat(timespec="minutes") if report.first_response_at else "",
        report.location,
        report.body,
    ]
    return [_safe(value) for value in values]


def csv_lines(reports: Iterable[Report]) -> Iterator[str]:
    """The CSV, line by line; UTF-8 with a byte-order mark so that spreadsheet programs read the tones."""
    zone = queries.local_zone()
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)  # every cell quoted: no separator inside splits it
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + buffer.getvalue()
    for report in reports:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(_row(report, zone))
        yield buffer.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return getattr(value, "value", value if isinstance(value, int | bool) else str(value))


def export(officer: Officer, args: dict[str, Any]) -> tuple[str, str]:
    """The file name and the CSV of the filtered queue; the export is audited, with its filters."""
    query = queries.build(officer, args)
    audit.record(
        "reports.exported",
        commune_id=officer.commune_id,
        officer_id=officer.id,
        target_type="report",
        count=count(query),
        filters={name: _plain(value) for name, value in args.items()},
    )
    db.session.commit()
    # Built whole inside the request: a lazily streamed body would outlive the database session (the rows are
    # loaded by then), and a commune's reports are a few thousand lines at most.
    body = "".join(csv_lines(db.session.scalars(query.options(*queries.ROW_RELATIONS))))
    return f"binhan-reports-{utcnow().astimezone(queries.local_zone()):%Y%m%d-%H%M}.csv", body


AUDIT_CSV_COLUMNS = ("at", "officer", "device_id", "action", "target_type", "target_id", "details")


def audit_csv(officer: Officer, filters: dict[str, Any]) -> tuple[str, str]:
    """The commune's audit log (as filtered on the screen, newest first) as CSV, for a head to keep or hand over;
    the export itself is audited. Cells are made formula-safe like the queue's export."""
    query = audit.events(officer.commune_id, filters)
    audit.record(
        "audit.exported",
        commune_id=officer.commune_id,
        officer_id=officer.id,
        target_type="audit",
        count=count(query),
        filters={name: _plain(value) for name, value in filters.items()},
    )
    db.session.commit()
    zone = queries.local_zone()
    names = {row.id: row.display_name for row in db.session.execute(select(Officer.id, Officer.display_name))}
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(AUDIT_CSV_COLUMNS)
    for event in db.session.scalars(query):
        writer.writerow(
            _safe(value)
            for value in (
                event.at.astimezone(zone).isoformat(timespec="seconds"),
                names.get(event.officer_id, "") if event.officer_id else "",
                event.device_id or "",
                event.action,
                event.target_type,
                event.target_id,
                json.dumps(event.details or {}, ensure_ascii=False, sort_keys=True),
            )
        )
    return f"binhan-audit-{utcnow().astimezone(zone):%Y%m%d-%H%M}.csv", "\ufeff" + buffer.getvalue()
