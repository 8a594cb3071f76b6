"""A production-like gunicorn for the security checks that need real processes: Redis-backed rate limits shared
by two workers, the access log on, and everything the server prints kept for grepping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.faults.server import CrashableServer, server_env

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")  # a database of its own


def clear_limits() -> None:
    """Forget the rate-limit counters (a run a minute ago, or another test, must not count against this one)."""
    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter("LIMITS:LIMITER*"):
        store.delete(key)
    store.close()


@pytest.fixture(scope="session")
def production_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrashableServer]:
    tmp: Path = tmp_path_factory.mktemp("production")
    env = server_env(tmp, REDIS_URL=REDIS_URL, RATELIMIT_ENABLED="1")
    with CrashableServer(env, tmp / "gunicorn.log", extra_args=("--access-logfile", "-")).running() as server:
        yield server


@pytest.fixture
def production(production_server: CrashableServer) -> Iterator[CrashableServer]:
    """The production-like server, with its rate-limit counters cleared before and after the test."""
    clear_limits()
    yield production_server
    clear_limits()
