"""The floor under a sync push on PostgreSQL: the one INSERT of a batch's reports, taken apart (issue 12).

    python benchmarks/report_insert.py [--small] [--batches 100] [--batch 50] [--rounds 3]

A fresh database is migrated to head and filled with real reports pushed through Bình An (gunicorn, the PWA's
sync, benchmarks/corpus.py: Vietnamese text with tones). Their stored rows are then inserted again under new ids
and tracking codes with the statement a push runs (``intake._insert_from_json``: one JSON text read by
``json_populate_recordset``, ``ON CONFLICT DO NOTHING RETURNING id``), straight from psycopg, so nothing of the
Python around it is counted:

- with every index and foreign key, as in production;
- without the search index (migration 0020: (commune, trigram) keys computed by ``report_search_keys``);
- also without the other secondary indexes (the queue's, the stats', the foreign keys' lookups);
- also without the foreign-key checks: the heap, the primary key and the tracking code's unique index only.

Each variant runs in a transaction that drops what it leaves out and is rolled back, so the table is the same
for all; variants are rotated across rounds. Also measured: computing the search keys of a batch alone (no index
written) beside reading the batch alone, and the commit of a batch. Medians and p95 of the statement, in ms per
batch and µs per report.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import string
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import corpus
from benchmarks.live import check, gunicorn, machine, percentile, pg_database, write_results
from benchmarks.wire import WireClient

VARIANTS = ("every index and foreign key", "without the search index", "nor secondary indexes", "nor foreign keys")
TRACKING_ALPHABET = string.ascii_uppercase + string.digits


def fill(url: str, reports: int, batch: int) -> None:
    """Push ``reports`` real reports through the app, as a phone does: the rows the INSERT is measured with."""
    with gunicorn(url) as server, WireClient(server.host, server.port, keep_alive=True) as client:
        enrolled = client.post_json("/api/v1/enrol", {"code": server.enrolment_code("DONG-01")}, compress=False)
        check(enrolled.status == 201, enrolled.body)
        token = enrolled.body["device_token"]
        households = [h["id"] for h in enrolled.body["group"]["households"]]
        items = corpus.reports(reports, households, 1, id_seed=7)
        for start in range(0, reports, batch):
            answer = client.post_json("/api/v1/sync", {"push": items[start : start + batch]}, token=token)
            check(answer.status == 200, answer.body)


def statement() -> str:
    """The push's own INSERT of reports (server/reports/intake.py), with psycopg's placeholder."""
    from server.database import table_of
    from server.reports.intake import _insert_from_json
    from server.reports.models import Report

    return str(_insert_from_json(table_of(Report))).replace(":rows", "%(rows)s")


def drops(conn: Any, variant: str) -> list[str]:
    """The DDL that leaves out what ``variant`` leaves out (run inside the measuring transaction)."""
    level = VARIANTS.index(variant)
    indexes = conn.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'report' AND indexname <> 'report_pkey'"
        " AND indexdef NOT LIKE 'CREATE UNIQUE%'"
    ).fetchall()
    keys = conn.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'report'::regclass AND contype = 'f'"
    ).fetchall()
    ddl = ["DROP INDEX ix_report_search_keys"] if level >= 1 else []
    if level >= 2:
        ddl += [f"DROP INDEX {name}" for (name,) in indexes if name != "ix_report_search_keys"]
    if level >= 3:
        ddl += [f"ALTER TABLE report DROP CONSTRAINT {name}" for (name,) in keys]
    return ddl


def batches(rows: list[dict[str, Any]], count: int, size: int) -> list[str]:
    """``count`` JSON texts of ``size`` stored rows each, under fresh ids and tracking codes."""
    texts = []
    for _ in range(count):
        chosen = random.sample(rows, size)
        fresh = [
            {**row, "id": str(uuid.uuid4()), "tracking_code": "".join(random.choices(TRACKING_ALPHABET, k=9))}
            for row in chosen
        ]
        texts.append(json.dumps(fresh, ensure_ascii=False))
    return texts


def timed(conn: Any, sql: str, texts: list[str], size: int) -> list[float]:
    seconds = []
    for text in texts:
        started = time.perf_counter()
        stored = conn.execute(sql, {"rows": text}).fetchall()
        seconds.append(time.perf_counter() - started)
        check(len(stored) == size, f"{len(stored)} of the batch's {size} rows stored")
    return seconds


def selected(conn: Any, expression: str, text: str) -> float:
    """Seconds to compute ``expression`` over a batch's rows read from its JSON text (nothing written)."""
    started = time.perf_counter()
    query = f"SELECT {expression} FROM json_populate_recordset(NULL::report, %(rows)s::json)"  # noqa: S608 (ours)
    conn.execute(query, {"rows": text})
    return time.perf_counter() - started


def figures(seconds: list[float], size: int) -> dict[str, float]:
    median = statistics.median(seconds)
    return {
        "median_ms": round(median * 1000, 2),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
        "us_per_report": round(median / size * 1e6, 1),
    }


def measure(url: str, count: int, size: int, rounds: int) -> dict[str, Any]:
    import psycopg

    sql = statement()
    with psycopg.connect(url) as conn:
        rows = [row for (row,) in conn.execute("SELECT row_to_json(r) FROM report r").fetchall()]
        conn.rollback()
        per_variant: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        for number in range(rounds):
            order = VARIANTS[number % len(VARIANTS) :] + VARIANTS[: number % len(VARIANTS)]
            for variant in order:
                for ddl in drops(conn, variant):
                    conn.execute(ddl)
                texts = batches(rows, count + 5, size)
                per_variant[variant] += timed(conn, sql, texts, size)[5:]  # the first few warm the plan and caches
                conn.rollback()
        read, keys = [], []
        for text in batches(rows, count, size):
            read.append(selected(conn, "count(*)", text))
            keys.append(selected(conn, "sum(cardinality(report_search_keys(commune_id, search_text)))", text))
        conn.rollback()
        commits = []
        for text in batches(rows, count, size):
            conn.execute(sql, {"rows": text}).fetchall()
            started = time.perf_counter()
            conn.commit()
            commits.append(time.perf_counter() - started)
    return {
        "insert": {variant: figures(seconds, size) for variant, seconds in per_variant.items()},
        "batch_json_read": figures(read, size),
        "batch_json_read_and_search_keys": figures(keys, size),
        "commit": figures(commits, size),
        "table_rows_at_start": len(rows),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="200 reports, 5 batches of 10, 1 round")
    parser.add_argument("--reports", type=int, default=2000, help="real reports pushed first")
    parser.add_argument("--batches", type=int, default=100, help="INSERTs measured per variant and round")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.small:
        args.reports, args.batches, args.batch, args.rounds = 200, 5, 10, 1
    with pg_database("bench_insert") as url:
        fill(url, args.reports, 50)
        result = {
            "machine": machine(),
            "batch": args.batch,
            **measure(url.replace("postgresql+psycopg://", "postgresql://"), args.batches, args.batch, args.rounds),
        }
    write_results("report_insert", result, args.out)
    for variant, row in result["insert"].items():
        spread = f"{row['median_ms']:6.2f} ms (p95 {row['p95_ms']:6.2f})"
        print(f"{variant:32s} {spread}, {row['us_per_report']:6.1f} µs/report")
    read, keys = result["batch_json_read"], result["batch_json_read_and_search_keys"]
    print(f"{'the batch read from its JSON':32s} {read['median_ms']:6.2f} ms")
    print(f"{'… and its search keys computed':32s} {keys['median_ms']:6.2f} ms")
    commit = result["commit"]
    print(f"{'commit of a batch':32s} {commit['median_ms']:6.2f} ms")
    return result


if __name__ == "__main__":
    main()
