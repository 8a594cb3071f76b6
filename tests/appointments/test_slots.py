"""Appointment slots (issue 15): the commune opens slots, a phone books one, the server confirms it or proposes
the nearest free ones, sealed to the household like replies; reminders the day before."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.appointments.models import Slot
from server.extensions import db
from tests.conftest import now_iso, report_item
from tests.households.test_envelopes import HOUSEHOLD_INFO, claimed
from tests.tips.tipster import open_entry

BASE = "/api/v1/officer/appointments"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def next_weekday(after: int = 2) -> date:
    """A Monday-to-Friday day at least ``after`` days ahead."""
    day = datetime.now(ZONE).date() + timedelta(days=after)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


def open_morning(officer, day: date, capacity: int = 1, **extra: Any) -> list[dict[str, Any]]:
    body = {
        "first_day": day.isoformat(),
        "last_day": day.isoformat(),
        "periods": [{"start": "07:30", "end": "09:30"}],
        "minutes": 30,
        "capacity": capacity,
        **extra,
    }
    answer = officer.post(f"{BASE}/slots", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def appointment(household_id: int, slot_id: int, **overrides: Any) -> dict[str, Any]:
    return report_item(
        household_id,
        kind="appointment",
        category=None,
        body="Xin hẹn làm lại CCCD bị mất.",
        slot_id=slot_id,
        **overrides,
    )


def booking(report_id: str, slot_id: int) -> dict[str, Any]:
    return {
        "type": "booking",
        "id": str(uuid.uuid4()),
        "report_id": report_id,
        "slot_id": slot_id,
        "created_at": now_iso(),
    }


def last(phone, kind: str) -> dict[str, Any]:
    return [c for c in phone.seen if c["type"] == kind][-1]


def test_slots_reach_phones_and_a_full_slot_gets_the_nearest_free_ones(enrol_phone, officer, demo):
    day = next_weekday()
    slots = open_morning(officer, day, capacity=1, officer_id=None)
    assert [s["starts_at"][11:16] for s in slots] == ["00:30", "01:00", "01:30", "02:00"]  # 07:30… in UTC+7
    first, second = enrol_phone("DONG-01"), enrol_phone("TAY-01")
    second.pull_all()
    offered = last(second, "appointment_slots")
    assert [s["id"] for s in offered["slots"]] == [s["id"] for s in slots]
    assert "Mất CCCD — cấp lại căn cước" in [p["name"] for p in offered["procedures"]]
    procedure = next(p for p in offered["procedures"] if p["name"].startswith("Đăng ký tạm trú"))
    assert "Tờ khai thay đổi thông tin cư trú (CT01)" in procedure["papers"]

    wanted = slots[1]["id"]
    mine = appointment(demo.household("DONG-01").id, wanted, procedure_id=procedure["id"])
    answer = first.sync([mine])
    assert answer.json["results"][0]["status"] == "created"
    confirmed = last(first, "report_status")  # in the same round trip
    assert confirmed["report_id"] == mine["id"] and confirmed["appointment_at"] == slots[1]["starts_at"]

    # The other phone offered the slot offline before it filled: it is told the nearest free ones instead.
    theirs = appointment(demo.household("TAY-01").id, wanted)
    assert second.sync([theirs]).json["results"][0]["status"] == "created"
    proposal = last(second, "appointment_proposal")
    assert proposal["report_id"] == theirs["id"] and proposal["slot_id"] == wanted
    assert [s["id"] for s in proposal["slots"]] == [slots[0]["id"], slots[2]["id"], slots[3]["id"]]
    assert wanted not in [s["id"] for s in last(second, "appointment_slots")["slots"]]

    # It picks again; a retry of the same pick is a duplicate and takes no second seat.
    again = booking(theirs["id"], slots[2]["id"])
    assert second.sync([again]).json["results"][0]["status"] == "created"
    assert last(second, "report_status")["appointment_at"] == slots[2]["starts_at"]
    assert second.sync([again]).json["results"][0]["status"] == "duplicate"

    listed = officer.get(f"{BASE}?first_day={day}&last_day={day}").json["slots"]
    assert [s["booked"] for s in listed] == [0, 1, 1, 0]
    assert listed[1]["bookings"][0]["procedure"] == procedure["name"]
    report = officer.get(f"/api/v1/officer/reports/{theirs['id']}").json
    assert report["appointment_at"].startswith(f"{day.isoformat()}T01:30")  # UTC


def test_a_slot_picked_while_writing_the_request_is_on_the_officers_report_page(phone, officer, demo):
    """The request and its first pick arrive in one item: the stored report holds the seat's time, as the phone
    was told (the batch's staged report was once changed instead of the stored row, and the console showed none)."""
    slots = open_morning(officer, next_weekday(3), capacity=1)
    item = appointment(demo.household("DONG-01").id, slots[1]["id"])
    assert phone.sync([item]).json["results"][0]["status"] == "created"
    assert last(phone, "report_status")["appointment_at"] == slots[1]["starts_at"]
    assert officer.get(f"/api/v1/officer/reports/{item['id']}").json["appointment_at"] == slots[1]["starts_at"]


def test_picking_another_slot_gives_the_first_seat_back(phone, officer, demo):
    slots = open_morning(officer, next_weekday(3), capacity=1)
    item = appointment(demo.household("DONG-01").id, slots[0]["id"])
    phone.sync([item])
    phone.sync([booking(item["id"], slots[3]["id"])])
    assert [db.session.get(Slot, s["id"]).booked for s in slots] == [0, 0, 0, 1]


def test_a_refused_appointment_gives_its_seat_back_once(phone, officer, demo):
    slots = open_morning(officer, next_weekday(3), capacity=1)
    seat = slots[0]["id"]
    first = appointment(demo.household("DONG-01").id, seat)
    phone.sync([first])
    second = appointment(demo.household("DONG-01", 1).id, seat)
    phone.sync([second])
    assert last(phone, "appointment_proposal")["report_id"] == second["id"]  # full: the second got proposals

    refused = officer.post(
        f"/api/v1/officer/reports/{first['id']}/status", json={"status": "rejected", "reason": "Trùng lịch."}
    )
    assert refused.status_code == 200, refused.json
    assert db.session.get(Slot, seat).booked == 0
    phone.pull_all()
    assert seat in [s["id"] for s in last(phone, "appointment_slots")["slots"]], "phones are offered it again"
    assert phone.sync([booking(second["id"], seat)]).json["results"][0]["status"] == "created"
    assert last(phone, "report_status")["appointment_at"] == slots[0]["starts_at"]

    # Closing the second by a bulk action frees its seat too; reopening and closing again frees nothing more.
    bulk = {"report_ids": [second["id"]], "action": "status", "status": "resolved"}
    assert officer.post("/api/v1/officer/reports/bulk", json=bulk).status_code == 200
    assert db.session.get(Slot, seat).booked == 0
    other = appointment(demo.household("DONG-01", 2).id, seat)
    phone.sync([other])
    assert db.session.get(Slot, seat).booked == 1
    for status in ("in_progress", "resolved"):
        moved = officer.post(f"/api/v1/officer/reports/{second['id']}/status", json={"status": status})
        assert moved.status_code == 200, moved.json
    assert db.session.get(Slot, seat).booked == 1, "the seat another household took stays taken"


def test_a_claimed_households_confirmation_and_proposal_travel_sealed(phone, head, officer, demo):
    household = demo.household("DONG-01", 2)
    keys = claimed(phone, head, household.id)
    slots = open_morning(officer, next_weekday(), capacity=1)
    other = appointment(demo.household("DONG-01", 0).id, slots[0]["id"])
    phone.sync([other])
    item = keys.sign(appointment(household.id, slots[0]["id"]))
    assert phone.sync([item]).json["results"][0]["status"] == "created"
    proposal = last(phone, "appointment_proposal")
    assert proposal["type"] == "appointment_proposal" and set(proposal) == {"type", "household_id", "sealed"}
    assert item["id"] not in json.dumps(proposal)
    opened = open_entry(keys.box, proposal["sealed"], HOUSEHOLD_INFO)
    assert opened["report_id"] == item["id"] and opened["slots"][0]["id"] == slots[1]["id"]

    unsigned = booking(item["id"], slots[1]["id"])
    result = phone.sync([unsigned]).json["results"][0]
    assert result["error"]["code"] == "signature_invalid", "the neighbour cannot book in the household's name"
    assert phone.sync([keys.sign(booking(item["id"], slots[1]["id"]))]).json["results"][0]["status"] == "created"
    confirmed = open_entry(keys.box, last(phone, "report_status")["sealed"], HOUSEHOLD_INFO)
    assert confirmed["appointment_at"] == slots[1]["starts_at"]


def test_reminders_go_the_day_before_once_with_the_papers(app, phone, officer, demo, push_service):
    subscription = push_service.subscription()
    assert phone.client.put("/api/v1/push/subscription", json=subscription, headers=phone.headers).status_code == 204
    day = next_weekday(2)
    slots = open_morning(officer, day, capacity=2)
    procedures = officer.get(BASE).json["procedures"]
    lost_id = procedures[0]
    edited = officer.patch(f"{BASE}/procedures/{lost_id['id']}", json={"papers": "Đơn trình báo mất\nẢnh 3x4"})
    assert edited.status_code == 200
    item = appointment(demo.household("DONG-01").id, slots[0]["id"], procedure_id=lost_id["id"])
    phone.sync([item])
    booked = officer.get(f"{BASE}/reports/{item['id']}").json  # what the report page shows
    assert booked["procedure"] == lost_id["name"] and booked["papers"] == ["Đơn trình báo mất", "Ảnh 3x4"]
    assert booked["outcome"] == "confirmed" and booked["starts_at"] == slots[0]["starts_at"]
    runner = app.test_cli_runner()
    evening_before = datetime.combine(day - timedelta(days=1), datetime.min.time(), ZONE) + timedelta(hours=18)
    two_days_before = evening_before - timedelta(days=1)
    assert "Reminded 0" in runner.invoke(args=["appointment-reminders", "--now", two_days_before.isoformat()]).output
    out = runner.invoke(args=["appointment-reminders", "--now", evening_before.isoformat()])
    assert "Reminded 1" in out.output, out.output
    # The phone is told, with nothing of whose appointment, when or for what: that waits sealed in the feed.
    [pushed] = push_service.wait_for(1)
    assert pushed.payload == {"title": "Nhắc lịch hẹn ngày mai", "kind": "reminder"}
    assert "Reminded 0" in runner.invoke(args=["appointment-reminders", "--now", evening_before.isoformat()]).output
    assert len(push_service.received) == 1, "a second run reminds nobody and pushes nothing"
    phone.pull_all()
    reminder = last(phone, "appointment_reminder")
    assert reminder["report_id"] == item["id"] and reminder["starts_at"] == slots[0]["starts_at"]
    assert reminder["papers"] == ["Đơn trình báo mất", "Ảnh 3x4"] and reminder["procedure"] == lost_id["name"]


def test_holidays_close_slots_and_capacity_never_drops_below_bookings(phone, officer, demo):
    day = next_weekday(4)
    slots = open_morning(officer, day, capacity=2)
    phone.sync([appointment(demo.household("DONG-01").id, slots[0]["id"])])
    shrink = officer.patch(f"{BASE}/slots/{slots[0]['id']}", json={"capacity": 0})
    assert shrink.status_code == 422
    # Full after one more seat: capacity 1 holds the one booking.
    assert officer.patch(f"{BASE}/slots/{slots[0]['id']}", json={"capacity": 1}).json["capacity"] == 1
    holiday = officer.post(f"{BASE}/holidays", json={"day": day.isoformat(), "name": "Nghỉ bù"})
    assert holiday.status_code == 201, holiday.json
    assert all(s["closed"] for s in officer.get(f"{BASE}?first_day={day}&last_day={day}").json["slots"])
    phone.pull_all()
    assert last(phone, "appointment_slots")["slots"] == []
    assert open_morning(officer, day) == [], "no slot is made on a holiday"


def test_another_communes_officer_sees_and_changes_nothing(officer, demo, other_commune, sign_in):
    slots = open_morning(officer, next_weekday(), capacity=1)
    stranger = sign_in("khac", "other-officer")
    assert stranger.patch(f"{BASE}/slots/{slots[0]['id']}", json={"closed": True}).status_code == 404
    day = next_weekday()
    assert stranger.get(f"{BASE}?first_day={day}&last_day={day}").json == {
        "slots": [],
        "holidays": [],
        "procedures": [],
    }


def test_slot_times_are_utc_and_unknown_slots_are_proposed_around_now(phone, officer, demo):
    slots = open_morning(officer, next_weekday(), capacity=1)
    item = appointment(demo.household("DONG-01").id, 2**31 - 1)
    assert phone.sync([item]).json["results"][0]["status"] == "created"
    proposal = last(phone, "appointment_proposal")
    assert [s["id"] for s in proposal["slots"]] == [s["id"] for s in slots[:3]]
    assert datetime.fromisoformat(proposal["slots"][0]["starts_at"]).tzinfo == UTC
