"""Values the database refuses, sent to the console's endpoints, answer 4xx (the request is wrong), never 500.

Found by the schemathesis run (tests/fuzz/test_api_fuzz.py): a 20-digit id or a NUL character reached SQLite
(``OverflowError``) or PostgreSQL (``integer out of range``, ``text fields cannot contain NUL``) and came back
as a 500, which tells a client to send the same request again later, forever.
"""

from __future__ import annotations

import pytest

from tests.conftest import report_item

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/v1/officer/reports?q=a%00b", None),
        ("GET", f"/api/v1/officer/reports?village_id={HUGE}", None),
        ("GET", f"/api/v1/officer/groups?village_id={HUGE}", None),
        ("GET", f"/api/v1/officer/groups/{HUGE}", None),
        ("GET", f"/api/v1/officer/audit?officer_id={HUGE}", None),
        ("POST", "/api/v1/officer/announcements", {"title": "T", "body": "B", "village_ids": [int(HUGE)]}),
        ("POST", "/api/v1/officer/villages", {"name": "Thôn\x00Mới"}),
        ("POST", "/api/v1/officer/reports/{report}/messages", {"body": "Đã nhận\x00"}),
        ("POST", "/api/v1/officer/reports/{report}/assign", {"officer_id": int(HUGE)}),
    ],
)
def test_a_value_the_database_refuses_is_a_client_error(app, sign_in, phone, demo, method, url, body) -> None:
    item = report_item(demo.household("DONG-01").id)
    phone.sync([item])
    head = sign_in("truongcongan", "demo-head")
    url = url.replace("{report}", item["id"])
    answer = head.get(url) if method == "GET" else head.post(url, json=body)
    assert answer.status_code < 500, answer.json
    if answer.status_code >= 400:
        assert set(answer.json) == {"error"} and answer.json["error"]["code"]
