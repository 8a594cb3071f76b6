"""No overbooking: many phones booking the same slot at the same moment get exactly its capacity (PostgreSQL,
where transactions really run side by side; SQLite serialises writers)."""

from __future__ import annotations

import threading

import pytest

from server.appointments.models import Booking, Outcome, Slot
from server.extensions import db

from .test_slots import appointment, next_weekday, open_morning

PHONES, CAPACITY = 8, 3  # 8: enrolment is rate-limited per address


@pytest.fixture
def pg(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    return app


def test_concurrent_bookings_never_exceed_a_slots_capacity(pg, enrol_phone, officer, demo):
    (slot, *_rest) = open_morning(officer, next_weekday(), capacity=CAPACITY)
    groups = ["DONG-01", "DONG-02", "TAY-01", "BAC-01"]
    phones = [enrol_phone(groups[n % 4]) for n in range(PHONES)]
    items = [appointment(p.group["households"][0]["id"], slot["id"]) for p in phones]
    db.session.commit()
    db.session.close()  # the threads' requests each use their own session and connection
    start = threading.Barrier(PHONES)
    answers: list[int] = []

    def book(n: int) -> None:
        start.wait(10)
        answers.append(phones[n].sync([items[n]]).status_code)

    threads = [threading.Thread(target=book, args=(n,)) for n in range(PHONES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [200] * PHONES
    assert db.session.get(Slot, slot["id"]).booked == CAPACITY
    outcomes = db.session.scalars(db.select(Booking.outcome)).all()
    assert sorted(outcomes).count(Outcome.CONFIRMED) == CAPACITY
    assert len(outcomes) == PHONES
    told = [
        c["type"]
        for p, item in zip(phones, items, strict=True)
        for c in p.seen
        if c["type"] in ("report_status", "appointment_proposal") and c["report_id"] == item["id"]
    ]
    assert told.count("report_status") == CAPACITY and told.count("appointment_proposal") == PHONES - CAPACITY
