"""Province scale: 1,000 communes, 100,000 groups, 1,000,000 reports; p50/p95 of what officers and phones ask.

    python benchmarks/scale.py [--small] [--database-url postgresql://…/binhan_scale] [--before REVISION] [--cold CMD]

Fills a fresh PostgreSQL database (benchmarks/province.py; or reuses ``--database-url`` if it was filled
before: generating takes minutes), then times, through the real HTTP endpoints of a gunicorn server
(2 workers × 4 threads), one request at a time:

- the officer queue ``GET /api/v1/officer/reports`` with the console's filters (newest first, open reports in
  triage order, a category, a tone-less text search, a date range on a later page, unanswered urgent ones),
  each as a different commune's officer in turn;
- the stats page ``GET /api/v1/officer/stats`` (the default 30 days, and a year by month);
- a phone's ``POST /api/v1/sync`` pull: a phone back after a week away, the first sync after enrolment, and
  a phone that never synced.

With ``--before REVISION`` the schema is first taken down to that Alembic revision (say, the one before the
index migration), measured, then upgraded to head and measured again: the before/after of an index fix in
one run, on the same data.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.parse
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from benchmarks import province
from benchmarks.live import (
    REPO_ROOT,
    Server,
    check,
    gunicorn,
    machine,
    percentile,
    pg_database,
    prepare,
    write_results,
)
from benchmarks.wire import WireClient
from server.feed.operations import encode_cursor

PASSWORD = "demo-officer"  # noqa: S105 - province officers share the demo officer's password hash (province.py)


@dataclass(frozen=True)
class Plan:
    """What to generate and how much to ask of it."""

    size: province.Size
    rounds: int = 5  # times each officer case is asked of each sampled commune
    officers: int = 10  # officers signed in, one per commune (each sign-in costs an Argon2 hash)
    phones: int = 100  # phones pulling, one group each in as many communes: a pull rarely finds a warm cache
    cold: str | None = None  # a command that restarts PostgreSQL: run, with the page cache emptied, before a phase


def queue_cases(today: datetime) -> dict[str, str]:
    """The console's typical queue requests (query strings)."""
    month_ago = (today - timedelta(days=30)).date().isoformat()
    return {
        "queue newest, page 1": "",
        "queue open, triage order": "open=true&sort=waiting",
        "queue tips: theft": "kind=tip&category=theft",
        "queue search 'xe may' (no tones)": "q=" + urllib.parse.quote("xe may"),
        "queue last 30 days, page 3": f"date_from={month_ago}&page=3&per_page=20",
        "queue unanswered urgent": "unanswered=true&urgency=urgent",
    }


def stats_cases(today: datetime) -> dict[str, str]:
    year_ago = (today - timedelta(days=364)).date().isoformat()
    return {"stats 30 days": "", "stats a year by month": f"date_from={year_ago}&bucket=month"}


def officer_client(server: Server, username: str) -> WireClient:
    """A kept-alive client signed in as ``username`` (session cookie from the login answer)."""
    client = WireClient(server.host, server.port, keep_alive=True, headers={"Accept": "application/json"})
    answer = client.post_json("/api/v1/officer/login", {"username": username, "password": PASSWORD}, compress=False)
    check(answer.status == 200, answer.body)
    cookie = answer.headers.get("set-cookie", "").split(";", 1)[0]
    client.headers["Cookie"] = cookie
    return client


def timed(label: str, calls: list[Any], rounds: int) -> dict[str, Any]:
    """Run every call ``rounds`` times in turn (each call once per round); p50/p95/max of the latencies.

    The first round is apart too: it asks each commune or phone for the first time, so it reads from disk what
    the later rounds find in memory (most of a 10 M-report database is not; --cold starts each phase from disk).
    """
    latencies: list[list[float]] = []
    for _ in range(rounds):
        latencies.append([])
        for call in calls:
            exchange = call()
            check(exchange.status == 200, f"{label}: {exchange.status} {str(exchange.body)[:300]}")
            latencies[-1].append(exchange.seconds)
    every = [seconds for round_ in latencies for seconds in round_]
    later = [seconds for round_ in latencies[1:] for seconds in round_]
    return {
        "case": label,
        "requests": len(every),
        "p50_ms": round(percentile(every, 0.5) * 1000, 1),
        "p95_ms": round(percentile(every, 0.95) * 1000, 1),
        "max_ms": round(max(every) * 1000, 1),
        "first_round_p95_ms": round(percentile(latencies[0], 0.95) * 1000, 1),
        "later_rounds_p95_ms": round(percentile(later, 0.95) * 1000, 1) if later else None,
    }


def sample(database_url: str, plan: Plan) -> dict[str, Any]:
    """Which communes' officers and which groups' phones to use, and the feed position of a week ago."""
    size = plan.size
    with psycopg.connect(database_url) as conn:
        communes = [ci * (size.communes // plan.officers) for ci in range(plan.officers)]
        week_ago = conn.execute(
            "SELECT coalesce(max(id), 0) FROM feed_entry WHERE created_at < now() - interval '7 days'"
        ).fetchone()[0]
        head = conn.execute("SELECT coalesce(max(id), 0) FROM feed_entry").fetchone()[0]
    phones = min(plan.phones, size.groups)
    # Groups are dealt round-robin over communes (province.py): k·step + k lands in commune k (mod communes).
    groups = [(k * (size.groups // phones) + k) % size.groups for k in range(phones)]
    return {"communes": communes, "groups": groups, "week_ago": week_ago, "head": head}


def set_floors(database_url: str, groups: list[int], floor: int) -> None:
    """Phones' feed floors: 0 for a phone enrolled before all history, head for one enrolled just now."""
    tokens = [province.TOKEN_PREFIX + str(gi) for gi in groups]
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE device SET feed_floor = %s WHERE token_hash = ANY(SELECT encode(sha256(convert_to(t, 'UTF8')),"
            " 'hex') FROM unnest(%s::text[]) t)",
            (floor, tokens),
        )


def sync_calls(client: WireClient, groups: list[int], cursor: str | None) -> list[Any]:
    def call(token: str) -> Any:
        return lambda: client.post_json("/api/v1/sync", {"cursor": cursor, "push": []}, token=token)

    return [call(province.TOKEN_PREFIX + str(gi)) for gi in groups]


def measure(server: Server, database_url: str, plan: Plan) -> list[dict[str, Any]]:
    """Every case, a different sampled commune or phone per request, ``plan.rounds`` times over."""
    today, rounds = datetime.now(UTC), plan.rounds
    picked = sample(database_url, plan)
    officers = [officer_client(server, f"{province.OFFICER_PREFIX}{ci}") for ci in picked["communes"]]
    rows = []
    cases = {**queue_cases(today)}
    for label, query in cases.items():
        path = "/api/v1/officer/reports" + (f"?{query}" if query else "")
        rows.append(timed(label, [lambda c=c, p=path: c.get(p) for c in officers], rounds))
    for label, query in stats_cases(today).items():
        path = "/api/v1/officer/stats" + (f"?{query}" if query else "")
        rows.append(timed(label, [lambda c=c, p=path: c.get(p) for c in officers], rounds))
    for client in officers:
        client.close()
    with WireClient(server.host, server.port, keep_alive=True) as phone:
        set_floors(database_url, picked["groups"], 0)
        week = encode_cursor(picked["week_ago"])
        pulls = max(1, rounds // 2)  # 100 phones a round already
        rows.append(timed("sync pull, back after a week", sync_calls(phone, picked["groups"], week), pulls))
        rows.append(timed("sync pull, never synced (floor 0)", sync_calls(phone, picked["groups"], None), pulls))
        set_floors(database_url, picked["groups"], picked["head"])
        rows.append(timed("sync pull, just enrolled", sync_calls(phone, picked["groups"], None), pulls))
    return rows


EXPLAIN = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "


def explain_pulls(database_url: str, groups: list[int], cursors: dict[str, int | None]) -> list[dict[str, Any]]:
    """The pull's own SQL (captured from server.feed.operations.pull, run for each sampled phone) under EXPLAIN.

    Blocks touched (shared hit + read) do not depend on what happens to be cached or on what else the
    machine is doing: the fairest before/after of an index. Execution times are given beside them.
    """
    from flask import current_app
    from sqlalchemy import event, select

    from server import create_app
    from server.extensions import db
    from server.feed import operations as feed
    from server.groups.models import Device
    from server.groups.operations import feed_audience
    from server.tokens import sha256_hex

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://")})
    rows = []
    with app.app_context():
        plans: list[dict[str, Any]] = []

        def explain(_conn: Any, cursor: Any, statement: str, params: Any, _context: Any, _many: bool) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "feed_entry" in statement:
                cursor.execute(EXPLAIN + statement, params)
                plans.append(cursor.fetchone()[0][0])

        devices = [
            db.session.scalar(select(Device).where(Device.token_hash == sha256_hex(province.TOKEN_PREFIX + str(gi))))
            for gi in groups
        ]
        event.listen(db.engine, "before_cursor_execute", explain)
        try:
            for label, position in cursors.items():
                plans.clear()
                for device in devices:
                    cursor = feed.encode_cursor(position) if position else None
                    feed.pull(feed_audience(device), cursor, current_app.config["SYNC_PAGE_SIZE"])
                blocks = [p["Plan"]["Shared Hit Blocks"] + p["Plan"]["Shared Read Blocks"] for p in plans]
                times = [p["Execution Time"] for p in plans]
                rows.append(
                    {
                        "case": f"pull SQL, {label}",
                        "queries": len(plans),
                        "blocks_p50": percentile(blocks, 0.5),
                        "blocks_max": max(blocks),
                        "exec_p50_ms": round(percentile(times, 0.5), 2),
                        "exec_p95_ms": round(percentile(times, 0.95), 2),
                    }
                )
        finally:
            event.remove(db.engine, "before_cursor_execute", explain)
            db.session.rollback()
            db.engine.dispose()
    return rows


def statements_per_request(database_url: str, commune: int, today: datetime) -> list[dict[str, Any]]:
    """How many SQL statements each officer request runs (in-process, the same code as the server).

    A count does not depend on the machine's load: the before/after of an N+1 fix.
    """
    from sqlalchemy import event

    from server import create_app
    from server.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://")})
    client = app.test_client()
    login = {"username": f"{province.OFFICER_PREFIX}{commune}", "password": PASSWORD}
    check(client.post("/api/v1/officer/login", json=login).status_code == 200, "sign-in failed")
    counted: list[str] = []
    rows = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *args: counted.append(args[2]))
    cases = {label: ("/api/v1/officer/reports", q) for label, q in queue_cases(today).items()}
    cases |= {label: ("/api/v1/officer/stats", q) for label, q in stats_cases(today).items()}
    for label, (path, query) in cases.items():
        counted.clear()
        answer = client.get(path + (f"?{query}" if query else ""))
        check(answer.status_code == 200, f"{label}: {answer.status_code}")
        rows.append({"case": label, "sql_statements": len(counted)})
    engine.dispose()
    return rows


def alembic(database_url: str, *args: str) -> None:
    """``flask db ARGS`` against the benchmark database (used to step the schema down and up)."""
    env = {**_env(database_url)}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", *args],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=1800,
    )


def _env(database_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "benchmark", "RATELIMIT_ENABLED": "0"}


def start_cold(restart: str) -> None:
    """Restart PostgreSQL (``restart``, a shell command) and empty the kernel's page cache (Linux, as root).

    Then a phase reads from disk whatever an earlier phase, an index build or the generation left in memory:
    the "before" and "after" of an index start alike.
    """
    subprocess.run(restart, shell=True, check=True, timeout=120)  # noqa: S602 - the operator's own command line
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def phase(database_url: str, plan: Plan, label: str, server: Server | None = None) -> dict[str, Any]:
    """One measured phase on a freshly started server (the schema as it stands now), or on ``server``."""
    if plan.cold:
        start_cold(plan.cold)
    started = time.perf_counter()
    with ExitStack() as stack:
        if server is None:
            server = stack.enter_context(gunicorn(database_url, migrate=False))
        rows = measure(server, database_url, plan)
    picked = sample(database_url, plan)
    set_floors(database_url, picked["groups"], 0)
    plans = explain_pulls(
        database_url, picked["groups"], {"back after a week": picked["week_ago"], "never synced": None}
    )
    plans += statements_per_request(database_url, picked["communes"][1], datetime.now(UTC))
    print(f"{label}: measured in {time.perf_counter() - started:.0f} s")
    for row in rows:
        print(
            f"  {row['case']:40} p50 {row['p50_ms']:>8} ms   p95 {row['p95_ms']:>8} ms"
            f"   (first round p95 {row['first_round_p95_ms']} ms, later rounds {row['later_rounds_p95_ms']} ms)"
        )
    for row in plans:
        if "blocks_p50" in row:
            print(f"  {row['case']:40} {row['blocks_p50']:>5} blocks (p50)   exec p50 {row['exec_p50_ms']} ms")
        else:
            print(f"  {row['case']:40} {row['sql_statements']:>5} SQL statements")
    return {"label": label, "results": rows, "sql": plans}


def run(plan: Plan, database_url: str | None, before: str | None, server: Server | None = None) -> dict[str, Any]:
    """Generate (or reuse) the province, then measure once, or before and after ``before`` → head.

    With ``server`` (the smoke test), the province goes into that running server's own database.
    """
    figures: dict[str, Any] = {"size": plan.size.__dict__, "machine": machine(), "phases": []}
    with ExitStack() as stack:
        if server is not None:
            database_url = server.env["DATABASE_URL"]
        url = database_url or stack.enter_context(pg_database("bench_scale"))
        if server is None:
            prepare(_env(url))
        started = time.perf_counter()
        figures["generate_seconds"] = province.generate(url, plan.size)
        figures["generate_total_seconds"] = round(time.perf_counter() - started, 1)
        if before:
            alembic(url, "downgrade", before)
            figures["phases"].append(phase(url, plan, f"before (schema at {before})"))
            alembic(url, "upgrade")
        figures["phases"].append(phase(url, plan, "after (schema at head)" if before else "as is", server))
    return figures


def main(argv: list[str] | None = None, server: Server | None = None) -> dict[str, Any]:
    """The command line; ``server`` lets the smoke test reuse a running Bình An (and its database)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="20 communes, 2,000 groups, 20,000 reports")
    parser.add_argument("--communes", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5, help="times each case is asked of each sampled commune")
    parser.add_argument("--database-url", help="fill (or reuse) this database instead of a throwaway one")
    parser.add_argument("--before", help="Alembic revision to measure first, before upgrading to head")
    parser.add_argument(
        "--cold",
        metavar="RESTART_COMMAND",
        help="before each phase, run this command to restart PostgreSQL (say 'pg_ctlcluster 15 main restart') and"
        " empty the kernel's page cache (needs root): every phase then starts from disk",
    )
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    if args.small:
        plan = Plan(province.Size(20, 2000, 20_000), rounds=1, officers=3, phones=20)
    else:
        plan = Plan(province.Size(args.communes, args.groups, args.reports), rounds=args.rounds, cold=args.cold)
    figures = run(plan, args.database_url, args.before, server)
    write_results("scale", figures, args.out)
    return figures


if __name__ == "__main__":
    main()
