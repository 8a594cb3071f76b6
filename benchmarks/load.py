"""Gunicorn under load: concurrent phones syncing against 2 workers on PostgreSQL for a bounded time.

    python benchmarks/load.py [--small] [--phones 16] [--seconds 60]

A fresh PostgreSQL database, gunicorn with 2 workers × 4 threads on loopback. Each phone (a thread of this
process, its own device token, spread over the demo groups) syncs in a loop, as a phone coming in and out
of coverage does: most syncs push 1 to 5 new reports (Vietnamese text, gzip as the PWA sends it above 4 KB),
some only pull; every sync on a new connection (a phone holds none open). The run stops at the time limit
or at a request cap, whichever comes first. Reported: syncs/s and reports/s, latency p50/p95/p99/max,
errors (any non-200 answer, refused or cut connection; there must be none), and each worker's resident
memory (VmRSS from /proc) at the start, at its peak (sampled every 0.5 s) and at the end.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import corpus
from benchmarks.live import MemoryWatch, Server, check, gunicorn, machine, percentile, pg_database, write_results
from benchmarks.round_trips import GZIP_ABOVE, compact
from benchmarks.wire import WireClient

GROUPS = ("DONG-01", "DONG-02", "TAY-01", "BAC-01")
MAX_REQUESTS = 200_000  # the cap beside the time limit


class Phone:
    """One enrolled phone and what it measured."""

    def __init__(self, server: Server, code: str, seed: int) -> None:
        self.server = server
        self.rng = random.Random(seed)
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.reports = 0
        client = WireClient(server.host, server.port)
        enrolled = client.post_json("/api/v1/enrol", {"code": code}, compress=False)
        check(enrolled.status == 201, enrolled.body)
        self.token, self.cursor = enrolled.body["device_token"], enrolled.body["cursor"]
        self.households = [h["id"] for h in enrolled.body["group"]["households"]]
        self.seed = seed

    def sync_once(self, number: int) -> None:
        count = self.rng.choice((0, 1, 1, 2, 3, 5))
        items = corpus.reports(count, self.households, seed=self.seed * 1_000_003 + number)
        body = {"cursor": self.cursor, "push": items}
        client = WireClient(self.server.host, self.server.port)
        try:
            answer = client.post_json("/api/v1/sync", body, token=self.token, compress=len(compact(body)) > GZIP_ABOVE)
        except OSError as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
            return
        self.latencies.append(answer.seconds)
        if answer.status != 200:
            self.errors.append(f"HTTP {answer.status}: {str(answer.body)[:200]}")
            return
        self.cursor = answer.body["cursor"]
        self.reports += sum(r["status"] == "created" for r in answer.body["results"])

    def run(self, deadline: float, budget: Callable[[], bool]) -> None:
        number = 0
        while time.monotonic() < deadline and budget():
            number += 1
            self.sync_once(number)


def drive(server: Server, phones: int, seconds: float) -> dict[str, Any]:
    """Enrol the phones, let them sync concurrently until the deadline or the cap, collect the figures."""
    codes = server.enrolment_codes(*(GROUPS[n % len(GROUPS)] for n in range(phones)))
    fleet = [Phone(server, code, seed) for seed, code in enumerate(codes, start=1)]
    sent = [0]
    lock = threading.Lock()

    def budget() -> bool:
        with lock:
            sent[0] += 1
            return sent[0] <= MAX_REQUESTS

    watch = MemoryWatch(server.worker_pids())
    watch.start()
    started = time.monotonic()
    threads = [threading.Thread(target=p.run, args=(started + seconds, budget)) for p in fleet]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    watch.stopped.set()
    latencies = [x for p in fleet for x in p.latencies]
    errors = [e for p in fleet for e in p.errors]
    return {
        "phones": phones,
        "seconds": round(elapsed, 1),
        "syncs": len(latencies),
        "reports_created": sum(p.reports for p in fleet),
        "syncs_per_second": round(len(latencies) / elapsed, 1),
        "reports_per_second": round(sum(p.reports for p in fleet) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies, default=0) * 1000, 1),
        "errors": len(errors),
        "error_samples": errors[:5],
        "workers": watch.report(),
    }


def run(phones: int, seconds: float, server: Server | None = None) -> dict[str, Any]:
    with ExitStack() as stack:
        if server is None:
            server = stack.enter_context(gunicorn(stack.enter_context(pg_database("bench_load"))))
        figures = drive(server, phones, seconds)
    return {"server": "gunicorn 2 workers × 4 threads, PostgreSQL", **figures, "machine": machine()}


def main(argv: list[str] | None = None, server: Server | None = None) -> dict[str, Any]:
    """The command line; ``server`` lets the smoke test reuse a running Bình An instead of starting one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="4 phones for 3 seconds")
    parser.add_argument("--phones", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    phones, seconds = (4, 3.0) if args.small else (args.phones, args.seconds)
    figures = run(phones, seconds, server)
    write_results("load", figures, args.out)
    print(
        f"{figures['phones']} phones, {figures['seconds']} s: {figures['syncs_per_second']} syncs/s, "
        f"{figures['reports_per_second']} reports/s, p95 {figures['p95_ms']} ms, errors {figures['errors']}, "
        f"worker RSS peak {[w['rss_peak_mib'] for w in figures['workers']]} MiB"
    )
    return figures


if __name__ == "__main__":
    main()
