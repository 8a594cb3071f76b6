"""Enrolment through a network that loses the answer: the one step a villager must do online, with a code from
the commune office, must survive a lost answer like every other call.

The server spends the one-time code and the answer (with the only copy of the device token) is lost. The phone
sent a random ``request_id`` with the code, so its retry gets a fresh token for the same device instead of 410
``enrolment_code_used`` (which would send the household back to the commune office for a new code).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import HttpClient, RetryLater

from .officer import Officer
from .proxy import FaultPlan, FaultProxy
from .server import CrashableServer, server_env


@pytest.fixture
def enrolment_proxy(tmp_path: Path, seed: int) -> Iterator[FaultProxy]:
    lost: list[int] = []

    def first_enrolment_only(method: str, path: str) -> bool:
        if path == "/api/v1/enrol" and not lost:
            lost.append(1)
            return True
        return False

    with CrashableServer(server_env(tmp_path), tmp_path / "gunicorn.log", workers=1).running() as server:
        proxy = FaultProxy(server.port, seed, FaultPlan(drop_after=1.0, applies=first_enrolment_only)).start()
        yield proxy
        proxy.stop()


def test_a_lost_enrolment_answer_can_be_retried(enrolment_proxy: FaultProxy) -> None:
    head = Officer(enrolment_proxy.port, "truongcongan", "demo-head")
    code = head.enrolment_code(head.group_ids()["DONG-01"])
    api = HttpClient(enrolment_proxy.port)
    body = {"code": code, "request_id": "0f5c6a1e-7a43-4f4e-9a59-2d1b8f0b6c11"}
    with pytest.raises(RetryLater):  # the server enrolled the phone; the answer never came back
        api.post("/api/v1/enrol", json=body)
    assert enrolment_proxy.faults()["drop_after"] == 1
    retry = api.post("/api/v1/enrol", json=body, retry_statuses=())
    assert retry.status_code == 201, retry.json
    assert retry.json["group"]["code"] == "DONG-01"
    auth = {"Authorization": f"Bearer {retry.json['device_token']}"}
    synced = api.post("/api/v1/sync", json={"cursor": None, "push": []}, headers=auth)
    assert synced.status_code == 200
    groups = {group["code"]: group for group in head.request("GET", "/api/v1/officer/groups").json}
    assert groups["DONG-01"]["device_count"] == 1, "the retry re-issued the lost token, not a second phone"
    stranger = api.post("/api/v1/enrol", json={"code": code}, retry_statuses=())
    assert stranger.status_code == 410, "without the phone's request_id the spent code stays spent"
