"""The head manages villages, groups, households and phones; every household change reaches the group's phone."""

from __future__ import annotations

from server.audit.models import AuditEvent
from server.extensions import db
from tests.conftest import report_item

BASE = "/api/v1/officer"


def _group_changes(phone) -> list[dict]:
    return [c["group"] for c in phone.pull_all() if c["type"] == "group"]


def test_households_added_renamed_and_deactivated_reach_the_phone(head, phone) -> None:
    phone.pull_all()
    group_id = phone.group["id"]
    added = head.post(f"{BASE}/groups/{group_id}/households", json={"name": "Hộ ông Trịnh Văn Mới"})
    assert added.status_code == 201
    first = phone.group["households"][0]["id"]
    assert head.patch(f"{BASE}/households/{first}", json={"name": "Hộ bà Nguyễn Thị An"}).status_code == 200
    second = phone.group["households"][1]["id"]
    assert head.patch(f"{BASE}/households/{second}", json={"active": False}).status_code == 200
    latest = _group_changes(phone)[-1]
    names = [h["name"] for h in latest["households"]]
    assert "Hộ ông Trịnh Văn Mới" in names and "Hộ bà Nguyễn Thị An" in names
    assert second not in [h["id"] for h in latest["households"]]
    detail = head.get(f"{BASE}/groups/{group_id}").json
    assert [h["active"] for h in detail["households"] if h["id"] == second] == [False]
    assert detail["household_count"] == 6  # 6 seeded, one added, one deactivated


def test_a_deactivated_household_can_no_longer_send(head, phone) -> None:
    household = phone.group["households"][0]["id"]
    head.patch(f"{BASE}/households/{household}", json={"active": False})
    result = phone.sync([report_item(household)]).json["results"][0]
    assert result["status"] == "rejected" and result["error"]["code"] == "unknown_household"


def test_renaming_a_village_or_group_updates_the_phone(head, phone) -> None:
    phone.pull_all()
    village_id = phone.group["village"]["id"]
    assert head.patch(f"{BASE}/villages/{village_id}", json={"name": "Thôn Đông Mới"}).status_code == 200
    assert head.patch(f"{BASE}/groups/{phone.group['id']}", json={"name": "Tổ 1 mới"}).status_code == 200
    latest = _group_changes(phone)[-1]
    assert latest["village"]["name"] == "Thôn Đông Mới" and latest["name"] == "Tổ 1 mới"
    clash = head.patch(f"{BASE}/villages/{village_id}", json={"name": "Thôn Tây"})
    assert clash.status_code == 409


def test_new_village_and_group_then_a_phone_enrols_with_the_issued_code(head, client) -> None:
    village = head.post(f"{BASE}/villages", json={"name": "Thôn Nam"}).json
    group = head.post(f"{BASE}/groups", json={"village_id": village["id"], "code": "nam-01", "name": "Tổ 1 — Thôn Nam"})
    assert group.status_code == 201 and group.json["code"] == "NAM-01"
    group_id = group.json["id"]
    head.post(f"{BASE}/groups/{group_id}/households", json={"name": "Hộ ông Lý Văn Năm"})
    issued = head.post(f"{BASE}/groups/{group_id}/enrolment-codes")
    assert issued.status_code == 201
    assert issued.json["group"]["code"] == "NAM-01" and issued.json["expires_at"]
    enrolled = client.post("/api/v1/enrol", json={"code": issued.json["code"]})
    assert enrolled.status_code == 201
    assert [h["name"] for h in enrolled.json["group"]["households"]] == ["Hộ ông Lý Văn Năm"]
    again = {"village_id": village["id"], "code": "NAM-01", "name": "x"}
    assert head.post(f"{BASE}/groups", json=again).status_code == 409


def test_revoking_a_lost_phone_stops_it_at_once(head, phone) -> None:
    assert phone.sync().status_code == 200
    group = head.get(f"{BASE}/groups/{phone.group['id']}").json
    [device] = group["devices"]
    assert device["last_seen_at"] is not None and device["revoked_at"] is None
    assert group["device_count"] == 1 and group["last_seen_at"] is not None
    revoked = head.post(f"{BASE}/devices/{device['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    refused = phone.sync()
    assert refused.status_code == 401 and refused.json["error"]["code"] == "device_revoked"
    assert head.get(f"{BASE}/groups/{phone.group['id']}").json["device_count"] == 0
    action = db.session.scalar(db.select(AuditEvent.action).where(AuditEvent.action == "device.revoked"))
    assert action == "device.revoked"


def test_groups_list_shows_counts_and_filters_by_village(head, phone, enrol_phone) -> None:
    groups = {g["code"]: g for g in head.get(f"{BASE}/groups").json}
    assert set(groups) == {"DONG-01", "DONG-02", "TAY-01", "BAC-01"}
    assert groups["BAC-01"]["household_count"] == 10
    assert groups["DONG-01"]["device_count"] == 1
    village = groups["TAY-01"]["village"]["id"]
    assert [g["code"] for g in head.get(f"{BASE}/groups?village_id={village}").json] == ["TAY-01"]


def test_admin_creates_a_commune_with_its_villages(admin) -> None:
    body = {"code": "tanlap", "name": "Xã Tân Lập", "village_names": ["Thôn 1", "Thôn 2", "Thôn 1"]}
    created = admin.post(f"{BASE}/communes", json=body)
    assert created.status_code == 201
    assert created.json["code"] == "TANLAP"
    assert [v["name"] for v in created.json["villages"]] == ["Thôn 1", "Thôn 2"]
    assert admin.post(f"{BASE}/communes", json={"code": "TANLAP", "name": "x"}).status_code == 409
    assert {c["code"] for c in admin.get(f"{BASE}/communes").json} == {"BINHAN", "TANLAP"}


def test_head_reads_the_audit_log_filtered_and_paged(head, officer, phone, other_commune, enrol_phone) -> None:
    report_id = phone.send_report()
    for _ in range(3):
        officer.get(f"{BASE}/reports/{report_id}")
    other = enrol_phone("NAM-01")
    other.send_report()
    viewed = head.get(f"{BASE}/audit?action=report.viewed&target_id={report_id}&per_page=2").json
    assert viewed["total"] == 3 and len(viewed["items"]) == 2
    assert viewed["items"][0]["officer_name"] == "Cán bộ Nguyễn Minh Tuấn"
    assert viewed["items"][0]["target_type"] == "report"
    everything = head.get(f"{BASE}/audit?per_page=200").json["items"]
    assert "device.enrolled" in {e["action"] for e in everything}
    assert all(e["target_id"] != str(other.group["id"]) or e["target_type"] != "group" for e in everything)
    assert officer.get(f"{BASE}/audit").status_code == 403
