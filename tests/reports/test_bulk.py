"""Bulk actions in the queue (issue 15): several reports acknowledged, assigned or moved at once, all or none, in
one transaction, each authorised and audited on its own, each household told as if one by one."""

from __future__ import annotations

import uuid

from server.audit.models import AuditEvent
from server.extensions import db
from server.officers.models import Officer

BULK = "/api/v1/officer/reports/bulk"


def _statuses(officer, ids):
    return [officer.get(f"/api/v1/officer/reports/{i}").json["status"] for i in ids]


def test_several_reports_are_acknowledged_assigned_and_resolved_with_one_audit_entry_each(officer, phone, demo):
    ids = [phone.send_report(body=f"Tin số {n}") for n in range(3)]
    answer = officer.post(BULK, json={"report_ids": ids, "action": "acknowledge"})
    assert answer.status_code == 200, answer.json
    assert [r["status"] for r in answer.json] == ["acknowledged"] * 3
    me = db.session.scalar(db.select(Officer.id).where(Officer.username == "demo"))
    assigned = officer.post(BULK, json={"report_ids": ids[:2], "action": "assign", "officer_id": me})
    assert [r["assigned_officer"]["id"] for r in assigned.json] == [me, me]
    done = officer.post(BULK, json={"report_ids": ids, "action": "status", "status": "resolved"})
    assert done.status_code == 200
    changed = db.session.scalars(
        db.select(AuditEvent).where(
            AuditEvent.action == "report.status_changed", AuditEvent.details["bulk"].as_boolean()
        )
    ).all()
    assert sorted(e.target_id for e in changed) == sorted(ids * 2)
    phone.pull_all()
    statuses = [(c["report_id"], c["status"]) for c in phone.seen if c["type"] == "report_status"]
    assert sorted(statuses) == sorted([(i, "acknowledged") for i in ids] + [(i, "resolved") for i in ids])


def test_one_report_that_cannot_move_stops_the_whole_batch(officer, phone):
    ids = [phone.send_report() for _ in range(2)]
    officer.post(f"/api/v1/officer/reports/{ids[1]}/status", json={"status": "resolved"})
    answer = officer.post(BULK, json={"report_ids": ids, "action": "acknowledge"})
    assert answer.status_code == 409 and answer.json["error"]["code"] == "invalid_transition"
    assert list(answer.json["error"]["fields"]) == [ids[1]]
    assert _statuses(officer, ids) == ["new", "resolved"], "nothing changed"
    no_reason = officer.post(BULK, json={"report_ids": ids[:1], "action": "status", "status": "rejected"})
    assert no_reason.status_code == 409 and _statuses(officer, ids[:1]) == ["new"]


def test_a_report_of_another_commune_or_unknown_is_a_404_and_nothing_changes(officer, phone, other_commune, sign_in):
    mine = phone.send_report()
    stranger = sign_in("khac", "other-officer")
    assert stranger.post(BULK, json={"report_ids": [mine], "action": "acknowledge"}).status_code == 404
    unknown = officer.post(BULK, json={"report_ids": [mine, str(uuid.uuid4())], "action": "acknowledge"})
    assert unknown.status_code == 404
    assert _statuses(officer, [mine]) == ["new"]
    outsider = db.session.scalar(db.select(Officer.id).where(Officer.username == "khac"))
    wrong = officer.post(BULK, json={"report_ids": [mine], "action": "assign", "officer_id": outsider})
    assert wrong.status_code == 422
