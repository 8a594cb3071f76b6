"""What one push batch knows and what it will write: the set-based half of receiving items from a phone.

A batch of 50 reports used to cost about 300 SQL statements (a lookup of the id, of the household, a probe for a
free tracking code and an INSERT per report, plus savepoints). An ``Intake`` looks everything the batch names
up in one query per table before the items are applied, stages the new rows while the items are checked one by
one in push order (so an item sees what the items before it staged, exactly as if each had been stored at once),
and writes them with one multi-row INSERT per table. See server/sync/push.py for how a batch uses it.

Tracking codes are drawn at random and inserted with ``ON CONFLICT DO NOTHING … RETURNING id``: a row missing
from the answer either lost its tracking code to an existing one (drawn again, next statement) or its id to a
concurrent request that stored the same report first (``BatchRaced``: the caller redoes the batch item by item,
which answers ``duplicate`` or ``conflict`` as before).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Table, select, text
from sqlalchemy.orm import joinedload

from .. import tokens
from ..attachments import operations as attachments
from ..commune_keys import operations as commune_keys
from ..commune_keys.schemas import sealed_columns
from ..database import insert_new, table_of, utcnow
from ..extensions import db
from ..groups.models import Device, Household
from ..households import envelopes
from .models import Message, Report, ReportKind, ReportStatus
from .search import report_search_text

_current: ContextVar[Intake | None] = ContextVar("report_intake", default=None)
_CODE_ATTEMPTS = 8  # 40-bit codes: a second round is already a rare event


class StagedReport(SimpleNamespace):
    """A report a batch will insert, its columns as plain attributes (``REPORT_COLUMNS``, every one set).

    Not an ORM ``Report``: the batch writes it with a Core INSERT, and building 50 instrumented objects and reading
    their columns back cost 4.9 ms of a push where these take 1.5 ms. What reads it before the INSERT (a later item
    of the batch, the alerts, the answer's tracking code) reads the same attribute names; what changes the stored
    report afterwards (a booking) loads the row from the session instead.
    """


REPORT_COLUMNS = tuple(column.key for column in table_of(Report).columns)


class BatchRaced(Exception):
    """Another request stored one of this batch's ids after our lookup: the batch must be redone item by item."""


@dataclass
class Intake:
    """Rows a batch names (stored before it, or staged by it), and the rows it will insert."""

    device: Device
    reports: dict[uuid.UUID, Report | StagedReport] = field(default_factory=dict)
    households: dict[int, Household] = field(default_factory=dict)
    messages: dict[uuid.UUID, Message] = field(default_factory=dict)
    attachment_ids: set[uuid.UUID] = field(default_factory=set)
    signing_keys: dict[int, list[bytes]] = field(default_factory=dict)  # ADR 0005: who may sign for a household
    new_reports: list[StagedReport] = field(default_factory=list)
    new_attachments: list[dict[str, Any]] = field(default_factory=list)
    new_messages: list[Message] = field(default_factory=list)
    key_versions: dict[int, set[int]] = field(default_factory=dict)  # commune -> versions of its key, read once

    def seal_is_known(self, commune_id: int, item: dict[str, Any]) -> bool:
        """Whether a sealed item names a version of its commune's key that exists; read once per batch and commune,
        as a batch of sealed tips asks it for every item."""
        named = commune_keys.named_versions(item)
        if not named:
            return True
        if commune_id not in self.key_versions:
            self.key_versions[commune_id] = commune_keys.known_versions(commune_id)
        return named <= self.key_versions[commune_id]

    def prefetch(self, items: Iterable[dict[str, Any]]) -> None:
        """One query per table for everything the (validated) items name; none for a table they do not."""
        report_ids: set[uuid.UUID] = set()
        household_ids: set[int] = set()
        message_ids: set[uuid.UUID] = set()
        attachment_ids: set[uuid.UUID] = set()
        for item in items:
            if item["type"] == "report":
                report_ids.add(item["id"])
                household_ids.add(item["household_id"])
                attachment_ids.update(declared["id"] for declared in item["attachments"])
            elif item["type"] == "message":
                report_ids.add(item["report_id"])
                message_ids.add(item["id"])
            elif item["type"] == "receipt" and item["target"] == "message":
                message_ids.add(item["target_id"])
        if report_ids:
            reports = db.session.scalars(select(Report).where(Report.id.in_(report_ids)))
            self.reports.update((report.id, report) for report in reports)
        if household_ids:
            households = db.session.scalars(select(Household).where(Household.id.in_(household_ids)))
            self.households.update((household.id, household) for household in households)
        self.attachment_ids.update(attachments.taken_ids(attachment_ids))
        if message_ids:
            query = select(Message).options(joinedload(Message.report)).where(Message.id.in_(message_ids))
            self.messages.update((message.id, message) for message in db.session.scalars(query))
        self.signing_keys.update(envelopes.signing_keys(self._signers(household_ids)))

    def _signers(self, household_ids: set[int]) -> set[int]:
        """Households whose keys the items' signatures are checked against: the reports', and the households of
        the reports that follow-ups and receipts name."""
        named = {report.household_id for report in self.reports.values()}
        named |= {message.report.household_id for message in self.messages.values()}
        return {household for household in household_ids | named if household is not None}

    def stage_report(self, report: StagedReport, photos: list[dict[str, Any]]) -> None:
        self.reports[report.id] = report
        self.new_reports.append(report)
        self.attachment_ids.update(declared["id"] for declared in photos)
        self.new_attachments.extend(
            attachments.photo_rows(
                photos,
                commune_id=report.commune_id,
                report_id=report.id,
                group_id=report.group_id,
                at=report.received_at,
            )
        )

    def stage_message(self, message: Message) -> None:
        self.messages[message.id] = message
        self.new_messages.append(message)

    def flush(self) -> None:
        """Write the staged rows: one INSERT per table (plus one per tracking-code collision, practically never)."""
        self._insert_reports()
        # A list of parameter sets: SQLAlchemy sends it as one multi-row INSERT ("insertmanyvalues") from a
        # compiled statement it caches, where .values(rows) would compile a new statement for every batch.
        attachments.insert_photo_rows(self.new_attachments)
        if self.new_messages:
            db.session.execute(table_of(Message).insert(), [_row(m) for m in self.new_messages])
        self.new_reports, self.new_attachments, self.new_messages = [], [], []
        # The ORM's changes too (receipts' read_at, follow-ups' report.updated_at: one executemany each), so a
        # value the database refuses fails here, where the batch can still be redone item by item.
        db.session.flush()

    def _insert_reports(self) -> None:
        pending = {report.id: report for report in self.new_reports}
        for _ in range(_CODE_ATTEMPTS):
            if not pending:
                return
            rows = [{key: getattr(report, key) for key in REPORT_COLUMNS} for report in pending.values()]
            stored = _stored(rows)
            missing = [report_id for report_id in pending if report_id not in stored]
            if missing and db.session.scalar(select(Report.id).where(Report.id.in_(missing)).limit(1)):
                raise BatchRaced()
            pending = {report_id: pending[report_id] for report_id in missing}
            for report in pending.values():  # their tracking codes were taken: draw again
                set_tracking_code(report, tokens.new_tracking_code())
        if pending:
            raise RuntimeError("could not find free tracking codes")  # 40 bits: practically unreachable


def _insert_from_json(table: Table) -> Any:
    """PostgreSQL: ``INSERT … SELECT … FROM json_populate_recordset(NULL::table, :rows)``: the batch travels as one
    JSON text, which the server parses. A statement of one size whatever the batch (psycopg parses a multi-row
    VALUES of 50 reports, 1,300 parameters, again for every batch). It replaced ``unnest`` of one array per column,
    whose per-element dumping in psycopg took 2.7 ms of the 50 reports' INSERT (12 → 7–10 ms with it gone)."""
    keys = ", ".join(column.name for column in table.columns)
    rows = f"json_populate_recordset(NULL::{table.name}, CAST(:rows AS json))"
    # Names from the model, values only as the one bound parameter.
    statement = f"INSERT INTO {table.name} ({keys}) SELECT {keys} FROM {rows} ON CONFLICT DO NOTHING RETURNING id"  # noqa: S608
    return text(statement).columns(table.c.id)


_INSERT_REPORTS = {
    "postgresql": _insert_from_json(table_of(Report)),
    "sqlite": insert_new(table_of(Report), "sqlite"),
}


def _as_json(rows: list[dict[str, Any]], table: Table) -> str:
    """The rows as the JSON array ``_insert_from_json`` reads: each value as its column's type binds it (an enum
    as its value, a time in UTC), then in JSON (a time or a UUID as its text)."""
    processors = _bind_processors(table, db.engine.dialect)
    converted = [{key: _bound(processors[key], value) for key, value in row.items()} for row in rows]
    return json.dumps(converted, default=_json_value, ensure_ascii=False)


@cache
def _bind_processors(table: Table, dialect: Any) -> dict[str, Any]:
    """Each column's bind processor, asked once per table and dialect rather than for every batch."""
    return {column.key: column.type.bind_processor(dialect) for column in table.columns}


def _bound(processor: Any, value: Any) -> Any:
    return processor(value) if processor is not None and value is not None else value


def _json_value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)  # a UUID


def _stored(rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """The ids of the rows stored (a row whose id or tracking code was taken is not)."""
    dialect = db.engine.dialect.name
    parameters = {"rows": _as_json(rows, table_of(Report))} if dialect == "postgresql" else rows
    return set(db.session.scalars(_INSERT_REPORTS[dialect], parameters))


def _row(instance: Any) -> dict[str, Any]:
    """A staged follow-up (a transient ``Message``) as a row: every column given, so one multi-row INSERT fits all."""
    return {column.key: getattr(instance, column.key) for column in instance.__table__.columns}


def set_tracking_code(report: Report | StagedReport, code: str) -> None:
    report.tracking_code = code
    report.search_text = report_search_text(code, report.body, report.location or "")


def new_report(device: Device, data: dict[str, Any], household_id: int | None, content_hash: str) -> StagedReport:
    """A staged report with every column set (a Core INSERT runs no ORM defaults or events)."""
    group = device.group
    now = utcnow()
    report = StagedReport(
        id=data["id"],
        commune_id=group.commune_id,
        village_id=group.village_id,
        group_id=group.id,
        household_id=household_id,
        device_id=device.id,
        kind=data["kind"],
        category=data["category"],
        body=data["body"],
        location=data["location"],
        **sealed_columns(data),
        urgency=data["urgency"],
        anonymous=data["anonymous"],
        status=ReportStatus.NEW,
        status_reason="",
        appointment_requested_at=data["appointment_at"] if data["kind"] is ReportKind.APPOINTMENT else None,
        appointment_at=None,
        assigned_officer_id=None,
        content_hash=content_hash,
        created_at=data["created_at"],
        received_at=now,
        updated_at=now,
        first_response_at=None,
        tracking_code="",
        search_text="",
    )
    set_tracking_code(report, tokens.new_tracking_code())
    return report


def new_message(report_id: uuid.UUID, data: dict[str, Any], content_hash: str, author: Any) -> Message:
    return Message(
        id=data["id"],
        report_id=report_id,
        author=author,
        officer_id=None,
        internal=False,
        body=data["body"],
        **sealed_columns(data),
        content_hash=content_hash,
        created_at=data["created_at"],
        received_at=utcnow(),
        read_at=None,
    )


def current() -> Intake | None:
    """The batch being applied in this context, if any (receive_* then stage into it instead of writing)."""
    return _current.get()


@contextmanager
def batch(device: Device, items: list[dict[str, Any]]) -> Iterator[Intake]:
    """Prefetch what ``items`` name, let the caller apply them in order, then write what they staged."""
    intake = Intake(device)
    intake.prefetch(items)
    token = _current.set(intake)
    try:
        yield intake
    finally:
        _current.reset(token)
    intake.flush()
