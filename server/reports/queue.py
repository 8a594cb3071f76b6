"""The officers' queue: one query builder for the console's list and the CSV export, so both filter alike.

Dates typed by officers are days in the commune's time zone (``TIMEZONE``, Vietnam by default), turned into
UTC bounds here. Text search runs on the folded copy of the report (search.py): "trom ga" finds "trộm gà".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import joinedload

from ..database import utcnow
from ..extensions import db
from ..officers.models import Officer
from .models import Report, ReportStatus, Urgency
from .search import like_pattern

OPEN_STATUSES = (ReportStatus.NEW, ReportStatus.ACKNOWLEDGED, ReportStatus.IN_PROGRESS)
_EQUAL_FILTERS = ("kind", "category", "urgency", "village_id")


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def day_start(day: date) -> datetime:
    """Midnight of ``day`` in the commune's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=local_zone())


def overdue_after(urgency: Urgency) -> timedelta:
    """How long a report may wait for its first answer before the queue flags it."""
    hours = current_app.config["URGENT_OVERDUE_HOURS" if urgency is Urgency.URGENT else "REPORT_OVERDUE_HOURS"]
    return timedelta(hours=hours)


def is_overdue(report: Report, now: datetime | None = None) -> bool:
    if report.first_response_at is not None or report.status not in OPEN_STATUSES:
        return False
    return (now or utcnow()) - report.received_at > overdue_after(report.urgency)


def _assignee_filter(query: Select[Any], assignee: str, officer: Officer) -> Select[Any]:
    if assignee == "me":
        return query.where(Report.assigned_officer_id == officer.id)
    if assignee == "none":
        return query.where(Report.assigned_officer_id.is_(None))
    return query.where(Report.assigned_officer_id == int(assignee))


def _sort(query: Select[Any], sort: str) -> Select[Any]:
    urgent_first = case((Report.urgency == Urgency.URGENT, 0), else_=1)
    unanswered_first = case((Report.first_response_at.is_(None), 0), else_=1)
    orders = {
        "newest": (Report.received_at.desc(),),
        "oldest": (Report.received_at.asc(),),
        "urgent": (urgent_first, Report.received_at.desc()),
        # What has waited longest for a first answer comes first: the triage order.
        "waiting": (unanswered_first, urgent_first, Report.received_at.asc()),
        "updated": (Report.updated_at.desc(),),
    }
    return query.order_by(*orders[sort], Report.id)


# What a queue row names beside the report itself (its village, group, household and officer), joined into
# the page's one query instead of one query per report and relation.
ROW_RELATIONS = (
    joinedload(Report.village),
    joinedload(Report.group),
    joinedload(Report.household),
    joinedload(Report.assigned_officer),
)


def build(officer: Officer, args: dict[str, Any]) -> Select[Any]:
    """The commune's reports matching the queue's filters, sorted; the caller pages or streams it."""
    query = select(Report).where(Report.commune_id == officer.commune_id)
    for name in _EQUAL_FILTERS:
        if args.get(name) is not None:
            query = query.where(getattr(Report, name) == args[name])
    if args.get("status"):
        query = query.where(Report.status.in_(args["status"]))
    if args.get("open"):
        query = query.where(Report.status.in_(OPEN_STATUSES))
    if args.get("unanswered"):
        query = query.where(Report.first_response_at.is_(None))
    if args.get("date_from"):
        query = query.where(Report.received_at >= day_start(args["date_from"]))
    if args.get("date_to"):
        query = query.where(Report.received_at < day_start(args["date_to"] + timedelta(days=1)))
    if args.get("q"):
        query = query.where(Report.search_text.like(like_pattern(args["q"]), escape="\\"))
    if args.get("assignee"):
        query = _assignee_filter(query, args["assignee"], officer)
    return _sort(query, args.get("sort") or "newest")


def count(query: Select[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
