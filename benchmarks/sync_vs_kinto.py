"""Sync throughput side by side: Bình An's ``POST /api/v1/sync`` and Kinto's ``POST /v1/batch``.

    python benchmarks/sync_vs_kinto.py [--small] [--reports 5000] [--batch 50]

Same machine, same database kind (each server on its own fresh PostgreSQL database in the local server),
same gunicorn settings (2 workers × 4 threads), same client (benchmarks/wire.py over one kept-alive
connection), the same reports (benchmarks/corpus.py: Vietnamese text with tones, unique per report) in the
same batches. Kinto stores each report with ``PUT …/records/<uuid>`` and ``If-None-Match: *`` (create once,
never overwrite: the nearest to Bình An's idempotent push). Kinto takes neither gzip request bodies nor gives
gzip responses by itself, so the like-for-like row sends Bình An plain JSON too; a second row shows Bình An
as the PWA uses it (gzip both ways). Kinto has no SQLite backend (only PostgreSQL and per-process memory), so
the comparison runs on PostgreSQL only. Prints reports/s, median and p95 latency per batch request, bytes on
the wire per report (request + response, HTTP headers included) and the ratio Bình An / Kinto of each.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import corpus
from benchmarks.kinto_server import KintoUnavailable, kinto
from benchmarks.live import Server, check, gunicorn, machine, percentile, pg_database, write_results
from benchmarks.wire import Exchange, WireClient, basic_auth

BUCKET, COLLECTION = "binhan", "reports"
Send = Callable[[list[dict[str, Any]]], Exchange]


def measure(send: Send, client: WireClient, items: list[dict[str, Any]], batch: int) -> dict[str, Any]:
    """Send ``items`` in batches through ``send``; time each request and count the bytes of all of them."""
    client.reset_counters()
    latencies = []
    started = time.perf_counter()
    for start in range(0, len(items), batch):
        exchange = send(items[start : start + batch])
        latencies.append(exchange.seconds)
    elapsed = time.perf_counter() - started
    count = len(items)
    return {
        "reports": count,
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "reports_per_second": round(count / elapsed, 1),
        "median_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "bytes_per_report": round((client.sent + client.received) / count, 1),
        "request_bytes_per_report": round(client.sent / count, 1),
        "response_bytes_per_report": round(client.received / count, 1),
    }


def enrol(client: WireClient, code: str) -> tuple[str, str, list[int]]:
    """A phone enrolled with a one-time ``code``: its token, its cursor and its group's household ids."""
    enrolled = client.post_json("/api/v1/enrol", {"code": code}, compress=False)
    check(enrolled.status == 201, enrolled.body)
    households = [h["id"] for h in enrolled.body["group"]["households"]]
    return enrolled.body["device_token"], enrolled.body["cursor"], households


def run_binhan(server: Server, code: str, count: int, batch: int, *, gzip: bool, seed: int) -> dict[str, Any]:
    """One phone (enrolled with ``code``) pushes the reports; every one must come back ``created``."""
    with WireClient(server.host, server.port, keep_alive=True) as client:
        token, cursor, households = enrol(client, code)
        # The same texts for both runs; fresh UUIDs for the second, or they would be conflicts.
        items = corpus.reports(count, households, seed, id_seed=seed + int(gzip))
        state = {"cursor": cursor, "created": 0}
        headers = {} if gzip else {"Accept-Encoding": "identity"}

        def send(chunk: list[dict[str, Any]]) -> Exchange:
            body = {"cursor": state["cursor"], "push": chunk}
            answer = client.post_json("/api/v1/sync", body, token=token, compress=gzip, headers=headers)
            check(answer.status == 200, answer.body)
            state["cursor"] = answer.body["cursor"]
            state["created"] += sum(r["status"] == "created" for r in answer.body["results"])
            return answer

        for _ in range(4):  # warm both workers' database connections
            send([])
        figures = measure(send, client, items, batch)
    check(state["created"] == count, f"{state['created']} of {count} created")
    return {"server": "binhan", "encoding": "gzip" if gzip else "identity", **figures}


def _kinto_record(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "path": f"/buckets/{BUCKET}/collections/{COLLECTION}/records/{item['id']}",
        "body": {"data": {k: v for k, v in item.items() if k not in ("type", "id")}},
    }


def run_kinto(count: int, batch: int, *, seed: int) -> dict[str, Any]:
    """Kinto on a fresh PostgreSQL database: one basic-auth user, one collection, PUT-if-absent in batches."""
    with pg_database("bench_kinto") as url, kinto(url, batch=batch) as server:
        auth = {"Authorization": basic_auth("dien-thoai-dong-01", "mat-khau-may")}
        with WireClient(server.host, server.port, keep_alive=True, headers=auth) as client:
            json_type = {"Content-Type": "application/json"}
            for path in (f"/v1/buckets/{BUCKET}", f"/v1/buckets/{BUCKET}/collections/{COLLECTION}"):
                answer = client.request("PUT", path, body=b"{}", headers=json_type)
                check(answer.status == 201, answer.body)
            for _ in range(4):
                client.request("GET", f"/v1/buckets/{BUCKET}/collections/{COLLECTION}/records?_limit=1")
            items = corpus.reports(count, list(range(1, 7)), seed, id_seed=seed)  # the plain Bình An run's
            created = 0

            def send(chunk: list[dict[str, Any]]) -> Exchange:
                nonlocal created
                body = {
                    "defaults": {"method": "PUT", "headers": {"If-None-Match": "*"}},
                    "requests": [_kinto_record(item) for item in chunk],
                }
                answer = client.post_json("/v1/batch", body, compress=False)
                check(answer.status == 200, answer.body)
                created += sum(r["status"] == 201 for r in answer.body["responses"])
                return answer

            figures = measure(send, client, items, batch)
    check(created == count, f"{created} of {count} created")
    return {"server": "kinto", "version": server.version, "encoding": "identity", **figures}


RATIO_KEYS = ("reports_per_second", "median_ms", "p95_ms", "bytes_per_report")


def ratios(binhan: dict[str, Any], other: dict[str, Any]) -> dict[str, float]:
    """Bình An / Kinto for each figure (above 1 is better for reports/s, below 1 for the others)."""
    return {key: round(binhan[key] / other[key], 2) for key in RATIO_KEYS if other.get(key)}


def run(
    count: int, batch: int, seed: int = 42, *, with_kinto: bool = True, server: Server | None = None
) -> dict[str, Any]:
    """Both Bình An rows on one server (its own fresh PostgreSQL database unless ``server`` is given), then Kinto."""
    figures: dict[str, Any] = {"reports": count, "batch": batch, "database": "postgresql", "machine": machine()}
    with ExitStack() as stack:
        if server is None:
            server = stack.enter_context(gunicorn(stack.enter_context(pg_database("bench_binhan"))))
        first, second = server.enrolment_codes("DONG-01", "DONG-02")  # a phone and a group per row
        plain = run_binhan(server, first, count, batch, gzip=False, seed=seed)
        packed = run_binhan(server, second, count, batch, gzip=True, seed=seed)
    figures["binhan_identity"], figures["binhan_gzip"] = plain, packed
    if not with_kinto:
        figures["kinto"] = {"unavailable": "skipped (--no-kinto)"}
        return figures
    try:
        other = run_kinto(count, batch, seed=seed)
    except KintoUnavailable as exc:
        print(f"Kinto could not be installed or run here, so there is no comparison:\n{exc}", file=sys.stderr)
        figures["kinto"] = {"unavailable": str(exc)}
        return figures
    figures["kinto"] = other
    figures["ratio_binhan_over_kinto"] = {"identity": ratios(plain, other), "binhan_gzip": ratios(packed, other)}
    return figures


def table(figures: dict[str, Any]) -> str:
    """The side-by-side table for stdout."""
    rows = [
        ("Bình An (plain JSON)", figures["binhan_identity"]),
        ("Bình An (gzip, as the PWA)", figures["binhan_gzip"]),
    ]
    if "reports_per_second" in figures.get("kinto", {}):
        rows.append((f"Kinto {figures['kinto']['version']} (/v1/batch)", figures["kinto"]))
    lines = [f"{'':30} {'reports/s':>10} {'median ms':>10} {'p95 ms':>8} {'bytes/report':>13}"]
    lines += [
        f"{name:30} {r['reports_per_second']:>10} {r['median_ms']:>10} {r['p95_ms']:>8} {r['bytes_per_report']:>13}"
        for name, r in rows
    ]
    for label, ratio in figures.get("ratio_binhan_over_kinto", {}).items():
        lines.append(f"{'ratio Bình An/Kinto ' + label:30} " + " ".join(f"{ratio.get(k, '-'):>10}" for k in RATIO_KEYS))
    return "\n".join(lines)


def main(argv: list[str] | None = None, server: Server | None = None) -> dict[str, Any]:
    """The command line; ``server`` lets the smoke test reuse a running Bình An instead of starting one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="50 reports in batches of 10 (a smoke run)")
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--no-kinto", action="store_true", help="measure Bình An only")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    count, batch = (50, 10) if args.small else (args.reports, args.batch)
    figures = run(count, batch, with_kinto=not args.no_kinto, server=server)
    write_results("sync_vs_kinto", figures, args.out)
    print(table(figures))
    return figures


if __name__ == "__main__":
    main()
