"""Push N reports in batches through gunicorn; print reports/s and bytes on the wire per report.

    python benchmarks/sync_push.py [--reports 1000] [--batch 50] [--database-url postgresql://...]

Bytes are counted at the HTTP level (request and response, headers included; no TCP/IP overhead), with gzip
bodies both ways as the PWA sends them. Writes a JSON file beside stdout (``--out``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.live import Server, check, gunicorn
from benchmarks.wire import WireClient

TIPS = [
    "Có người lạ đi xe máy không biển số, đêm qua vào nhà bà Lan lấy trộm hai con gà.",
    "Nhóm thanh niên tụ tập đánh bạc ở nhà kho cuối thôn, tối nào cũng có, khoảng 10 người.",
    "Có người cho vay lãi nặng, đến nhà đòi nợ và đe doạ, xin công an xã can thiệp giúp.",
    "Tối thứ Bảy có nhóm đua xe trên đường liên thôn, rất nguy hiểm cho người đi đường.",
    "Cho tôi hỏi thủ tục đăng ký tạm trú cho con gái đi làm xa về, cần những giấy tờ gì ạ?",
]


def report(household_id: int, rng: random.Random) -> dict:
    return {
        "type": "report",
        "id": str(uuid.uuid4()),
        "household_id": household_id,
        "kind": "tip",
        "category": rng.choice(["theft", "gambling", "loan_shark", "racing", "drugs"]),
        "body": f"{rng.choice(TIPS)} Khoảng {rng.randint(18, 23)} giờ {rng.randint(0, 59)} phút, "
        f"xe biển số 7{rng.randint(0, 9)}-{rng.randint(100, 999)}.{rng.randint(10, 99)}.",
        # Anonymous tips travel alone (ADR 0004): none here; the draw stays so the corpus stays the same.
        "anonymous": rng.random() < 0.0,
        "location": "Gần cầu tre, thôn Đông",
        "urgency": "urgent" if rng.random() < 0.1 else "normal",
        "created_at": datetime.now(UTC).isoformat(),
        "attachments": [],
    }


def run(reports: int, batch: int, database_url: str | None = None, server: Server | None = None) -> dict:
    rng = random.Random(42)
    with ExitStack() as stack:
        if server is None:
            server = stack.enter_context(gunicorn(database_url))
        database = server.env["DATABASE_URL"].split(":", 1)[0]
        client = WireClient(server.host, server.port)
        enrolled = client.post_json("/api/v1/enrol", {"code": server.enrolment_code()}, compress=False)
        token, cursor = enrolled.body["device_token"], enrolled.body["cursor"]
        households = [h["id"] for h in enrolled.body["group"]["households"]]
        client.sent = client.received = 0
        created = 0
        started = time.perf_counter()
        for start in range(0, reports, batch):
            items = [report(rng.choice(households), rng) for _ in range(min(batch, reports - start))]
            answer = client.post_json("/api/v1/sync", {"cursor": cursor, "push": items}, token=token)
            check(answer.status == 200, answer.body)
            cursor = answer.body["cursor"]
            created += sum(r["status"] == "created" for r in answer.body["results"])
        elapsed = time.perf_counter() - started
    check(created == reports, f"{created} of {reports} created")
    return {
        "reports": reports,
        "batch": batch,
        "database": database,
        "seconds": round(elapsed, 3),
        "reports_per_second": round(reports / elapsed, 1),
        "bytes_per_report": round((client.sent + client.received) / reports, 1),
        "request_bytes_per_report": round(client.sent / reports, 1),
        "response_bytes_per_report": round(client.received / reports, 1),
    }


def main(argv: list[str] | None = None, server: Server | None = None) -> dict:
    """The command line; ``server`` lets the smoke test reuse a running Bình An instead of starting one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--database-url")
    parser.add_argument("--out", default="benchmarks/results/sync_push.json")
    args = parser.parse_args(argv)
    figures = run(args.reports, args.batch, args.database_url, server)
    print(json.dumps(figures, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
