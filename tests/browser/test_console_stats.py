"""Stats drawn as hand-made SVG charts under the strict CSP, and the filtered queue downloaded as CSV."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.tips.tipster import Tipster

from .conftest import LiveServer
from .console import EXPECTED_CONSOLE_ERRORS, HEAD, enrol_phone, mark, own_household, sign_in

pytestmark = pytest.mark.browser
ALLOWED_CONSOLE_ERRORS = EXPECTED_CONSOLE_ERRORS  # see conftest._no_script_errors


def test_stats_charts_and_csv_export(page: Page, live_server: LiveServer) -> None:
    word = mark()
    phone = enrol_phone(live_server, "BAC-01")
    Tipster.of(phone).tip(body=f"Có người lạ chào mời vay tiền lãi cao {word}", category="loan_shark")  # alone
    # A household no browser test claims: a claimed one signs what it sends (ADR 0005), this test phone does not.
    phone.send_report(
        household_id=own_household(live_server, phone)["id"], body=f"Xe máy bị lấy trộm trước cổng {word}"
    )

    sign_in(page, HEAD)
    page.get_by_role("link", name="Thống kê").click()
    expect(page.get_by_role("heading", name="Thống kê", level=2)).to_be_visible()
    expect(page.locator("figure.chart-box svg[role=img]").first).to_be_visible()
    assert page.locator("figure.chart-box").count() == 6
    loan_sharks = page.locator("figure", has_text="Tin báo theo nhóm")
    loan_sharks.get_by_text("Bảng số liệu").click()
    count = int(loan_sharks.locator("tr", has_text="Tín dụng đen").locator("td").inner_text())
    assert count >= 1
    villages = live_server.officer().request("GET", "/api/v1/officer/villages").json
    assert page.locator("svg[aria-label='Theo thôn'] rect").count() == len(villages)  # one bar per village

    page.get_by_role("link", name="Tin cần xử lý").click()
    page.get_by_text("Bộ lọc và tìm kiếm").click()
    page.get_by_label("Tìm kiếm").fill(word)
    page.get_by_role("button", name="Lọc", exact=True).click()
    export = page.get_by_role("link", name="Tải CSV")
    expect(export).to_have_attribute("href", re.compile(f"q={word}"))  # the search result has replaced the queue
    expect(page.locator(".report")).to_have_count(2)
    with page.expect_download() as download:
        export.click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2 and all(word in row["body"] for row in rows)
    hidden = next(row for row in rows if row["category"] == "loan_shark")
    assert (hidden["anonymous"], hidden["group"], hidden["household"], hidden["village"]) == ("yes", "", "", "Thôn Bắc")
