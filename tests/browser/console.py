"""Steps for the officer console's browser tests: signing in as a person would, and a phone on the real API.

The phone here is the device API itself (enrolment, then ``POST /api/v1/sync`` with its Bearer token), so a
console test does not depend on the household app's screens; where the household app is the point (reading
an announcement offline) the tests drive it through tests/browser/household.py.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import Page, expect

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
    expect(page.get_by_role("heading", name="Tin báo", level=2)).to_be_visible()


def mark() -> str:
    """A unique word to find this test's records among the shared server's."""
    return uuid.uuid4().hex[:10].upper()


@dataclass
class ApiPhone:
    """A group's shared phone talking to the real device API with its token."""

    base_url: str
    token: str
    group: dict[str, Any]
    cursor: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def enrol(cls, live_server: LiveServer, group_code: str, label: str = "") -> ApiPhone:
        code = live_server.enrolment_code(group_code)
        status, body = _call(live_server.url, "POST", "/api/v1/enrol", {"code": code, "label": label})
        assert status == 201, body
        return cls(live_server.url, body["device_token"], body["group"], body["cursor"])

    def sync(self, push: list[dict[str, Any]] | None = None) -> tuple[int, Any]:
        """One round trip; pulls every page of changes while ``more`` is true."""
        status, body = self._sync(push or [])
        while status == 200 and body["more"]:
            status, body = self._sync([])
        return status, body

    def _sync(self, push: list[dict[str, Any]]) -> tuple[int, Any]:
        status, body = _call(self.base_url, "POST", "/api/v1/sync", {"cursor": self.cursor, "push": push}, self.token)
        if status == 200:
            self.cursor = body["cursor"]
            self.changes.extend(body["changes"])
        return status, body

    def report(self, body: str, **overrides: Any) -> str:
        """Sends a report from the group's first household; returns its id."""
        item = {
            "type": "report",
            "id": str(uuid.uuid4()),
            "household_id": self.group["households"][0]["id"],
            "kind": "tip",
            "category": "theft",
            "body": body,
            "anonymous": False,
            "location": "Gần chợ",
            "urgency": "normal",
            "created_at": datetime.now(UTC).isoformat(),
            "attachments": [],
            **overrides,
        }
        status, answer = self.sync([item])
        assert status == 200 and answer["results"][0]["status"] == "created", answer
        return item["id"]


def _call(base: str, method: str, path: str, body: Any, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
