"""Tokens, codes and passwords never reach the logs: everything gunicorn and the app print during a run is kept
(access log on, as in production) and searched for every secret that went over the wire.

Secrets travel in headers (device token, session cookie, CSRF token) and JSON bodies (passwords, enrolment
codes); a log line that quoted a request's headers, its body, or a failed statement's parameters would leak
them. Failures are exercised too (wrong password, unknown token, a value the database refuses), since error
paths are where request details tend to get logged.
"""

from __future__ import annotations

import random
import time

from tests.conftest import HttpClient
from tests.faults.device import OutboxPhone
from tests.faults.officer import Officer
from tests.faults.server import CrashableServer

SECRETS_NEEDED = ("device token", "enrolment code", "session", "csrf", "password", "wrong password")


def test_no_secret_in_the_logs(production: CrashableServer) -> None:
    port = production.port
    secrets: dict[str, str] = {}

    wrong = HttpClient(port).request(
        "POST",
        "/api/v1/officer/login",
        json={"username": "demo", "password": "Wr0ng-Secret-42"},
        retry_statuses=(),
    )
    assert wrong.status_code in (401, 429)
    secrets["wrong password"] = "Wr0ng-Secret-42"

    head = Officer(port, "truongcongan", "demo-head")
    secrets["password"] = "demo-head"
    secrets["session"] = head.cookie.split("=", 1)[1]
    secrets["csrf"] = head.csrf
    code = head.enrolment_code(head.group_ids()["DONG-01"])
    secrets["enrolment code"] = code
    secrets["enrolment code, as typed"] = code.replace("-", "")

    phone = OutboxPhone.enrol(HttpClient(port), code.lower(), name="log test", rng=random.Random(1))
    secrets["device token"] = phone.token
    phone.write_report("nhật ký", photo_count=1)
    phone.run(time.monotonic() + 60)

    bogus = HttpClient(port).request(
        "POST",
        "/api/v1/sync",
        json={"push": []},
        headers={"Authorization": "Bearer bat_NotARealTokenButSecretLooking123"},
        retry_statuses=(),
    )
    assert bogus.status_code == 401
    secrets["unknown token"] = "bat_NotARealTokenButSecretLooking123"

    refused = head.request("GET", "/api/v1/officer/reports?village_id=99999999999999999999")
    assert refused.status_code == 422

    new_password = "Mat-khau-moi-" + "".join(random.choices("abcdefghjk", k=8))
    changed = head.request(
        "POST", "/api/v1/officer/me/password", {"current_password": "demo-head", "new_password": new_password}
    )
    assert changed.status_code == 204, changed.json
    head.cookie = changed.headers["set-cookie"].split(";", 1)[0]  # the session stays, with a new version
    secrets["new password"] = new_password
    created_password = "Can-bo-moi-" + "".join(random.choices("mnpqrstvwx", k=8))
    created = head.request(
        "POST",
        "/api/v1/officer/officers",
        {"username": "canbomoi", "display_name": "Cán bộ mới", "password": created_password},
    )
    assert created.status_code == 201, created.json
    secrets["created officer's password"] = created_password
    reset_password = "Dat-lai-" + "".join(random.choices("bcdfghjklm", k=8))
    reset = head.request(
        "POST", f"/api/v1/officer/officers/{created.json['id']}/password", {"new_password": reset_password}
    )
    assert reset.status_code == 204, reset.json
    secrets["reset password"] = reset_password

    log = production.log()
    assert '"POST /api/v1/sync HTTP/1.1" 200' in log, "the access log was captured"
    assert "server.sync.operations: sync pushed=" in log, "the app's own log was captured"
    assert "value refused by the database" in log, "an error path was logged"
    assert set(SECRETS_NEEDED) <= set(secrets)
    leaked = {name for name, value in secrets.items() if value in log}
    assert not leaked, f"found in the server's output: {sorted(leaked)}"
