"""``/readyz`` of a real gunicorn (production config) while its dependencies are stopped one by one and come
back: a Redis of its own (stopped and started again), the attachment store (made unusable and repaired), its
own PostgreSQL database (dropped). ``/healthz`` stays 200 throughout: the process itself is fine.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.live import free_port
from tests.conftest import HttpClient
from tests.faults.server import CrashableServer, ThrowawayPostgres, server_env

pytestmark = pytest.mark.postgres


class PrivateRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout != b"PONG\n":
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[CrashableServer, PrivateRedis, ThrowawayPostgres]]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = PrivateRedis(free_port())
    database = ThrowawayPostgres(f"binhan_ready_{os.getpid()}")
    redis.start()
    env = server_env(tmp_path, database.create(), REDIS_URL=f"redis://127.0.0.1:{redis.port}/0")
    server = CrashableServer(env, tmp_path / "gunicorn.log", extra_args=("-c", "server/ops/gunicorn_conf.py"))
    try:
        with server.running():
            yield server, redis, database
    finally:
        redis.stop()
        database.drop()


def readiness(port: int) -> tuple[int, dict[str, Any]]:
    """The status and each check's verdict (HttpClient would turn the 503 into "retry later")."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/readyz")
        answer = conn.getresponse()
        body = json.loads(answer.read())
    finally:
        conn.close()
    return answer.status, {name: check["status"] for name, check in body["checks"].items()}


def test_readyz_follows_each_dependency(stack: tuple[CrashableServer, PrivateRedis, ThrowawayPostgres]) -> None:
    server, redis, database = stack
    port = server.port
    everything = {"database": "ok", "migrations": "ok", "redis": "ok", "attachments": "ok"}
    assert readiness(port) == (200, everything)

    redis.stop()
    assert readiness(port) == (503, {**everything, "redis": "fail"})
    assert HttpClient(port).get("/healthz").status_code == 200
    redis.start()
    assert readiness(port) == (200, everything)

    store = Path(server.env["ATTACHMENTS_DIR"])
    shutil.rmtree(store, ignore_errors=True)
    store.write_text("")  # a file where the directory should be: nothing can be stored
    assert readiness(port) == (503, {**everything, "attachments": "fail"})
    store.unlink()
    assert readiness(port) == (200, everything)

    database.drop()
    assert readiness(port) == (503, {**everything, "database": "fail", "migrations": "fail"})
    assert HttpClient(port).get("/healthz").status_code == 200
