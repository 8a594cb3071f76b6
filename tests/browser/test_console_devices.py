"""The head manages the group's phones in the console: a code large enough to read out enrols a new phone, and
a lost phone revoked in the console can no longer sync."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import HttpClient

from .conftest import LiveServer
from .console import EXPECTED_CONSOLE_ERRORS, HEAD, enrol_phone, mark, sign_in

pytestmark = pytest.mark.browser
ALLOWED_CONSOLE_ERRORS = EXPECTED_CONSOLE_ERRORS  # see conftest._no_script_errors


def test_revoked_phone_can_no_longer_sync(page: Page, live_server: LiveServer) -> None:
    word = mark()
    lost = enrol_phone(live_server, "DONG-02", label=f"Máy của tổ {word}")
    kept = enrol_phone(live_server, "DONG-02", label=f"Máy mới {word}")
    assert lost.sync().status_code == 200 and kept.sync().status_code == 200

    sign_in(page, HEAD)
    page.get_by_role("link", name="Thôn & tổ").click()
    page.get_by_role("link", name="DONG-02").click()
    row = page.locator(".devices li", has_text=f"Máy của tổ {word}")
    expect(row).not_to_contain_text("Chưa")  # it has synced: its last sync time shows
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Thu hồi máy").click()
    expect(page.locator(".devices li", has_text=f"Máy của tổ {word}")).to_contain_text("Đã thu hồi")

    answer = lost.sync()
    assert (answer.status_code, answer.json["error"]["code"]) == (401, "device_revoked")
    assert kept.sync().status_code == 200  # the group's other phone is untouched


def test_enrolment_code_is_shown_large_and_enrols_a_phone(page: Page, live_server: LiveServer) -> None:
    sign_in(page, HEAD)
    page.get_by_role("link", name="Thôn & tổ").click()
    page.get_by_role("link", name="TAY-01").click()
    page.get_by_role("button", name="Cấp mã kích hoạt").click()
    shown = page.locator(".enrol-code")
    expect(shown).to_have_text(re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$"))
    font_px = float(shown.evaluate("el => getComputedStyle(el).fontSize").removesuffix("px"))
    assert font_px >= 28, "large enough to read out over the phone"
    box = shown.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360, "and it fits a phone screen"
    answer = HttpClient(live_server.port).post("/api/v1/enrol", json={"code": shown.inner_text()})
    assert answer.status_code == 201 and answer.json["group"]["code"] == "TAY-01"
