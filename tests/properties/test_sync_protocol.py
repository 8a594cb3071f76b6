"""Stateful property tests of the sync protocol: hypothesis drives random interleavings against the Flask app.

Phones in three groups of two communes queue reports and follow-ups, push them (sometimes losing the answer,
as a cut connection does), replay old requests verbatim (their own, or another group's), push conflicting
content under a used id, and pull from old cursors with a small page size; officers change statuses, reply
and write internal notes. Throughout, the model checks the protocol's promises:

- a record is ``created`` once, then only ever ``duplicate``; the server holds each accepted id exactly once,
  with the content first sent (a conflict never overwrites);
- another group's request replayed with this phone's token is rejected, never answered with the other group's
  tracking codes;
- a phone receives only its own group's changes (and its commune's announcements), never an internal note;
- pulling from any cursor, until ``more`` is false, brings every change for the group made after that cursor
  was handed out: nothing skipped.

Bounded for CI (``PROPERTY_EXAMPLES``, default 20 examples of up to 30 steps per database).
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from server.cli import seed_demo
from server.extensions import db, limiter
from server.feed.models import FeedEntry
from server.groups import operations as groups
from server.groups.models import Device
from server.reports.models import Message, MessageAuthor, Report
from server.tokens import sha256_hex
from tests.conftest import OfficerClient, Phone, _empty_tables, make_other_commune, message_item, report_item

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "20"))
GROUPS = ("DONG-01", "TAY-01", "NAM-01")  # two villages of Bình An, and a group of another commune
COMMUNE_OF = {"DONG-01": "BINHAN", "TAY-01": "BINHAN", "NAM-01": "HOALOI"}
KINDS = ("tip", "complaint", "question", "appointment", "help", "lost_found")


def _key(change: dict[str, Any]) -> str:
    return json.dumps(change, sort_keys=True, ensure_ascii=False)


@dataclass
class PhoneModel:
    """What the model knows of one phone; ``device`` is the shared test ``Phone`` it speaks the API with."""

    device: Phone
    group: str
    group_id: int
    households: list[int]
    cursor: str | None
    outbox: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)  # request bodies sent, for replays
    cursors: list[tuple[str, int]] = field(default_factory=list)  # (cursor, group changes made before it)
    seen: set[str] = field(default_factory=set)
    enrolled_at: int = 0  # how many of its group's changes existed when it enrolled (older ones are hidden)

    def post(self, body: dict[str, Any]) -> Any:
        """A sync request with this body as is: the model, not the device, decides what the cursor is."""
        return self.device.client.post("/api/v1/sync", json=body, headers=self.device.headers)


class SyncProtocol(RuleBasedStateMachine):
    app: Flask  # set by the test before running

    def __init__(self) -> None:
        super().__init__()
        db.session.rollback()
        _empty_tables()
        limiter.reset()
        seed_demo()
        make_other_commune(households=3)
        self.app.config["SYNC_PAGE_SIZE"] = 2  # pages get cut: ``more`` and the cursor between pages matter
        self.phones: list[PhoneModel] = []
        self.officers: dict[str, OfficerClient] = {}
        self.stored: dict[str, tuple[str, str]] = {}  # item id -> (group, canonical content) the server holds
        self.reports_of: dict[str, set[str]] = {code: set() for code in GROUPS}
        self.changes_of: dict[str, list[str]] = {code: [] for code in GROUPS}  # canonical, in feed order
        self.notes: set[str] = set()  # internal note ids: must never reach a phone
        self.serial = 0

    def teardown(self) -> None:
        self.app.config["SYNC_PAGE_SIZE"] = 200
        db.session.rollback()

    # --- helpers ---------------------------------------------------------------------------------------

    def _enrol(self, code: str) -> PhoneModel:
        group = groups.find_group_by_code(code)
        # Revoked phones are replaced: a run may enrol more than the 10 a minute one address may (test_quotas.py).
        limiter.reset()
        device = Phone.enrol(self.app.test_client(), groups.issue_enrolment_code(group))
        phone = PhoneModel(
            device,
            code,
            group.id,
            [h["id"] for h in device.group["households"]],
            device.cursor,
            enrolled_at=len(self.changes_of[code]),
        )
        self.phones.append(phone)
        return phone

    def _officer(self, commune: str) -> OfficerClient:
        if commune not in self.officers:
            username, password = {
                "BINHAN": ("demo", "demo-officer"),
                "BINHAN-head": ("truongcongan", "demo-head"),
                "HOALOI": ("khac", "other-officer"),
            }[commune]
            self.officers[commune] = OfficerClient.login(self.app.test_client(), username, password)
        return self.officers[commune]

    def _new_id(self) -> str:
        """Ids from a counter, not uuid4: hypothesis replays an example exactly only if nothing is random."""
        self.serial += 1
        return str(uuid.UUID(int=0x5EED << 96 | self.serial))

    def _content(self, item: dict[str, Any]) -> str:
        return _key({k: v for k, v in item.items() if k != "type"})

    def _check_changes(self, phone: PhoneModel, changes: list[dict[str, Any]]) -> None:
        """Only the phone's group's changes (or its commune's announcements), never an internal note."""
        for change in changes:
            if change["type"] in ("report_status", "message"):
                assert change["report_id"] in self.reports_of[phone.group], ("leak", phone.group, change)
            if change["type"] == "message":
                assert change["id"] not in self.notes, ("internal note reached a phone", change)
            if change["type"] == "group":
                assert change["group"]["id"] == phone.group_id, ("leak", phone.group, change)
            phone.seen.add(_key(change))

    def _sync(self, phone: PhoneModel, body: dict[str, Any], *, own: bool) -> Any:
        """Send a body; check every result against the model; update the model with what the server now holds."""
        answer = phone.post(body)
        assert answer.status_code == 200, answer.json
        results = answer.json["results"]
        assert [r["id"] for r in results] == [i["id"] for i in body["push"]]
        for item, result in zip(body["push"], results, strict=True):
            held = self.stored.get(item["id"])
            content = self._content(item)
            if not own:
                # Another group's item: a new id names a household not in this group, a known id is a conflict.
                assert result["status"] == "rejected", ("another group's item accepted", result)
                assert "tracking_code" not in result
            elif held is None:
                assert result["status"] == "created", (item, result)
                self.stored[item["id"]] = (phone.group, content)
                if item["type"] == "report":
                    self.reports_of[phone.group].add(item["id"])
            elif held == (phone.group, content):
                assert result["status"] == "duplicate", (item, result)
            else:
                assert result["status"] == "rejected" and result["error"]["code"] == "conflict", (item, result)
        self._check_changes(phone, answer.json["changes"])
        return answer.json

    def _record_change(self, group: str, report_id: str | None = None) -> None:
        """The officer action just appended one feed entry: remember it for the group it is addressed to."""
        entry = db.session.scalar(select(FeedEntry).order_by(FeedEntry.id.desc()).limit(1))
        assert entry is not None
        if report_id is not None:
            assert entry.payload["report_id"] == report_id
        self.changes_of[group].append(_key({"type": entry.kind, **entry.payload}))

    # --- rules -----------------------------------------------------------------------------------------

    @initialize()
    def first_phones(self) -> None:
        for code in GROUPS:
            self._enrol(code)

    @rule(group=st.sampled_from(GROUPS))
    @precondition(lambda self: len(self.phones) < 6)
    def enrol_another_phone(self, group: str) -> None:
        self._enrol(group)

    # Anonymous tips travel alone (ADR 0004; /sync answers tip_sent_alone): tests/tips and the fault run cover them.
    @rule(data=st.data(), kind=st.sampled_from(KINDS), follow_up=st.booleans())
    def write(self, data: st.DataObject, kind: str, follow_up: bool) -> None:
        phone = data.draw(st.sampled_from(self.phones))
        report = report_item(
            data.draw(st.sampled_from(phone.households)),
            id=self._new_id(),
            kind=kind,
            category=None,
            body=f"Tin {self.serial} của tổ {phone.group}",
        )
        phone.outbox.append(report)
        if follow_up:
            message_id = self._new_id()
            phone.outbox.append(message_item(report["id"], f"Bổ sung cho tin {self.serial}", id=message_id))

    @rule(data=st.data(), lose_answer=st.booleans(), size=st.integers(0, 6))
    def push(self, data: st.DataObject, lose_answer: bool, size: int) -> None:
        """A sync run; with ``lose_answer`` the server acts but the phone never hears back (it keeps everything)."""
        phone = data.draw(st.sampled_from(self.phones))
        body = {"cursor": phone.cursor, "push": phone.outbox[:size]}
        phone.history.append(body)
        answer = self._sync(phone, body, own=True)
        if lose_answer:
            return
        done = {r["id"] for r in answer["results"] if r["status"] in ("created", "duplicate")}
        phone.outbox = [i for i in phone.outbox if i["id"] not in done]
        phone.cursor = answer["cursor"]
        if not answer["more"]:
            phone.cursors.append((answer["cursor"], len(self.changes_of[phone.group])))

    @rule(data=st.data())
    def replay_own_old_request(self, data: st.DataObject) -> None:
        """A request sent long ago arrives again (a retry from a stale queue, a duplicated packet)."""
        phone = data.draw(st.sampled_from([p for p in self.phones if p.history] or self.phones))
        if phone.history:
            self._sync(phone, data.draw(st.sampled_from(phone.history)), own=True)

    @rule(data=st.data())
    def replay_another_groups_request(self, data: st.DataObject) -> None:
        phone = data.draw(st.sampled_from(self.phones))
        others = [b for p in self.phones if p.group != phone.group for b in p.history if b["push"]]
        if others:
            body = data.draw(st.sampled_from(others))
            self._sync(phone, {"cursor": phone.cursor, "push": body["push"]}, own=False)

    @rule(data=st.data())
    def same_id_other_content(self, data: st.DataObject) -> None:
        phone = data.draw(st.sampled_from(self.phones))
        mine = [b for b in phone.history for i in b["push"] if i["type"] == "report" and i["id"] in self.stored]
        if mine:
            item = dict(data.draw(st.sampled_from([i for b in mine for i in b["push"] if i["id"] in self.stored])))
            item["body"] += " (sửa)"
            self._sync(phone, {"cursor": phone.cursor, "push": [item]}, own=True)

    @rule(
        data=st.data(),
        actions=st.lists(
            st.sampled_from(["acknowledged", "in_progress", "resolved", "reply", "note"]), min_size=1, max_size=4
        ),
    )
    def officers_act(self, data: st.DataObject, actions: list[str]) -> None:
        """A burst of officer work (statuses, replies, internal notes) on reports of any group and commune."""
        reports = sorted(r for ids in self.reports_of.values() for r in ids)
        if not reports:
            return
        for action in actions:
            report_id = data.draw(st.sampled_from(reports))
            group = next(code for code, ids in self.reports_of.items() if report_id in ids)
            officer = self._officer(COMMUNE_OF[group])
            if action in ("reply", "note"):
                answer = officer.post(
                    f"/api/v1/officer/reports/{report_id}/messages",
                    json={"body": f"Trả lời {self.serial}", "internal": action == "note"},
                )
                assert answer.status_code == 201, answer.json
                if action == "note":
                    self.notes.add(answer.json["id"])
                    continue
            else:
                answer = officer.post(f"/api/v1/officer/reports/{report_id}/status", json={"status": action})
                assert answer.status_code in (200, 409), answer.json
                if answer.status_code == 409:
                    continue
            self._record_change(group, report_id)

    @rule(data=st.data(), group=st.sampled_from(("DONG-01", "TAY-01")))
    def head_renames_a_household(self, data: st.DataObject, group: str) -> None:
        """A ``group`` change: it goes to that group's phones only."""
        head = self._officer("BINHAN-head")
        phone = next(p for p in self.phones if p.group == group)
        household = data.draw(st.sampled_from(phone.households))
        self.serial += 1
        answer = head.patch(f"/api/v1/officer/households/{household}", json={"name": f"Hộ đổi tên {self.serial}"})
        assert answer.status_code == 200, answer.json
        self._record_change(group)

    @rule(data=st.data())
    @precondition(lambda self: len(self.phones) > len(GROUPS))
    def head_revokes_a_phone(self, data: st.DataObject) -> None:
        """A lost phone is revoked: from then on it is refused, and nothing it pushes is stored."""
        phone = data.draw(st.sampled_from([p for p in self.phones if p.group != "NAM-01"]))
        if sum(p.group == phone.group for p in self.phones) < 2:
            return  # keep one phone per group for the end-of-run check
        device = db.session.scalar(select(Device).where(Device.token_hash == sha256_hex(phone.device.token)))
        answer = self._officer("BINHAN-head").post(f"/api/v1/officer/devices/{device.id}/revoke")
        assert answer.status_code == 200, answer.json
        self.phones.remove(phone)
        refused = phone.post({"cursor": phone.cursor, "push": phone.outbox[:3]})
        assert refused.status_code == 401 and refused.json["error"]["code"] == "device_revoked"

    @rule(data=st.data())
    def officer_of_another_commune_cannot_touch(self, data: st.DataObject) -> None:
        reports = sorted(r for code in ("DONG-01", "TAY-01") for r in self.reports_of[code])
        if reports:
            stranger = self._officer("HOALOI")
            report_id = data.draw(st.sampled_from(reports))
            answer = stranger.post(f"/api/v1/officer/reports/{report_id}/status", json={"status": "resolved"})
            assert answer.status_code == 404, answer.json

    @rule(data=st.data())
    def pull_from_an_old_cursor(self, data: st.DataObject) -> None:
        """Every change made after the cursor was handed out comes back, whatever else comes with it."""
        phone = data.draw(st.sampled_from([p for p in self.phones if p.cursors] or self.phones))
        if not phone.cursors:
            return
        cursor, made_before = data.draw(st.sampled_from(phone.cursors))
        got: set[str] = set()
        for _ in range(100):
            answer = self._sync(phone, {"cursor": cursor, "push": []}, own=True)
            got |= {_key(c) for c in answer["changes"]}
            cursor = answer["cursor"]
            if not answer["more"]:
                break
        missing = set(self.changes_of[phone.group][made_before:]) - got
        assert not missing, ("skipped changes", missing)

    # --- invariants ------------------------------------------------------------------------------------

    @invariant()
    def each_accepted_record_is_stored_once_as_first_sent(self) -> None:
        reports = {k for k, (_, c) in self.stored.items() if json.loads(c).get("kind")}
        assert db.session.scalar(select(func.count()).select_from(Report)) == len(reports)
        household_messages = select(func.count()).select_from(Message).where(Message.author == MessageAuthor.HOUSEHOLD)
        assert db.session.scalar(household_messages) == len(self.stored) - len(reports)
        for report in db.session.scalars(select(Report)):
            group, content = self.stored[str(report.id)]
            assert report.body == json.loads(content)["body"], "a conflict overwrote what was first sent"
            assert report.group.code == group

    def check_nothing_skipped(self) -> None:
        """After pulling to the end, each phone has seen every change of its group since it enrolled."""
        for phone in self.phones:
            for _ in range(100):
                answer = self._sync(phone, {"cursor": phone.cursor, "push": []}, own=True)
                phone.cursor = answer["cursor"]
                if not answer["more"]:
                    break
            missing = set(self.changes_of[phone.group][phone.enrolled_at :]) - phone.seen
            assert not missing, ("a phone never received", phone.group, missing)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_sync_protocol_never_loses_duplicates_or_leaks(app: Flask) -> None:
    class Machine(SyncProtocol):
        def teardown(self) -> None:
            try:
                self.check_nothing_skipped()
            finally:
                super().teardown()

    Machine.app = app
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=30,
            deadline=None,
            derandomize=os.environ.get("PROPERTY_SEED") is None and bool(os.environ.get("CI")),
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            # Shrinking a failing run takes minutes; ``PROPERTY_SHRINK=1`` asks for the minimal example.
            phases=list(Phase) if os.environ.get("PROPERTY_SHRINK") else [Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )
