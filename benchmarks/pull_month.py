"""The pull side: a phone that was away a month comes back to a few hundred changes. Round trips and bytes.

    python benchmarks/pull_month.py [--small] [--reports 60]

A phone (Chromium's request headers, benchmarks/round_trips.py) sends ``--reports`` reports and catches up;
then, while it is away, officers work every one of them: acknowledged, a reply, in progress, a second reply,
resolved (five changes a report: 300 for 60 reports). The phone then syncs once with its old cursor, as
pwa/js/sync.js does (calls repeated while ``more``). Counted: round trips and bytes on the wire (HTTP headers
included) against the floor, the gzip size of the changes' own JSON.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import corpus, live
from benchmarks.live import check, gunicorn, machine, write_results
from benchmarks.round_trips import BROWSER_HEADERS, compact, full_sync
from benchmarks.wire import WireClient

OFFICERS_WORK = """
import uuid
from sqlalchemy import select
from server.extensions import db
from server.officers.models import Officer
from server.reports import operations as ops
from server.reports.models import Report, ReportStatus
from wsgi import app
with app.app_context():
    officer = db.session.scalar(select(Officer).where(Officer.username == "demo"))
    reports = list(db.session.scalars(select(Report).where(Report.id.in_([uuid.UUID(i) for i in {ids!r}]))))
    for report in reports:
        ops.change_status(report, officer, ReportStatus.ACKNOWLEDGED)
        ops.post_message(report, officer, "Công an xã đã nhận tin, sẽ xác minh trong hôm nay.")
        ops.change_status(report, officer, ReportStatus.IN_PROGRESS)
        ops.post_message(report, officer, "Đã cử cán bộ xuống thôn, cảm ơn bà con đã báo.")
        ops.change_status(report, officer, ReportStatus.RESOLVED)
    print(len(reports) * 5)
"""


def run(count: int) -> dict[str, Any]:
    with gunicorn() as server, WireClient(server.host, server.port, keep_alive=True, headers=BROWSER_HEADERS) as client:
        enrolled = client.post_json("/api/v1/enrol", {"code": server.enrolment_code("DONG-01")}, compress=False)
        check(enrolled.status == 201, enrolled.body)
        token = enrolled.body["device_token"]
        households = [h["id"] for h in enrolled.body["group"]["households"]]
        items = corpus.reports(count, households, seed=11)
        cursor = full_sync(client, token, enrolled.body["cursor"], items)
        ids = [item["id"] for item in items]
        done = subprocess.run(
            [sys.executable, "-c", OFFICERS_WORK.format(ids=ids)],
            cwd=live.REPO_ROOT,
            env=server.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        check(done.returncode == 0, done.stderr[-3000:])
        client.reset_counters()
        changes: list[dict[str, Any]] = []
        more = True
        while more:
            answer = client.post_json("/api/v1/sync", {"cursor": cursor, "push": []}, token=token, compress=False)
            check(answer.status == 200, answer.body)
            changes += answer.body["changes"]
            cursor, more = answer.body["cursor"], answer.body["more"]
    floor = len(gzip.compress(compact(changes), 9))
    total = client.sent + client.received
    return {
        "machine": machine(),
        "changes": len(changes),
        "expected_changes": int(done.stdout.split()[-1]),
        "round_trips": client.exchanges,
        "bytes_sent": client.sent,
        "bytes_received": client.received,
        "bytes_total": total,
        "floor_gzip_json_bytes": floor,
        "total_over_floor": round(total / floor, 2),
        "raw_json_bytes": len(json.dumps(changes, ensure_ascii=False, separators=(",", ":")).encode()),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="4 reports (20 changes)")
    parser.add_argument("--reports", type=int, default=60)
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    figures = run(4 if args.small else args.reports)
    check(figures["changes"] == figures["expected_changes"], figures)
    write_results("pull_month", figures, args.out)
    print(
        f"{figures['changes']} changes: {figures['round_trips']} round trip(s), {figures['bytes_total']} B "
        f"(floor {figures['floor_gzip_json_bytes']} B, {figures['total_over_floor']}×)"
    )
    return figures


if __name__ == "__main__":
    main()
