"""Officer comfort in the console (issue 15), on a 390 px phone whose browser speaks American English: the queue is
not titled with a kind's name, days read dd/mm/yyyy, tracking codes stay on one line, j/k/x/r drive the queue, a
bulk action acknowledges the ticked reports, the photo viewer opens without a CSP violation, the audit log
downloads as CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, expect

from tests.conftest import photo_declaration, png_bytes, report_item

from .conftest import LiveServer
from .console import HEAD, enrol_phone, mark, own_household, sign_in

ALLOWED_CONSOLE_ERRORS = ("401 (UNAUTHORIZED)",)
CODES_ON_ONE_LINE_JS = "() => [...document.querySelectorAll('.code')].map((e) => e.getClientRects().length)"


def _reports(live_server: LiveServer, word: str) -> list[str]:
    phone = enrol_phone(live_server, "BAC-01")
    photo = png_bytes("green", 64)
    declared = photo_declaration(photo)
    household = own_household(live_server, phone)["id"]
    items = [report_item(household, kind="complaint", category=None, body=f"{word} phản ánh số {n}") for n in range(3)]
    items[0]["attachments"] = [declared]
    assert [r["status"] for r in phone.sync(items).json["results"]] == ["created"] * 3
    assert phone.upload(declared["id"], photo).json["complete"]
    return [str(i["id"]) for i in items]


def test_queue_shortcuts_bulk_photo_viewer_dates_and_audit_csv(browser: Browser, live_server: LiveServer) -> None:
    word = mark()
    ids = _reports(live_server, word)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="en-US", timezone_id="America/New_York"
    )
    errors: list[str] = []
    context.on("weberror", lambda e: errors.append(str(e.error)))
    context.on("console", lambda m: m.type == "error" and "401" not in m.text and errors.append(m.text))
    context.set_default_timeout(15_000)
    page: Page = context.new_page()
    try:
        sign_in(page, HEAD)  # the heading "Tin cần xử lý": a queue, not the tip kind's name
        expect(page.get_by_role("heading", level=2)).not_to_have_text("Tin báo an ninh")
        page.goto(f"/officer/#/queue?q={word}&sort=oldest")  # a filter in force: the filter box shows
        items = page.locator(".reports li.report")
        expect(items).to_have_count(3)
        expect(items.first).to_contain_text(word)  # the filtered list, not the first render's
        page.wait_for_load_state("networkidle")
        today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")
        expect(items.first.locator(".line3")).to_contain_text(today)
        assert set(page.evaluate(CODES_ON_ONE_LINE_JS)) == {1}, "a tracking code broke across lines"
        expect(page.get_by_label("Từ ngày")).to_have_attribute("placeholder", "dd/mm/yyyy")

        # j/k move, x ticks, then one bulk action acknowledges the two ticked reports.
        page.get_by_role("heading", level=2).focus()
        page.keyboard.press("j")
        expect(items.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
        page.keyboard.press("x")
        page.keyboard.press("j")
        expect(items.nth(1)).to_have_class(re.compile(r"\bcurrent\b"))
        page.keyboard.press("x")
        expect(page.get_by_text("Đã chọn 2 tin")).to_be_visible()
        page.get_by_role("form", name="Làm cho các tin đã chọn").get_by_label("Hành động").select_option("acknowledge")
        page.get_by_role("button", name="Cập nhật").click()
        expect(page.locator("#toast")).to_have_text("Đã cập nhật 2 tin")
        expect(page.locator(".reports .status.s-acknowledged")).to_have_count(2)

        # r on the last report opens it at the reply box.
        page.get_by_role("heading", level=2).focus()
        for _ in range(3):
            page.keyboard.press("j")
        expect(items.nth(2)).to_have_class(re.compile(r"\bcurrent\b"))
        page.keyboard.press("r")
        expect(page.locator(".reply-form textarea")).to_be_focused()
        expect(page.get_by_text("Phím tắt: r trả lời")).to_be_visible()
        page.go_back()

        # The photo viewer (blob: URLs, classes only) opens on the report with a photo.
        page.goto(f"/officer/#/report/{ids[0]}")
        page.locator(".photos .thumb").click()
        viewer = page.locator("dialog.viewer")
        expect(viewer).to_be_visible()
        expect(viewer).to_contain_text("Ảnh 1/1")
        page.wait_for_function("() => document.querySelector('dialog.viewer img.full').naturalWidth === 64")
        viewer.get_by_role("button", name="Đóng").click()
        expect(viewer).to_be_hidden()

        # Days typed dd/mm/yyyy in an American browser filter the queue; then the audit log as CSV.
        page.goto(f"/officer/#/queue?q={word}")
        page.get_by_label("Từ ngày").fill(today)
        page.get_by_role("button", name="Lọc", exact=True).click()
        expect(items).to_have_count(3)
        iso = datetime.strptime(today, "%d/%m/%Y").date().isoformat()
        assert f"date_from={iso}" in page.url
        expect(page.get_by_label("Từ ngày")).to_have_value(today)
        page.goto(f"/officer/#/audit?target_id={ids[1]}")
        expect(page.get_by_role("heading", name="Nhật ký", level=2)).to_be_visible()  # not the queue's CSV link
        with page.expect_download() as download:
            page.get_by_role("link", name="Tải CSV").click()
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        changed = [r for r in rows if r["action"] == "report.status_changed"]
        assert len(changed) == 1 and '"bulk": true' in changed[0]["details"], rows

        # The commune opens a morning of slots on a day typed dd/mm/yyyy; they list with their capacity.
        page.get_by_role("link", name="Lịch hẹn").click()
        opening = page.locator("form", has=page.get_by_role("button", name="Mở giờ hẹn"))
        day = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=10)).strftime("%d/%m/%Y")
        opening.get_by_label("Từ ngày").fill(day)
        opening.get_by_label("Đến ngày").fill(day)
        for box in opening.get_by_role("checkbox").all():
            box.check()
        opening.get_by_label("Buổi sáng").fill("06:00")
        opening.locator("[name=am_end]").fill("07:00")
        opening.get_by_label("Buổi chiều").fill("")
        opening.get_by_label("Số người mỗi lượt").fill("4")
        opening.get_by_role("button", name="Mở giờ hẹn").click()
        rows = page.locator("table.slots tr", has_text=day)
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("06:00–06:30")
        expect(rows.first).to_contain_text("0/4")
        assert errors == []
    finally:
        context.close()
