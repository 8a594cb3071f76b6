"""An anonymous tip shows officers its village, never its household or group, anywhere."""

from __future__ import annotations

from server.audit.models import AuditEvent
from server.extensions import db
from tests.conftest import report_item
from tests.tips.tipster import Tipster


def test_anonymous_tip_names_no_household_in_any_officer_answer(phone, officer, demo):
    household = demo.household("DONG-01", 3)
    item = {"id": Tipster.of(phone).tip(body="Ổ cờ bạc ở nhà kho cuối thôn, tối nào cũng có.").id}
    officer.post(f"/api/v1/officer/reports/{item['id']}/messages", json={"body": "Cảm ơn, đã nhận tin."})
    answers = [
        officer.get("/api/v1/officer/reports").get_data(as_text=True),
        officer.get(f"/api/v1/officer/reports/{item['id']}").get_data(as_text=True),
        officer.post(f"/api/v1/officer/reports/{item['id']}/status", json={"status": "acknowledged"}).get_data(
            as_text=True
        ),
    ]
    group = demo.groups["DONG-01"]
    for text in answers:
        assert household.name not in text
        assert group.name not in text and group.code not in text
        assert "Thôn Đông" in text
    detail = officer.get(f"/api/v1/officer/reports/{item['id']}").json
    assert detail["household"] is None and detail["group"] is None
    audit = " ".join(str(e.details) + e.target_id for e in db.session.scalars(db.select(AuditEvent)))
    assert household.name not in audit and str(household.id) not in audit.split()


def test_named_report_shows_household_and_group(phone, officer, demo):
    household = demo.household("DONG-01", 1)
    item = report_item(household.id, kind="question", category=None, body="Đăng ký tạm trú cho cháu thế nào?")
    phone.sync([item])
    detail = officer.get(f"/api/v1/officer/reports/{item['id']}").json
    assert detail["household"] == {"id": household.id, "name": household.name}
    assert detail["group"]["code"] == "DONG-01"
