"""Rate-limit counters in a small SQLite file: shared by every gunicorn worker of one machine without Redis.

With the ``memory://`` storage each worker counted on its own, so a limit of 10 enrolment tries a minute let
19 through with two workers. The embedded set-up now keeps the counters in ``instance/ratelimits.sqlite3``
(a file of its own, so that counting never waits on the application's database); ``REDIS_URL`` still wins
when set (several machines). Fixed windows only, which is what the app's limits use.

Registered with the ``limits`` package under the ``binhan-sqlite://`` scheme:
``binhan-sqlite:///abs/path/to/file.sqlite3``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from limits.storage import Storage

_SCHEMA = "CREATE TABLE IF NOT EXISTS counter (key TEXT PRIMARY KEY, hits INTEGER NOT NULL, expires REAL NOT NULL)"


class SQLiteFileStorage(Storage):
    STORAGE_SCHEME = ["binhan-sqlite"]  # noqa: RUF012 (the base class declares it a list)

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = (uri or "").split("://", 1)[1]
        self._local = threading.local()
        with self._connection() as conn:
            conn.execute(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread (sqlite3 connections are not shared across threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        conn = self._connection()
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT hits, expires FROM counter WHERE key = ?", (key,)).fetchone()
            hits = amount if row is None or row[1] <= now else row[0] + amount
            expires = now + expiry if row is None or row[1] <= now else row[1]
            conn.execute("INSERT OR REPLACE INTO counter (key, hits, expires) VALUES (?, ?, ?)", (key, hits, expires))
            if hash(key) % 64 == 0:  # now and then, forget windows long over
                conn.execute("DELETE FROM counter WHERE expires <= ?", (now,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(hits)

    def get(self, key: str) -> int:
        row = self._connection().execute("SELECT hits, expires FROM counter WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row and row[1] > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._connection().execute("SELECT expires FROM counter WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row and row[0] > time.time() else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return int(self._connection().execute("DELETE FROM counter").rowcount)

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counter WHERE key = ?", (key,))
