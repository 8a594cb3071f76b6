"""Anonymous tips sent alone (ADR 0004), as the phone and the console see them: tokens, the tip, its photos and
its mailbox, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from server.extensions import db
from server.reports.models import Report

from .tipster import Tipster, follow_up, receipt


def test_a_tip_sent_alone_is_stored_without_group_device_or_phone_time(app, tipster: Tipster, officer) -> None:
    tip = tipster.tip()
    report = db.session.get(Report, uuid.UUID(tip.id))
    assert (report.group_id, report.device_id, report.household_id, report.created_at) == (None, None, None, None)
    assert report.received_at.minute == report.received_at.second == report.received_at.microsecond == 0
    assert report.anonymous and report.tracking_code == tip.tracking_code
    shown = officer.get(f"/api/v1/officer/reports/{tip.id}").json
    assert shown["group"] is None and shown["household"] is None and shown["created_at"] is None
    reply = officer.post(f"/api/v1/officer/reports/{tip.id}/messages", json={"body": "Cảm ơn, đã nhận."})
    assert reply.status_code == 201, reply.json
    answer = tipster.mailbox(tip)
    assert answer.status_code == 200, answer.json
    assert [entry["type"] for entry in tip.opened] == ["message"]
    assert tip.opened[0]["body"] == "Cảm ơn, đã nhận."
    item = follow_up()
    assert tipster.mailbox(tip, [item, receipt(reply.json["id"])]).json["results"] == [
        {"id": item["id"], "status": "created"},
        {"id": reply.json["id"], "status": "created"},
    ]
