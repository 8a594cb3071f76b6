"""One strange item must never block a phone's outbox: it is stored or rejected, and its batch goes through.

A sync request is all-or-nothing at the HTTP level: a 500 means "retry later", and the phone retries the same
batch, so an item the server chokes on (rather than rejects) would keep every item queued with it from ever
arriving. Hypothesis pushes report, follow-up and receipt items with the values a database refuses: NUL
characters (PostgreSQL text cannot hold them), lone UTF-16 surrogates (a JavaScript string cut in the middle of
an emoji), integers past 32 and 64 bits, dates that overflow when moved to UTC, next to a valid report.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.extensions import db
from tests.conftest import message_item, now_iso, receipt_item, report_item

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "20")) * 2

awkward_text = st.one_of(
    st.text(min_size=1, max_size=30),
    st.sampled_from(["xin\x00chào", "\x00", "a\ud800b", "\udfff", "😀"[:1] + "x", "e\u0301", " \t\n "]),
)
awkward_int = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([0, -1, 2**31, 2**63, 2**64]))
awkward_time = st.sampled_from(
    [
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "1970-01-01T00:00:00+00:00",
        "2099-01-01T00:00:00+07:00",
        "2024-02-30T00:00:00+07:00",
        "not a date",
    ]
)


@st.composite
def strange_item(draw: st.DrawFn, household: int, report: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["report", "message", "receipt"]))
    if kind == "report":
        item = report_item(household)
        field = draw(st.sampled_from(["body", "location", "household_id", "created_at", "appointment_at"]))
        value = {
            "body": awkward_text,
            "location": awkward_text,
            "household_id": awkward_int,
            "created_at": awkward_time,
            "appointment_at": awkward_time,
        }[field]
        item[field] = draw(value)
        if field == "appointment_at":
            item["kind"], item["category"] = "appointment", None
        return item
    if kind == "message":
        return message_item(report, draw(awkward_text), created_at=draw(st.one_of(awkward_time, st.just(now_iso()))))
    return receipt_item(str(uuid.uuid4()), "announcement", read_at=draw(awkward_time))


def test_a_strange_item_is_stored_or_rejected_and_never_blocks_its_batch(app, phone, demo) -> None:
    household = demo.household("DONG-01").id
    first = report_item(household)
    assert phone.sync([first]).json["results"][0]["status"] == "created"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def push(data: st.DataObject) -> None:
        strange = data.draw(strange_item(household, first["id"]))
        good = report_item(household)
        # As JSON.stringify sends it: lone surrogates escaped (the test client would try to encode them raw).
        body = json.dumps({"cursor": phone.cursor, "push": [strange, good]}, ensure_ascii=True)
        try:
            answer = phone.client.post(
                "/api/v1/sync", data=body, content_type="application/json", headers=phone.headers
            )
        finally:
            db.session.rollback()
        assert answer.status_code == 200, answer.json
        statuses = [r["status"] for r in answer.json["results"]]
        assert statuses[1] == "created", answer.json
        assert statuses[0] in ("created", "rejected"), answer.json

    push()


def test_a_value_the_database_refuses_rejects_that_item_only(app, phone, demo, monkeypatch) -> None:
    """Defence in depth, for refusals the schemas do not foresee: the item is rejected, the batch goes on."""
    from sqlalchemy.exc import DataError, OperationalError

    from server.reports import operations as reports

    real = reports.receive_report
    household = demo.household("DONG-01").id
    poison = report_item(household, body="the database refuses this one")

    def refusing(device: Any, data: dict[str, Any]) -> Any:
        if data["body"] == poison["body"]:
            raise DataError("INSERT ...", {}, ValueError("integer out of range"))
        return real(device, data)

    monkeypatch.setattr(reports, "receive_report", refusing)
    answer = phone.sync([poison, report_item(household)])
    assert answer.status_code == 200
    assert [r["status"] for r in answer.json["results"]] == ["rejected", "created"]
    assert answer.json["results"][0]["error"]["code"] == "validation_error"

    def database_down(device: Any, data: dict[str, Any]) -> Any:
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(reports, "receive_report", database_down)
    app.config["TEST_CATCH_ALL_ERRORS"] = True
    try:
        assert phone.sync([report_item(household)]).status_code == 500, "a failing database is 'retry later'"
    finally:
        app.config["TEST_CATCH_ALL_ERRORS"] = False
        db.session.rollback()
