"""An anonymous tip exposes no household (nor its group) through any officer endpoint, the CSV export or the audit log.

Every GET operation of the officer API in the spec is called, as an officer, a head and an admin, with the ids
of the tip, its photo, its group, its household and so on, after officers have read it, replied, noted, moved
and assigned it and the phone has sent a follow-up. In every JSON object that names the tip (its id, tracking
code or text), in every CSV row of it, and in every audit entry about it, no household or group of the tipster
may appear. The group and household may of course appear elsewhere: a named report of the same group is there
too, so a leak through a shared list or join would show.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from typing import Any

import pytest

from server.audit.models import AuditEvent
from server.extensions import db
from server.groups.models import Device
from server.reports.models import Message, Report
from tests.conftest import jpeg, photo_declaration, report_item
from tests.tips.tipster import Tipster, follow_up

MARK = "KHO-CUOI-THON-7731"


def _mentions(node: dict[str, Any], needles: set[str]) -> bool:
    return any(isinstance(value, str) and any(n in value for n in needles) for value in node.values())


def _objects(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _objects(value)
    return found


@pytest.fixture
def tip(app, demo, enrol_phone, sign_in) -> dict[str, Any]:
    phone = enrol_phone("DONG-01")
    household = demo.household("DONG-01", 2)  # the tipster's household: the server never hears of it
    photo = jpeg(exif=True)
    declared = photo_declaration(photo, "image/jpeg")
    named = report_item(demo.household("DONG-01", 3).id, kind="question", category=None, body="Hỏi tạm trú")
    assert [r["status"] for r in phone.sync([named]).json["results"]] == ["created"]
    tipster = Tipster.of(phone)
    sent = tipster.tip(body=f"Ổ ma tuý ở {MARK}", attachments=[declared])  # alone, no device token (ADR 0004)
    anonymous = {"id": sent.id}
    assert tipster.upload(sent, declared["id"], photo).status_code == 200
    follow = tipster.mailbox(sent, [follow_up(f"Bổ sung {MARK}: tối thứ Bảy")])
    assert follow.json["results"][0]["status"] == "created"
    head = sign_in("truongcongan", "demo-head")
    officer = sign_in()
    officer_id = officer.get("/api/v1/officer/me").json["officer"]["id"]
    report_id = anonymous["id"]
    for who, path, body in [
        (officer, f"/api/v1/officer/reports/{report_id}/messages", {"body": "Cảm ơn, đã nhận."}),
        (officer, f"/api/v1/officer/reports/{report_id}/messages", {"body": "Ghi chú nội bộ", "internal": True}),
        (officer, f"/api/v1/officer/reports/{report_id}/status", {"status": "in_progress"}),
        (head, f"/api/v1/officer/reports/{report_id}/assign", {"officer_id": officer_id}),
    ]:
        answer = who.post(path, json=body)
        assert answer.status_code in (200, 201), answer.json
    assert officer.get(f"/api/v1/officer/attachments/{declared['id']}").status_code == 200
    group = demo.groups["DONG-01"]
    device = db.session.scalar(db.select(Device).where(Device.group_id == group.id))
    tracking = db.session.get(Report, uuid.UUID(report_id)).tracking_code
    return {
        "ids": {
            "report_id": report_id,
            "attachment_id": declared["id"],
            "group_id": group.id,
            "household_id": household.id,
            "village_id": group.village_id,
            "commune_id": demo.commune.id,
            "device_id": device.id,
            "officer_id": officer_id,
        },
        "needles": {report_id, tracking, MARK},
        "forbidden": {household.name, group.name, group.code},
        "household_id": household.id,
        "group_id": group.id,
    }


def _get_operations(client: Any) -> list[str]:
    spec = client.get("/api/openapi.json").json
    return sorted(path for path, ops in spec["paths"].items() if path.startswith("/api/v1/officer") and "get" in ops)


@pytest.mark.parametrize("role", ["officer", "head", "admin"])
def test_no_officer_answer_links_the_tip_to_its_household(app, demo, sign_in, tip, role: str) -> None:
    who = {"officer": ("demo", "demo-officer"), "head": ("truongcongan", "demo-head"), "admin": ("admin", "demo-admin")}
    officer = sign_in(*who[role])
    urls = []
    for path in _get_operations(officer.client):
        names = re.findall(r"{(\w+)}", path)
        if all(name in tip["ids"] for name in names):
            urls.append(re.sub(r"{(\w+)}", lambda m: str(tip["ids"][m.group(1)]), path))
    urls += [
        f"/api/v1/officer/reports?q={MARK}",
        "/api/v1/officer/reports?kind=tip&per_page=200",
        f"/api/v1/officer/stats/export.csv?q={MARK}",
        "/api/v1/officer/audit?per_page=200",
        f"/api/v1/officer/audit?target_id={tip['ids']['report_id']}",
    ]
    mentioned = 0
    for url in urls:
        answer = officer.get(url)
        assert answer.status_code in (200, 403, 404), (url, answer.status_code)
        if answer.status_code != 200:
            continue
        if answer.mimetype == "application/json":
            for node in _objects(answer.json):
                if _mentions(node, tip["needles"]) or node.get("target_id") == tip["ids"]["report_id"]:
                    mentioned += 1
                    text = json.dumps(node, ensure_ascii=False)
                    assert not any(f in text for f in tip["forbidden"]), (url, node)
                    assert node.get("household") in (None, {}) and node.get("group") in (None, {}), (url, node)
                    assert node.get("household_id") in (None, ""), (url, node)
        elif answer.mimetype == "text/csv":
            for row in csv.reader(io.StringIO(answer.get_data(as_text=True))):
                if any(n in cell for n in tip["needles"] for cell in row):
                    mentioned += 1
                    assert not any(f in cell for f in tip["forbidden"] for cell in row), (url, row)
    assert mentioned >= 4, "the tip was found in the answers (list, detail, CSV, audit)"


def test_the_database_keeps_no_household_of_an_anonymous_tip(app, tip) -> None:
    report = db.session.get(Report, uuid.UUID(tip["ids"]["report_id"]))
    assert report.household_id is None
    for message in db.session.scalars(db.select(Message).where(Message.report_id == report.id)):
        assert getattr(message, "household_id", None) is None
    for event in db.session.scalars(db.select(AuditEvent)):
        if event.target_id == tip["ids"]["report_id"]:
            text = json.dumps(event.details, ensure_ascii=False)
            assert not any(f in text for f in tip["forbidden"]), event.details
            assert str(tip["household_id"]) not in re.findall(r"\d+", text), event.details
