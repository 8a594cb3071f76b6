"""A report is created on a phone under a client UUID and never changes content once stored."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    bindparam,
    event,
    literal,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import BindParameter

from ..attachments.models import Attachment
from ..communes.models import Village
from ..database import UTCDateTime, utcnow
from ..extensions import Model
from ..groups.models import Household, HouseholdGroup
from ..officers.models import Officer
from .search import report_search_text


class ReportKind(enum.StrEnum):
    TIP = "tip"
    COMPLAINT = "complaint"
    QUESTION = "question"
    APPOINTMENT = "appointment"
    HELP = "help"
    LOST_FOUND = "lost_found"


class TipCategory(enum.StrEnum):
    DRUGS = "drugs"
    THEFT = "theft"
    GAMBLING = "gambling"
    LOAN_SHARK = "loan_shark"
    FRAUD = "fraud"
    VIOLENCE = "violence"
    RACING = "racing"
    OTHER = "other"


class ReportStatus(enum.StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    REFERRED = "referred"


class Urgency(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


# The one name of each value, (Vietnamese, English), that the phone and the console both show (served in
# GET /api/v1/rules): a villager on the phone with an officer must read the same words for the same report.
# Plain enough for a villager, precise enough for an officer's queue.
LABELS: dict[enum.StrEnum, tuple[str, str]] = {
    ReportKind.TIP: ("Tin báo an ninh", "Security tip"),
    ReportKind.COMPLAINT: ("Khiếu nại, phản ánh", "Complaint or feedback"),
    ReportKind.QUESTION: ("Hỏi thủ tục", "Paperwork question"),
    ReportKind.APPOINTMENT: ("Đặt lịch hẹn", "Appointment"),
    ReportKind.HELP: ("Cần giúp đỡ", "Need help"),
    ReportKind.LOST_FOUND: ("Tìm người, đồ thất lạc", "Lost person or property"),
    TipCategory.DRUGS: ("Ma tuý", "Drugs"),
    TipCategory.THEFT: ("Trộm cắp", "Theft"),
    TipCategory.GAMBLING: ("Cờ bạc", "Gambling"),
    TipCategory.LOAN_SHARK: ("Tín dụng đen", "Loan sharks"),
    TipCategory.FRAUD: ("Lừa đảo", "Fraud"),
    TipCategory.VIOLENCE: ("Đánh nhau, hung khí", "Fights, weapons"),
    TipCategory.RACING: ("Đua xe", "Street racing"),
    TipCategory.OTHER: ("Khác", "Other"),
    ReportStatus.NEW: ("Mới nhận", "New"),
    ReportStatus.ACKNOWLEDGED: ("Đã tiếp nhận", "Acknowledged"),
    ReportStatus.IN_PROGRESS: ("Đang xử lý", "In progress"),
    ReportStatus.RESOLVED: ("Đã giải quyết", "Resolved"),
    ReportStatus.REJECTED: ("Không tiếp nhận", "Not accepted"),
    ReportStatus.REFERRED: ("Chuyển cơ quan khác", "Referred elsewhere"),
    Urgency.NORMAL: ("Bình thường", "Normal"),
    Urgency.URGENT: ("Khẩn cấp", "Urgent"),
}


# The workflow officers follow; a closed report can be reopened into in_progress.
TRANSITIONS: dict[ReportStatus, set[ReportStatus]] = {
    ReportStatus.NEW: {
        ReportStatus.ACKNOWLEDGED,
        ReportStatus.IN_PROGRESS,
        ReportStatus.RESOLVED,
        ReportStatus.REJECTED,
        ReportStatus.REFERRED,
    },
    ReportStatus.ACKNOWLEDGED: {
        ReportStatus.IN_PROGRESS,
        ReportStatus.RESOLVED,
        ReportStatus.REJECTED,
        ReportStatus.REFERRED,
    },
    ReportStatus.IN_PROGRESS: {ReportStatus.RESOLVED, ReportStatus.REJECTED, ReportStatus.REFERRED},
    ReportStatus.RESOLVED: {ReportStatus.IN_PROGRESS},
    ReportStatus.REJECTED: {ReportStatus.IN_PROGRESS},
    ReportStatus.REFERRED: {ReportStatus.IN_PROGRESS},
}
NEEDS_REASON = {ReportStatus.REJECTED, ReportStatus.REFERRED}
OPEN_STATUSES = (ReportStatus.NEW, ReportStatus.ACKNOWLEDGED, ReportStatus.IN_PROGRESS)
# The open statuses as SQL text, for the triage index's predicate (is_open() renders the same values).
_OPEN_SQL = text("status IN (" + ", ".join(f"'{status.value}'" for status in OPEN_STATUSES) + ")")


def _enum(cls: type[enum.Enum]) -> Enum:
    # Plain strings in the database: adding a value is a code change, not a type migration.
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


# Indexes the migrations make on PostgreSQL only, which the models cannot declare (SQLite has no GIN): the search
# index of (commune, trigram) keys (migration 0020). Autogenerate and the models-match-migrations test skip them.
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_report_search_keys"})


class Report(Model):
    __tablename__ = "report"
    __table_args__ = (
        # Newest first, date ranges, and the stats screen: on PostgreSQL the stats' columns ride in the index, so
        # a year of a commune is counted from ~30 index blocks, not ~3,000 table blocks (migration 0019).
        Index(
            "ix_report_commune_received",
            "commune_id",
            "received_at",
            postgresql_include=["kind", "category", "village_id", "status", "first_response_at"],
        ),
        Index("ix_report_commune_status", "commune_id", "status"),
        # The queue's kind and category filters, counted from the index alone (migration 0013).
        Index("ix_report_commune_kind_category", "commune_id", "kind", "category", "received_at"),
        # The backlog: reports without a first answer (migration 0014).
        Index(
            "ix_report_commune_unanswered",
            "commune_id",
            "received_at",
            postgresql_where=text("first_response_at IS NULL"),
            sqlite_where=text("first_response_at IS NULL"),
        ),
        # The open reports in triage order (queries._sort "waiting"): unanswered first, urgent first, then the
        # longest waiting. A page reads its 50 rows, not every open report of the commune (migration 0019).
        Index(
            "ix_report_commune_triage",
            "commune_id",
            text("(first_response_at IS NOT NULL)"),
            text("(urgency <> 'urgent')"),
            "received_at",
            "id",
            postgresql_where=_OPEN_SQL,
            sqlite_where=_OPEN_SQL,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the phone's UUID
    tracking_code: Mapped[str] = mapped_column(String(9), unique=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    # NULL for anonymous tips (sent alone through server/tips, ADR 0004): no group, device, household or
    # phone time is stored for them. Tips sent anonymously through /sync before that keep their group.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("household_group.id"), index=True)
    # NULL for anonymous reports: the server never learns which household sent them. The phone keeps
    # the report → household link itself to show replies to the right household.
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    kind: Mapped[ReportKind] = mapped_column(_enum(ReportKind))
    category: Mapped[TipCategory | None] = mapped_column(_enum(TipCategory))
    body: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(200), default="")
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency), default=Urgency.NORMAL)
    anonymous: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus), default=ReportStatus.NEW)
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    appointment_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    # SHA-256 of the canonical pushed content: a retry must match it, a different payload is a conflict.
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # on the phone; NULL for anonymous tips
    # Floored to the hour for anonymous tips (and so is updated_at when their tipster writes).
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Tracking code, body and location folded for tone-less search (search.py); filled on insert.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # A tip's text and location sealed on the phone to its commune's key (server/commune_keys): body and
    # location are then empty, and only the commune's officers open it, in the console.
    sealed_text: Mapped[str | None] = mapped_column(Text)
    sealed_key_version: Mapped[int | None] = mapped_column(Integer)

    village: Mapped[Village] = relationship()
    group: Mapped[HouseholdGroup | None] = relationship()
    household: Mapped[Household | None] = relationship()
    assigned_officer: Mapped[Officer | None] = relationship()
    messages: Mapped[list[Message]] = relationship(back_populates="report", order_by="Message.created_at")
    attachments: Mapped[list[Attachment]] = relationship(
        primaryjoin="Attachment.report_id == Report.id", order_by="Attachment.created_at", viewonly=True
    )


def is_open() -> ColumnElement[bool]:
    """``Report.status`` among OPEN_STATUSES, the values written into the SQL, not bound.

    PostgreSQL uses a partial index only where it can prove the query implies the index's predicate; a prepared
    statement's generic plan has parameters there instead of values, and would read every open report again.
    """
    statuses: BindParameter[list[ReportStatus]] = bindparam(
        "open_statuses", list(OPEN_STATUSES), expanding=True, literal_execute=True, unique=True
    )
    return Report.status.in_(statuses)


def not_urgent() -> ColumnElement[bool]:
    """False for urgent reports, so that they sort first; the value written into the SQL, as in the index."""
    return Report.urgency != literal(Urgency.URGENT.value, literal_execute=True)


def triage_order() -> tuple[ColumnElement[Any], ...]:
    """Unanswered first, then urgent first, then the longest waiting: ix_report_commune_triage's own keys."""
    return Report.first_response_at.is_not(None), not_urgent(), Report.received_at.asc()


def overdue_after(urgency: Urgency) -> timedelta:
    """How long a report may wait for its first answer before the queue flags it."""
    hours = current_app.config["URGENT_OVERDUE_HOURS" if urgency is Urgency.URGENT else "REPORT_OVERDUE_HOURS"]
    return timedelta(hours=hours)


def is_overdue(report: Report, now: datetime | None = None) -> bool:
    if report.first_response_at is not None or report.status not in OPEN_STATUSES:
        return False
    return (now or utcnow()) - report.received_at > overdue_after(report.urgency)


@event.listens_for(Report, "before_insert")
def _fill_search_text(_mapper: Any, _connection: Any, report: Report) -> None:
    # A report's content never changes after it is stored, so filling it once on insert is enough.
    report.search_text = report_search_text(report.tracking_code, report.body, report.location or "")


class MessageAuthor(enum.StrEnum):
    HOUSEHOLD = "household"
    OFFICER = "officer"


class Message(Model):
    """One entry in a report's thread; ``internal`` notes are officer-only and never enter the feed."""

    __tablename__ = "message"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report.id"), index=True)
    author: Mapped[MessageAuthor] = mapped_column(_enum(MessageAuthor))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    internal: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A tipster's follow-up sealed to the commune's key like the tip (body then empty).
    sealed_text: Mapped[str | None] = mapped_column(Text)
    sealed_key_version: Mapped[int | None] = mapped_column(Integer)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # officer reply read on the phone

    report: Mapped[Report] = relationship(back_populates="messages")
    officer: Mapped[Officer | None] = relationship()
    # An officer's spoken reply (issue 16): the recording whose attachment row names this message.
    voice: Mapped[list[Attachment]] = relationship(
        primaryjoin="foreign(Attachment.message_id) == Message.id", viewonly=True
    )
