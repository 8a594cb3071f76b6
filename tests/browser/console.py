"""Steps for the officer console's browser tests: signing in as a person would, and a phone on the real API.

The phone here is the device API itself (the shared test ``Phone`` over HTTP: enrolment, then
``POST /api/v1/sync`` with its Bearer token), so a
console test does not depend on the household app's screens; where the household app is the point (reading
an announcement offline) the tests drive it through tests/browser/household.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import Page, expect

from tests.conftest import HttpClient, Phone

from .conftest import LiveServer

OFFICER = ("demo", "demo-officer")
HEAD = ("truongcongan", "demo-head")

# The console asks "who am I" on load; before sign-in the answer is a 401, which Chromium logs as an error.
EXPECTED_CONSOLE_ERRORS = ("401 (UNAUTHORIZED)",)


def sign_in(page: Page, who: tuple[str, str] = OFFICER) -> None:
    """Opens the console and signs in with the keyboard only (Tab between fields, Enter to submit)."""
    page.goto("/officer/")
    page.get_by_label("Tên đăng nhập").fill(who[0])
    page.keyboard.press("Tab")
    page.keyboard.type(who[1])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Tin cần xử lý", level=2)).to_be_visible()


def mark() -> str:
    """A unique word to find this test's records among the shared server's."""
    return uuid.uuid4().hex[:10].upper()


def enrol_phone(live_server: LiveServer, group_code: str, label: str | None = None) -> Phone:
    """A group's shared phone on the live server's device API, enrolled with a fresh code (tests/conftest.py)."""
    return Phone.enrol(HttpClient(live_server.port), live_server.enrolment_code(group_code), label)


def own_household(live_server: LiveServer, phone: Phone) -> dict[str, Any]:
    """A household of the phone's group that no browser test claims: added by the head now, with no PIN. The demo
    households get PINs in the browser tests (any module, in any order), and a household with keys accepts only
    items it signed (ADR 0005), which a scripted phone cannot make."""
    head = live_server.officer(*HEAD)
    answer = head.request(
        "POST", f"/api/v1/officer/groups/{phone.group['id']}/households", {"name": f"Hộ thử {mark()}"}
    )
    assert answer.status_code == 201, answer.json
    return dict(answer.json)  # id, name
