"""Appointment slots on the phone (issue 15): booked offline on a slot the feed brought, the slot fills meanwhile,
the household is offered the nearest free ones and books one; the papers to bring show while booking."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import report_item

from .conftest import LiveServer
from .console import enrol_phone, own_household, sign_in
from .household import enrol, eventually, open_household

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
HOUSEHOLD = "Hộ bà Phạm Thị Dung"
HAS_SLOTS_JS = """async () => {
  const db = await new Promise((ok) => { const r = indexedDB.open('binh-an'); r.onsuccess = () => ok(r.result); });
  const v = await new Promise((ok) => { const r = db.transaction('meta').objectStore('meta').get('appointments');
    r.onsuccess = () => ok(r.result); });
  db.close();
  return v ? v.slots.map((s) => s.id) : [];
}"""


def _weekday(after: int) -> datetime:
    day = datetime.now(ZONE).date() + timedelta(days=after)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return datetime.combine(day, datetime.min.time(), ZONE)


def test_an_offline_booking_on_a_slot_that_filled_is_offered_the_next_free_one(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    day = _weekday(5)
    officer = live_server.officer()
    status, slots = officer.request(
        "POST",
        "/api/v1/officer/appointments/slots",
        {
            "first_day": day.date().isoformat(),
            "last_day": day.date().isoformat(),
            "periods": [{"start": "14:00", "end": "15:30"}],
            "minutes": 30,
            "capacity": 1,
        },
    )
    assert status == 201, slots
    assert len(slots) == 3, slots  # 14:00, 14:30, 15:00 (other tests of this server use other hours)
    enrol(page, live_server.enrolment_code("DONG-02"))
    open_household(page, HOUSEHOLD)
    eventually(page, lambda: slots[1]["id"] in page.evaluate(HAS_SLOTS_JS))

    context.set_offline(True)
    page.get_by_role("button", name="Viết tin mới").click()
    page.get_by_role("button", name="Đặt lịch hẹn").click()
    page.get_by_label("Thủ tục").select_option(label="Đăng ký tạm trú")
    expect(page.locator("#papers")).to_contain_text("Tờ khai thay đổi thông tin cư trú (CT01)")
    day_text = day.strftime("%d/%m/%Y")
    slot_group = page.locator(".slot-day", has_text=day_text)
    slot_group.get_by_label("14:30").check()
    page.get_by_label("Nội dung").fill(f"Đăng ký tạm trú cho con gái về quê {uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect(page.locator(".badge.waiting")).to_have_count(1)

    # Meanwhile another group's household takes the last seat of 14:30.
    other = enrol_phone(live_server, "TAY-01")
    item = report_item(
        own_household(live_server, other)["id"],
        kind="appointment",
        category=None,
        body="Xin hẹn làm CCCD",
        slot_id=slots[1]["id"],
    )
    assert other.sync([item]).json["results"][0]["status"] == "created"

    context.set_offline(False)
    page.get_by_role("button", name="Gửi ngay").click()
    expect(page.locator(".badge.answered")).to_have_count(1)
    page.get_by_role("button", name="Đặt lịch hẹn").click()
    expect(page.get_by_text("Giờ bạn chọn đã kín chỗ")).to_be_visible()
    offered = page.locator(".proposal .picks button")
    expect(offered).to_have_count(2)  # the nearest free ones: 14:00 and 15:00 that day
    expect(offered.nth(0)).to_contain_text(f"{day_text} 14:00")
    offered.filter(has_text="15:00").click()
    expect(page.locator(".card.appt")).to_contain_text("15:00", timeout=20_000)
    expect(page.locator(".card.appt")).to_contain_text(day_text)
    expect(page.locator(".proposal .picks")).to_have_count(0)
    status, listed = officer.request(
        "GET", f"/api/v1/officer/appointments?first_day={day.date()}&last_day={day.date()}"
    )
    assert [s["booked"] for s in listed["slots"]] == [0, 1, 1], listed

    # At the desk, the officer's report page shows what was booked and the papers to check.
    report_id = listed["slots"][2]["bookings"][0]["report_id"]
    console = context.new_page()
    sign_in(console)
    console.goto(f"/officer/#/report/{report_id}")
    booked = console.locator(".booked")
    expect(booked).to_contain_text("Đăng ký tạm trú")
    expect(booked.get_by_role("listitem").filter(has_text="Tờ khai thay đổi thông tin cư trú (CT01)")).to_have_count(1)
    expect(booked).to_contain_text(f"15:00 {day_text}")
