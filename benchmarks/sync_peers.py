"""Sync throughput against two peers, in one run: Bình An (PostgreSQL and SQLite), Kinto and PouchDB Server.

    python benchmarks/sync_peers.py [--small] [--reports 2000] [--batch 50] [--rounds 5] [--peers a,b,...]
                                    [--before REVISION] [--pouchdb-in-memory]

Every peer is started once, on this machine, with the same client (benchmarks/wire.py over one kept-alive
connection) pushing the same reports (benchmarks/corpus.py: Vietnamese text with tones) in the same batches:

- Bình An (2 gunicorn workers × 4 threads) on a fresh PostgreSQL database, and again on SQLite (WAL): ``POST
  /api/v1/sync`` with gzip both ways, as the PWA sends it; every result must be ``created``.
- Kinto (benchmarks/kinto_server.py, its own venv, same gunicorn settings, PostgreSQL): ``POST /v1/batch`` of
  ``PUT …/records/<uuid>`` with ``If-None-Match: *`` (create once, never overwrite).
- PouchDB Server from npm (``pouchdb-server``, installed on first use into ``~/.cache/binhan-bench/pouchdb``,
  default LevelDB storage; ``--pouchdb-in-memory`` if its native LevelDB build fails): ``POST /db/_bulk_docs``
  (no authentication: it runs in "admin party" mode; it also checks no household or group).

Fairness: rounds are interleaved and their order rotated (round r starts with peer r), each round pushes the
same texts under fresh UUIDs (tables grow as in production), and every database-backed peer gets ``ANALYZE``
between rounds (PostgreSQL here runs with autovacuum off, so without it a growing table keeps no statistics).
Figures are medians of the rounds with their min–max. A peer that cannot be installed or started is reported
as unavailable with the tool's own error; ``--small`` leaves out the peers that are not already installed.
``--before REV`` adds Bình An as of a git revision (exported with ``git archive``) on each database, in the
same rounds: the before/after of a change measured under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import corpus, kinto_server, live
from benchmarks.live import (
    Server,
    check,
    free_port,
    gunicorn,
    machine,
    percentile,
    pg_database,
    stop,
    wait_until_up,
    write_results,
)
from benchmarks.wire import Exchange, WireClient, basic_auth

PEERS = ("binhan-postgresql", "binhan-sqlite", "kinto", "pouchdb")
CACHE = Path(os.environ.get("BINHAN_BENCH_CACHE", Path.home() / ".cache" / "binhan-bench"))
POUCHDB_DIR = CACHE / "pouchdb"
POUCHDB_VERSION = "4.2.0"
BUCKET, COLLECTION = "binhan", "reports"
Send = Callable[[list[dict[str, Any]]], Exchange]


class PeerUnavailable(RuntimeError):
    """The peer could not be installed or started here; the message says why (the tool's own output)."""


@dataclass
class Peer:
    """A running peer: how to push a batch, how to refresh its planner statistics, what it is called."""

    name: str
    label: str
    client: WireClient
    send: Send
    analyze: Callable[[], None] = lambda: None
    households: list[int] = field(default_factory=lambda: list(range(1, 7)))
    created: int = 0


def measure(peer: Peer, items: list[dict[str, Any]], batch: int) -> dict[str, Any]:
    """One round of one peer: ``items`` in batches; reports/s, latency per batch, bytes per report."""
    peer.client.reset_counters()
    latencies = []
    started = time.perf_counter()
    for start in range(0, len(items), batch):
        latencies.append(peer.send(items[start : start + batch]).seconds)
    elapsed = time.perf_counter() - started
    return {
        "reports_per_second": round(len(items) / elapsed, 1),
        "median_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "bytes_per_report": round((peer.client.sent + peer.client.received) / len(items), 1),
    }


# --- Bình An ------------------------------------------------------------------------------------------------


def _pg_analyze(url: str) -> Callable[[], None]:
    def analyze() -> None:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")

    return analyze


def _sqlite_analyze(path: str) -> Callable[[], None]:
    def analyze() -> None:
        with sqlite3.connect(path, timeout=30) as conn:
            conn.execute("ANALYZE")

    return analyze


@contextmanager
def source_tree(tree: Path | None) -> Iterator[None]:
    """Start servers from another checkout (``--before``): benchmarks/live.py runs them from ``REPO_ROOT``."""
    if tree is None:
        yield
        return
    saved = live.REPO_ROOT
    live.REPO_ROOT = tree
    try:
        yield
    finally:
        live.REPO_ROOT = saved


def export_revision(revision: str, stack: ExitStack) -> Path:
    """The project's files at ``revision`` in a temporary directory (git archive), to measure it beside HEAD."""
    tree = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="binhan-before-")))
    archive = subprocess.run(["git", "archive", revision], cwd=live.REPO_ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


@contextmanager
def binhan(database: str, stack: ExitStack, tree: Path | None = None, tag: str = "") -> Iterator[Peer]:
    """Bình An on a fresh database; one enrolled phone pushes, gzip both ways as the PWA does."""
    url = stack.enter_context(pg_database("bench_peers")) if database == "postgresql" else None
    with source_tree(tree):
        server: Server = stack.enter_context(gunicorn(url))
        code = server.enrolment_code("DONG-01")
    sqlite_path = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    analyze = _pg_analyze(url) if url else _sqlite_analyze(sqlite_path)
    with WireClient(server.host, server.port, keep_alive=True) as client:
        enrolled = client.post_json("/api/v1/enrol", {"code": code}, compress=False)
        check(enrolled.status == 201, enrolled.body)
        token, state = enrolled.body["device_token"], {"cursor": enrolled.body["cursor"]}
        name, label = f"binhan-{database}{tag}", f"Bình An{tag and ' ' + tag.strip('-')}, {database} (gzip, as the PWA)"
        peer = Peer(name, label, client, lambda _: _unset())
        peer.households = [h["id"] for h in enrolled.body["group"]["households"]]

        def send(chunk: list[dict[str, Any]]) -> Exchange:
            answer = client.post_json("/api/v1/sync", {"cursor": state["cursor"], "push": chunk}, token=token)
            check(answer.status == 200, answer.body)
            state["cursor"] = answer.body["cursor"]
            peer.created += sum(r["status"] == "created" for r in answer.body["results"])
            return answer

        peer.send, peer.analyze = send, analyze
        for _ in range(4):  # warm both workers' database connections
            send([])
        yield peer


def _unset() -> Exchange:
    raise RuntimeError("send is set once the peer is ready")


# --- Kinto --------------------------------------------------------------------------------------------------


@contextmanager
def kinto(batch: int, stack: ExitStack) -> Iterator[Peer]:
    url = stack.enter_context(pg_database("bench_peers_kinto"))
    try:
        server = stack.enter_context(kinto_server.kinto(url, batch=batch))
    except kinto_server.KintoUnavailable as exc:
        raise PeerUnavailable(str(exc)) from exc
    auth = {"Authorization": basic_auth("dien-thoai-dong-01", "mat-khau-may")}
    with WireClient(server.host, server.port, keep_alive=True, headers=auth) as client:
        for path in (f"/v1/buckets/{BUCKET}", f"/v1/buckets/{BUCKET}/collections/{COLLECTION}"):
            answer = client.request("PUT", path, body=b"{}", headers={"Content-Type": "application/json"})
            check(answer.status == 201, answer.body)
        peer = Peer("kinto", f"Kinto {server.version} (/v1/batch)", client, lambda _: _unset(), _pg_analyze(url))

        def send(chunk: list[dict[str, Any]]) -> Exchange:
            requests = [
                {
                    "path": f"/buckets/{BUCKET}/collections/{COLLECTION}/records/{item['id']}",
                    "body": {"data": {k: v for k, v in item.items() if k not in ("type", "id")}},
                }
                for item in chunk
            ]
            body = {"defaults": {"method": "PUT", "headers": {"If-None-Match": "*"}}, "requests": requests}
            answer = client.post_json("/v1/batch", body, compress=False)
            check(answer.status == 200, answer.body)
            peer.created += sum(r["status"] == 201 for r in answer.body["responses"])
            return answer

        peer.send = send
        for _ in range(4):
            client.request("GET", f"/v1/buckets/{BUCKET}/collections/{COLLECTION}/records?_limit=1")
        yield peer


# --- PouchDB Server -----------------------------------------------------------------------------------------


def _npm(args: list[str], timeout: float) -> str:
    try:
        done = subprocess.run(["npm", *args], cwd=POUCHDB_DIR, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PeerUnavailable(f"npm {' '.join(args)}: {exc}") from exc
    if done.returncode != 0:
        raise PeerUnavailable(f"npm {' '.join(args)} exited {done.returncode}:\n{done.stderr.strip()[-1500:]}")
    return done.stdout


def pouchdb_bin(*, install: bool) -> Path:
    """pouchdb-server's command, installed with npm into the cache directory (outside the repository) if missing."""
    command = POUCHDB_DIR / "node_modules" / ".bin" / "pouchdb-server"
    if not command.exists():
        if not install:
            raise PeerUnavailable(f"pouchdb-server is not installed in {POUCHDB_DIR} (--small installs nothing)")
        if shutil.which("npm") is None:
            raise PeerUnavailable("npm is not installed (apt-get install npm)")
        POUCHDB_DIR.mkdir(parents=True, exist_ok=True)
        (POUCHDB_DIR / "package.json").write_text('{"name": "binhan-bench-pouchdb", "private": true}\n')
        _npm(["install", "--no-audit", "--no-fund", f"pouchdb-server@{POUCHDB_VERSION}"], timeout=1200)
    return command


def _json(answer: Exchange) -> Any:
    """PouchDB Server labels its JSON ``text/plain``: decode it here."""
    return json.loads(answer.body) if isinstance(answer.body, bytes) else answer.body


@contextmanager
def pouchdb(*, in_memory: bool, install: bool) -> Iterator[Peer]:
    command = pouchdb_bin(install=install)
    with tempfile.TemporaryDirectory(prefix="pouchdb-bench-") as tmp:
        port = free_port()
        args = [str(command), "--host", "127.0.0.1", "--port", str(port), "--dir", tmp, "--no-stdout-logs"]
        args += ["--in-memory"] if in_memory else []
        log = Path(tmp) / "server.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(args, cwd=tmp, stdout=out, stderr=subprocess.STDOUT)
        try:
            try:
                wait_until_up(f"http://127.0.0.1:{port}/", proc, log)
            except RuntimeError as exc:
                raise PeerUnavailable(str(exc)) from exc
            with WireClient("127.0.0.1", port, keep_alive=True) as client:
                answer = client.request("PUT", "/reports")
                check(answer.status == 201, answer.body)
                version = _json(client.get("/")).get("version", "?")
                storage = "in memory" if in_memory else "LevelDB"
                peer = Peer("pouchdb", f"PouchDB Server {version} ({storage}, _bulk_docs)", client, lambda _: _unset())

                def send(chunk: list[dict[str, Any]]) -> Exchange:
                    docs = [{"_id": item["id"], **{k: v for k, v in item.items() if k != "id"}} for item in chunk]
                    answer = client.post_json("/reports/_bulk_docs", {"docs": docs}, compress=False)
                    check(answer.status == 201, answer.body)
                    peer.created += sum(bool(r.get("ok")) for r in _json(answer))
                    return answer

                peer.send = send
                for _ in range(4):
                    client.get("/reports")
                yield peer
        finally:
            stop(proc)


# --- the run ------------------------------------------------------------------------------------------------


def start(name: str, stack: ExitStack, batch: int, *, small: bool, in_memory: bool, before: Path | None) -> Peer:
    if name.endswith("-before"):
        check(before is not None, f"{name} needs --before REVISION")
        return stack.enter_context(binhan(name.split("-")[1], stack, before, "-before"))
    if name.startswith("binhan-"):
        return stack.enter_context(binhan(name.removeprefix("binhan-"), stack))
    if name == "kinto":
        if small and not (kinto_server.VENV / "bin" / "kinto").exists():
            raise PeerUnavailable(f"Kinto is not installed in {kinto_server.VENV} (--small installs nothing)")
        return stack.enter_context(kinto(batch, stack))
    return stack.enter_context(pouchdb(in_memory=in_memory, install=not small))


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of the rounds and min–max for each figure."""
    out: dict[str, Any] = {"rounds": len(rounds)}
    for key in ("reports_per_second", "median_ms", "p95_ms", "bytes_per_report"):
        values = [r[key] for r in rounds]
        out[key] = round(statistics.median(values), 1)
        out[f"{key}_min_max"] = [min(values), max(values)]
    return out


def run(
    names: list[str],
    count: int,
    batch: int,
    rounds: int,
    *,
    small: bool,
    in_memory: bool,
    before: str | None = None,
    seed: int = 42,
) -> dict[str, Any]:
    figures: dict[str, Any] = {"reports_per_round": count, "batch": batch, "machine": machine(), "peers": {}}
    with ExitStack() as stack:
        tree = export_revision(before, stack) if before else None
        if before:
            figures["before"] = before
            names = [*names, *(f"{n}-before" for n in names if n.startswith("binhan-"))]
        peers: list[Peer] = []
        for name in names:
            try:
                peers.append(start(name, stack, batch, small=small, in_memory=in_memory, before=tree))
            except PeerUnavailable as exc:
                print(f"{name} unavailable: {exc}", file=sys.stderr)
                figures["peers"][name] = {"unavailable": str(exc)}
        per_round: dict[str, list[dict[str, Any]]] = {peer.name: [] for peer in peers}
        for number in range(rounds):
            order = peers[number % len(peers) :] + peers[: number % len(peers)] if peers else []
            for peer in order:
                items = corpus.reports(count, peer.households, seed, id_seed=seed * 1000 + number)
                per_round[peer.name].append({**measure(peer, items, batch), "order": order.index(peer)})
            for peer in peers:
                peer.analyze()
        for peer in peers:
            check(peer.created == count * rounds, f"{peer.name}: {peer.created} of {count * rounds} created")
            rows = per_round[peer.name]
            figures["peers"][peer.name] = {"label": peer.label, **summary(rows), "each": rows}
    return figures


def table(figures: dict[str, Any]) -> str:
    lines = [f"{'':46} {'reports/s (min–max)':>24} {'batch median / p95 ms':>22} {'B/report':>9}"]
    for name, row in figures["peers"].items():
        if "unavailable" in row:
            lines.append(f"{name:46} unavailable")
            continue
        low, high = row["reports_per_second_min_max"]
        lines.append(
            f"{row['label']:46} {row['reports_per_second']:>8} ({low:>6}–{high:<6}) "
            f"{row['median_ms']:>10} / {row['p95_ms']:<9} {row['bytes_per_report']:>9}"
        )
    base = figures["peers"].get("binhan-postgresql", {}).get("reports_per_second")
    for name, row in figures["peers"].items():
        if base and name != "binhan-postgresql" and "reports_per_second" in row:
            lines.append(f"Bình An (PostgreSQL) / {name}: {base / row['reports_per_second']:.2f}× reports/s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="2 rounds of 40 reports in batches of 10")
    parser.add_argument("--reports", type=int, default=2000, help="reports per peer per round")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--pouchdb-in-memory", action="store_true", help="if its LevelDB build fails here")
    parser.add_argument("--before", metavar="REVISION", help="also run Bình An as of this git revision")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    count, batch, rounds = (40, 10, 2) if args.small else (args.reports, args.batch, args.rounds)
    names = [name for name in args.peers.split(",") if name]
    figures = run(names, count, batch, rounds, small=args.small, in_memory=args.pouchdb_in_memory, before=args.before)
    write_results("sync_peers", figures, args.out)
    print(table(figures))
    return figures


if __name__ == "__main__":
    main()
