"""An announcement written in the console, with a form attached, reaches the phones of its village only, and the
household app shows it (and opens the form) with no signal."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import LiveServer
from .console import EXPECTED_CONSOLE_ERRORS, HEAD, enrol_phone, mark, sign_in
from .household import count, enrol, eventually

pytestmark = pytest.mark.browser
ALLOWED_CONSOLE_ERRORS = EXPECTED_CONSOLE_ERRORS  # see conftest._no_script_errors


def test_announcement_from_the_console_reads_offline_on_the_phone(
    page: Page, browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    word = mark()
    title = f"Cảnh báo lừa đảo qua điện thoại {word}"
    form = b"%PDF-1.4\n% Mau don trinh bao " + word.encode() + b"\n%%EOF\n"
    (tmp_path / "mau-don-trinh-bao.pdf").write_bytes(form)
    # A village and group of this test's own, so that other tests on the shared server see none of it.
    village, group = f"Thôn {word}", f"T{word}"
    head = live_server.officer(*HEAD)
    status, created = head.request("POST", "/api/v1/officer/villages", {"name": village})
    assert status == 201, created
    status, body = head.request(
        "POST", "/api/v1/officer/groups", {"village_id": created["id"], "code": group, "name": f"Tổ 1 — {village}"}
    )
    assert status == 201, body
    group_id = body["id"]
    status, body = head.request("POST", f"/api/v1/officer/groups/{group_id}/households", {"name": "Hộ bà Lò Thị Mai"})
    assert status == 201, body
    status, code = head.request("POST", f"/api/v1/officer/groups/{group_id}/enrolment-codes")
    assert status == 201, code
    elsewhere = enrol_phone(live_server, "DONG-01")  # Thôn Đông: not targeted
    elsewhere.pull_all()

    sign_in(page)  # an officer (not only the head) posts announcements
    page.get_by_role("link", name="Thông báo").click()
    page.get_by_text("Soạn thông báo").click()
    page.get_by_label("Tiêu đề").fill(title)
    page.get_by_label("Nội dung").fill("Không ai được gọi điện bắt chuyển tiền để 'giải quyết hồ sơ'. Báo ngay 113.")
    page.get_by_label(village).check()
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_role("heading", name=title, level=2)).to_be_visible()
    page.get_by_label("Biểu mẫu (PDF hoặc ảnh)").set_input_files(tmp_path / "mau-don-trinh-bao.pdf")
    page.get_by_role("button", name="Đính kèm").click()
    expect(page.get_by_role("link", name="mau-don-trinh-bao.pdf")).to_be_visible()
    page.get_by_role("button", name="Đăng", exact=True).click()
    expect(page.locator(".announcement .badge")).to_have_text("Đã đăng")

    phone = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 640}, locale="vi-VN")
    phone.set_default_timeout(15_000)
    try:
        app = phone.new_page()
        enrol(app, code["code"])
        eventually(app, lambda: count(app, "files") >= 1)  # the form is kept on the phone
        phone.set_offline(True)
        app.reload()
        app.get_by_role("button", name="Thông báo của xã").click()
        app.get_by_role("button", name=title).click()
        expect(app.get_by_text("Báo ngay 113", exact=False)).to_be_visible()
        with app.expect_download() as download:
            app.get_by_role("link", name="mau-don-trinh-bao.pdf").click()
        assert Path(download.value.path()).read_bytes() == form
    finally:
        phone.close()

    elsewhere.pull_all()
    assert all(title not in str(change) for change in elsewhere.seen)
