"""Anonymous tips on the phone (issue 10, ADR 0004), through Chromium against the real server.

What a tipster relies on and what the carrier's wire shows: a tip written offline goes later in a request of its
own, without the phone's device token, cookie, household id or clock; its photo follows, authorised by the tip's
mailbox secret; the officer's reply comes back through the tip's mailbox to the tipster's household only, and the
household's answer reaches the officer's thread exactly once; spent, forged and retired tokens are dropped and the
tip goes once with a good one.
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Request, Route, expect

from tests.conftest import HttpOfficer

from .conftest import DEMO_HEAD, LiveServer
from .console import enrol_phone
from .household import (
    camera_photo,
    count,
    enrol,
    eventually,
    fill_kept,
    open_household,
    switch_household,
    write_report,
)

pytestmark = pytest.mark.browser

HOUSEHOLD_A = "Hộ ông Nguyễn Văn An"
HOUSEHOLD_B = "Hộ bà Trần Thị Bình"

# The server's delays are minutes (rules.tips); the test shortens the phone's copy of them to seconds.
FAST_TIPS_JS = """async () => {
  const db = await new Promise((ok) => { const r = indexedDB.open('binh-an'); r.onsuccess = () => ok(r.result); });
  const meta = db.transaction('meta', 'readwrite').objectStore('meta');
  const kept = await new Promise((ok) => { const r = meta.get('rules'); r.onsuccess = () => ok(r.result); });
  kept.rules.tips = { ...kept.rules.tips, delay_seconds: { min: 1, max: 2 }, urgent_delay_seconds: { min: 1, max: 2 },
    mailbox_poll_seconds: 2, quiet_seconds: 0 };
  await new Promise((ok) => { const r = meta.put(kept, 'rules'); r.onsuccess = ok; });
  db.close();
}"""

# Puts in the token stock the first tip's (spent) token, a forged copy of a good one, and one good token.
BAD_TOKENS_JS = """async (spent) => {
  const db = await new Promise((ok) => { const r = indexedDB.open('binh-an'); r.onsuccess = () => ok(r.result); });
  const store = db.transaction('tokens', 'readwrite').objectStore('tokens');
  const good = await new Promise((ok) => { const r = store.getAll(); r.onsuccess = () => ok(r.result); });
  const forged = { ...good[0], signature: good[1].signature };
  store.clear();
  [spent, forged, good[1]].forEach((t) => store.put(t));
  await new Promise((ok) => { store.transaction.oncomplete = ok; });
  db.close();
  return good.length;
}"""


def _body(request: Request) -> str:
    """A request's JSON body as sent (api.js gzips bodies over 200 bytes)."""
    data = request.post_data_buffer or b""
    if (request.headers.get("content-encoding") or "") == "gzip":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def _tip_words(live_server: LiveServer, request: Request) -> str:
    """The words of a tip the phone sent, which travel sealed to the server's queue key: opened as the server does."""
    return str(live_server.open_queued(json.loads(_body(request))["tip"])["body"])


def _officer_report(officer: HttpOfficer, mark: str) -> dict[str, Any]:
    (found,) = [r for r in officer.reports() if mark in str(r.get("body", ""))]
    status, detail = officer.request("GET", f"/api/v1/officer/reports/{found['id']}")
    assert status == 200, detail
    return detail


def test_an_anonymous_tip_goes_alone_and_its_mailbox_carries_the_thread(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    mark = uuid.uuid4().hex[:10].upper()
    sent: list[Request] = []
    context.on("request", lambda r: sent.append(r) if "/api/v1/" in r.url else None)
    poll_answers: list[int] = []  # the status of each mailbox poll, to tell a slow phone from a failing server
    context.on("response", lambda r: poll_answers.append(r.status) if r.url.endswith("/api/v1/tips/mailbox") else None)
    enrol(page, live_server.enrolment_code("DONG-01"), service_worker=False)
    page.evaluate(FAST_TIPS_JS)
    open_household(page, HOUSEHOLD_B)  # both households set their PIN online: the household code needs a link
    switch_household(page)
    open_household(page, HOUSEHOLD_A)

    context.set_offline(True)
    secret = f"Nhà cuối ngõ 4 bán ma tuý ban đêm {mark}"
    write_report(page, "Tin báo an ninh", secret, category="Ma tuý", photo=camera_photo())
    expect(page.get_by_text("Đang chờ gửi riêng")).to_be_visible()

    # A neighbour on the same phone sees no count of it, nor the tip.
    switch_household(page)
    open_household(page, HOUSEHOLD_B)
    expect(page.get_by_role("button", name="Gửi ngay", exact=True)).to_be_visible()
    expect(page.get_by_text("Đang chờ gửi riêng")).to_have_count(0)
    switch_household(page)

    # The server stores the tip, but its answer is lost on the way back: the phone must send the same tip with the
    # same token again (the server answers "duplicate"), never a second tip.
    lost: list[int] = []

    def lose_first_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        lost.append(route.fetch().status)
        route.abort()

    context.route("**/api/v1/tips", lose_first_answer)
    context.set_offline(False)
    open_household(page, HOUSEHOLD_A)  # online: the PIN opens the reading keys too
    page.get_by_role("button", name="Gửi ngay").click()  # the sync brings tokens; the tip goes seconds later
    eventually(page, lambda: bool(lost))
    assert lost == [201]
    expect(page.get_by_text("Đang chờ gửi riêng")).to_be_visible()
    page.get_by_role("button", name="Gửi ngay").click()  # the next sync gives it a new moment
    expect(page.locator(".badge.sent")).to_have_count(1, timeout=30_000)
    expect(page.get_by_text(re.compile("Mã theo dõi"))).to_be_visible()

    tips = [r for r in sent if r.method == "POST" and r.url.endswith("/api/v1/tips")]
    assert len(tips) == 2, "the same tip twice: the lost answer, then the retry"
    first, tip = (json.loads(_body(r)) for r in tips)
    assert first == tip, "the same token and the same tip (no clock in it to change)"
    tip = tips[1]
    assert "authorization" not in tip.headers and "cookie" not in tip.headers
    body = json.loads(_body(tip))
    assert set(body["tip"]) == {"id", "key_id", "sealed"}, "the whole tip sealed to the server (issue 11)"
    assert live_server.open_queued(body["tip"])["body"] == secret
    assert "household_id" not in json.dumps(body) and "created_at" not in json.dumps(body)
    assert set(body) == {"token", "tip"}
    for r in sent:
        if r.url.endswith("/api/v1/sync"):
            assert mark not in _body(r), "the tip never rides with the phone's sync"
        if "/api/v1/tips/" in r.url and not r.url.endswith(("/tips/key", "/tips/tokens")):
            assert "authorization" not in r.headers, r.url  # photos and mailbox: no device token either

    officer = live_server.officer()
    report = _officer_report(officer, mark)  # exactly one: _officer_report unpacks one match
    assert report["anonymous"] and report["group"] is None and report["household"] is None
    assert report["created_at"] is None
    eventually(page, lambda: _officer_report(officer, mark)["attachments"][0]["complete"])

    reply = f"Đã nhận, tối nay tổ tuần tra sẽ xuống {mark}"
    status, answer = officer.request("POST", f"/api/v1/officer/reports/{report['id']}/messages", {"body": reply})
    assert status == 201, answer
    expect(page.locator(".badge.answered")).to_have_count(1, timeout=30_000)  # opened from the mailbox
    page.get_by_role("button", name="Tin báo an ninh").click()
    expect(page.get_by_text(reply)).to_be_visible()
    expect(
        page.get_by_text("Tin ẩn danh được gửi riêng, sau nửa giờ đến ba giờ, để không ai lần ra máy này")
    ).to_be_visible()
    follow_up = f"Họ thường đến lúc 11 giờ đêm {mark}"
    fill_kept(page.get_by_label("Viết thêm cho công an xã"), follow_up)  # the mailbox poll may redraw it
    page.get_by_role("button", name="Gửi thêm").click()
    expect(page.get_by_text(follow_up)).to_be_visible()  # queued: the household's timeline shows it

    def officer_thread() -> list[dict[str, Any]]:
        return _officer_report(officer, mark)["messages"]

    # A poll the server could not answer (a 5xx on a loaded machine) is tried again after 60 s (js/tips.js).
    try:
        eventually(page, lambda: any(m["body"] == follow_up for m in officer_thread()), timeout=90)
    except AssertionError as missing:
        carried = [len(json.loads(_body(r)).get("items") or []) for r in sent if r.url.endswith("/api/v1/tips/mailbox")]
        raise AssertionError(
            f"the follow-up never reached the officer; mailbox polls: {poll_answers}, items carried: {carried}"
        ) from missing
    polled = len([r for r in sent if r.url.endswith("/api/v1/tips/mailbox")])
    eventually(page, lambda: len([r for r in sent if r.url.endswith("/api/v1/tips/mailbox")]) >= polled + 2)
    thread = officer_thread()
    assert [m["body"] for m in thread].count(follow_up) == 1
    assert next(m for m in thread if m["body"] == reply)["read_at"], "the read receipt came through the mailbox"
    polls = [r for r in sent if r.url.endswith("/api/v1/tips/mailbox")]
    assert polls and all("authorization" not in r.headers for r in polls)

    # A second tip meets a token already spent (on the first tip) and a forged one in the stock: the server refuses
    # each (409 tip_token_spent, 403 tip_token_invalid), the phone drops them and sends with a good one, once.
    page.evaluate(BAD_TOKENS_JS, body["token"])
    page.get_by_role("button", name="Quay lại").click()
    second = f"Có người lạ hỏi mua hàng ở bến xe {mark}2"
    write_report(page, "Tin báo an ninh", second, category="Ma tuý")
    expect(page.locator(".badge.alone")).to_have_count(0, timeout=30_000)
    expect(page.locator(".badge.sent")).to_have_count(1)  # the first tip is "answered"
    answers = [r.response() for r in sent if r.url.endswith("/api/v1/tips") and second in _tip_words(live_server, r)]
    assert sorted(a.status for a in answers if a) == [201, 403, 409]
    assert len([r for r in officer.reports() if second in str(r.get("body", ""))]) == 1

    # Revoking another phone of the commune retires the key: the tokens this phone holds stop working. The third
    # tip meets 409 tip_token_retired, waits, and goes once with a token of the new key after the next sync.
    page.get_by_role("button", name="Gửi ngay").click()  # the stock is empty: tokens of the current key
    eventually(page, lambda: count(page, "tokens") >= 1)
    lost_phone = enrol_phone(live_server, "DONG-01", label=f"Máy mất {mark}")
    head = live_server.officer(*DEMO_HEAD)
    status, group = head.request("GET", f"/api/v1/officer/groups/{lost_phone.group['id']}")
    assert status == 200, group
    (device,) = [d for d in group["devices"] if d["label"] == f"Máy mất {mark}"]
    status, answer = head.request("POST", f"/api/v1/officer/devices/{device['id']}/revoke")
    assert status == 200, answer
    third = f"Xe tải lạ chở hàng ban đêm {mark}3"
    write_report(page, "Tin báo an ninh", third, category="Ma tuý")

    def third_answers() -> list[int]:
        answers = [r.response() for r in sent if r.url.endswith("/api/v1/tips") and third in _tip_words(live_server, r)]
        return [a.status for a in answers if a]

    eventually(page, lambda: third_answers() == [409])
    expect(page.get_by_text("Đang chờ gửi riêng")).to_be_visible()
    page.get_by_role("button", name="Gửi ngay").click()
    expect(page.locator(".badge.alone")).to_have_count(0, timeout=30_000)
    eventually(page, lambda: third_answers() == [409, 201])
    assert len([r for r in officer.reports() if third in str(r.get("body", ""))]) == 1
