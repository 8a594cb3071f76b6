"""Reading reports: the officers' queue (one query builder for the console's list and the CSV export, so both
filter alike) and the report an officer names.

Dates typed by officers are days in the commune's time zone (``TIMEZONE``, Vietnam by default), turned into
UTC bounds here. Text search runs on the folded copy of the report (search.py): "trom ga" finds "trộm gà".
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..attachments.models import Attachment
from ..database import get_in_commune, is_postgres
from ..officers.models import Officer
from .models import Report, is_open, not_urgent, triage_order
from .search import fold, has_inner_trigram, like_pattern

_EQUAL_FILTERS = ("kind", "category", "urgency", "village_id")


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def day_start(day: date) -> datetime:
    """Midnight of ``day`` in the commune's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=local_zone())


def _assignee_filter(query: Select[Any], assignee: str, officer: Officer) -> Select[Any]:
    if assignee == "me":
        return query.where(Report.assigned_officer_id == officer.id)
    if assignee == "none":
        return query.where(Report.assigned_officer_id.is_(None))
    return query.where(Report.assigned_officer_id == int(assignee))


def _sort(query: Select[Any], sort: str) -> Select[Any]:
    orders = {
        "newest": (Report.received_at.desc(),),
        "oldest": (Report.received_at.asc(),),
        "urgent": (not_urgent(), Report.received_at.desc()),
        # What has waited longest for a first answer comes first: the triage order.
        "waiting": triage_order(),
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
# A search's matches have no useful estimate (the (commune, trigram) keys keep no statistics per commune): joined
# into the page's query, the planner may join every match before keeping 50 (4,821 buffers for "xe may" on 1 M
# reports, 462 matches). Loaded after the page, one query per relation, only the page's 50 are looked up.
SEARCH_ROW_RELATIONS = tuple(
    selectinload(relation) for relation in (Report.village, Report.group, Report.household, Report.assigned_officer)
)


def _search_keys_hold(commune_id: int, text: str) -> ColumnElement[bool]:
    """The report's (commune, trigram) keys hold those inside the query's words (PostgreSQL, migration 0020).

    The GIN index then reads this commune's candidates only: at 10 M reports the trigram index of migration 0015
    read the whole country's postings of each trigram (12,113 blocks for "xe may"). The LIKE still decides.
    """
    keys = func.report_search_keys(Report.commune_id, Report.search_text)
    return keys.op("@>", is_comparison=True)(func.report_search_pattern_keys(commune_id, fold(text)))


def build(officer: Officer, args: dict[str, Any]) -> Select[Any]:
    """The commune's reports matching the queue's filters, sorted; the caller pages or streams it."""
    query = select(Report).where(Report.commune_id == officer.commune_id)
    for name in _EQUAL_FILTERS:
        if args.get(name) is not None:
            query = query.where(getattr(Report, name) == args[name])
    if args.get("status"):
        query = query.where(Report.status.in_(args["status"]))
    if args.get("open"):
        query = query.where(is_open())
    if args.get("unanswered"):
        query = query.where(Report.first_response_at.is_(None))
    if args.get("date_from"):
        query = query.where(Report.received_at >= day_start(args["date_from"]))
    if args.get("date_to"):
        query = query.where(Report.received_at < day_start(args["date_to"] + timedelta(days=1)))
    if args.get("q"):
        query = query.where(Report.search_text.like(like_pattern(args["q"]), escape="\\"))
        if is_postgres() and officer.commune_id is not None and has_inner_trigram(args["q"]):
            query = query.where(_search_keys_hold(officer.commune_id, args["q"]))
    if args.get("assignee"):
        query = _assignee_filter(query, args["assignee"], officer)
    if args.get("sealed"):
        query = query.where(Report.sealed_text.is_not(None))
    if args.get("has_voice"):
        query = query.where(exists().where(Attachment.report_id == Report.id, Attachment.content_type.like("audio/%")))
    return _sort(query, args.get("sort") or "newest")


def page(officer: Officer, args: dict[str, Any]) -> Select[Any]:
    """The queue to page: what ReportSchema shows of each report is loaded with the page (a join, or for a search
    one query per relation, and one query for the photos), not one query per report and relation: 124 queries per
    page of 50 before (benchmarks/scale.py).
    """
    relations = SEARCH_ROW_RELATIONS if args.get("q") else ROW_RELATIONS
    return build(officer, args).options(*relations, selectinload(Report.attachments))


def report(officer: Officer, report_id: uuid.UUID) -> Report:
    return get_in_commune(Report, report_id, officer.commune_id, "report")
