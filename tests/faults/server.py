"""A gunicorn server the fault tests can crash: SIGKILL to its whole process group, then start it again.

``benchmarks/live.py`` starts a server for a ``with`` block and stops it politely; a crash test needs the
opposite. Its helpers to migrate and seed in one interpreter, pick a free port and wait for readiness are
reused.
Master and workers share a process group (``start_new_session``), so one ``killpg`` takes them all at once,
mid-request, as a power cut or the OOM killer would. Each start takes a new free port (the fault proxy is
pointed at it, so clients keep one address across restarts), unless the server is given a ``port`` of its own
(behind nginx, whose upstream names fixed ports: tests/cluster).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from benchmarks.live import REPO_ROOT, free_port, prepare, wait_until_up

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://127.0.0.1:5432/test")


# Limits with room for a scripted run's pace: a phone here syncs and sends tips many times a minute.
RUN_PACE_LIMITS = {
    "DEVICE_SYNC_LIMIT": "100000 per minute",
    "DEVICE_UPLOAD_LIMIT": "100000 per minute",
    "TIP_TOKENS_PER_DAY": "100000",
    "TIP_SEND_LIMIT": "100000 per minute",
    "TIP_MAILBOX_LIMIT": "100000 per minute",
    "TIP_UPLOAD_LIMIT": "100000 per minute",
}


def server_env(tmp: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a throwaway server: its own database, attachments and log directory."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url or f"sqlite:///{tmp / 'app.db'}",
        "ATTACHMENTS_DIR": str(tmp / "attachments"),
        "SECRET_KEY": "fault-tests",
        "RATELIMIT_ENABLED": "0",
        "PWA_DIR": str(REPO_ROOT / "pwa"),
        **extra,
    }
    if "REDIS_URL" not in extra:
        env.pop("REDIS_URL", None)
    return env


class CrashableServer:
    """gunicorn (gthread workers, as in production) that the test kills with SIGKILL and starts again."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        workers: int = 2,
        threads: int = 4,
        extra_args: tuple[str, ...] = (),
        port: int = 0,
        root: Path = REPO_ROOT,
    ) -> None:
        self.env = env
        self.root = root  # the source tree it runs: another release's for an upgrade (tests/cluster)
        self.fixed_port = port
        self.extra_args = extra_args
        self.log_path = log_path
        self.workers = workers
        self.threads = threads
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.kills = 0

    def prepare(self) -> None:
        """Migrate and seed the demo data, as ``make run`` does (in one interpreter: each start costs seconds)."""
        prepare(self.env, root=self.root)

    @contextmanager
    def running(self) -> Iterator[CrashableServer]:
        """Prepared and started for a ``with`` block (a fixture's lifetime), stopped at its end."""
        self.prepare()
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def start(self) -> None:
        self.port = self.fixed_port or free_port()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                    "--graceful-timeout",
                    "2",
                    *self.extra_args,
                    "wsgi:app",
                ],
                cwd=self.root,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until_up(f"http://127.0.0.1:{self.port}/api/openapi.json", self.proc, self.log_path)

    def kill(self) -> None:
        """SIGKILL to master and workers at once: no request finishes, no cleanup runs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.kills += 1

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class ThrowawayPostgres:
    """A database of its own on the local PostgreSQL (trust auth), dropped at the end."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"binhan_faults_{os.getpid()}"
        self.url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.name

    def _admin(self, sql: str) -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create(self) -> str:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{self.name}"')
        return self.url

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
