"""Enrolment through a network that loses the answer: the one step a villager must do online, with a code from
the commune office, must survive a lost answer like every other call.

Today the server spends the one-time code, the answer (with the only copy of the device token) is lost, and the
phone's retry gets 410 ``enrolment_code_used``: the household must go back to the commune office for a new code.
(The test sends the proposed ``request_id``; today's server refuses it as an unknown field, and without it
answers 410.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .device import RetryLater, call
from .officer import Officer
from .proxy import FaultPlan, FaultProxy
from .server import CrashableServer, server_env


@pytest.fixture
def enrolment_proxy(tmp_path: Path, seed: int) -> Iterator[FaultProxy]:
    server = CrashableServer(server_env(tmp_path), tmp_path / "gunicorn.log", workers=1)
    server.prepare()
    server.start()
    lost: list[int] = []

    def first_enrolment_only(method: str, path: str) -> bool:
        if path == "/api/v1/enrol" and not lost:
            lost.append(1)
            return True
        return False

    proxy = FaultProxy(server.port, seed, FaultPlan(drop_after=1.0, applies=first_enrolment_only)).start()
    yield proxy
    proxy.stop()
    server.stop()


@pytest.mark.xfail(
    strict=True,
    reason="enrolment is not idempotent: a retry after a lost answer gets 410 enrolment_code_used and the phone "
    "needs a new code from the commune office. Proposed (server/groups + pwa/js/sync.js enrol): the phone sends a "
    "random request_id with the code; a retry with the same code and request_id within a few minutes re-issues "
    "a token for the device that request created (the lost token is replaced), anything else stays 410.",
)
def test_a_lost_enrolment_answer_can_be_retried(enrolment_proxy: FaultProxy) -> None:
    head = Officer(enrolment_proxy.port, "truongcongan", "demo-head")
    code = head.enrolment_code(head.group_ids()["DONG-01"])
    body = {"code": code, "request_id": "0f5c6a1e-7a43-4f4e-9a59-2d1b8f0b6c11"}
    with pytest.raises(RetryLater):  # the server enrolled the phone; the answer never came back
        call(enrolment_proxy.port, "POST", "/api/v1/enrol", json_body=body)
    assert enrolment_proxy.faults()["drop_after"] == 1
    retry = call(enrolment_proxy.port, "POST", "/api/v1/enrol", json_body=body, retry_statuses=())
    assert retry.status == 201, retry.body
