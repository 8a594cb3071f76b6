"""An officer at the commune office, acting on reports while phones sync: the feed's writers in a fault run.

Officer calls go through the fault proxy but outside its faults (the office has a good link); the server may
still be down or killed mid-request, so every call retries until it gets an answer.
"""

from __future__ import annotations

import random
import threading

from tests.conftest import HttpOfficer


class Officer(HttpOfficer):
    """The shared ``HttpOfficer`` that waits out a server down or killed for up to a minute, and acts on reports."""

    def __init__(self, port: int, username: str, password: str) -> None:
        self.actions = 0
        super().__init__(port, username, password, retry_for=60)

    def group_ids(self) -> dict[str, int]:
        answer = self.request("GET", "/api/v1/officer/groups")
        assert answer.status_code == 200, answer.json
        return {group["code"]: group["id"] for group in answer.json}

    def enrolment_code(self, group_id: int) -> str:
        answer = self.request("POST", f"/api/v1/officer/groups/{group_id}/enrolment-codes")
        assert answer.status_code == 201, answer.json
        return str(answer.json["code"])

    def act_once(self, rng: random.Random) -> None:
        """Answer or move one of the newest reports: each action is a change some phone must receive."""
        answer = self.request("GET", f"/api/v1/officer/reports?per_page=30&sort={rng.choice(['newest', 'oldest'])}")
        assert answer.status_code == 200, answer.json
        if not answer.json["items"]:
            return
        report = rng.choice(answer.json["items"])
        if rng.random() < 0.5:
            path, body = f"/api/v1/officer/reports/{report['id']}/messages", {"body": "Xã đã nhận, sẽ cử người xuống."}
            if rng.random() < 0.2:
                body["internal"] = True  # a note: must never reach a phone
        else:
            status = rng.choice(["acknowledged", "in_progress", "resolved"])
            path, body = f"/api/v1/officer/reports/{report['id']}/status", {"status": status}
        result = self.request("POST", path, body)
        assert result.status_code in (200, 201, 409), result.json  # 409: a transition the workflow refuses
        self.actions += result.status_code != 409

    def work_until(self, stop: threading.Event, rng: random.Random) -> None:
        """Act every 50–200 ms until ``stop`` is set (a thread's target)."""
        while not stop.wait(rng.uniform(0.05, 0.2)):
            self.act_once(rng)
