"""CR/LF and other control characters are refused in every name field, and a stored bad name never fails a request.

Before: an announcement file named ``don\\r\\n.pdf`` was accepted and every later download of it answered 500
(a header cannot carry a line break); the phones read the 500 as "retry later" and backed off everything to
30 minutes. Now every one-line name (file names, announcement titles, officer, commune, village, group and
household names) refuses control, format and line-separator characters with 422 ``validation_error`` naming
the field, nothing stored; a name already stored with one is served with it turned into a space.
"""

from __future__ import annotations

import pytest

from server.announcements import operations as announcements
from server.attachments.models import Attachment
from server.communes.models import Commune, Village
from server.extensions import db
from server.groups.models import Device, Household, HouseholdGroup
from server.officers.models import Officer
from tests.conftest import PDF

BASE = "/api/v1/officer"
HOSTILE = ["Thôn\r\nSet-Cookie: x=1", "Tổ\n2", "Hộ\x00", "tab\there", "don\u202egpj.exe", "a\u2028b", "esc\x1b[31m"]


def _head(sign_in):
    return sign_in("truongcongan", "demo-head")


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.query(model).count() for model in (Attachment, Village, HouseholdGroup, Household, Officer, Commune)
    )


def _assert_refused(answer, field: str) -> None:
    assert answer.status_code == 422, answer.get_json()
    assert answer.json["error"]["code"] == "validation_error"
    assert field in answer.json["error"]["fields"]


@pytest.mark.parametrize("bad", HOSTILE)
def test_an_announcement_file_name_with_a_control_character_is_refused(app, demo, sign_in, bad: str) -> None:
    head = _head(sign_in)
    draft = announcements.create(demo.commune.id, None, "Mẫu đơn", "Tải về và điền", [])
    before = _counts()
    url = f"{BASE}/announcements/{draft.id}/files"
    answer = head.request("POST", url, query_string={"name": bad}, data=PDF, content_type="application/pdf")
    _assert_refused(answer, "name")
    assert _counts() == before


def _name_requests(demo) -> list[tuple[str, str, str, dict]]:
    group = demo.groups["DONG-01"]
    draft = announcements.create(demo.commune.id, None, "Mẫu đơn", "Nội dung", [])
    return [
        ("POST", f"{BASE}/villages", "name", {}),
        ("PATCH", f"{BASE}/villages/{group.village_id}", "name", {}),
        ("POST", f"{BASE}/groups", "name", {"village_id": group.village_id, "code": "MOI-01"}),
        ("PATCH", f"{BASE}/groups/{group.id}", "name", {}),
        ("POST", f"{BASE}/groups/{group.id}/households", "name", {}),
        ("PATCH", f"{BASE}/households/{group.households[0].id}", "name", {}),
        ("POST", f"{BASE}/announcements", "title", {"body": "Nội dung"}),
        ("PATCH", f"{BASE}/announcements/{draft.id}", "title", {}),
        ("POST", f"{BASE}/officers", "display_name", {"username": "moi", "password": "a-long-password"}),
    ]


@pytest.mark.parametrize("bad", ["Thôn\r\nĐông", "Tổ\t3", "x\u202ey"])
def test_every_name_field_refuses_control_characters_and_changes_nothing(app, demo, sign_in, bad: str) -> None:
    head = _head(sign_in)
    for method, url, field, rest in _name_requests(demo):
        before = _counts()
        names_before = sorted(db.session.scalars(db.select(Village.name)))
        answer = head.request(method, url, json={**rest, field: bad})
        _assert_refused(answer, field)
        db.session.expire_all()
        assert _counts() == before, url
        assert sorted(db.session.scalars(db.select(Village.name))) == names_before


def test_admin_commune_names_refuse_control_characters(app, demo, sign_in) -> None:
    admin = sign_in("admin", "demo-admin")
    answer = admin.request("POST", f"{BASE}/communes", json={"code": "MOI", "name": "Xã\r\nMới"})
    _assert_refused(answer, "name")
    answer = admin.request(
        "POST", f"{BASE}/communes", json={"code": "MOI", "name": "Xã Mới", "village_names": ["a\nb"]}
    )
    _assert_refused(answer, "village_names")
    answer = admin.request("PATCH", f"{BASE}/communes/{demo.commune.id}", json={"name": "Xã\x07"})
    _assert_refused(answer, "name")


def test_vietnamese_names_with_diacritics_still_pass(app, demo, sign_in) -> None:
    head = _head(sign_in)
    answer = head.request("POST", f"{BASE}/villages", json={"name": "Thôn Hạ Đoài — xóm Giữa"})
    assert answer.status_code == 201, answer.json
    assert answer.json["name"] == "Thôn Hạ Đoài — xóm Giữa"


def _stored_bad_file(demo) -> tuple[str, str]:
    """An announcement with a file whose name was stored before names were checked."""
    published = announcements.create(demo.commune.id, None, "Mẫu đơn", "Tải về", [])
    file = announcements.add_file(published, None, "ok.pdf", "application/pdf", PDF)
    file.filename = "don\r\nSet-Cookie: x=1.pdf"
    db.session.commit()
    announcements.publish(published, None)
    return str(published.id), str(file.id)


def test_a_stored_file_name_with_cr_lf_is_served_not_500_to_phones(app, demo, phone) -> None:
    announcement_id, file_id = _stored_bad_file(demo)
    changes = phone.pull_all()
    assert any(c["type"] == "announcement" for c in changes)
    answer = phone.client.get(
        f"/api/v1/announcements/{announcement_id}/files/{file_id}", headers=phone.headers, buffered=True
    )
    assert answer.status_code == 200
    assert answer.data == PDF
    disposition = answer.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "don" in disposition
    assert "Set-Cookie" not in {name for name, _ in answer.headers if name.lower() != "content-disposition"}
    assert phone.sync().status_code == 200, "the phone's other changes still flow"


def test_a_stored_file_name_with_cr_lf_is_served_to_officers(app, demo, officer) -> None:
    _announcement_id, file_id = _stored_bad_file(demo)
    answer = officer.get(f"{BASE}/attachments/{file_id}")
    assert answer.status_code == 200
    assert "\n" not in answer.headers["Content-Disposition"]


def test_a_phone_label_with_control_characters_is_cleaned_not_refused(app, demo) -> None:
    from server.groups import operations as groups

    code = groups.issue_enrolment_code(groups.find_group_by_code("DONG-01"))
    answer = app.test_client().post("/api/v1/enrol", json={"code": code, "label": "Điện thoại\r\ncủa tổ"})
    assert answer.status_code == 201
    assert db.session.scalar(db.select(Device.label)) == "Điện thoại của tổ"
