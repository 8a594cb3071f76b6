"""Operations at province size: how long a Prometheus scrape of ``/metrics`` takes, and a backup + restore.

    python benchmarks/ops.py [--small] [--communes 100] [--groups 1000] [--reports 10000] [--scrapes 20]

Fills a throwaway PostgreSQL database (benchmarks/province.py), starts gunicorn with the production config
(server/ops/gunicorn_conf.py: multiprocess metrics, 2 workers × 4 threads), warms the metrics with some
traffic, then times ``GET /metrics`` (the unanswered-report collector runs its grouped query at each scrape),
again with every report unanswered (the worst case), and ``/readyz``. Then times scripts/backup.sh on that
database and scripts/restore.sh into a second one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from benchmarks import province
from benchmarks.live import (
    REPO_ROOT,
    free_port,
    machine,
    percentile,
    pg_database,
    prepare,
    stop,
    wait_until_up,
    write_results,
)

TOKEN = "bench-metrics"  # noqa: S105 - a throwaway server's scrape token


def get(url: str, token: str | None = None) -> tuple[float, int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = answer.read()
            status = answer.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    return (time.perf_counter() - started) * 1000, status, body


def timed(url: str, rounds: int, token: str | None = None) -> dict[str, Any]:
    times = []
    size = 0
    for _ in range(rounds):
        ms, status, body = get(url, token)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}: {body[:200]!r}")
        times.append(ms)
        size = len(body)
    return {"p50_ms": round(percentile(times, 0.5), 1), "p95_ms": round(percentile(times, 0.95), 1), "bytes": size}


def script(name: str, *args: str, **env: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        ["bash", f"scripts/{name}", *args], cwd=REPO_ROOT, env={**os.environ, **env}, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return time.perf_counter() - started, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument("--small", action="store_true", help="3 communes, 30 groups, 300 reports, 3 scrapes")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    if args.small:
        args.communes, args.groups, args.reports, args.scrapes = 3, 30, 300, 3
    size = province.Size(args.communes, args.groups, args.reports)
    figures: dict[str, Any] = {"size": size.__dict__, "machine": machine()}
    with (
        pg_database("bench_ops") as url,
        pg_database("bench_ops_restored") as restored,
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "benchmark",
            "RATELIMIT_ENABLED": "0",
            "METRICS_TOKEN": TOKEN,
            "ATTACHMENTS_DIR": f"{tmp}/attachments",
            "PROMETHEUS_MULTIPROC_DIR": f"{tmp}/metrics",
        }
        Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir()
        prepare(env)
        figures["generate_seconds"] = province.generate(url, size)
        with psycopg.connect(url) as conn:
            conn.execute("ANALYZE")
            figures["unanswered_reports"] = conn.execute(
                "SELECT count(*) FROM report WHERE first_response_at IS NULL"
                " AND status IN ('new', 'acknowledged', 'in_progress')"
            ).fetchone()[0]  # type: ignore[index]
        port = free_port()
        log = Path(tmp) / "gunicorn.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "server/ops/gunicorn_conf.py", "--bind", f"127.0.0.1:{port}",
                 "--workers", "2", "--threads", "4", "wsgi:app"],
                cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/healthz", proc, log)
            for _ in range(50):  # some series in every worker: the scrape adds up their files
                get(f"{base}/api/v1/rules")
                get(f"{base}/readyz")
            figures["metrics_scrape"] = timed(f"{base}/metrics", args.scrapes, TOKEN)
            with psycopg.connect(url) as conn:  # the worst case: every report waits for its first answer
                conn.execute("UPDATE report SET first_response_at = NULL, status = 'new'")
                conn.execute("ANALYZE report")
            figures["metrics_scrape_all_unanswered"] = timed(f"{base}/metrics", args.scrapes, TOKEN)
            figures["readyz"] = timed(f"{base}/readyz", args.scrapes)
            figures["healthz"] = timed(f"{base}/healthz", args.scrapes)
        finally:
            stop(proc)
        backup_seconds, backup = script(
            "backup.sh", f"{tmp}/backups", DATABASE_URL=url, ATTACHMENTS_DIR=env["ATTACHMENTS_DIR"]
        )
        restore_seconds, _ = script("restore.sh", backup, DATABASE_URL=restored, ATTACHMENTS_DIR=f"{tmp}/restored")
        dump = Path(backup) / "database.pgdump"
        figures["backup"] = {"seconds": round(backup_seconds, 2), "dump_bytes": dump.stat().st_size}
        figures["restore"] = {"seconds": round(restore_seconds, 2)}
    write_results("ops", figures, args.out)
    return figures


if __name__ == "__main__":
    main()
