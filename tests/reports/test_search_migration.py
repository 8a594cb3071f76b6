"""Migration 0002 fills the folded search text of reports that were stored before it existed."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from server.extensions import db


def test_upgrade_fills_the_search_text_of_existing_reports(sign_in, phone) -> None:
    report_id = phone.send_report(body="Nghi có đường dây đánh bạc ở Đồi Thông", location="Xóm Đình")
    db.session.remove()
    downgrade(revision="0001")
    assert "search_text" not in {c["name"] for c in inspect(db.engine).get_columns("report")}
    upgrade()
    stored = db.session.scalar(text("SELECT search_text FROM report"))
    assert "danh bac o doi thong xom dinh" in stored
    officer = sign_in()  # after the round trip: going down to 0001 drops the officer_session table too
    found = officer.get("/api/v1/officer/reports?q=DOI%20THONG").json["items"]
    assert [item["id"] for item in found] == [report_id]
