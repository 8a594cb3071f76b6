"""Issue 15 in Chromium against gunicorn's gthread workers (the production worker class): two officer consoles and
a phone. An urgent report synced from a phone appears in both consoles within 2 s without a reload, with a desktop
notification, and a Web Push reaches the officer on duty (a local push service decrypts it); the timer's run N
minutes later escalates it to the head (push and consoles); a half-written reply survives the live refresh; the
household's phone shows the officer's answer once it comes back to the foreground, without a tap."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from benchmarks.live import REPO_ROOT, free_port, prepare, stop, wait_until_up
from tests.live.push_service import PushService

from .conftest import LiveServer, live_env
from .console import EXPECTED_CONSOLE_ERRORS, HEAD, enrol_phone, mark, own_household, sign_in
from .household import enrol, eventually, open_household, write_report

pytestmark = pytest.mark.browser
# The household app logs failed pushes (no push service in headless Chromium); the console its first 401.
ALLOWED_CONSOLE_ERRORS = (*EXPECTED_CONSOLE_ERRORS, "push")

# Every Notification the page creates is also noted where the test can read it (headless Chromium shows none).
RECORD_NOTIFICATIONS = """
const Real = window.Notification;
window.__notifications = [];
window.Notification = class extends Real {
  constructor(title, options) { super(title, options); window.__notifications.push({ title, body: options?.body }); }
};
"""


@pytest.fixture(scope="module")
def threaded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real server with demo data, in two gthread workers of 4 threads, as scripts/run.sh starts it."""
    tmp = tmp_path_factory.mktemp("live-console")
    shutil.copytree(REPO_ROOT / "pwa", tmp / "pwa")
    # PUSH_ALLOW_HTTP: the test's local push service is plain HTTP on loopback.
    env = live_env(tmp, PWA_DIR=str(tmp / "pwa"), PUSH_ALLOW_HTTP="1")
    server = LiveServer("127.0.0.1", free_port(), env, tmp=tmp, pwa_dir=tmp / "pwa")
    prepare(server.env)
    log = tmp / "gunicorn.log"
    with open(log, "ab") as out:
        command = [sys.executable, "-m", "gunicorn", "-c", "server/ops/gunicorn_conf.py"]
        command += ["-b", f"127.0.0.1:{server.port}", "--workers", "2", "--threads", "4", "wsgi:app"]
        proc = subprocess.Popen(command, cwd=REPO_ROOT, env=server.env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(server.url + "/manifest.webmanifest", proc, log, seconds=30)
        yield server
    finally:
        stop(proc)


# Headless Chromium has no push service to subscribe with: the browser's subscription is one on the test's local
# push service (what PushSubscription.toJSON() would give), so the console's own PUT goes through as in production.
PUSH_SUBSCRIPTION = """
const subscription = %s;
const own = { endpoint: subscription.endpoint, toJSON: () => subscription };
PushManager.prototype.getSubscription = async () => own;
PushManager.prototype.subscribe = async () => own;
"""


def _console(
    browser: Browser,
    server: LiveServer,
    who: tuple[str, str] | None = None,
    *,
    stream: bool = True,
    push: dict[str, Any] | None = None,
) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800}, locale="vi-VN")
    context.grant_permissions(["notifications"], origin=server.url)
    context.add_init_script(RECORD_NOTIFICATIONS)
    if push:
        context.add_init_script(PUSH_SUBSCRIPTION % json.dumps(push))
    if not stream:  # a browser without EventSource: the console must poll
        context.add_init_script("delete window.EventSource;")
    page = context.new_page()
    sign_in(page, *([who] if who else []))
    # expect() polls from outside the page: a string handed to wait_for_function is eval'd inside it, and the
    # console's CSP (script-src 'self') refuses eval now and then.
    expect(page.locator("body")).to_have_attribute("data-live", "stream" if stream else "polling")
    return context, page


def test_two_consoles_and_a_phone_live(browser: Browser, threaded_server: LiveServer) -> None:
    server = threaded_server
    pushes = PushService().start()
    on_duty, chief = pushes.subscription(), pushes.subscription()
    assert server.officer().request("PUT", "/api/v1/officer/push/subscription", on_duty).status_code == 200
    off_duty = {**chief, "on_duty": False}  # the head is not on duty: told only of escalations
    assert server.officer(*HEAD).request("PUT", "/api/v1/officer/push/subscription", off_duty).status_code == 200
    first_ctx, first = _console(browser, server)
    second_ctx, second = _console(browser, server, HEAD)
    polling_ctx, polling = _console(browser, server, stream=False)
    try:
        first.get_by_label("Mức độ").select_option("urgent")  # a filter in force, not applied yet
        word = mark()
        phone = enrol_phone(server, "TAY-01")
        started = time.monotonic()
        report_id = phone.send_report(household_index=2, urgency="urgent", body=f"Nhóm mang hung khí ở bãi sông {word}")
        for page in (first, second):
            expect(page.locator(".report", has_text=word)).to_be_visible(timeout=2000)
        took = time.monotonic() - started
        assert took < 2.5, took  # the two expectations ran one after the other
        assert first.get_by_label("Mức độ").input_value() == "urgent"  # the filter form was not re-rendered
        expect(polling.locator(".report", has_text=word)).to_be_visible(timeout=5000)  # polls every 3 s
        for page in (first, second):
            banner = page.locator("#alerts .alert", has_text="Có tin khẩn mới")
            expect(banner).to_be_visible()
            eventually(page, lambda page=page: page.evaluate("() => window.__notifications.length") > 0)
            shown = page.evaluate("window.__notifications")
            assert shown[-1]["title"] == "Có tin khẩn mới" and "hung khí" not in str(shown)

        tracking = first.locator(f"#alerts .alert[data-report='{report_id}'] .code").inner_text()
        [alert] = pushes.wait_for(1)  # from a worker's background thread, to the officer on duty only
        assert alert.payload == {"title": "Có tin khẩn mới", "code": tracking, "report_id": report_id}
        assert pushes.to(on_duty) == [alert]

        # Nobody acknowledged it: the timer's run 11 minutes later tells the head, by push and in every console.
        later = (datetime.now(UTC) + timedelta(minutes=11)).isoformat()
        assert '"escalated": 1' in server.flask("alerts", "tick", "--now", later)
        assert [p.payload["title"] for p in pushes.to(chief)] == ["Tin khẩn chưa ai tiếp nhận"]
        for page in (first, second):
            expect(page.locator(f"#alerts .alert.escalated[data-report='{report_id}']")).to_be_visible()

        first.locator(".report", has_text=word).get_by_role("link").click()
        first.get_by_label("Trả lời hộ dân").fill("Đang viết dở")
        second.locator(f"#alerts .alert[data-report='{report_id}']").get_by_role("button", name="Đã nhận").click()
        expect(second.locator("#alerts .alert.done")).to_contain_text("đã được tiếp nhận sau")
        expect(first.locator(".facts")).to_contain_text("Đã tiếp nhận")  # the head's acknowledgement, live
        assert first.get_by_label("Trả lời hộ dân").input_value() == "Đang viết dở"
    finally:
        for context in (first_ctx, second_ctx, polling_ctx):
            context.close()
        pushes.stop()


def test_a_report_arriving_keeps_the_officers_ticks_and_place(browser: Browser, threaded_server: LiveServer) -> None:
    """An officer picks reports for a bulk action; a new one arrives and the list is drawn again: what was ticked
    stays ticked (and counted), and j/k goes on from the report it was on."""
    word = mark()
    phone = enrol_phone(threaded_server, "DONG-01")
    household = own_household(threaded_server, phone)["id"]
    phone.send_report(household_id=household, body=f"Trâu lạc vào ruộng {word} số 1")
    phone.send_report(household_id=household, body=f"Trâu lạc vào ruộng {word} số 2")
    # Polling, not a stream: the same live refresh, without waiting for one of the workers' stream threads.
    context, page = _console(browser, threaded_server, stream=False)
    try:
        page.goto(f"/officer/#/queue?q={word}&sort=oldest")
        items = page.locator(".reports li.report")
        expect(items).to_have_count(2)
        expect(items.first).to_contain_text("số 1")
        page.get_by_role("heading", level=2).focus()
        for key in "jxj":
            page.keyboard.press(key)
        expect(page.get_by_text("Đã chọn 1 tin")).to_be_visible()
        expect(items.nth(1)).to_have_class(re.compile(r"\bcurrent\b"))

        phone.send_report(household_id=household, body=f"Trâu lạc vào ruộng {word} số 3")
        expect(items).to_have_count(3, timeout=10_000)  # drawn again at the next poll (every 3 s)
        expect(items.nth(0).locator("input.pick")).to_be_checked()
        expect(items.nth(1)).to_have_class(re.compile(r"\bcurrent\b"))
        expect(page.get_by_text("Đã chọn 1 tin")).to_be_visible()
        page.keyboard.press("j")
        expect(items.nth(2)).to_have_class(re.compile(r"\bcurrent\b"))
    finally:
        context.close()


def _duty_saved(on_duty: bool) -> Any:
    """The console's PUT of its subscription with this duty, answered (an earlier one may still be on its way)."""

    def saved(response: Response) -> bool:
        request = response.request
        return (
            request.url.endswith("/push/subscription")
            and request.method == "PUT"
            and response.ok
            and (request.post_data_json or {}).get("on_duty") is on_duty
        )

    return saved


def test_an_officer_goes_off_duty_in_the_console_and_only_the_colleague_on_duty_is_woken(
    browser: Browser, threaded_server: LiveServer
) -> None:
    server = threaded_server
    pushes = PushService().start()
    mine, colleague = pushes.subscription(), pushes.subscription()
    # Polling consoles: the streams of this module's other test may still hold the workers' stream slots.
    own_ctx, console = _console(browser, server, push=mine, stream=False)
    colleague_ctx, _ = _console(browser, server, HEAD, push=colleague, stream=False)
    phone = enrol_phone(server, "TAY-01")
    duty = console.locator("#push button")
    try:
        expect(duty).to_have_text("Đang trực: nhận tin khẩn")
        with console.expect_response(_duty_saved(False)):
            duty.click()
        expect(duty).to_have_text("Nghỉ trực: không nhận tin khẩn")
        expect(duty).to_have_attribute("aria-pressed", "false")
        with console.expect_response(_duty_saved(False)):
            console.reload()  # the choice stays with this browser
        expect(console.locator("#push button")).to_have_text("Nghỉ trực: không nhận tin khẩn")

        phone.send_report(household_index=2, urgency="urgent", body=f"Cháy kho rơm đầu làng {mark()}")
        [woken] = pushes.wait_for(1)
        assert pushes.to(colleague) == [woken] and pushes.to(mine) == []

        with console.expect_response(_duty_saved(True)):
            console.locator("#push button").click()
        expect(console.locator("#push button")).to_have_text("Đang trực: nhận tin khẩn")
        phone.send_report(household_index=2, urgency="urgent", body=f"Có người đuối nước ở bến đò {mark()}")
        arrived = [r.path for r in pushes.wait_for(3)]  # a loaded machine may take a while: it returns at the third
        assert len(pushes.to(mine)) == 1 and len(pushes.to(colleague)) == 2, arrived
    finally:
        own_ctx.close()
        colleague_ctx.close()
        pushes.stop()


def test_the_phone_shows_the_answer_after_coming_back_to_the_foreground(
    browser: Browser, threaded_server: LiveServer
) -> None:
    live_server = threaded_server
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 640}, locale="vi-VN", service_workers="allow"
    )
    try:
        _phone_sees_the_answer(context.new_page(), live_server)
    finally:
        context.close()


def _phone_sees_the_answer(page: Page, live_server: LiveServer) -> None:
    word = mark()
    enrol(page, live_server.enrolment_code("BAC-01"))
    open_household(page, "Hộ bà Ngô Thị Nga")
    write_report(page, "Hỏi thủ tục", f"Xin hỏi thủ tục đăng ký tạm trú {word}")
    officer = live_server.officer()
    expect(page.get_by_text("Đã gửi").first).to_be_visible()
    [report] = officer.reports(q=word)
    officer.request("POST", f"/api/v1/officer/reports/{report['id']}/messages", {"body": f"Mang CCCD lên xã {word}."})
    page.evaluate("""() => {
      const set = (state) => Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
      set('hidden'); document.dispatchEvent(new Event('visibilitychange'));
      set('visible'); document.dispatchEvent(new Event('visibilitychange'));
    }""")
    expect(page.get_by_text("Đã có trả lời").first).to_be_visible()
    # "Cập nhật", beside "Gửi ngay", fetches the next answer at once.
    officer.request("POST", f"/api/v1/officer/reports/{report['id']}/messages", {"body": f"Sáng thứ Hai {word}."})
    page.get_by_role("button", name="Cập nhật").click()
    page.get_by_role("button", name="Hỏi thủ tục").first.click()
    expect(page.get_by_text(f"Mang CCCD lên xã {word}.")).to_be_visible()
    expect(page.get_by_text(f"Sáng thứ Hai {word}.")).to_be_visible()
