"""Kinto (Mozilla's offline-first JSON sync server) in a virtual environment of its own, for comparison.

Kinto is never installed into the project's environment: ``ensure_venv`` creates ``benchmarks/.kinto-venv``
(git-ignored) and installs ``kinto[postgresql]`` and gunicorn there with pip. ``kinto`` then runs under the
same gunicorn settings as Bình An (workers × threads) on a throwaway PostgreSQL database, with basic auth
(Kinto's own scheme for a device: any user and password, turned into an HMAC'd user id) and its batch
endpoint raised to the batch size the benchmark uses. When any step fails, ``KintoUnavailable`` carries the
tool's own error so that the benchmark can say exactly why instead of crashing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.live import REPO_ROOT, free_port, stop, wait_until_up

VENV = Path(os.environ.get("KINTO_VENV", REPO_ROOT / "benchmarks" / ".kinto-venv"))
REQUIREMENTS = ("kinto[postgresql]", "gunicorn")

INI = """\
[app:main]
use = egg:kinto
kinto.storage_backend = kinto.core.storage.postgresql
kinto.storage_url = {url}
kinto.permission_backend = kinto.core.permission.postgresql
kinto.permission_url = {url}
kinto.cache_backend = kinto.core.cache.memory
kinto.userid_hmac_secret = benchmark
kinto.batch_max_requests = {batch}
kinto.bucket_create_principals = system.Authenticated
multiauth.policies = basicauth

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = plain

[logger_root]
level = INFO
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = plain

[formatter_plain]
format = %(levelname)s %(name)s %(message)s
"""


class KintoUnavailable(RuntimeError):
    """Kinto could not be installed or started here; the message is the tool's own error output."""


@dataclass(frozen=True)
class KintoServer:
    host: str
    port: int
    version: str
    pid: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _run(args: list[str], timeout: float, env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KintoUnavailable(f"{' '.join(args[:3])}…: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise KintoUnavailable(f"{' '.join(args[:4])}… exited {done.returncode}:\n" + "\n".join(tail))
    return done.stdout


def ensure_venv() -> Path:
    """Kinto's own virtual environment, created and filled by pip on first use; returns its bin/."""
    bin_dir = VENV / "bin"
    if not (bin_dir / "kinto").exists() or not (bin_dir / "gunicorn").exists():
        if not (bin_dir / "python").exists():
            _run([sys.executable, "-m", "venv", str(VENV)], timeout=300)
        _run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", *REQUIREMENTS], timeout=900)
    return bin_dir


def version(bin_dir: Path) -> str:
    code = "import importlib.metadata as m; print(m.version('kinto'))"
    return _run([str(bin_dir / "python"), "-c", code], timeout=60).strip()


@contextmanager
def kinto(database_url: str, *, batch: int = 50, workers: int = 2, threads: int = 4) -> Iterator[KintoServer]:
    """Kinto on PostgreSQL at ``database_url`` (migrated here), under gunicorn, on a free loopback port."""
    bin_dir = ensure_venv()
    with tempfile.TemporaryDirectory(prefix="kinto-bench-") as tmp:
        ini = Path(tmp) / "kinto.ini"
        # Kinto's SQLAlchemy URL names its driver (psycopg2, installed by kinto[postgresql]).
        ini.write_text(INI.format(url=database_url.replace("postgresql://", "postgresql+psycopg2://"), batch=batch))
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONPATH")}
        _run([str(bin_dir / "kinto"), "migrate", "--ini", str(ini)], timeout=300, env=env)
        port = free_port()
        log = Path(tmp) / "gunicorn.log"
        sizes = ["--workers", str(workers), "--threads", str(threads)]
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [str(bin_dir / "gunicorn"), "--paste", str(ini), "--bind", f"127.0.0.1:{port}", *sizes],
                cwd=tmp,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            try:
                wait_until_up(f"http://127.0.0.1:{port}/v1/", proc, log)
            except RuntimeError as exc:
                raise KintoUnavailable(str(exc)) from exc
            yield KintoServer("127.0.0.1", port, version(bin_dir), proc.pid)
        finally:
            stop(proc)
