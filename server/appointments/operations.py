"""Appointment slots (issue 15): the commune opens slots, phones book them offline, the server holds capacity.

Capacity holds under concurrent bookings because a seat is only ever taken by one conditional UPDATE
(``take_seat``: ``booked = booked + 1 WHERE booked < capacity``): on PostgreSQL a second transaction updating the
same row waits for the first to commit and then re-checks the condition on the new row (READ COMMITTED), so two
phones can never both get the last seat; SQLite serialises writers. A CHECK constraint refuses the overbooking
as well (tests/appointments/test_concurrency.py books one slot from many threads at once).

What a booking answers is for its household alone (a confirmation, or the nearest free slots when the slot
filled meanwhile): it goes through the group's feed sealed to the household's key, exactly as replies do
(ADR 0005). Open slots and the procedures with their papers are public to the commune: plain feed entries
(``appointment_slots``), each a whole snapshot that replaces the phone's copy.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, select, update

from ..audit import operations as audit
from ..database import get_in_commune, utcnow
from ..errors import ApiError, Conflict, ItemRejected
from ..extensions import db
from ..feed import operations as feed
from ..groups.models import Device
from ..households import envelopes
from ..officers import queries as officer_queries
from ..officers.models import Officer
from ..reports import operations as reports_operations
from ..reports.models import Report, ReportKind, is_open
from ..reports.operations import content_hash
from .models import Booking, Holiday, Outcome, Procedure, Slot

PROPOSALS = 3  # free slots proposed when the one asked for filled meanwhile
MAX_GENERATED = 2000  # slots one "generate" may make (a quarter of office hours at 10-minute slots)

# The common procedures a commune starts with (seed-demo; editable in the console).
DEFAULT_PROCEDURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Mất CCCD — cấp lại căn cước",
        ("Đơn trình báo mất giấy tờ (có xác nhận)", "Sổ hộ khẩu hoặc giấy xác nhận cư trú", "Giấy khai sinh (bản sao)"),
    ),
    (
        "Đăng ký tạm trú",
        ("Tờ khai thay đổi thông tin cư trú (CT01)", "CCCD của người đăng ký", "Giấy tờ chứng minh chỗ ở hợp pháp"),
    ),
    ("Đăng ký tạm vắng", ("Tờ khai thay đổi thông tin cư trú (CT01)", "CCCD của người đăng ký")),
    ("Đăng ký xe máy", ("Giấy khai đăng ký xe", "CCCD của chủ xe", "Hoá đơn mua xe", "Chứng từ lệ phí trước bạ")),
)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _audit(
    action: str, commune_id: int, officer: Officer | None, target_type: str, target_id: Any, **details: Any
) -> None:
    audit.record(
        action,
        commune_id=commune_id,
        officer_id=officer.id if officer else None,
        target_type=target_type,
        target_id=target_id,
        **details,
    )


# --- what phones receive (public to the commune) --------------------------------------------------------------


def _open_query(commune_id: int, now: datetime) -> Select[Any]:
    until = now + timedelta(days=current_app.config["APPOINTMENT_WINDOW_DAYS"])
    return (
        select(Slot)
        .where(
            Slot.commune_id == commune_id,
            Slot.closed.is_(False),
            Slot.booked < Slot.capacity,
            Slot.starts_at > now,
            Slot.starts_at < until,
        )
        .order_by(Slot.starts_at, Slot.id)
    )


def open_slots(commune_id: int, now: datetime | None = None) -> list[Slot]:
    """The commune's slots with a free seat in the next weeks (APPOINTMENT_WINDOW_DAYS), soonest first."""
    return list(db.session.scalars(_open_query(commune_id, now or utcnow())))


def _slot_brief(slot: Slot) -> dict[str, Any]:
    return {"id": slot.id, "starts_at": _iso(slot.starts_at), "ends_at": _iso(slot.ends_at)}


def publish_slots(commune_id: int, now: datetime | None = None) -> None:
    """A snapshot of the open slots and of the procedures with their papers, for every phone of the commune; it
    replaces the phone's copy (call it last, just before commit)."""
    now = now or utcnow()
    slots = [_slot_brief(slot) for slot in open_slots(commune_id, now)]
    listed = [{"id": p.id, "name": p.name, "papers": p.paper_list()} for p in procedures(commune_id, active_only=True)]
    feed.append(
        "appointment_slots",
        {"slots": slots, "procedures": listed, "published_at": _iso(now)},
        commune_id=commune_id,
    )


def procedures(commune_id: int, *, active_only: bool = False) -> list[Procedure]:
    query = select(Procedure).where(Procedure.commune_id == commune_id)
    if active_only:
        query = query.where(Procedure.active.is_(True))
    return list(db.session.scalars(query.order_by(Procedure.position, Procedure.id)))


# --- the commune's console --------------------------------------------------------------------------------------


def slots_between(commune_id: int, first: date, last: date) -> list[Slot]:
    zone = _zone()
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
    query = (
        select(Slot)
        .where(Slot.commune_id == commune_id, Slot.starts_at >= start, Slot.starts_at < end)
        .order_by(Slot.starts_at, Slot.id)
    )
    return list(db.session.scalars(query))


def _check_period(first: date, last: date) -> None:
    if last < first or (last - first).days > 92:
        raise ApiError(
            "The period must run forward, at most 92 days.",
            status=422,
            code="validation_error",
            fields={"last_day": ["After first_day, at most 92 days later."]},
        )


def overview(commune_id: int, first: date | None, last: date | None) -> dict[str, Any]:
    """What the console's slots screen shows: the slots of ``first``..``last`` (default: two weeks from today),
    the holidays and the procedures."""
    first = first or utcnow().astimezone(_zone()).date()
    last = last or first + timedelta(days=13)
    _check_period(first, last)
    return {
        "slots": slots_between(commune_id, first, last),
        "holidays": holidays(commune_id),
        "procedures": procedures(commune_id),
    }


def _duty_officer(commune_id: int, officer_id: int | None) -> int | None:
    return None if officer_id is None else officer_queries.active_in_commune(commune_id, officer_id, "be on duty").id


def _holidays(commune_id: int) -> set[date]:
    return set(db.session.scalars(select(Holiday.day).where(Holiday.commune_id == commune_id)))


def generate_slots(commune_id: int, officer: Officer, args: dict[str, Any]) -> list[Slot]:
    """Cut the office hours of ``first_day``..``last_day`` (local days, the ``weekdays`` given, not holidays) into
    slots of ``minutes``, each for ``capacity`` people with ``officer_id`` on duty; a start that already has a
    slot is skipped, so running it twice changes nothing."""
    first, last = args["first_day"], args["last_day"]
    _check_period(first, last)
    duty = _duty_officer(commune_id, args.get("officer_id"))
    zone, step = _zone(), timedelta(minutes=args["minutes"])
    closed_days = _holidays(commune_id)
    taken = {slot.starts_at for slot in slots_between(commune_id, first, last)}
    made: list[Slot] = []
    day = first
    while day <= last:
        if day.weekday() in args["weekdays"] and day not in closed_days:
            for period in args["periods"]:
                start = datetime.combine(day, period["start"], zone)
                end_of_period = datetime.combine(day, period["end"], zone)
                while start + step <= end_of_period:
                    if start.astimezone(UTC) not in taken:
                        made.append(
                            Slot(
                                commune_id=commune_id,
                                starts_at=start.astimezone(UTC),
                                ends_at=(start + step).astimezone(UTC),
                                capacity=args["capacity"],
                                booked=0,
                                officer_id=duty,
                                closed=False,
                            )
                        )
                    start += step
        day += timedelta(days=1)
    if len(made) > MAX_GENERATED:
        raise ApiError(
            f"At most {MAX_GENERATED} slots at once.",
            status=422,
            code="validation_error",
            fields={"minutes": ["Too many slots: a shorter period or longer slots."]},
        )
    db.session.add_all(made)
    db.session.flush()
    _audit(
        "appointment.slots_opened",
        commune_id,
        officer,
        "commune",
        commune_id,
        count=len(made),
        first_day=first.isoformat(),
        last_day=last.isoformat(),
    )
    publish_slots(commune_id)
    db.session.commit()
    return made


def slot_in_commune(commune_id: int, slot_id: int) -> Slot:
    return get_in_commune(Slot, slot_id, commune_id, "slot")


def update_slot(slot: Slot, officer: Officer, changes: dict[str, Any]) -> Slot:
    """Change a slot's capacity (never below its bookings), its officer on duty, or close / reopen it."""
    if "capacity" in changes:
        if changes["capacity"] < slot.booked:
            raise Conflict(f"{slot.booked} people have booked this slot already.", code="capacity_below_booked")
        slot.capacity = changes["capacity"]
    if "officer_id" in changes:
        slot.officer_id = _duty_officer(slot.commune_id, changes["officer_id"])
    if "closed" in changes:
        slot.closed = changes["closed"]
    _audit(
        "appointment.slot_changed",
        slot.commune_id,
        officer,
        "slot",
        slot.id,
        **{k: v for k, v in changes.items() if k in ("capacity", "officer_id", "closed")},
    )
    publish_slots(slot.commune_id)
    db.session.commit()
    return slot


def holidays(commune_id: int) -> list[Holiday]:
    return list(db.session.scalars(select(Holiday).where(Holiday.commune_id == commune_id).order_by(Holiday.day)))


def add_holiday(commune_id: int, officer: Officer, day: date, name: str) -> Holiday:
    """Close the office on ``day``: its slots close (those booked stay booked; the console lists them)."""
    holiday = db.session.scalar(select(Holiday).where(Holiday.commune_id == commune_id, Holiday.day == day))
    if holiday is None:
        holiday = Holiday(commune_id=commune_id, day=day, name=name)
        db.session.add(holiday)
    holiday.name = name
    for slot in slots_between(commune_id, day, day):
        slot.closed = True
    db.session.flush()
    _audit("appointment.holiday_added", commune_id, officer, "holiday", holiday.id, day=day.isoformat(), name=name)
    publish_slots(commune_id)
    db.session.commit()
    return holiday


def remove_holiday(commune_id: int, officer: Officer, holiday_id: int) -> None:
    """Open the day again (its slots stay closed until reopened one by one or made again)."""
    holiday = get_in_commune(Holiday, holiday_id, commune_id, "holiday")
    _audit("appointment.holiday_removed", commune_id, officer, "holiday", holiday.id, day=holiday.day.isoformat())
    db.session.delete(holiday)
    db.session.commit()


def create_procedure(commune_id: int, officer: Officer, args: dict[str, Any]) -> Procedure:
    procedure = Procedure(
        commune_id=commune_id,
        name=args["name"],
        papers=args.get("papers", ""),
        position=args.get("position", 0),
        active=True,
    )
    db.session.add(procedure)
    db.session.flush()
    _audit("appointment.procedure_added", commune_id, officer, "procedure", procedure.id, name=procedure.name)
    publish_slots(commune_id)
    db.session.commit()
    return procedure


def update_procedure(procedure: Procedure, officer: Officer, changes: dict[str, Any]) -> Procedure:
    for key in ("name", "papers", "position", "active"):
        if key in changes:
            setattr(procedure, key, changes[key])
    _audit(
        "appointment.procedure_changed",
        procedure.commune_id,
        officer,
        "procedure",
        procedure.id,
        fields=sorted(changes),
    )
    publish_slots(procedure.commune_id)
    db.session.commit()
    return procedure


def procedure_in_commune(commune_id: int, procedure_id: int) -> Procedure:
    return get_in_commune(Procedure, procedure_id, commune_id, "procedure")


def seed_procedures(commune_id: int) -> None:
    """The common procedures, once (seed-demo). Phones get them with the first slots the commune opens."""
    if procedures(commune_id):
        return
    for position, (name, papers) in enumerate(DEFAULT_PROCEDURES):
        db.session.add(Procedure(commune_id=commune_id, name=name, papers="\n".join(papers), position=position))
    db.session.flush()


# --- bookings ----------------------------------------------------------------------------------------------------


def take_seat(commune_id: int, slot_id: int, now: datetime) -> Slot | None:
    """One seat of the slot if it has one free (open, in the future): the only write that raises ``booked``."""
    taken = db.session.execute(
        update(Slot)
        .where(
            Slot.id == slot_id,
            Slot.commune_id == commune_id,
            Slot.closed.is_(False),
            Slot.booked < Slot.capacity,
            Slot.starts_at > now,
        )
        .values(booked=Slot.booked + 1)
        .returning(Slot.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if taken is None:
        return None
    return db.session.get(Slot, taken, populate_existing=True)


def _release_seat(slot_id: int) -> None:
    db.session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked > 0)
        .values(booked=Slot.booked - 1)
        .execution_options(synchronize_session=False)
    )


def booking_of(commune_id: int, report_id: uuid.UUID) -> dict[str, Any]:
    """The appointment request's latest booking, for the officer's report page: the procedure and its papers (kept
    from the first booking that named one), and the seat it holds if any."""
    report = get_in_commune(Report, report_id, commune_id, "report")
    latest = db.session.scalar(
        select(Booking).where(Booking.report_id == report.id).order_by(Booking.received_at.desc()).limit(1)
    )
    procedure = latest.procedure if latest else None
    slot = latest.slot if latest and latest.outcome is Outcome.CONFIRMED else None
    return {
        "outcome": latest.outcome.value if latest else None,
        "procedure": procedure.name if procedure else None,
        "papers": procedure.paper_list() if procedure else [],
        "starts_at": slot.starts_at if slot else None,
        "ends_at": slot.ends_at if slot else None,
    }


def release_for_closed(report: Report) -> None:
    """A closed appointment request (rejected, referred, resolved) gives back the seat it holds in a slot still to
    come, so that another household can take it; phones are offered the slot again. A conditional UPDATE on the
    booking: two officers closing it at once release one seat, not two."""
    if report.kind is not ReportKind.APPOINTMENT:
        return
    to_come = select(Slot.id).where(Slot.starts_at > utcnow())
    released = db.session.scalars(
        update(Booking)
        .where(Booking.report_id == report.id, Booking.outcome == Outcome.CONFIRMED, Booking.slot_id.in_(to_come))
        .values(outcome=Outcome.RELEASED)
        .returning(Booking.slot_id)
        .execution_options(synchronize_session=False)
    ).all()
    for slot_id in released:
        if slot_id is not None:
            _release_seat(slot_id)
    if released:
        publish_slots(report.commune_id)


reports_operations.closing_hooks.append(release_for_closed)


def nearest_free(commune_id: int, target: datetime, count: int = PROPOSALS) -> list[Slot]:
    """The ``count`` open slots closest in time to ``target`` (the slot that filled), soonest first."""
    slots = open_slots(commune_id)
    slots.sort(key=lambda slot: (abs((slot.starts_at - target).total_seconds()), slot.starts_at))
    return sorted(slots[:count], key=lambda slot: slot.starts_at)


def _to_household(report: Report, kind: str, payload: dict[str, Any]) -> None:
    """The same path as replies (reports.operations._to_household): the group's feed, sealed to the household."""
    feed.append(
        kind,
        envelopes.sealed_payload(report.household_id, payload),
        commune_id=report.commune_id,
        group_id=report.group_id,
    )


def _procedure_for(report: Report, procedure_id: int | None) -> int | None:
    if procedure_id is not None:
        procedure = db.session.get(Procedure, procedure_id)
        return procedure.id if procedure and procedure.commune_id == report.commune_id else None
    return db.session.scalar(
        select(Booking.procedure_id).where(Booking.report_id == report.id).order_by(Booking.received_at.desc()).limit(1)
    )


def book(
    report: Report, booking_id: uuid.UUID, slot_id: int, procedure_id: int | None = None, digest: str = ""
) -> Booking:
    """Take a seat of ``slot_id`` for the appointment ``report``, inside the caller's transaction (no commit).

    Confirmed: the report's appointment is the slot's time, any seat it held before goes back, and the household
    is told by a ``report_status`` change carrying ``appointment_at`` (what the phone already shows). Full (or
    closed, or gone): the household gets an ``appointment_proposal`` with the nearest free slots.
    """
    now = utcnow()
    seat = take_seat(report.commune_id, slot_id, now)
    booking = Booking(
        id=booking_id,
        report_id=report.id,
        slot_id=slot_id if seat else None,
        procedure_id=_procedure_for(report, procedure_id),
        content_hash=digest,
        received_at=now,
        outcome=Outcome.CONFIRMED if seat else Outcome.FULL,
    )
    if seat is not None:
        held = db.session.scalars(
            select(Booking).where(Booking.report_id == report.id, Booking.outcome == Outcome.CONFIRMED)
        ).all()
        for previous in held:
            previous.outcome = Outcome.RELEASED
            if previous.slot_id is not None:
                _release_seat(previous.slot_id)
        report.appointment_requested_at = report.appointment_requested_at or seat.starts_at
        report.appointment_at = seat.starts_at
        report.updated_at = now
    db.session.add(booking)
    db.session.flush()
    audit.record(
        "appointment.booked" if seat else "appointment.slot_full",
        commune_id=report.commune_id,
        device_id=report.device_id,
        target_type="report",
        target_id=report.id,
        slot_id=slot_id,
    )
    if seat is not None:
        _to_household(
            report,
            "report_status",
            {
                "report_id": str(report.id),
                "status": report.status.value,
                "reason": report.status_reason or None,
                "appointment_at": _iso(seat.starts_at),
                "slot_id": seat.id,
                "changed_at": _iso(now),
            },
        )
        if seat.booked >= seat.capacity:
            publish_slots(report.commune_id)  # it filled: phones stop offering it
    else:
        asked = db.session.get(Slot, slot_id)
        target = asked.starts_at if asked is not None and asked.commune_id == report.commune_id else now
        _to_household(
            report,
            "appointment_proposal",
            {
                "report_id": str(report.id),
                "slot_id": slot_id,
                "slots": [_slot_brief(slot) for slot in nearest_free(report.commune_id, target)],
                "at": _iso(now),
            },
        )
        publish_slots(report.commune_id)  # the phone offered a slot it should no longer have had
    return booking


def receive_booking(device: Device, data: dict[str, Any]) -> bool:
    """A household picks a slot again (a pushed ``booking`` item): idempotent by the item's id; returns created."""
    digest = content_hash(data)
    existing = db.session.get(Booking, data["id"])
    if existing is not None:
        if existing.report_id == data["report_id"] and existing.content_hash == digest:
            return False
        raise ItemRejected("This id was already used for a different booking.", code="conflict")
    report = db.session.get(Report, data["report_id"])
    if report is None or report.group_id != device.group_id or report.anonymous:
        raise ItemRejected("The appointment this booking is for is not known.", code="unknown_report")
    if report.kind is not ReportKind.APPOINTMENT:
        raise ItemRejected("Only appointment requests take a slot.", code="not_an_appointment")
    keys = envelopes.signing_keys([report.household_id]).get(report.household_id) if report.household_id else None
    if keys and not envelopes.item_signed_by(keys, data.get("_signed")):
        raise ItemRejected(
            "Tin này không mang chữ ký của hộ gửi; hãy mở khoá hộ bằng mã PIN rồi gửi lại.", code="signature_invalid"
        )
    book(report, data["id"], data["slot_id"], None, digest)
    return True


# --- the day before ---------------------------------------------------------------------------------------------


def send_reminders(now: datetime | None = None) -> list[Booking]:
    """Remind each household booked for tomorrow (the commune's local day) once, through its sealed feed, with the
    papers to bring; and republish every commune's open slots (the window moved a day). Returns the bookings
    reminded: the hook for a push notification (issue 15's push part) is to walk them after this commits."""
    now = now or utcnow()
    zone = _zone()
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(0), zone).astimezone(UTC)
    end = datetime.combine(tomorrow + timedelta(days=1), time(0), zone).astimezone(UTC)
    due = db.session.scalars(
        select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Report, Booking.report_id == Report.id)
        .where(
            Booking.outcome == Outcome.CONFIRMED,
            Booking.reminded_at.is_(None),
            Slot.starts_at >= start,
            Slot.starts_at < end,
            is_open(),
        )
        .order_by(Slot.starts_at)
        .with_for_update(of=Booking)
    ).all()
    for booking in due:
        report, slot = booking.report, booking.slot
        if slot is None:  # a confirmed booking always has its slot; the type says it may not
            continue
        procedure = booking.procedure
        _to_household(
            report,
            "appointment_reminder",
            {
                "report_id": str(report.id),
                "starts_at": _iso(slot.starts_at),
                "ends_at": _iso(slot.ends_at),
                "procedure": procedure.name if procedure else None,
                "papers": procedure.paper_list() if procedure else None,
                "at": _iso(now),
            },
        )
        booking.reminded_at = now
    communes = db.session.scalars(select(Slot.commune_id).where(Slot.starts_at > now).distinct()).all()
    for commune_id in sorted(communes):
        publish_slots(commune_id, now)
    db.session.commit()
    return list(due)
