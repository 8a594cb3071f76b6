"""Round trips and bytes of a full sync for a phone holding 1, 10 and 100 queued reports.

    python benchmarks/round_trips.py [--small] [--sizes 1,10,100] [--database-url postgresql://...]
                                     [--full-results] [--gzip-above N]

The client follows the household PWA's own rules (pwa/js/sync.js and api.js): up to 100 items and 1.5 MB per
``POST /api/v1/sync`` asking for compact results, the request body gzip-compressed when its JSON is over 200
characters, gzip accepted for the answer, calls repeated while the answer says ``more``. It sends the headers
Chromium on Android sends with such a ``fetch`` (user agent, client hints, fetch metadata, origin), so the count is what
a phone puts on the air at the HTTP level (no TCP/IP or TLS overhead). The phone has synced once already, so
the run measures the steady state of a phone that comes back into coverage. The floor is the gzip size of the
reports' own JSON (their push items as one array): what no protocol can beat. ``--full-results`` asks for the
full results (every UUID echoed) and ``--gzip-above N`` changes the gzip threshold: what older PWAs sent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import corpus
from benchmarks.live import Server, check, gunicorn, machine, write_results
from benchmarks.wire import WireClient

# The PWA's limits (pwa/js/sync.js BATCH, BATCH_BYTES; pwa/js/api.js gzip threshold).
BATCH, BATCH_BYTES, GZIP_ABOVE = 100, 1_500_000, 200  # as pwa/js/sync.js and pwa/lib/api.js

# What Chromium on an Android phone adds to a same-origin fetch() (Host, Connection and Content-Length are
# added by the client; Authorization and Content-Type by the call).
BROWSER_HEADERS = {
    "sec-ch-ua-platform": '"Android"',
    "User-Agent": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Accept": "application/json",
    "sec-ch-ua": '"Chromium";v="131", "Not_A Brand";v="24"',
    "sec-ch-ua-mobile": "?1",
    "Sec-Fetch-Site": "same-origin",
    "Sec-Fetch-Mode": "cors",
    "Sec-Fetch-Dest": "empty",
    "Accept-Encoding": "gzip, deflate, br, zstd",
    "Accept-Language": "vi-VN,vi;q=0.9",
}


def compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def floor_bytes(items: list[dict[str, Any]]) -> int:
    """gzip size of the reports' own JSON: the least any sync protocol could put on the wire."""
    return len(gzip.compress(compact(items), 9))


def batches(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Cut the queue as the PWA does: at most BATCH items and about BATCH_BYTES per request."""
    out: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for item in items:
        if current and (len(current) >= BATCH or size >= BATCH_BYTES):
            out.append(current)
            current, size = [], 0
        current.append(item)
        size += len(compact(item))
    return [*out, current] if current else out


@dataclass(frozen=True)
class Rules:
    """How the client syncs: the PWA's rules today by default."""

    compact_results: bool = True
    gzip_above: int = GZIP_ABOVE


def full_sync(
    client: WireClient, token: str, cursor: str | None, items: list[dict[str, Any]], rules: Rules = Rules()
) -> str:
    """Push every queued item and pull until ``more`` is false, as pushAndPull() in pwa/js/sync.js."""
    queue = batches(items)
    more = True
    while queue or more:
        push = queue.pop(0) if queue else []
        body: dict[str, Any] = {"cursor": cursor, "push": push}
        if rules.compact_results:
            body["results"] = "compact"
        compress = len(compact(body)) > rules.gzip_above
        answer = client.post_json("/api/v1/sync", body, token=token, compress=compress)
        check(answer.status == 200, answer.body)
        check(all(r["status"] == "created" for r in answer.body["results"]), answer.body["results"])
        cursor, more = answer.body["cursor"], answer.body["more"]
    return cursor or ""


def measure(server: Server, sizes: list[int], seed: int = 7, rules: Rules = Rules()) -> list[dict[str, Any]]:
    """One phone per size (its own group), caught up first, then holding ``size`` reports when it syncs."""
    rows = []
    groups = ["DONG-01", "DONG-02", "TAY-01", "BAC-01"]
    codes = server.enrolment_codes(*groups[: len(sizes)])
    for size, code in zip(sizes, codes, strict=False):
        with WireClient(server.host, server.port, keep_alive=True, headers=BROWSER_HEADERS) as client:
            enrolled = client.post_json("/api/v1/enrol", {"code": code}, compress=False)
            check(enrolled.status == 201, enrolled.body)
            token = enrolled.body["device_token"]
            cursor = full_sync(client, token, enrolled.body["cursor"], [])  # catch up (announcements)
            households = [h["id"] for h in enrolled.body["group"]["households"]]
            items = corpus.reports(size, households, seed + size)
            client.reset_counters()
            full_sync(client, token, cursor, items, rules)
            floor = floor_bytes(items)
            total = client.sent + client.received
            rows.append(
                {
                    "queued_reports": size,
                    "round_trips": client.exchanges,
                    "bytes_sent": client.sent,
                    "bytes_received": client.received,
                    "bytes_total": total,
                    "floor_gzip_json_bytes": floor,
                    "total_over_floor": round(total / floor, 2),
                    "raw_json_bytes": len(compact(items)),
                }
            )
    return rows


def run(
    sizes: list[int], database_url: str | None = None, server: Server | None = None, rules: Rules = Rules()
) -> dict[str, Any]:
    with ExitStack() as stack:
        if server is None:
            server = stack.enter_context(gunicorn(database_url))
        rows = measure(server, sizes, rules=rules)
    client = f"PWA rules, Chromium-like headers, compact results {rules.compact_results}, gzip above {rules.gzip_above}"
    return {"client": client, "results": rows, "machine": machine()}


def table(figures: dict[str, Any]) -> str:
    lines = [f"{'reports':>8} {'round trips':>12} {'bytes total':>12} {'floor (gzip)':>13} {'ratio':>6}"]
    for row in figures["results"]:
        lines.append(
            f"{row['queued_reports']:>8} {row['round_trips']:>12} {row['bytes_total']:>12} "
            f"{row['floor_gzip_json_bytes']:>13} {row['total_over_floor']:>6}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None, server: Server | None = None) -> dict[str, Any]:
    """The command line; ``server`` lets the smoke test reuse a running Bình An instead of starting one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="1 and 10 reports only")
    parser.add_argument("--sizes", default="1,10,100")
    parser.add_argument("--database-url")
    parser.add_argument("--out")
    parser.add_argument("--full-results", action="store_true", help='ask for the old full results, not "compact"')
    parser.add_argument("--gzip-above", type=int, default=GZIP_ABOVE, help="gzip request bodies over N characters")
    args = parser.parse_args(argv)
    sizes = [1, 10] if args.small else [int(n) for n in args.sizes.split(",")]
    figures = run(sizes, args.database_url, server, Rules(not args.full_results, args.gzip_above))
    write_results("round_trips", figures, args.out)
    print(table(figures))
    return figures


if __name__ == "__main__":
    main()
