"""Tips sealed end to end to the commune (issue 11), in Chromium against a real server of its own.

The head makes the commune's reading key in the console; a household's phone writes an anonymous tip and a named
one, which leave the phone sealed; the server's database holds neither text; an officer sees them locked, opens
the key with the passphrase, and reads both. A server of its own: a key in the shared demo commune would seal
every other browser test's tips.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from benchmarks.live import free_port, prepare
from server.commune_keys.cli import write_recovery_key

from .conftest import DEMO_HEAD, DEMO_OFFICER, LiveServer, live_env, serving
from .console import sign_in
from .household import camera_photo, enrol, eventually, open_household, write_report
from .test_anonymous_tips import FAST_TIPS_JS

pytestmark = pytest.mark.browser

PASSPHRASE = "tổ tuần tra đêm thứ bảy"


def _phone_context(browser: Browser, server: LiveServer) -> BrowserContext:
    context = browser.new_context(base_url=server.url, viewport={"width": 360, "height": 640}, locale="vi-VN")
    context.set_default_timeout(20_000)
    return context


def _stored_text(server: LiveServer) -> str:
    """Every report and message column as the database holds them, one string."""
    with sqlite3.connect(server.tmp / "app.db") as db:
        rows = db.execute("SELECT * FROM report").fetchall() + db.execute("SELECT * FROM message").fetchall()
    return repr(rows)


def _stored_files(server: LiveServer) -> list[tuple[int | None, int, bytes]]:
    """Each attachment's key version, whether complete, and its stored bytes (empty until complete)."""
    with sqlite3.connect(server.tmp / "app.db") as db:
        rows = db.execute("SELECT id, sealed_key_version, complete FROM attachment").fetchall()
    files = {path.name: path.read_bytes() for path in (server.tmp / "attachments").rglob("*") if path.is_file()}
    return [
        (v, done, next((b for name, b in files.items() if str(i).replace("-", "") in name), b"")) for i, v, done in rows
    ]


def test_tips_leave_the_phone_sealed_and_only_the_commune_opens_them(browser: Browser, tmp_path: Path) -> None:
    recovery = write_recovery_key(tmp_path / "province.pem")
    server = LiveServer("127.0.0.1", free_port(), live_env(tmp_path, PROVINCE_RECOVERY_KEY=recovery), tmp=tmp_path)
    prepare(server.env)
    mark = uuid.uuid4().hex[:8].upper()
    anonymous_words, named_words = f"Người lạ bán ma tuý ở bãi sông {mark}", f"Trộm trâu ở xóm Bến {mark}"
    with serving(server):
        head = _phone_context(browser, server)
        console = head.new_page()
        sign_in(console, DEMO_HEAD)
        console.get_by_role("link", name="Khoá đọc tin báo").click()
        console.get_by_label("Mật khẩu khoá tin báo").fill(PASSPHRASE)
        console.get_by_label("Nhập lại mật khẩu khoá").fill(PASSPHRASE)
        console.get_by_role("button", name="Tạo khoá đọc tin báo").click()
        expect(console.get_by_text("phiên bản 1").first).to_be_visible()
        head.close()

        phone = _phone_context(browser, server)
        page = phone.new_page()
        enrol(page, server.enrolment_code("DONG-01"), service_worker=False)  # the first sync brings the key
        page.evaluate(FAST_TIPS_JS)
        open_household(page, "Hộ ông Nguyễn Văn An")
        write_report(page, "Tin báo an ninh", anonymous_words, category="Ma tuý", photo=camera_photo())
        write_report(page, "Tin báo an ninh", named_words, category="Trộm cắp", anonymous=False)
        page.get_by_role("button", name="Gửi ngay").click()
        expect(page.locator(".badge.sent")).to_have_count(2, timeout=45_000)
        eventually(page, lambda: [done for _, done, _ in _stored_files(server)] == [1], timeout=45)
        phone.close()
        [(version, _, photo)] = _stored_files(server)  # the photo as the server keeps it: sealed, as it came
        assert version == 1 and photo and not photo.startswith(b"\xff\xd8") and b"JFIF" not in photo

        stored = _stored_text(server)
        assert mark not in stored and "bãi sông" not in stored and "xóm Bến" not in stored
        assert stored.count("'drugs'") == 1 and stored.count("'theft'") == 1  # categories stay for triage

        officer = _phone_context(browser, server)
        console = officer.new_page()
        sign_in(console, DEMO_OFFICER)
        expect(console.get_by_text("Nội dung tin báo đã được niêm phong").first).to_be_visible()
        expect(console.get_by_text(mark)).to_have_count(0)
        console.locator(".report", has_text="Ma tuý").get_by_role("link").click()
        expect(console.get_by_text("Ảnh và ghi âm của tin báo đã được niêm phong")).to_be_visible()
        expect(console.locator(".photos img")).to_have_count(0)
        console.get_by_role("link", name="Khoá đọc tin báo").click()
        console.get_by_label("Mật khẩu khoá tin báo").fill("không phải mật khẩu này")
        console.get_by_role("button", name="Mở khoá tin báo").click()
        expect(console.get_by_text("Sai mật khẩu khoá tin báo.")).to_be_visible()
        console.get_by_label("Mật khẩu khoá tin báo").fill(PASSPHRASE)
        console.get_by_role("button", name="Mở khoá tin báo").click()
        expect(console.get_by_text("Đã mở khoá").first).to_be_visible()
        console.get_by_role("link", name="Tin cần xử lý", exact=True).click()
        expect(console.get_by_text(anonymous_words)).to_be_visible()
        expect(console.get_by_text(named_words)).to_be_visible()
        console.get_by_text(anonymous_words).click()
        picture = console.get_by_role("img", name="Ảnh 1/1")
        expect(picture).to_be_visible()  # opened in this page with the commune's key, and checked to be a JPEG
        eventually(console, lambda: picture.evaluate("img => img.complete && img.naturalWidth") > 0)
        console.go_back()
        console.get_by_text(named_words).click()
        expect(console.locator("p.body", has_text=named_words)).to_be_visible()

        # The server cannot search sealed words; the console searches the tips it opened, tones optional.
        console.goto(f"/officer/#/queue?q=ban+ma+tuy+o+bai+song+{mark.lower()}")
        found = console.locator(".sealed-search")
        expect(found.get_by_role("heading")).to_contain_text("1 tin khớp")
        expect(found.get_by_text(anonymous_words)).to_be_visible()
        expect(found.get_by_text(named_words)).to_have_count(0)
        console.reload()  # a new page holds no opened key: it says how to search the sealed tips
        expect(console.get_by_text("Tin báo niêm phong chưa được tìm")).to_be_visible()
        officer.close()
