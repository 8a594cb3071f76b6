"""Without Redis the rate limits are shared by every gunicorn worker (a SQLite file), not counted per process.

Before: against a fresh ``make run`` (2 workers, no REDIS_URL, in-memory counters) 19 enrolment tries got
through in a minute against a limit of 10. Now the 11th try within the minute is 429 with Retry-After,
whichever worker answers it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.server import CrashableServer, server_env


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrashableServer]:
    """gunicorn, 2 workers, no REDIS_URL, limits on: the embedded set-up as ``make run`` starts it."""
    tmp: Path = tmp_path_factory.mktemp("embedded")
    env = server_env(tmp, RATELIMIT_ENABLED="1", RATELIMIT_STORAGE_URI=f"binhan-sqlite://{tmp / 'limits.sqlite3'}")
    server = CrashableServer(env, tmp / "gunicorn.log", workers=2, threads=2)
    server.prepare()
    server.start()
    yield server
    server.stop()


def _enrol(server: CrashableServer) -> tuple[int, dict[str, str], dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/api/v1/enrol",
        data=json.dumps({"code": "AAAA-BBBB-CCCC"}).encode(),
        headers={"Content-Type": "application/json", "Connection": "close"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_the_enrolment_limit_holds_across_workers_without_redis(embedded_server: CrashableServer) -> None:
    answers = [_enrol(embedded_server) for _ in range(19)]
    statuses = [status for status, _headers, _body in answers]
    assert statuses[:10] == [404] * 10
    assert statuses[10:] == [429] * 9, statuses
    _status, headers, body = answers[-1]
    assert body["error"]["code"] == "rate_limited"
    assert int(headers["Retry-After"]) > 0
