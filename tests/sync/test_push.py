"""Pushing queued items: idempotent by client UUID, conflicts rejected, bad items rejected alone."""

from __future__ import annotations

import threading
import unicodedata
import uuid

from server.extensions import db
from server.reports.models import Message, Report
from tests.conftest import message_item, receipt_item, report_item
from tests.tips.tipster import Tipster


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_same_batch_three_times_gives_one_record_each(phone, demo):
    household = demo.household("DONG-01").id
    batch = [
        report_item(household),
        report_item(household, kind="question", category=None, body="Làm lại căn cước bị mất cần giấy tờ gì?"),
    ]
    first = phone.sync(batch)
    assert [r["status"] for r in first.json["results"]] == ["created", "created"]
    codes = [r["tracking_code"] for r in first.json["results"]]
    for _ in range(2):
        again = phone.sync(batch)
        assert [r["status"] for r in again.json["results"]] == ["duplicate", "duplicate"]
        assert [r["tracking_code"] for r in again.json["results"]] == codes
    assert _count(Report) == 2


def test_reused_id_with_other_content_is_rejected_and_not_overwritten(phone, demo):
    item = report_item(demo.household("DONG-01").id)
    assert phone.sync([item]).json["results"][0]["status"] == "created"
    forged = {**item, "body": "Nội dung khác hẳn"}
    result = phone.sync([forged]).json["results"][0]
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "conflict"
    assert db.session.get(Report, uuid.UUID(item["id"])).body == item["body"]


def test_same_id_from_another_group_is_a_conflict_not_a_duplicate(enrol_phone, demo):
    item = report_item(demo.household("DONG-01").id)
    assert enrol_phone("DONG-01").sync([item]).json["results"][0]["status"] == "created"
    other = enrol_phone("TAY-01")
    result = other.sync([{**item, "household_id": demo.household("TAY-01").id}]).json["results"][0]
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "conflict"


def test_one_bad_item_is_rejected_and_the_others_kept(phone, demo):
    household = demo.household("DONG-01").id
    good_before, good_after = report_item(household), report_item(household, kind="help", category=None)
    bad = report_item(household, kind="bribe", body="")
    response = phone.sync([good_before, bad, good_after, {"type": "nonsense", "id": "x"}, "not an object"])
    assert response.status_code == 200
    results = response.json["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "created", "rejected", "rejected"]
    assert set(results[1]["error"]["fields"]) == {"kind", "body"}
    assert results[1]["error"]["code"] == "validation_error"
    assert results[3]["error"]["fields"] == {"type": ["Unknown item type."]}
    stored = {str(r.id) for r in db.session.scalars(db.select(Report))}
    assert stored == {good_before["id"], good_after["id"]}


def test_household_must_belong_to_the_phones_group(phone, demo):
    result = phone.sync([report_item(demo.household("TAY-01").id)]).json["results"][0]
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "unknown_household"
    assert _count(Report) == 0


def test_category_only_for_tips_and_defaults_to_other(phone, demo):
    household = demo.household("DONG-01").id
    results = phone.sync(
        [
            report_item(household, kind="complaint", category="drugs"),
            report_item(household, category=None),
        ]
    ).json["results"]
    assert results[0]["status"] == "rejected"
    assert "category" in results[0]["error"]["fields"]
    assert db.session.scalar(db.select(Report)).category.value == "other"


def test_an_anonymous_tip_is_refused_by_sync_it_travels_alone(phone, demo):
    """ADR 0004: an anonymous tip never rides in a sync beside the phone's named items, nor do its follow-ups."""
    item = report_item(demo.household("DONG-01", 2).id, anonymous=True)
    named = report_item(demo.household("DONG-01", 1).id)
    results = phone.sync([item, named]).json["results"]
    assert [r["status"] for r in results] == ["rejected", "created"]
    assert results[0]["error"]["code"] == "tip_sent_alone"
    assert "riêng" in results[0]["error"]["message"]  # Vietnamese, for the phone to show if it must
    assert db.session.get(Report, uuid.UUID(item["id"])) is None
    tip = Tipster.of(phone).tip()
    follow = phone.sync([message_item(tip.id), receipt_item(str(uuid.uuid4()))]).json["results"]
    assert follow[0]["error"]["code"] == "tip_sent_alone"


def test_an_anonymous_tip_stored_through_sync_before_adr_0004_is_still_a_duplicate(phone, demo):
    """A phone whose answer was lost before the upgrade retries the old item: it was stored, so it is not refused."""
    from server.reports.operations import _report_hash
    from server.sync.schemas import ReportItemSchema

    item = report_item(demo.household("DONG-01", 2).id, anonymous=True)
    stored_as_before = report_item(demo.household("DONG-01", 2).id, id=item["id"], anonymous=False)
    assert phone.sync([stored_as_before]).json["results"][0]["status"] == "created"
    retry = {**item, "created_at": stored_as_before["created_at"]}
    report = db.session.get(Report, uuid.UUID(item["id"]))
    report.anonymous, report.household_id = True, None  # what the old server stored for it
    report.content_hash = _report_hash(ReportItemSchema().load(retry))
    db.session.commit()
    assert phone.sync([retry]).json["results"][0]["status"] == "duplicate"


def test_text_is_stored_nfc_normalised(phone, demo):
    decomposed = unicodedata.normalize("NFD", "Trộm cắp xe máy ở đầu làng")
    item = report_item(demo.household("DONG-01").id, body=decomposed)
    phone.sync([item])
    assert db.session.get(Report, uuid.UUID(item["id"])).body == "Trộm cắp xe máy ở đầu làng"


def test_follow_up_message_is_idempotent_and_needs_a_known_report(phone, demo):
    report = report_item(demo.household("DONG-01").id)
    follow_up = message_item(report["id"])
    results = phone.sync([report, follow_up]).json["results"]
    assert [r["status"] for r in results] == ["created", "created"]
    assert phone.sync([follow_up]).json["results"][0]["status"] == "duplicate"
    orphan = phone.sync([message_item(str(uuid.uuid4()))]).json["results"][0]
    assert orphan["error"]["code"] == "unknown_report"
    assert _count(Message) == 1


def test_too_many_items_is_a_validation_error(phone, demo):
    household = demo.household("DONG-01").id
    response = phone.sync([report_item(household) for _ in range(101)])
    assert response.status_code == 422
    assert "push" in response.json["error"]["fields"]
    assert _count(Report) == 0


def test_the_same_batch_pushed_concurrently_is_stored_once(app, phone, demo):
    """A phone that timed out retries while its first request is still running: both race to insert."""
    household = demo.household("DONG-01").id
    batches = [[report_item(household) for _ in range(5)] for _ in range(4)]
    db.session.rollback()  # end this thread's read transaction: on SQLite it holds the write lock
    outcomes: list[list[str]] = []

    def push(batch, barrier):
        barrier.wait()
        response = app.test_client().post("/api/v1/sync", json={"cursor": None, "push": batch}, headers=phone.headers)
        outcomes.append([r["status"] for r in response.json["results"]])

    for batch in batches:
        barrier = threading.Barrier(3)
        threads = [threading.Thread(target=push, args=(batch, barrier)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert len(outcomes) == 12
    assert all(set(statuses) <= {"created", "duplicate"} for statuses in outcomes)
    assert _count(Report) == 20
