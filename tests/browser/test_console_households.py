"""The head prints the group's household codes, a household sets its first PIN with its code, and a household
locked by wrong PINs is unlocked from the console (ADR 0005)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.households.keys import b64, claim_body, pin_check

from .conftest import LiveServer
from .console import EXPECTED_CONSOLE_ERRORS, HEAD, enrol_phone, own_household, sign_in

pytestmark = pytest.mark.browser
ALLOWED_CONSOLE_ERRORS = EXPECTED_CONSOLE_ERRORS  # see conftest._no_script_errors


def test_printed_household_code_sets_a_pin_and_the_head_unlocks_a_locked_household(
    page: Page, live_server: LiveServer
) -> None:
    phone = enrol_phone(live_server, "BAC-01")
    household = own_household(live_server, phone)  # other browser tests set PINs on the demo households
    sign_in(page, HEAD)
    page.get_by_role("link", name="Thôn & tổ").click()
    page.get_by_role("link", name="BAC-01").click()
    row = page.locator(".households li").filter(has=page.get_by_role("textbox", name=f"Đổi tên {household['name']}"))
    expect(row).to_contain_text("Chưa đặt PIN")

    # One printed code per household that has no PIN yet (other tests may have set some in this group).
    without_pin = page.locator(".households li", has_text="Chưa đặt PIN").count()
    assert without_pin >= 1
    page.get_by_role("button", name="In mã hộ gia đình").click()
    sheet = page.locator("table.household-codes")
    expect(sheet.locator("tr")).to_have_count(without_pin)
    code = sheet.locator("tr", has_text=household["name"]).locator(".household-code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", code)

    url = f"/api/v1/households/{household['id']}"
    assert phone.client.post(f"{url}/claim", json=claim_body(code, "2024"), headers=phone.headers).status_code == 201
    for wrong in range(10):
        body = {"pin_check": b64(pin_check(f"{wrong:04d}"))}
        phone.client.post(f"{url}/unlock", json=body, headers=phone.headers)

    page.reload()
    expect(row).to_contain_text("Bị khoá: nhập sai PIN 10 lần")
    row.get_by_role("button", name="Mở khoá").click()
    expect(row).to_contain_text("Đã đặt PIN")
    right = {"pin_check": b64(pin_check("2024"))}
    assert phone.client.post(f"{url}/unlock", json=right, headers=phone.headers).status_code == 200
