"""The audit log as CSV for the head (issue 15): filtered like the list, newest first, formula-safe, audited."""

from __future__ import annotations

import csv
import io


def test_the_head_exports_the_audit_log_as_csv_and_the_export_is_audited(head, officer, phone):
    report_id = phone.send_report()
    officer.get(f"/api/v1/officer/reports/{report_id}")
    officer.post(f"/api/v1/officer/reports/{report_id}/status", json={"status": "rejected", "reason": "=1+1"})
    answer = head.get(f"/api/v1/officer/audit/export.csv?target_id={report_id}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["at", "officer", "device_id", "action", "target_type", "target_id", "details"]
    assert [r[3] for r in rows[1:]] == ["report.status_changed", "report.viewed"]
    assert rows[1][1] == "Cán bộ Nguyễn Minh Tuấn" and rows[1][5] == report_id
    assert '"reason": "=1+1"' in rows[1][6], "the details as JSON (no cell starts with the reason's '=')"
    listed = head.get("/api/v1/officer/audit?action=audit.exported").json["items"]
    assert listed[0]["details"]["filters"] == {"target_id": report_id}


def test_an_officer_who_is_not_a_head_cannot_export_it(officer):
    assert officer.get("/api/v1/officer/audit/export.csv").status_code == 403
