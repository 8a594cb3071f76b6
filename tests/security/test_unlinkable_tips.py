"""Anonymous means unlinkable (issue 10, ADR 0004): each attack of the issue replayed, as an officer, a head, an
admin, a database reader and a log reader, on SQLite and PostgreSQL; then a village's day simulated many times
to show that the best guess of the tip's group from what they see does no better than chance.

The scenario moves the server's clock (server.database.clock) through one day. The tipster's group syncs a
named report at 02:05:07 and fetches its tokens; the tip is filed at 03:37:12.345678 and its photo follows; the
tipster's follow-up comes through the mailbox at 04:22:33; officers act at 06:11; the tipster reads the reply
at 07:48. Nothing else happens in the hours 03, 04 and 07: any time shown or stored in those hours that is not
on the hour exactly is a time of the tipster's own, and a leak.
"""

from __future__ import annotations

import logging
import math
import os
import random
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from server import database
from server.communes.models import Village
from server.extensions import db
from server.groups import operations as groups
from server.groups.models import Device, Household, HouseholdGroup
from tests.conftest import Demo, OfficerClient, Phone, jpeg, photo_declaration, report_item
from tests.security.tipping import (
    Mailbox,
    SentTip,
    SimClock,
    TipPhone,
    all_rows,
    as_text,
    encodings,
    foreign_keys,
    primary_keys,
    times_in,
)

DAY = datetime(2026, 11, 20, tzinfo=UTC)
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
NAMED_SYNC_AT = DAY.replace(hour=2, minute=5, second=7, microsecond=111111)
OTHER_GROUP_AT = DAY.replace(hour=2, minute=40, second=0, microsecond=0)
TIP_AT = DAY.replace(hour=3, minute=37, second=12, microsecond=345678)
FOLLOW_UP_AT = DAY.replace(hour=4, minute=22, second=33, microsecond=444444)
OFFICERS_AT = DAY.replace(hour=6, minute=11, second=5, microsecond=0)
READ_AT = DAY.replace(hour=7, minute=48, second=1, microsecond=222222)
LOOK_AT = DAY.replace(hour=9, minute=30, second=0, microsecond=0)
SECRET_HOURS = (3, 4, 7)  # the tipster's own hours: only HH:00:00.000000 may appear in them
LOCAL_OFFSET = timedelta(hours=7)  # Asia/Ho_Chi_Minh, the demo commune's zone

MARK = "BEN-SONG-CU-5519"
ROLES = {"officer": ("demo", "demo-officer"), "head": ("truongcongan", "demo-head"), "admin": ("admin", "demo-admin")}
DEVICE_ID_IN_LOG = re.compile(r"\bdevice(?:_id)?\s*[=:]\s*\d+", re.IGNORECASE)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimClock:
    sim = SimClock(DAY.replace(hour=1))
    monkeypatch.setattr(database, "clock", sim)
    return sim


def secret_times(text: str, *, local: bool = True) -> list[datetime]:
    """The times in ``text`` that fall in the tipster's hours without being on the hour (the database's times
    without a zone are UTC; an answer's might be the commune's)."""
    return [
        t
        for t in times_in(text, LOCAL_OFFSET if local else None)
        if t.date() == DAY.date() and t.hour in SECRET_HOURS and (t.minute, t.second, t.microsecond) != (0, 0, 0)
    ]


def enrol(app: Flask, group_code: str) -> Phone:
    code = groups.issue_enrolment_code(groups.find_group_by_code(group_code))
    return Phone.enrol(app.test_client(), code)


def sign_in(app: Flask, role: str) -> OfficerClient:
    return OfficerClient.login(app.test_client(), *ROLES[role])


@dataclass
class Scenario:
    tipster: TipPhone
    other: Phone
    tip: SentTip
    photo_id: str
    follow_up_id: str
    group: HouseholdGroup
    household: Household
    device_id: int
    reply_id: str
    opened: list[dict[str, Any]]
    snapshots: dict[str, dict[str, list[dict[str, Any]]]]
    logs: list[logging.LogRecord]
    quiet: list[tuple[str, list[logging.LogRecord]]]  # records logged during each successful tip request

    @property
    def needles(self) -> set[str]:
        """What names the tip in an answer, a row or a log line."""
        return {self.tip.id, self.tip.id.replace("-", ""), self.tip.tracking_code, MARK}

    @property
    def forbidden(self) -> set[str]:
        """What names the tipster: its group's code and name, its household's name."""
        return {self.group.code, self.group.name, self.household.name}


class Records(logging.Handler):
    """Every record the app logs at production's level (INFO, server/__init__.py), kept by a handler of its own:
    pytest's caplog handler is dropped when the first test of a session migrates (alembic's fileConfig)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logs(app: Flask) -> Iterator[Records]:
    root = logging.getLogger()
    handler, level = Records(), root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def scenario(app: Flask, demo: Demo, clock: SimClock, logs: Records) -> Scenario:
    quiet: list[tuple[str, list[logging.LogRecord]]] = []

    def alone(what: str, call: Callable[[], Any]) -> Any:
        start = len(logs.records)
        answer = call()
        answer = answer.answer if isinstance(answer, SentTip) else answer
        assert answer.status_code in (200, 201), (what, answer.status_code, answer.json)
        quiet.append((what, logs.records[start:]))
        return answer

    clock.set(NAMED_SYNC_AT)
    tipster = TipPhone(enrol(app, "DONG-01"), app)
    other = enrol(app, "DONG-02")
    group = demo.groups["DONG-01"]
    household = demo.household("DONG-01", 2)
    device_id = db.session.scalar(db.select(Device.id).where(Device.group_id == group.id))
    db.session.rollback()
    named = report_item(
        demo.household("DONG-01", 3).id, kind="question", category=None, body="Hỏi thủ tục tạm trú",
        created_at=NAMED_SYNC_AT.isoformat(),
    )  # fmt: skip
    assert tipster.phone.sync([named]).json["results"][0]["status"] == "created"
    snapshots = {"before issuance": all_rows()}
    clock.advance(1)
    assert tipster.fetch_tokens(3).status_code == 200
    snapshots["after issuance"] = all_rows()

    clock.set(OTHER_GROUP_AT)
    other.send_report(
        0, kind="question", category=None, body="Xin hẹn làm căn cước", created_at=OTHER_GROUP_AT.isoformat()
    )

    clock.set(TIP_AT)
    photo = jpeg(exif=True)
    declared = photo_declaration(photo, "image/jpeg")
    start = len(logs.records)
    tip = tipster.send_tip(group.village_id, f"Ổ ma tuý ở {MARK}, tối nào cũng có xe đến.", attachments=[declared])
    assert tip.answer.status_code == 201, tip.answer.json
    quiet.append(("tip", logs.records[start:]))
    snapshots["after spending"] = all_rows()
    clock.advance(50)
    alone("photo", lambda: tipster.upload(tip, declared["id"], photo))

    clock.set(FOLLOW_UP_AT)
    follow_up = {"type": "message", "id": str(uuid.uuid4()), "body": f"Bổ sung {MARK}: xe biển số 29X"}
    polled = alone("mailbox follow-up", lambda: tipster.poll(tip, [follow_up]))
    assert polled.json["results"][0]["status"] == "created", polled.json

    clock.set(OFFICERS_AT)
    officer, head = sign_in(app, "officer"), sign_in(app, "head")
    officer_id = officer.get("/api/v1/officer/me").json["officer"]["id"]
    base = f"/api/v1/officer/reports/{tip.id}"
    reply = officer.post(f"{base}/messages", json={"body": "Cảm ơn, đã nhận. Xe màu gì?"})
    assert reply.status_code == 201, reply.json
    for who, path, body in [
        (officer, f"{base}/messages", {"body": "Ghi chú nội bộ", "internal": True}),
        (officer, f"{base}/status", {"status": "in_progress"}),
        (head, f"{base}/assign", {"officer_id": officer_id}),
    ]:
        answer = who.post(path, json=body)
        assert answer.status_code in (200, 201), answer.json
    assert officer.get(f"/api/v1/officer/attachments/{declared['id']}").status_code == 200

    clock.set(READ_AT)
    polled = alone("mailbox read", lambda: tipster.poll(tip))
    opened = [tip.mailbox.open(entry["sealed"]) for entry in polled.json["entries"]]
    replies = [entry for entry in opened if entry.get("type") == "message"]
    assert replies, opened
    alone("mailbox receipt", lambda: tipster.poll(tip, [{"type": "receipt", "target_id": replies[0]["id"]}]))

    clock.set(LOOK_AT)
    tipster.phone.sync([])  # the tipster's phone syncs again later, as phones do
    return Scenario(
        tipster, other, tip, declared["id"], follow_up["id"], group, household, device_id,
        reply.json.get("id", replies[0]["id"]), opened, snapshots, logs.records, quiet,
    )  # fmt: skip


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def officer_answers(app: Flask, scenario: Scenario, role: str) -> list[tuple[str, str]]:
    """Every GET of the officer API the spec lists that the ids of the scenario can fill, the CSV, the audit log."""
    who = sign_in(app, role)
    ids = {
        "report_id": scenario.tip.id,
        "attachment_id": scenario.photo_id,
        "group_id": scenario.group.id,
        "household_id": scenario.household.id,
        "village_id": scenario.group.village_id,
        "commune_id": scenario.group.commune_id,
        "device_id": scenario.device_id,
    }
    spec = who.get("/api/openapi.json").json
    urls = []
    for path, ops in sorted(spec["paths"].items()):
        names = re.findall(r"{(\w+)}", path)
        if path.startswith("/api/v1/officer") and "get" in ops and all(n in ids for n in names):
            urls.append(re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path))
    urls += [
        "/api/v1/officer/reports?per_page=200",
        f"/api/v1/officer/reports?q={MARK}",
        "/api/v1/officer/stats/export.csv",
        "/api/v1/officer/audit?per_page=200",
        f"/api/v1/officer/audit?target_id={scenario.tip.id}",
    ]
    found = []
    for url in urls:
        answer = who.get(url)
        assert answer.status_code in (200, 403, 404), (url, answer.status_code)
        if answer.status_code == 200 and answer.mimetype in ("application/json", "text/csv"):
            found.append((url, answer.get_data(as_text=True)))
    return found


# --- (a) microsecond timing, (b) last_seen_at -----------------------------------------------------------


def test_a_every_time_shown_about_the_tip_is_floored_to_the_hour(app, scenario) -> None:
    answers = [answer for role in ROLES for answer in officer_answers(app, scenario, role)]
    shown = [(url, t) for url, body in answers for t in times_in(body, LOCAL_OFFSET)]
    assert any(t == TIP_AT.replace(minute=0, second=0, microsecond=0) for _, t in shown), "the tip's hour is shown"
    leaks = [(url, t.isoformat()) for url, body in answers for t in secret_times(body)]
    assert leaks == [], "a time of the tipster's own, finer than the hour"


def test_a_the_database_holds_no_time_of_the_tipster_finer_than_the_hour(app, scenario) -> None:
    leaks = [
        (table, column, value)
        for table, rows in all_rows().items()
        for row in rows
        for column, value in row.items()
        if secret_times(as_text(value), local=False)
    ]
    assert leaks == []


def test_b_a_groups_last_seen_is_only_the_communes_day(app, scenario) -> None:
    for role in ("head", "admin"):
        who = sign_in(app, role)
        listed = who.get("/api/v1/officer/groups")
        detail = who.get(f"/api/v1/officer/groups/{scenario.group.id}")
        assert listed.status_code == 200 and detail.status_code == 200
        mine = next(g for g in listed.json if g["id"] == scenario.group.id)
        assert mine["last_seen_at"] is not None, "the group's last seen is shown"
        midnight = LOOK_AT.astimezone(VIETNAM).replace(hour=0, minute=0).astimezone(UTC)
        assert datetime.fromisoformat(mine["last_seen_at"]) == midnight, mine
        seen = [d["last_seen_at"] for d in detail.json["devices"]] + [g["last_seen_at"] for g in listed.json]
        for value in filter(None, seen):
            moment = datetime.fromisoformat(value).astimezone(VIETNAM)
            assert (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0), (role, value)
    for row in all_rows()["device"]:
        assert [t.minute for t in times_in(as_text(row["last_seen_at"]), None)] in ([], [0]), row


# --- (c) batch order, (d) created_at ----------------------------------------------------------------------


def test_c_a_tip_never_shares_a_request_with_named_items(app, demo, phone) -> None:
    named = report_item(demo.household("DONG-01", 0).id, kind="question", category=None, body="Hỏi giấy tờ")
    anonymous = report_item(demo.household("DONG-01", 1).id, anonymous=True, body=f"Tin báo {MARK}")
    answer = phone.sync([named, anonymous])
    assert answer.status_code == 200, answer.json
    first, second = answer.json["results"]
    assert first["status"] == "created"
    assert second["status"] == "rejected" and second["error"]["code"] == "tip_sent_alone", second
    alone = phone.sync([report_item(demo.household("DONG-01", 1).id, anonymous=True, body="Một mình")])
    assert alone.json["results"][0]["error"]["code"] == "tip_sent_alone"
    stored = {row["body"] for row in all_rows()["report"]}
    assert stored == {"Hỏi giấy tờ"}


def test_c_a_device_token_sent_with_a_tip_is_not_used(app, demo, phone) -> None:
    """A buggy or old phone that sends its device token with the tip: the server must not tie the two."""
    tipster = TipPhone(phone, app)
    assert tipster.fetch_tokens(1).status_code == 200
    request = tipster.tip_body(
        demo.groups["DONG-01"].village_id, "Tin kèm vé thiết bị", tipster.tokens[0], Mailbox.new()
    )
    answer = app.test_client().post("/api/v1/tips", json=request, headers=phone.headers)
    assert answer.status_code in (201, 400, 401, 403, 422), answer.json
    for row in all_rows()["report"]:
        assert (row["group_id"], row["device_id"], row["household_id"]) == (None, None, None), row


def test_d_no_client_time_is_stored_or_shown(app, demo, clock, scenario) -> None:
    report = next(r for r in all_rows()["report"] if str(r["id"]).replace("-", "") == scenario.tip.id.replace("-", ""))
    assert report["created_at"] is None
    detail = sign_in(app, "officer").get(f"/api/v1/officer/reports/{scenario.tip.id}").json
    assert detail.get("created_at") is None, detail
    # A phone that sends its own time anyway (an old or a hostile build): refused, or dropped.
    chosen = "2026-11-20T03:31:09.876543+00:00"
    late = scenario.tipster.send_tip(scenario.group.village_id, "Tin thứ hai", created_at=chosen)
    assert late.answer.status_code in (201, 422), late.answer.json
    named = scenario.tipster.send_tip(scenario.group.village_id, "Tin thứ ba", household_id=scenario.household.id)
    assert named.answer.status_code in (201, 422), named.answer.json
    for rows in all_rows().values():
        for row in rows:
            assert "03:31:09" not in " ".join(as_text(v) for v in row.values())
    tips = [row for row in all_rows()["report"] if row["anonymous"]]
    assert len(tips) >= 1 + (late.answer.status_code == 201) + (named.answer.status_code == 201)
    assert all(row["household_id"] is None for row in tips), tips


# --- (e) the database, column by column ---------------------------------------------------------------------


REFERS_TO_SOURCE = {"household_group", "device", "household"}


def linked_rows(scenario: Scenario) -> dict[str, list[dict[str, Any]]]:
    """The rows about the tip: they hold its id, tracking code, token or mailbox verifier, or refer by foreign key to
    such a row (transitively): its report, photo, messages, feed and audit entries, mailbox and its entries, token."""
    rows, fks, pks = all_rows(), foreign_keys(), primary_keys()
    seeds = scenario.needles | encodings(scenario.tip.token.message) | encodings(scenario.tip.token.signature)
    seeds.add(scenario.tip.mailbox.wire()["verifier"])

    def key(row: dict[str, Any], columns: list[str]) -> tuple[str, ...]:
        return tuple(as_text(row[c]).replace("-", "") for c in columns)

    linked: dict[str, list[dict[str, Any]]] = {name: [] for name in rows}
    linked_keys: dict[str, set[tuple[str, ...]]] = {name: set() for name in rows}
    changed = True
    while changed:
        changed = False
        for table, table_rows in rows.items():
            for row in table_rows:
                if any(row is r for r in linked[table]):
                    continue
                text = " ".join(as_text(v) for v in row.values())
                refers = any(
                    key(row, cols) in linked_keys[ref]
                    for cols, ref, ref_cols in fks.get(table, [])
                    if ref in linked_keys and ref_cols == pks.get(ref)
                )
                if refers or any(seed in text for seed in seeds):
                    linked[table].append(row)
                    linked_keys[table].add(key(row, pks.get(table) or list(row)))
                    changed = True
    return {table: found for table, found in linked.items() if found}


def test_e_no_row_about_the_tip_names_a_group_device_household_or_client_time(app, scenario) -> None:
    linked = linked_rows(scenario)
    expected = {"report", "attachment", "message", "audit_event", "spent_tip_token", "tip_mailbox", "tip_mailbox_entry"}
    assert expected <= set(linked), f"every table about the tip was read: {sorted(linked)}"
    assert "feed_entry" not in linked, "replies and statuses of the tip go to its mailbox, not to a group's feed"
    fks = foreign_keys()
    for table, rows in linked.items():
        source_columns = {c for cols, ref, _ in fks.get(table, []) if ref in REFERS_TO_SOURCE for c in cols}
        source_columns |= {c for c in rows[0] if c in ("group_id", "device_id", "household_id")}
        for row in rows:
            for column in source_columns:
                assert row[column] is None, (table, column, row)
            text = " ".join(as_text(v) for v in row.values())
            assert not any(f in text for f in scenario.forbidden), (table, row)
    report = linked["report"][0]
    assert report["created_at"] is None
    assert [t.minute for t in times_in(as_text(report["received_at"]), None)] == [0], report["received_at"]


# --- (f) logs --------------------------------------------------------------------------------------------


def test_f_the_logs_of_a_whole_scenario_hold_nothing_that_traces_the_tip(app, scenario) -> None:
    tip = scenario.tip
    secrets = {
        "device token": {scenario.tipster.phone.token},
        "token": encodings(tip.token.message) | encodings(tip.token.signature),
        "blinded": {e for b in scenario.tipster.blinded_sent for e in encodings(b)},
        "blind signature": {e for b in scenario.tipster.signatures_got for e in encodings(b)},
        "mailbox": encodings(tip.mailbox.secret) | {tip.mailbox.wire()["verifier"], tip.mailbox.wire()["public_key"]},
        "group": {
            scenario.group.code,
            scenario.group.name,
            f"group={scenario.group.id}",
            f"group_id={scenario.group.id}",
        },
        "household": {scenario.household.name, f"household={scenario.household.id}"},
        "tip text": {MARK},
    }
    assert scenario.logs, "the scenario's log records were captured (the sync logs a line)"
    for record in scenario.logs:
        line = record.getMessage() + (record.exc_text or "") + repr(getattr(record, "args", ""))
        for what, values in secrets.items():
            assert not any(v in line for v in values), (what, line)
        assert not DEVICE_ID_IN_LOG.search(line), line
        assert not secret_times(line), line
    for what, records in scenario.quiet:
        assert [r.getMessage() for r in records] == [], f"the {what} request logged something"


# --- (g) tokens, (h) revocation and double spending -------------------------------------------------------


def _values(snapshot: dict[str, list[dict[str, Any]]]) -> set[str]:
    return {as_text(v) for rows in snapshot.values() for row in rows for v in row.values() if v is not None}


def test_g_what_the_server_signed_and_the_token_it_received_share_no_stored_value(app, scenario) -> None:
    before, issued_db, spent_db = (
        scenario.snapshots[k] for k in ("before issuance", "after issuance", "after spending")
    )
    issued = _values(issued_db) - _values(before)
    spent = _values(spent_db) - _values(issued_db)
    assert issued, "issuing tokens stored something (the phone's daily count)"
    assert spent, "spending a token stored something (the spent token)"
    key_id = scenario.tip.token.key_id
    common = {v for v in issued & spent if len(v) >= 6 and v != key_id}
    assert common == set()
    blinded = {e for b in scenario.tipster.blinded_sent + scenario.tipster.signatures_got for e in encodings(b)}
    token = encodings(scenario.tip.token.message) | encodings(scenario.tip.token.signature)
    assert not any(b in v for b in blinded for v in _values(spent_db)), "no blinded value or blind signature stored"
    assert not any(t in v for t in token for v in issued), "the token is unknown at issuance"
    issued_times = [t for v in issued for t in times_in(v, LOCAL_OFFSET)]
    assert all((t.minute, t.second, t.microsecond) == (0, 0, 0) for t in issued_times), issued_times


def test_h_a_revoked_phones_tokens_stop_working_and_a_token_spends_once(app, demo, clock) -> None:
    clock.set(NAMED_SYNC_AT)
    village = demo.groups["DONG-01"].village_id
    tipster, neighbour = TipPhone(enrol(app, "DONG-01"), app), TipPhone(enrol(app, "DONG-02"), app)
    assert tipster.fetch_tokens(2).status_code == 200
    assert neighbour.fetch_tokens(1).status_code == 200
    clock.set(TIP_AT)
    first = tipster.send_tip(village, "Tin một")
    assert first.answer.status_code == 201, first.answer.json
    again = tipster.resend(first)
    assert (again.status_code, again.json["status"], again.json["id"]) == (200, "duplicate", first.id)
    twice = tipster.send_tip(village, "Tin khác, cùng vé", token=first.token)
    assert (twice.answer.status_code, twice.answer.json["error"]["code"]) == (409, "tip_token_spent"), twice.answer.json

    head = sign_in(app, "head")
    device = db.session.scalar(db.select(Device).where(Device.group_id == demo.groups["DONG-01"].id))
    assert head.post(f"/api/v1/officer/devices/{device.id}/revoke").status_code == 200
    late = tipster.send_tip(village, "Tin sau khi bị thu hồi")
    assert late.answer.status_code in (403, 409), late.answer.json
    assert late.answer.json["error"]["code"] in ("tip_token_retired", "tip_token_invalid"), late.answer.json
    assert tipster.phone.client.get("/api/v1/tips/key", headers=tipster.phone.headers).status_code == 401
    # Every phone's stock was under the retired key: the neighbour gets new tokens and files.
    stale = neighbour.send_tip(village, "Tin của nhóm bên")
    assert stale.answer.json["error"]["code"] in ("tip_token_retired", "tip_token_invalid"), stale.answer.json
    assert neighbour.fetch_tokens(1).status_code == 200
    assert neighbour.send_tip(village, "Tin của nhóm bên").answer.status_code == 201
    bodies = sorted(r["body"] for r in all_rows()["report"])
    assert bodies == ["Tin của nhóm bên", "Tin một"]


# --- (i) the statistical test ------------------------------------------------------------------------------

GROUPS = 8
TRIALS = int(os.environ.get("UNLINKABLE_TRIALS", "60"))  # ~20 requests each
SYNCS_PER_HOUR = 0.5  # each phone: a sync every two hours on average (coverage comes and goes)
NAMED_SHARE = 0.4  # syncs that carry a named report


@dataclass
class Trial:
    tipster: int
    tip_shown: datetime  # the received_at officers see
    activity: dict[int, list[datetime]]  # per group: the times officers see (named reports, last seen)
    precise_syncs: dict[int, list[datetime]]  # the simulation's own record, before any coarsening
    precise_tip: datetime
    carrier: datetime  # the tipster's sync after which the tip was due


def nearest_before(tip: datetime, activity: dict[int, list[datetime]], rng: random.Random, slack: timedelta) -> int:
    """The group whose latest visible activity is nearest before the tip (``slack``: how coarse the tip time is)."""
    latest = {g: max((t for t in times if t <= tip + slack), default=None) for g, times in activity.items()}
    best = max((t for t in latest.values() if t is not None), default=None)
    return rng.choice([g for g, t in latest.items() if t == best] if best else list(activity))


def in_window(tip: datetime, activity: dict[int, list[datetime]], rng: random.Random, low: float, high: float) -> int:
    """A group with visible activity in the window the delay allows before the tip's hour, at random among them."""
    start, end = tip - timedelta(seconds=high), tip + timedelta(hours=1) - timedelta(seconds=low)
    fits = [g for g, times in activity.items() if any(start <= t <= end for t in times)]
    return rng.choice(fits or list(activity))


def quiet_moment(due: datetime, named_pushes: list[datetime], quiet: timedelta) -> datetime:
    """When the phone really sends a tip due at ``due``: not within ``quiet`` after its own named pushes (the PWA's
    rule, pwa/js/tips.js); its named items in the ``quiet`` after the tip wait for it to end (pwa/js/sync.js)."""
    moved = True
    while moved:
        blocking = [t for t in named_pushes if t <= due < t + quiet]
        moved = bool(blocking)
        if blocking:
            due = max(blocking) + quiet
    return due


def poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1)
    while total < mean:
        count, total = count + 1, total + rng.expovariate(1)
    return count


def queue(officer: OfficerClient) -> list[dict[str, Any]]:
    """The officer's whole queue, page by page."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = officer.get(f"/api/v1/officer/reports?per_page=200&page={page}")
        assert answer.status_code == 200, answer.json
        items += answer.json["items"]
        if not answer.json["items"] or len(items) >= answer.json["total"]:
            return items
        page += 1


def bound(trials: int, groups: int) -> float:
    p = 1 / groups
    return p + 3 * math.sqrt(p * (1 - p) / trials)


def make_village(app: Flask, demo: Demo) -> list[Phone]:
    """A village of GROUPS groups of three households, one phone each."""
    new = Village(commune_id=demo.commune.id, name="Thôn Thử")
    db.session.add(new)
    db.session.flush()
    made = [
        HouseholdGroup(commune_id=demo.commune.id, village_id=new.id, code=f"THU-{n:02}", name=f"Tổ {n} — Thôn Thử")
        for n in range(GROUPS)
    ]
    db.session.add_all(made)
    db.session.flush()
    db.session.add_all([Household(group_id=g.id, name=f"Hộ {g.code}-{k}") for g in made for k in range(3)])
    db.session.commit()
    return [enrol(app, g.code) for g in made]


def test_i_the_tips_group_is_not_picked_better_than_chance(app, demo, clock, monkeypatch) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the statistic tests the server's rules, the same on both databases; (a)-(h) run on both")
    village = make_village(app, demo)
    # The officers keep one console open through the simulated months (signing in 400 times would hit the
    # sign-in rate limit, which runs on the real clock).
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 10**7)
    monkeypatch.setitem(app.config, "SESSION_MAX_HOURS", 10**6)
    clock.set(DAY + timedelta(days=9))
    head, officer = sign_in(app, "head"), sign_in(app, "officer")
    rng = random.Random(1010)
    tip_rules = app.test_client().get("/api/v1/rules").json["tips"]
    low, high = tip_rules["delay_seconds"]["min"], tip_rules["delay_seconds"]["max"]
    quiet = timedelta(seconds=tip_rules["quiet_seconds"])
    phones = [TipPhone(p, app) for p in village]
    village_id = db.session.scalar(db.select(Village.id).where(Village.name == "Thôn Thử"))
    group_ids = [p.group["id"] for p in village]
    # Each trial is the stretch of the village's day the attacker's guesses look at: one to two hours before the
    # sync that carries the tip, the delay, and the end of the tip's hour. Every phone's syncs (the tipster's too)
    # are a Poisson process over it; conditioning a Poisson process on a point at the carrying sync is adding
    # that point, so the tipster's phone syncs no more often than the others.
    window = 3 + math.ceil(high / 3600)
    trials: list[Trial] = []
    tips: dict[str, int] = {}
    for n in range(TRIALS):
        start = DAY + timedelta(days=10 + 2 * n)
        events: list[tuple[datetime, int, str]] = []
        for g in range(GROUPS):
            for _ in range(poisson(rng, SYNCS_PER_HOUR * window)):
                what = "named" if rng.random() < NAMED_SHARE else "sync"
                events.append((start + timedelta(seconds=rng.uniform(0, window * 3600)), g, what))
        tipster = rng.randrange(GROUPS)
        carrier = start + timedelta(seconds=rng.uniform(3600, 7200))  # the sync after which the tip is due
        carried = "sync"  # the PWA counts a tip's delay only from a sync that pushed nothing named (tips.js)
        tip_at = quiet_moment(
            carrier + timedelta(seconds=rng.uniform(low, high)),
            [t for t, g, what in [*events, (carrier, tipster, carried)] if g == tipster and what == "named"],
            quiet,
        )
        events += [(carrier, tipster, carried), (tip_at, tipster, "tip")]
        # ... and its named items wait for the quiet hour after the tip to end (urgent ones aside).
        events = [
            (tip_at + quiet if g == tipster and what == "named" and tip_at < t < tip_at + quiet else t, g, what)
            for t, g, what in events
        ]
        events.sort()
        precise: dict[int, list[datetime]] = {
            g: [t for t, h, what in events if h == g and what != "tip"] for g in range(GROUPS)
        }
        seen: dict[int, str | None] = {}
        for when, g, what in events:
            clock.set(when)
            phone = phones[g]
            if what != "tip":
                household = phone.phone.group["households"][0]["id"]
                named = [report_item(household, kind="question", category=None, created_at=when.isoformat())]
                assert phone.phone.sync(named if what == "named" else []).status_code == 200
                if g == tipster and when == carrier and not phone.tokens:
                    assert phone.fetch_tokens(3).status_code == 200  # during its authenticated sync
            else:
                sent = phone.send_tip(village_id, f"Tin báo số {n}")
                assert sent.answer.status_code == 201, sent.answer.json
                tips[sent.id] = n
                # The head looks at the groups at once: each group's last seen when the tip arrived.
                seen = {grp["id"]: grp["last_seen_at"] for grp in head.get("/api/v1/officer/groups").json}
        activity: dict[int, list[datetime]] = {
            g: [datetime.fromisoformat(seen[gid])] if seen.get(gid) else [] for g, gid in enumerate(group_ids)
        }
        trials.append(Trial(tipster, DAY, activity, precise, tip_at, carrier))  # tip_shown: read below
    # Later the officer reads the queue: every named report with its group and time, and the tips' times.
    clock.advance(3600)
    for item in queue(officer):
        received = datetime.fromisoformat(item["received_at"])
        if item["id"] in tips:
            trials[tips[item["id"]]].tip_shown = received
        elif item.get("group") and item["group"]["id"] in group_ids:
            n = (received - DAY - timedelta(days=10)).days // 2
            if 0 <= n < TRIALS:
                trials[n].activity[group_ids.index(item["group"]["id"])].append(received)
    assert all(t.tip_shown > DAY for t in trials), "every tip was found in the queue"

    limit = bound(TRIALS, GROUPS)
    guess = random.Random(7)
    hits_nearest = sum(nearest_before(t.tip_shown, t.activity, guess, timedelta(hours=1)) == t.tipster for t in trials)
    hits_window = sum(in_window(t.tip_shown, t.activity, guess, low, high) == t.tipster for t in trials)
    # The same attacker on the timeline before issue 10: the tip 2 ms after its phone's sync, every time precise.
    naive = sum(
        nearest_before(t.carrier + timedelta(milliseconds=2), t.precise_syncs, guess, timedelta(0)) == t.tipster
        for t in trials
    )
    live = sum(nearest_before(t.precise_tip, t.precise_syncs, guess, timedelta(0)) == t.tipster for t in trials)
    # A thief of the SQLite file (or a backup): the reports' rowids are their insertion order. Guess the group of
    # the named report stored just before the tip. Measured, not asserted: the threat model lists row order.
    rows = db.session.execute(db.text("SELECT id, group_id, anonymous FROM report ORDER BY rowid")).all()
    db.session.rollback()
    previous: int | None = None
    order_hits = 0
    for row in rows:
        report_id = str(uuid.UUID(hex=str(row.id).replace("-", "")))
        if row.anonymous and report_id in tips:
            order_hits += previous is not None and group_ids.index(previous) == trials[tips[report_id]].tipster
        elif row.group_id in group_ids:
            previous = row.group_id
    figures = (
        f"hit rates over {TRIALS} trials, {GROUPS} groups (chance {1 / GROUPS:.3f}, bound {limit:.3f}): "
        f"nearest-before {hits_nearest / TRIALS:.3f}, window {hits_window / TRIALS:.3f}, "
        f"naive baseline {naive / TRIALS:.3f}, live watcher with precise times {live / TRIALS:.3f}, "
        f"database row order {order_hits / TRIALS:.3f}"
    )
    print(figures)
    assert naive / TRIALS > 0.9, figures  # the attacker and its scoring can win: the test can fail
    assert hits_nearest / TRIALS < limit, figures
    assert hits_window / TRIALS < limit, figures
