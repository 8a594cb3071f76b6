"""The whole loop through the console: a phone's report reaches the queue, the officer answers and resolves it in
the browser, and the phone learns both on its next sync (the internal note never leaves the console)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import LiveServer
from .console import EXPECTED_CONSOLE_ERRORS, enrol_phone, mark, own_household, sign_in

pytestmark = pytest.mark.browser
ALLOWED_CONSOLE_ERRORS = EXPECTED_CONSOLE_ERRORS  # see conftest._no_script_errors


def test_report_is_answered_and_resolved_in_the_console(page: Page, live_server: LiveServer) -> None:
    word = mark()
    phone = enrol_phone(live_server, "TAY-01")
    # A household no browser test claims: a claimed one signs what it sends (ADR 0005), this test phone does not.
    household = own_household(live_server, phone)
    report_id = phone.send_report(household_id=household["id"], body=f"Trộm bò ở bãi sông, mã {word}", urgency="urgent")

    sign_in(page)  # on a 360 px phone screen: the console must work there too
    page.get_by_text("Bộ lọc và tìm kiếm").click()  # the filters fold away on small screens
    page.get_by_label("Tìm kiếm").fill(f"trom bo o bai song, ma {word.lower()}")  # no tones, lower case
    page.get_by_role("button", name="Lọc", exact=True).click()
    expect(page.locator(".report")).to_have_count(1)  # the search result replaced the whole queue
    item = page.locator(".report", has_text=word)
    expect(item).to_contain_text("Thôn Tây")
    expect(item).to_contain_text(household["name"])
    expect(item.locator(".badge.urgent")).to_have_text("Khẩn cấp")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
    item.get_by_role("link").click()

    expect(page.get_by_role("heading", level=2)).to_contain_text("Tin báo an ninh · Trộm cắp")
    page.get_by_label("Trả lời hộ dân").fill("Công an xã đã nhận tin, chiều nay sẽ xuống kiểm tra.")
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect(page.locator(".msg.officer").first).to_contain_text("chiều nay sẽ xuống kiểm tra")
    page.get_by_label("Ghi chú nội bộ").fill("Nghi nhóm trộm ở xóm Bãi, báo tổ tuần tra.")
    page.get_by_role("button", name="Lưu ghi chú").click()
    expect(page.locator(".msg.internal")).to_contain_text("xóm Bãi")
    page.get_by_label("Trạng thái").select_option(label="Đã giải quyết")
    page.get_by_label("Lý do").fill("Đã tìm thấy bò, trả lại cho chủ.")
    page.get_by_role("button", name="Cập nhật").click()
    expect(page.locator(".facts")).to_contain_text("Đã giải quyết")

    phone.pull_all()  # every page must answer 200
    replies = [c["body"] for c in phone.seen if c["type"] == "message" and c["report_id"] == report_id]
    assert replies == ["Công an xã đã nhận tin, chiều nay sẽ xuống kiểm tra."]
    statuses = [c for c in phone.seen if c["type"] == "report_status" and c["report_id"] == report_id]
    assert (statuses[-1]["status"], statuses[-1]["reason"]) == ("resolved", "Đã tìm thấy bò, trả lại cho chủ.")
    assert all("xóm Bãi" not in str(change) for change in phone.seen)

    assert page.get_by_role("link", name="Nhật ký").count() == 0  # an officer has no audit log
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Tin báo an ninh · Trộm cắp", level=2)).to_have_count(0)
    expect(page.locator(".facts")).to_contain_text("Resolved")
