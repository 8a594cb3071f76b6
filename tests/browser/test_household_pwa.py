"""The household PWA on a shared phone with no signal, tested through Chromium against the real server.

Each test checks what a villager or an officer would check: reports written offline survive closing
the app and arrive exactly once with their photo; a reply reaches only its household; a wrong PIN
shows nothing; storage holds no tip in clear; a new version is offered; the shell is light and
opens with no network; Chromium sees an installable app.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, expect

from tests.conftest import HttpOfficer

from .conftest import CHROMIUM, CHROMIUM_ARGS, DEMO_HEAD, REPO_ROOT, LiveServer
from .console import sign_in
from .household import (
    PIN,
    audit_screen,
    camera_photo,
    count,
    enrol,
    eventually,
    idb_dump,
    open_household,
    outbox,
    photo_inside,
    switch_household,
    wait_for_service_worker,
    write_report,
)

pytestmark = pytest.mark.browser

HOUSEHOLD_A = "Hộ ông Nguyễn Văn An"
HOUSEHOLD_B = "Hộ bà Trần Thị Bình"
SHELL_BUDGET = 60 * 1024


def _mark() -> str:
    return uuid.uuid4().hex[:10].upper()


def _ours(live_server: LiveServer, mark: str) -> list[dict[str, object]]:
    return [r for r in live_server.officer().reports() if mark in str(r.get("body", ""))]


def _photo_sha256(live_server: LiveServer, attachment_id: str) -> str:
    """SHA-256 of a photo as an officer downloads it (a canvas JPEG has no metadata: stored as sent)."""
    status, data = live_server.officer().request("GET", f"/api/v1/officer/attachments/{attachment_id}")
    assert status == 200, data
    return hashlib.sha256(data).hexdigest()


def test_reports_written_offline_survive_a_restart_and_arrive_once(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    """The core promise: nothing written without signal is lost or sent twice, photos included."""
    mark = _mark()
    enrol(page, live_server.enrolment_code("DONG-01"))
    audit_screen(page)
    open_household(page, HOUSEHOLD_A)

    context.set_offline(True)
    page.get_by_role("button", name="Viết tin mới").click()
    audit_screen(page)
    page.get_by_role("button", name="Tin báo an ninh").click()
    audit_screen(page)
    page.get_by_role("button", name="Lưu nháp").click()
    write_report(
        page,
        "Tin báo an ninh",
        f"Có người lạ bán hàng cấm ở bến đò {mark}",
        category="Ma tuý",
        photo=camera_photo(),
        anonymous=False,  # a named tip goes with the sync; anonymous ones are test_anonymous_tips.py's
    )
    write_report(page, "Hỏi thủ tục", f"Làm lại căn cước bị mất cần giấy gì? {mark}")
    write_report(page, "Khiếu nại, phản ánh", f"Đèn đường xóm 2 hỏng đã lâu {mark}")
    expect(page.locator(".badge.waiting")).to_have_count(3)
    audit_screen(page)
    queued = outbox(page)
    assert len(queued) == 3
    photo = next(a for item in queued for a in item["attachments"])
    assert photo["size"] < 400_000, "the photo is shrunk on the phone before it is queued"
    inside = photo_inside(page, photo, live_server.env["SECRET_KEY"])

    # Close the app and open it again, still with no signal: the shell comes from the service worker,
    # the outbox from IndexedDB.
    page.close()
    page = context.new_page()
    page.goto("/")
    # Offline, the PIN opens the writing key only (ADR 0005): no record on the phone says whose the queued reports
    # are (issue 11), so a new page cannot show them before an online unlock; it says they are kept and will go.
    open_household(page, HOUSEHOLD_A)
    expect(page.get_by_text("tin đã viết trước đó vẫn nằm trong máy và tự gửi khi có sóng")).to_be_visible()
    expect(page.get_by_role("button", name="Gửi ngay", exact=True)).to_be_visible()
    assert len(outbox(page)) == 3
    assert _ours(live_server, mark) == []

    context.set_offline(False)
    page.get_by_role("button", name="Gửi ngay").click()
    eventually(page, lambda: outbox(page) == [])
    page.get_by_role("button", name="Mở khoá lại khi có sóng").click()
    page.get_by_label("Mã PIN (4–6 số)").fill(PIN)
    page.get_by_role("button", name="Mở khoá").click()
    expect(page.locator(".badge.sent")).to_have_count(3, timeout=30_000)
    expect(page.get_by_text(re.compile("Mã theo dõi"))).to_have_count(3)
    assert outbox(page) == []

    reports = _ours(live_server, mark)
    assert len(reports) == 3, "exactly three records, however many times the phone retried"
    assert sorted(r["kind"] for r in reports) == ["complaint", "question", "tip"]
    assert _photo_sha256(live_server, str(photo["id"])) == inside, "the queued photo, byte for byte"

    # Retrying is harmless: a second sync creates nothing new.
    page.get_by_role("button", name="Gửi ngay").click()
    expect(page.get_by_text(re.compile("Đồng bộ lần cuối"))).to_be_visible()
    assert len(_ours(live_server, mark)) == 3


def test_officer_reply_reaches_only_its_household(page: Page, live_server: LiveServer) -> None:
    """A reply is sealed for the household it answers; a neighbour on the same phone sees nothing."""
    mark = _mark()
    enrol(page, live_server.enrolment_code("DONG-02"))
    open_household(page, HOUSEHOLD_A)
    write_report(page, "Hỏi thủ tục", f"Đăng ký tạm trú cho cháu thế nào? {mark}")
    expect(page.locator(".badge.sent")).to_have_count(1, timeout=30_000)
    switch_household(page)
    open_household(page, HOUSEHOLD_B)
    write_report(page, "Cần giúp đỡ", f"Nhà bị dột cần giúp {mark}")
    expect(page.locator(".badge.sent")).to_have_count(1, timeout=30_000)

    officer = live_server.officer()
    (question,) = [r for r in _ours(live_server, mark) if r["kind"] == "question"]
    reply = f"Mang sổ hộ khẩu lên xã sáng thứ Hai {mark}"
    status, body = officer.request("POST", f"/api/v1/officer/reports/{question['id']}/messages", {"body": reply})
    assert status == 201, body
    status, body = officer.request(
        "POST", f"/api/v1/officer/reports/{question['id']}/status", {"status": "acknowledged"}
    )
    assert status == 200, body

    # Household B is open when the reply and the status change arrive: they must not show up there.
    # They arrive sealed to household A's key (ADR 0005) and wait in its inbox until A unlocks online.
    waiting = count(page, "inbox")
    page.get_by_role("button", name="Gửi ngay").click()
    eventually(page, lambda: count(page, "inbox") >= waiting + 2)
    assert reply not in idb_dump(page)
    page.get_by_role("button", name="Cần giúp đỡ").click()
    expect(page.get_by_role("heading", name="Diễn biến")).to_be_visible()
    assert reply not in page.content()
    page.get_by_role("button", name="Quay lại").click()

    switch_household(page)
    open_household(page, HOUSEHOLD_A)
    expect(page.locator(".badge.answered")).to_have_count(1)
    page.get_by_role("button", name="Hỏi thủ tục").click()
    expect(page.get_by_text(reply)).to_be_visible()
    expect(page.get_by_text("Đã tiếp nhận")).to_be_visible()
    assert reply not in idb_dump(page), "the reply is stored sealed, never in clear"

    # "Xoá tin đã gửi khỏi máy này" keeps the tracking code and the status, nothing else.
    page.get_by_role("button", name="Quay lại").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Xoá tin đã gửi khỏi máy này").click()
    row = page.get_by_role("button", name="Tin đã xoá khỏi máy")
    expect(row).to_contain_text("Mã theo dõi")
    expect(row).to_contain_text("Đã có trả lời")
    expect(page.get_by_text(mark)).to_have_count(0)
    row.click()
    expect(page.get_by_text(reply)).to_have_count(0)
    expect(page.get_by_text("còn mã theo dõi và trạng thái")).to_be_visible()


def test_wrong_pin_shows_nothing_and_guesses_only_go_through_the_server(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    """A neighbour guessing a PIN sees nothing; online, the server counts the guesses and locks the household at
    the limit until the head unlocks it (ADR 0005); the queue still sends with every household locked."""
    secret = f"Ông Tư ở xóm 3 cho vay nặng lãi {_mark()}"
    draft = f"Bản nháp chưa gửi {_mark()}"
    enrol(page, live_server.enrolment_code("TAY-01"))
    open_household(page, HOUSEHOLD_A)
    context.set_offline(True)  # keep the tip in the outbox, where the sync engine must be able to read it
    write_report(page, "Tin báo an ninh", secret, category="Tín dụng đen", anonymous=False)
    page.get_by_role("button", name="Viết tin mới").click()
    page.get_by_role("button", name="Khiếu nại").click()
    page.get_by_label("Nội dung").fill(draft)
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_role("button", name="Tiếp tục bản nháp")).to_be_visible()

    dump = idb_dump(page)
    assert secret not in dump and draft not in dump
    assert "cho vay" not in dump

    switch_household(page)
    page.get_by_role("button", name=HOUSEHOLD_A).click()
    household_id = int(page.url.rsplit("/", 1)[-1])
    # Offline, a wrong PIN opens nothing.
    page.get_by_label("Mã PIN (4–6 số)").fill("0000")
    page.get_by_role("button", name="Mở khoá").click()
    expect(page.get_by_role("alert")).to_contain_text("Sai mã PIN")
    assert secret not in page.content()
    expect(page.get_by_role("button", name="Viết tin mới")).to_have_count(0)

    # Back online with every household locked: the sync engine still sends the tip (device key).
    context.set_offline(False)
    eventually(page, lambda: count(page, "outbox") == 0)
    assert secret not in idb_dump(page)

    # Online, each guess is counted by the server, whatever the phone holds; at the limit the household is locked.
    for left in range(9, 0, -1):
        page.get_by_label("Mã PIN (4–6 số)").fill("0000")
        page.get_by_role("button", name="Mở khoá").click()
        expect(page.get_by_role("alert")).to_have_text(f"Sai mã PIN. Còn {left} lần thử hôm nay.")
    page.get_by_label("Mã PIN (4–6 số)").fill("0000")
    page.get_by_role("button", name="Mở khoá").click()
    expect(page.get_by_role("alert")).to_contain_text("Hãy nhờ công an xã mở khoá")
    page.reload()  # a reload (or a copy of the phone) does not reset the server's count
    page.get_by_label("Mã PIN (4–6 số)").fill(PIN)
    page.get_by_role("button", name="Mở khoá").click()
    expect(page.get_by_role("alert")).to_contain_text("Hãy nhờ công an xã mở khoá")
    expect(page.get_by_role("button", name="Viết tin mới")).to_have_count(0)

    head = live_server.officer(*DEMO_HEAD)
    assert head.request("POST", f"/api/v1/officer/households/{household_id}/unlock", {}).status_code == 200
    page.reload()
    page.get_by_label("Mã PIN (4–6 số)").fill(PIN)
    page.get_by_role("button", name="Mở khoá").click()
    expect(page.get_by_role("button", name="Tiếp tục bản nháp")).to_be_visible()


def test_new_version_is_offered_and_reload_switches_to_it(page: Page, live_server: LiveServer) -> None:
    """When the shell changes, the user is asked, and one tap moves the app onto the new version."""
    page.goto("/")
    wait_for_service_worker(page)
    expect(page.get_by_text(re.compile(r"^Phiên bản "))).to_be_visible()
    old_version = page.locator("#foot").inner_text().removeprefix("Phiên bản ")
    sw = live_server.pwa_dir / "sw.js"
    original = sw.read_text()
    new_version = old_version + "-next"
    try:
        sw.write_text(original.replace(f"const VERSION = '{old_version}'", f"const VERSION = '{new_version}'"))
        page.evaluate("() => navigator.serviceWorker.getRegistration().then((r) => r.update())")
        page.get_by_role("button", name="Tải lại").click()
        expect(page.locator("#foot")).to_have_text(f"Phiên bản {new_version}")
        caches = page.evaluate("() => caches.keys()")
        assert caches == [f"binh-an-shell-{new_version}"], "the old version's cache is deleted"
    finally:
        sw.write_text(original)


def test_shell_is_light_and_opens_offline(context: BrowserContext, page: Page) -> None:
    """First load within 60 KB compressed (HTML, CSS, JS); a repeat load needs no network at all."""
    page.goto("/")
    expect(page.get_by_label("Mã ghi danh")).to_be_visible()
    wait_for_service_worker(page)
    sizes = page.evaluate(
        """() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
        .filter((e) => e.entryType === 'navigation' || /\\.(js|css)$/.test(new URL(e.name).pathname))
        .map((e) => [e.name, e.encodedBodySize, e.decodedBodySize, e.transferSize])"""
    )
    compressed = sum(s[1] for s in sizes)
    raw = sum(s[2] for s in sizes)
    transfer = sum(s[3] for s in sizes)
    print(
        f"\nshell first load: {len(sizes)} files, {compressed} B compressed bodies, {raw} B decoded, "
        f"{transfer} B on the wire with headers"
    )
    assert len(sizes) >= 10, sizes
    assert compressed <= SHELL_BUDGET, sizes

    context.set_offline(True)
    served: list[tuple[str, bool]] = []
    page.on("response", lambda r: served.append((r.url, r.from_service_worker)))
    page.reload()
    expect(page.get_by_label("Mã ghi danh")).to_be_visible()
    assert served and all(from_sw for _url, from_sw in served), served


def test_chromium_reports_no_installability_errors(
    playwright: Playwright, live_server: LiveServer, tmp_path: Path
) -> None:
    """The manifest, icons and service worker make the app installable on the phone's home screen.

    Installing is refused in incognito profiles, which Playwright's contexts are: a persistent profile is used.
    """
    ctx = playwright.chromium.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_ARGS, base_url=live_server.url
    )
    try:
        page = ctx.new_page()
        page.goto("/")
        wait_for_service_worker(page)
        result = ctx.new_cdp_session(page).send("Page.getInstallabilityErrors")
        assert result["installabilityErrors"] == []
        manifest = page.evaluate("() => fetch('/manifest.webmanifest').then((r) => r.json())")
        sizes = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
        assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    finally:
        ctx.close()


def test_server_failures_never_count_as_delivered(browser: Browser, live_server: LiveServer) -> None:
    """A 503, then an answer lost after the server stored the report, then a photo upload whose answer is lost.

    The phone keeps the item each time; the end result is one record and the photo's exact bytes.

    The service worker is blocked here so that only the page's engine talks to the network, through the
    test's routing (Background Sync would otherwise retry from the worker, unseen by the route).
    """
    mark = _mark()
    ctx = browser.new_context(base_url=live_server.url, service_workers="block", viewport={"width": 360, "height": 640})
    try:
        page = ctx.new_page()
        enrol(page, live_server.enrolment_code("DONG-01"), service_worker=False)
        open_household(page, HOUSEHOLD_B)
        calls: list[str] = []

        def flaky(route: Route) -> None:
            calls.append(route.request.url)
            if len(calls) == 1:
                route.fulfill(status=503, json={"error": {"code": "unavailable", "message": "Maintenance"}})
            elif len(calls) == 2:
                route.fetch()  # the server stores the report...
                route.abort("connectionreset")  # ...but the phone never hears back
            else:
                route.continue_()

        cut: list[str] = []

        def cut_first_patch(route: Route) -> None:
            if route.request.method == "PATCH" and not cut:
                cut.append(route.request.url)
                route.fetch()  # the photo's bytes reach the server, the answer does not
                route.abort("connectionreset")
            else:
                route.continue_()

        page.route("**/api/v1/sync", flaky)
        page.route("**/api/v1/attachments/**", cut_first_patch)
        write_report(page, "Tìm người, đồ thất lạc", f"Mất con bò vàng ở bãi sông {mark}", photo=camera_photo())
        (photo,) = outbox(page)[0]["attachments"]
        inside = photo_inside(page, photo, live_server.env["SECRET_KEY"])
        eventually(page, lambda: len(calls) >= 1)
        expect(page.locator(".badge.waiting")).to_have_count(1)
        assert _ours(live_server, mark) == []

        page.get_by_role("button", name="Gửi ngay").click()
        eventually(page, lambda: len(calls) >= 2)
        expect(page.locator(".badge.waiting")).to_have_count(1)
        assert len(_ours(live_server, mark)) == 1

        page.get_by_role("button", name="Gửi ngay").click()
        eventually(page, lambda: bool(cut))
        expect(page.locator(".badge.sending")).to_have_count(1)  # report accepted, photo not confirmed
        page.get_by_role("button", name="Gửi ngay").click()
        expect(page.locator(".badge.sent")).to_have_count(1)
        assert len(_ours(live_server, mark)) == 1, "the retry was recognised as the same report"
        assert _photo_sha256(live_server, str(photo["id"])) == inside
    finally:
        ctx.close()


def test_an_enrolment_whose_answer_was_lost_succeeds_on_the_second_tap(
    browser: Browser, live_server: LiveServer
) -> None:
    """The server enrols the phone but the answer never arrives; tapping "Ghi danh" again with the same code
    must enrol it (one device for the group), not answer "code already used"."""
    ctx = browser.new_context(base_url=live_server.url, service_workers="block", viewport={"width": 360, "height": 640})
    try:
        page = ctx.new_page()
        head = live_server.officer(*DEMO_HEAD)
        phones_before = _device_count(head, "BAC-01")
        lost: list[str] = []

        def lose_first_answer(route: Route) -> None:
            if not lost:
                lost.append(route.request.url)
                route.fetch()  # the server spends the code and creates the device...
                route.abort("connectionreset")  # ...but the phone never hears back
            else:
                route.continue_()

        page.route("**/api/v1/enrol", lose_first_answer)
        page.goto("/")
        page.get_by_label("Mã ghi danh").fill(live_server.enrolment_code("BAC-01"))
        page.get_by_role("button", name="Ghi danh").click()
        expect(page.get_by_role("alert")).to_have_text("Không kết nối được. Hãy thử lại khi có sóng.")
        page.get_by_role("button", name="Ghi danh").click()
        expect(page.get_by_role("heading", name="Chọn hộ của bạn")).to_be_visible()
        assert _device_count(head, "BAC-01") == phones_before + 1, "one phone, one device"
    finally:
        ctx.close()


def _device_count(head: HttpOfficer, group_code: str) -> int:
    status, groups = head.request("GET", "/api/v1/officer/groups")
    assert status == 200, groups
    return next(g["device_count"] for g in groups if g["code"] == group_code)


def test_appointment_time_and_announcements_reach_the_phone(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    """A confirmed appointment shows on the report; the commune's announcement reads offline, unread marked."""
    mark = _mark()
    enrol(page, live_server.enrolment_code("BAC-01"))
    news = page.get_by_role("button", name="Thông báo của xã")
    expect(news).to_contain_text("1 chưa đọc")
    open_household(page, HOUSEHOLD_A)
    write_report(page, "Đặt lịch hẹn", f"Xin hẹn làm thủ tục tạm vắng {mark}")
    expect(page.locator(".badge.sent")).to_have_count(1)
    (report,) = _ours(live_server, mark)
    status, body = live_server.officer().request(
        "POST", f"/api/v1/officer/reports/{report['id']}/appointment", {"appointment_at": "2030-05-06T08:30:00+07:00"}
    )
    assert status == 200, body
    page.get_by_role("button", name="Gửi ngay").click()
    expect(page.locator(".badge.answered")).to_have_count(1)
    page.get_by_role("button", name="Đặt lịch hẹn").click()
    expect(page.locator(".card.appt")).to_contain_text("06/05/2030")
    audit_screen(page)
    page.get_by_role("button", name="Quay lại").click()

    context.set_offline(True)
    page.get_by_role("button", name="Thông báo của xã").click()
    welcome = page.get_by_role("button", name="Chào mừng đến với Bình An")
    expect(welcome).to_contain_text("Mới")
    welcome.click()
    expect(page.get_by_text("tin sẽ tự gửi khi điện thoại có mạng", exact=False)).to_be_visible()
    audit_screen(page)
    page.get_by_role("button", name="Quay lại").click()
    expect(page.get_by_role("button", name="Chào mừng đến với Bình An")).not_to_contain_text("Mới")
    context.set_offline(False)
    eventually(page, lambda: count(page, "outbox") == 0)  # the read receipt went out


def test_every_shell_module_is_precached() -> None:
    """A module missing from the service worker's list would break the app offline; a listed file must exist."""
    pwa = REPO_ROOT / "pwa"
    sw = (pwa / "sw.js").read_text()
    listed = set(re.findall(r"'((?:js|lib|css|icons)/[^']+)'", sw))
    on_disk = {p.relative_to(pwa).as_posix() for folder in ("js", "lib") for p in (pwa / folder).rglob("*.js")}
    on_disk |= {p.relative_to(pwa).as_posix() for p in (pwa / "css").glob("*.css")}
    assert on_disk <= listed, on_disk - listed
    assert all((pwa / f).is_file() for f in listed), listed


def test_commune_form_downloads_once_and_opens_offline(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    """A form attached to an announcement is fetched by the sync engine and opens later with no signal."""
    mark = _mark()
    form = b"%PDF-1.4\n% Mau don tam tru " + mark.encode() + b"\n%%EOF\n"
    officer = live_server.officer()
    status, created = officer.request(
        "POST", "/api/v1/officer/announcements", {"title": f"Mẫu đơn đăng ký tạm trú {mark}", "body": "Tải mẫu."}
    )
    assert status == 201, created
    base = f"/api/v1/officer/announcements/{created['id']}"
    status, body = officer.request(
        "POST", f"{base}/files?name=mau-don-tam-tru.pdf", raw=form, content_type="application/pdf"
    )
    assert status == 201, body
    status, body = officer.request("POST", f"{base}/publish")
    assert status == 200, body

    enrol(page, live_server.enrolment_code("DONG-02"))
    eventually(page, lambda: count(page, "files") >= 1)
    context.set_offline(True)
    page.reload()
    page.get_by_role("button", name="Thông báo của xã").click()
    # Newest first: the new form is above the welcome message.
    expect(page.locator(".row").first).to_contain_text(mark)
    page.get_by_role("button", name=f"Mẫu đơn đăng ký tạm trú {mark}").click()
    link = page.get_by_role("link", name="mau-don-tam-tru.pdf")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == form
    assert download.value.suggested_filename == "mau-don-tam-tru.pdf"


def test_revoked_phone_enrols_again_and_keeps_its_queue(page: Page, live_server: LiveServer) -> None:
    """A revoked phone says so and can enrol again with a new code; PINs, queue and renamed households follow."""
    mark = _mark()
    enrol(page, live_server.enrolment_code("TAY-01"))
    open_household(page, "Hộ ông Lê Văn Cường")
    head = live_server.officer(*DEMO_HEAD)
    status, groups = head.request("GET", "/api/v1/officer/groups")
    assert status == 200, groups
    (group,) = [g for g in groups if g["code"] == "TAY-01"]
    status, detail = head.request("GET", f"/api/v1/officer/groups/{group['id']}")
    assert status == 200, detail
    device = max((d for d in detail["devices"] if not d["revoked_at"]), key=lambda d: d["id"])
    status, body = head.request("POST", f"/api/v1/officer/devices/{device['id']}/revoke")
    assert status == 200, body
    (household,) = [h for h in detail["households"] if h["name"] == "Hộ ông Lê Văn Cường"]
    status, body = head.request("PATCH", f"/api/v1/officer/households/{household['id']}", {"name": f"Hộ Cường {mark}"})
    assert status == 200, body

    write_report(page, "Khiếu nại, phản ánh", f"Rác đổ ra đường {mark}")
    expect(page.get_by_text("Máy này đã bị thu hồi", exact=False)).to_be_visible()
    expect(page.locator(".badge.waiting")).to_have_count(1)

    switch_household(page)
    page.get_by_role("button", name="Ghi danh lại").click()
    page.get_by_label("Mã ghi danh").fill(live_server.enrolment_code("TAY-01"))
    page.get_by_role("button", name="Ghi danh").click()
    renamed = page.get_by_role("button", name=f"Hộ Cường {mark}")
    expect(renamed).to_contain_text("Có mã PIN")
    open_household(page, f"Hộ Cường {mark}")
    expect(page.locator(".badge.sent")).to_have_count(1)
    assert len(_ours(live_server, mark)) == 1


# Re-renders the current screen, then taps "Đổi hộ" ``delay`` ms later: while the screen is still reading
# IndexedDB and decrypting, as when a sync notice re-renders the home screen and a neighbour takes the phone.
RENDER_THEN_SWITCH_JS = """async (delay) => {
  window.dispatchEvent(new HashChangeEvent('hashchange'));
  await new Promise((done) => setTimeout(done, delay));
  document.getElementById('switch').click();
}"""


def test_switching_household_while_a_screen_renders_is_clean(page: Page, live_server: LiveServer) -> None:
    """The lock can come between two awaits of a screen's render: the screen must stop, not throw."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    enrol(page, live_server.enrolment_code("DONG-02"))
    open_household(page, "Hộ ông Hoàng Văn Đức")
    write_report(page, "Khiếu nại, phản ánh", f"Đèn đường hỏng {_mark()}")
    write_report(page, "Hỏi thủ tục", f"Làm căn cước cho con {_mark()}")
    for delay in range(12):
        page.evaluate(RENDER_THEN_SWITCH_JS, delay)
        expect(page.get_by_role("heading", name="Chọn hộ của bạn")).to_be_visible()
        open_household(page, "Hộ ông Hoàng Văn Đức")
    assert errors == []
    expect(page.locator(".badge")).to_have_count(2)


def test_service_worker_version_follows_the_shell() -> None:
    """A shell edit must change sw.js, or phones would never see the new version (scripts/stamp_sw.py)."""
    done = subprocess.run(
        [sys.executable, "scripts/stamp_sw.py", "--check"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout


def test_idle_household_locks_itself_and_english_is_one_tap_away(page: Page, live_server: LiveServer) -> None:
    """A household left open on the shared phone locks after a few idle minutes; the language switch works, and
    is kept."""
    page.clock.install()
    enrol(page, live_server.enrolment_code("BAC-01"))
    open_household(page, "Hộ bà Phạm Thị Dung")
    page.clock.fast_forward("02:00")
    expect(page.get_by_role("button", name="Viết tin mới")).to_be_visible()
    page.clock.fast_forward("01:30")
    expect(page.get_by_role("heading", name="Chọn hộ của bạn")).to_be_visible()
    expect(page.get_by_text("Đã tự khoá vì lâu không dùng")).to_be_visible()

    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("heading", name="Choose your household")).to_be_visible()
    audit_screen(page)
    page.reload()  # the choice is kept, and the English words (not in the first load) come with it
    expect(page.get_by_role("heading", name="Choose your household")).to_be_visible()
    page.get_by_role("button", name="Chuyển sang tiếng Việt").click()
    expect(page.get_by_role("heading", name="Chọn hộ của bạn")).to_be_visible()


def test_service_worker_leaves_the_officer_console_and_api_alone(page: Page) -> None:
    """The household worker's scope is the whole site, but the console and the API always go to the network."""
    page.goto("/")
    wait_for_service_worker(page)
    for path in ("/officer", "/officer/", "/api/openapi.json"):
        response = page.goto(path)
        assert response is not None and not response.from_service_worker, path
        assert "Mã ghi danh" not in page.content(), path


def test_the_servers_rules_reach_the_form_and_stay_offline(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    """Kinds, tip categories and the photo limit come from GET /api/v1/rules with enrolment, then work offline."""
    enrol(page, live_server.enrolment_code("BAC-01"))
    open_household(page, HOUSEHOLD_A)  # the first PIN needs the household code, online
    switch_household(page)
    context.set_offline(True)
    page.reload()
    open_household(page, HOUSEHOLD_A)
    page.get_by_role("button", name="Viết tin mới").click()
    expect(page.locator(".kind")).to_have_count(6)
    page.get_by_role("button", name="Tin báo an ninh").click()
    expect(page.locator("[name=category]")).to_have_count(8)
    expect(page.get_by_label("Tín dụng đen", exact=True)).to_be_visible()
    expect(page.get_by_text("Thêm ảnh (tối đa 3)")).to_be_visible()
    expect(page.get_by_label("Nội dung")).to_have_attribute("maxlength", "5000")
    context.set_offline(False)


def test_the_phone_and_the_console_name_a_report_and_its_status_alike(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    """A villager on the phone with an officer reads the same words for the same report, in either language."""
    mark = _mark()
    enrol(page, live_server.enrolment_code("DONG-01"))
    open_household(page, HOUSEHOLD_A)
    write_report(page, "Tin báo an ninh", f"Xe lạ đỗ đầu ngõ ban đêm {mark}", category="Trộm cắp", anonymous=False)
    expect(page.locator(".badge.sent")).to_have_count(1, timeout=30_000)
    (report,) = _ours(live_server, mark)
    status, body = live_server.officer().request(
        "POST", f"/api/v1/officer/reports/{report['id']}/status", {"status": "rejected", "reason": f"Trùng tin {mark}"}
    )
    assert status == 200, body
    events = count(page, "events")
    page.get_by_role("button", name="Gửi ngay").click()
    eventually(page, lambda: count(page, "events") > events)
    page.get_by_role("button", name="Tin báo an ninh").click()
    phone_status = page.locator(".ev.status b").last
    expect(phone_status).to_have_text("Không tiếp nhận")

    console = context.new_page()
    sign_in(console)
    console.goto(f"/officer/#/report/{report['id']}")
    console_status = console.locator(".facts .status")
    expect(console_status).to_have_text("Không tiếp nhận")
    expect(console.get_by_role("heading", level=2)).to_contain_text("Tin báo an ninh · Trộm cắp")
    expect(page.get_by_text("Trộm cắp", exact=True)).to_be_visible()  # the phone's category, as the console's

    page.get_by_role("button", name="Switch to English").click()
    console.get_by_role("button", name="English").click()
    expect(phone_status).to_have_text("Not accepted")
    expect(console_status).to_have_text("Not accepted")
    expect(page.get_by_role("heading", level=2)).to_contain_text("Security tip")
    expect(console.get_by_role("heading", level=2)).to_contain_text("Security tip · Theft")
