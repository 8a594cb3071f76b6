"""A production-like gunicorn for the security checks that need real processes: Redis-backed rate limits shared
by two workers, the access log on, and everything the server prints kept for grepping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.faults.server import CrashableServer, server_env

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")  # a database of its own


def limits_prefix() -> str:
    """A server's own RATELIMIT_KEY_PREFIX: the test servers of other workers share this Redis database, and
    clearing their counters must not reset this one's in the middle of a test."""
    return "test-" + uuid.uuid4().hex[:12]


def limit_keys(prefix: str) -> list[bytes]:
    """The Redis keys of the counters of the server started with ``RATELIMIT_KEY_PREFIX=prefix``."""
    store = redis.Redis.from_url(REDIS_URL)
    try:
        return list(store.scan_iter(f"LIMITS:*{prefix}*"))
    finally:
        store.close()


def clear_limits(prefix: str) -> None:
    """Forget a server's rate-limit counters (a run a minute ago, or another test, must not count against this)."""
    keys = limit_keys(prefix)
    if keys:
        store = redis.Redis.from_url(REDIS_URL)
        store.delete(*keys)
        store.close()


@pytest.fixture(scope="session")
def production_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrashableServer]:
    tmp: Path = tmp_path_factory.mktemp("production")
    env = server_env(tmp, REDIS_URL=REDIS_URL, RATELIMIT_ENABLED="1", RATELIMIT_KEY_PREFIX=limits_prefix())
    with CrashableServer(env, tmp / "gunicorn.log", extra_args=("--access-logfile", "-")).running() as server:
        yield server


@pytest.fixture
def production(production_server: CrashableServer) -> Iterator[CrashableServer]:
    """The production-like server, with its rate-limit counters cleared before and after the test."""
    clear_limits(production_server.env["RATELIMIT_KEY_PREFIX"])
    yield production_server
    clear_limits(production_server.env["RATELIMIT_KEY_PREFIX"])
