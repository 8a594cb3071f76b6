"""A throwaway gunicorn server for benchmarks: temp SQLite (or the PostgreSQL URL given), migrated and seeded.

Also the helpers every benchmark shares: throwaway PostgreSQL databases (created in the local server and
dropped afterwards, so a run never measures what an earlier run left behind), free ports, waiting for a
server to answer, writing the figures, and reading a process's memory from /proc.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "benchmarks" / "results"
# The local PostgreSQL (trust auth): throwaway databases are created from its admin database.
PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_ADMIN_URL", os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://127.0.0.1:5432/test")
)


ENROLMENT_CODES = """
from server.groups import operations
from wsgi import app
with app.app_context():
    for code in {groups!r}:
        print(operations.issue_enrolment_code(operations.find_group_by_code(code)))
"""


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    env: dict[str, str]
    pid: int = 0
    log: Path = field(default=Path("/dev/null"))
    access_log: Path = field(default=Path("/dev/null"))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def flask(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        return done.stdout

    def enrolment_code(self, group: str = "DONG-01") -> str:
        return self.enrolment_codes(group)[0]

    def enrolment_codes(self, *groups: str) -> list[str]:
        """One fresh code per group code, issued in one interpreter (``flask enrolment-code`` costs seconds)."""
        script = ENROLMENT_CODES.format(groups=list(groups))
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO_ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(f"issuing enrolment codes failed:\n{done.stderr[-3000:]}")
        return done.stdout.split()

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of the master)."""
        return children(self.pid)


ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(B)s"


def access_entries(log: Path, start: int = 0) -> list[tuple[str, str, int, int]]:
    """(method, path, status, body bytes) of the requests logged after byte ``start`` of the access log."""
    entries = []
    with open(log, "rb") as handle:
        handle.seek(start)
        for line in handle.read().decode(errors="replace").splitlines():
            method, path, status, size = line.split(" ")
            entries.append((method, path, int(status), 0 if size == "-" else int(size)))
    return entries


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    """Direct children of ``pid``, from /proc (no psutil needed)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return sorted(found)


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` (VmRSS in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@contextmanager
def pg_database(prefix: str = "bench") -> Iterator[str]:
    """A fresh, empty PostgreSQL database in the local server; dropped on exit. Yields its URL."""
    import psycopg  # the project's own driver; imported late so SQLite-only runs need no server

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def gunicorn(
    database_url: str | None = None,
    workers: int = 2,
    threads: int = 4,
    *,
    seed: bool = True,
    migrate: bool = True,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Start gunicorn on a free loopback port; stop it (and drop the temp data) on exit.

    The database is migrated to head and demo-seeded first, unless ``migrate`` is false (a benchmark that
    measures an older schema on purpose).
    """
    with tempfile.TemporaryDirectory(prefix="binhan-bench-") as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": database_url or f"sqlite:///{tmp}/bench.db",
            "ATTACHMENTS_DIR": f"{tmp}/attachments",
            "SECRET_KEY": "benchmark",
            "RATELIMIT_ENABLED": "0",
        }
        env.pop("REDIS_URL", None)
        env.update(extra_env or {})  # e.g. REDIS_URL for a benchmark that wants it
        server = Server("127.0.0.1", free_port(), env)
        if migrate:
            prepare(env, seed=seed)
        log_path = Path(tmp) / "gunicorn.log"
        bind = f"{server.host}:{server.port}"
        command = [sys.executable, "-m", "gunicorn", "--bind", bind, "-w", str(workers), "--threads", str(threads)]
        # Every request with its status and body bytes as sent (after compression): what left the server.
        access_log = Path(tmp) / "access.log"
        command += ["--access-logfile", str(access_log), "--access-logformat", ACCESS_FORMAT]
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [*command, "wsgi:app"],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_up(server.url + "/api/openapi.json", proc, log_path)
            yield Server(server.host, server.port, env, proc.pid, log_path, access_log)
        finally:
            stop(proc)


PREPARE = """
from flask_migrate import upgrade
from server.cli import seed_demo
from wsgi import app
with app.app_context():
    upgrade()
    if {seed}:
        seed_demo()
"""


def prepare(env: dict[str, str], *, seed: bool = True, root: Path = REPO_ROOT) -> None:
    """``flask db upgrade`` and ``flask seed-demo`` in one interpreter: each start costs seconds here.

    ``root`` is the source tree whose code and migrations run (another release's, for an upgrade test).
    """
    done = subprocess.run(
        [sys.executable, "-c", PREPARE.format(seed=seed)], cwd=root, env=env, capture_output=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"migrating or seeding failed:\n{done.stderr.decode(errors='replace')[-3000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (gunicorn's graceful stop), then SIGKILL if it lingers."""
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path | None = None, seconds: float = 60) -> None:
    """Poll ``url`` until it answers; fail early (with the log's tail) if the server process died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"server exited with {proc.returncode}\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {seconds:.0f} s")


def write_results(name: str, figures: dict[str, Any], out: str | None = None) -> Path:
    """Print the figures and keep them in benchmarks/results/<name>.json (or ``out``)."""
    path = Path(out) if out else RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(figures, indent=2, ensure_ascii=False, default=str)
    path.write_text(text + "\n")
    print(text)
    return path


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0 < fraction <= 1) of ``values``; 0.0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def machine() -> dict[str, Any]:
    """What the figures were taken on: cores, memory, load at the start (other work shares the machine)."""
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(int(meminfo[1]) / 1024 / 1024, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
    }


class BenchmarkError(RuntimeError):
    """A server answered something other than what the benchmark needs: its figures would be wrong."""


def check(condition: object, message: object) -> None:
    """Like ``assert``, but kept under ``python -O``: a benchmark must never print figures of a failed run."""
    if not condition:
        raise BenchmarkError(str(message))


class MemoryWatch(threading.Thread):
    """Samples the workers' RSS every ``interval`` seconds until stopped (an image bomb peaks in well under 0.5 s)."""

    def __init__(self, pids: list[int], interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.interval = interval
        self.start_rss = {pid: rss_bytes(pid) for pid in pids}
        self.peak = dict(self.start_rss)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_bytes(pid))

    def report(self) -> list[dict[str, float]]:
        mib = 1024 * 1024
        return [
            {
                "worker_pid": pid,
                "rss_start_mib": round(self.start_rss[pid] / mib, 1),
                "rss_peak_mib": round(self.peak[pid] / mib, 1),
                "rss_end_mib": round(rss_bytes(pid) / mib, 1),
            }
            for pid in self.pids
        ]
