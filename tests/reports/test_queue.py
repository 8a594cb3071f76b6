"""The officers' queue: filters, tone-less search, sorting, paging, and what stands out (urgent, waiting long)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from server.database import utcnow
from server.extensions import db
from server.reports.models import Report
from server.reports.search import fold
from tests.tips.tipster import Tipster

QUEUE = "/api/v1/officer/reports"


def _age(report_id: str, hours: float) -> None:
    """Pretend the report arrived ``hours`` ago."""
    report = db.session.get(Report, uuid.UUID(report_id))
    report.received_at = utcnow() - timedelta(hours=hours)
    db.session.commit()


def _ids(officer, query: str = "") -> list[str]:
    response = officer.get(QUEUE + query)
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_fold_strips_tones_and_the_crossed_d() -> None:
    assert fold("Trộm GÀ ở Thôn Đông") == "trom ga o thon dong"
    assert fold("  nhiều   khoảng  trắng ") == "nhieu khoang trang"


def test_each_item_shows_village_group_and_household_unless_anonymous(officer, phone) -> None:
    named = phone.send_report()
    hidden = Tipster.of(phone).tip().id
    items = {item["id"]: item for item in officer.get(QUEUE).json["items"]}
    assert items[named]["village"]["name"] == "Thôn Đông"
    assert items[named]["group"]["code"] == "DONG-01"
    assert items[named]["household"]["name"] == "Hộ ông Nguyễn Văn An"
    assert items[hidden]["village"]["name"] == "Thôn Đông"
    assert items[hidden]["group"] is None and items[hidden]["household"] is None


def test_search_finds_text_typed_without_tones(officer, phone) -> None:
    theft = phone.send_report(body="Mất trộm gà đêm qua")
    drugs = phone.send_report(category="drugs", body="Có người bán ma tuý ở bãi sông", location="Bến đò")
    assert _ids(officer, "?q=trom%20ga") == [theft]
    assert _ids(officer, "?q=MA%20TU%C3%9D") == [drugs]  # "MA TUÝ", upper case with a tone
    assert _ids(officer, "?q=ben%20do") == [drugs]  # the location is searched too
    code = officer.get(QUEUE).json["items"][0]["tracking_code"]
    assert len(_ids(officer, f"?q={code.lower()}")) == 1
    assert _ids(officer, "?q=100%25") == []  # a typed % is a character, not a wildcard


def test_filters_combine(officer, phone, enrol_phone) -> None:
    west = enrol_phone("TAY-01")
    theft = phone.send_report()
    urgent_drugs = phone.send_report(category="drugs", urgency="urgent")
    question = west.send_report(kind="question", category=None, body="Làm lại căn cước thì cần giấy tờ gì?")
    village_west = west.group["village"]["id"]
    assert set(_ids(officer, "?kind=tip")) == {theft, urgent_drugs}
    assert _ids(officer, "?category=drugs") == [urgent_drugs]
    assert _ids(officer, "?urgency=urgent") == [urgent_drugs]
    assert _ids(officer, f"?village_id={village_west}") == [question]
    assert _ids(officer, f"?kind=tip&village_id={village_west}") == []
    officer.post(f"{QUEUE}/{theft}/status", json={"status": "resolved"})
    assert set(_ids(officer, "?status=new")) == {urgent_drugs, question}
    assert set(_ids(officer, "?status=new&status=resolved")) == {theft, urgent_drugs, question}
    assert theft not in _ids(officer, "?open=true")
    assert officer.get(QUEUE + "?status=lost").status_code == 422


def test_date_range_uses_the_commune_days(officer, phone) -> None:
    old = phone.send_report()
    recent = phone.send_report()
    _age(old, 24 * 10)
    today = utcnow() + timedelta(hours=7)  # Vietnam
    since = (today - timedelta(days=2)).date().isoformat()
    assert _ids(officer, f"?date_from={since}") == [recent]
    until = (today - timedelta(days=5)).date().isoformat()
    assert _ids(officer, f"?date_to={until}") == [old]


def test_waiting_sort_puts_unanswered_urgent_and_old_first(officer, phone) -> None:
    answered = phone.send_report()
    old = phone.send_report()
    urgent = phone.send_report(urgency="urgent")
    newest = phone.send_report()
    _age(answered, 50)
    _age(old, 30)
    _age(urgent, 1)
    officer.post(f"{QUEUE}/{answered}/messages", json={"body": "Công an xã đã nhận tin."})
    assert _ids(officer, "?sort=waiting") == [urgent, old, newest, answered]
    assert _ids(officer, "?sort=newest") == [newest, urgent, old, answered]
    assert _ids(officer, "?unanswered=true&sort=oldest") == [old, urgent, newest]


def test_urgent_and_long_unanswered_reports_stand_out(officer, phone) -> None:
    waiting = phone.send_report()
    fresh = phone.send_report()
    urgent = phone.send_report(urgency="urgent")
    _age(waiting, 25)
    _age(urgent, 3)
    items = {item["id"]: item for item in officer.get(QUEUE).json["items"]}
    assert items[waiting]["overdue"] and items[urgent]["overdue"]
    assert not items[fresh]["overdue"]
    assert items[waiting]["first_response_at"] is None
    officer.post(f"{QUEUE}/{waiting}/status", json={"status": "acknowledged"})
    item = next(i for i in officer.get(QUEUE).json["items"] if i["id"] == waiting)
    assert item["overdue"] is False and item["first_response_at"] is not None


def test_paging_and_assignee_filter(officer, head, phone) -> None:
    ids = [phone.send_report() for _ in range(5)]
    first = officer.get(QUEUE + "?per_page=2&page=1").json
    third = officer.get(QUEUE + "?per_page=2&page=3").json
    assert first["total"] == 5 and len(first["items"]) == 2 and len(third["items"]) == 1
    me = officer.get("/api/v1/officer/me").json["officer"]["id"]
    assert head.post(f"{QUEUE}/{ids[0]}/assign", json={"officer_id": me}).status_code == 200
    assert _ids(officer, "?assignee=me") == [ids[0]]
    assert ids[0] not in _ids(officer, "?assignee=none")
    assert _ids(head, f"?assignee={me}") == [ids[0]]
    assert officer.get(QUEUE + "?assignee=everyone").status_code == 422


def test_another_communes_reports_never_show(officer, other_commune, enrol_phone, phone) -> None:
    mine = phone.send_report()
    enrol_phone("NAM-01").send_report()
    assert _ids(officer) == [mine]
    assert officer.get(QUEUE).json["total"] == 1
