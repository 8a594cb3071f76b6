"""Benchmarks are not tests, but a tiny run of each keeps them from rotting (and exercises real gunicorn HTTP).

Each benchmark's own command line (``main``) runs at its ``--small`` size against one gunicorn server on a
throwaway PostgreSQL database, shared by the module so that the whole set stays well under a minute. The
figures themselves are not judged here (the machine may be busy): only that each run completes, measures
what it says, and writes its JSON file.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from benchmarks import (
    anonymity_cost,
    image_bombs,
    live_console,
    load,
    proxy_h2,
    pull_month,
    pwa_2g,
    pwa_voice_2g,
    pwa_weight,
    report_insert,
    round_trips,
    scale,
    sms_parts,
    sync_peers,
    sync_push,
)
from benchmarks.live import Server, gunicorn, pg_database
from tests.cluster.nginx import nginx_binary

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One Bình An (2 workers × 4 threads) on a fresh PostgreSQL database for every smoke run."""
    with pg_database("smoke_bench") as url, gunicorn(url) as running:
        yield running


def _written(path: Path) -> dict:
    return json.loads(path.read_text())


def _own_thread(main: Callable[..., Any], *args: Any) -> Any:
    """A browser benchmark's ``main`` in a thread of its own: when this worker ran tests/browser before, their
    session-wide sync Playwright is still up in this thread, and a second one refuses to start beside it."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(main, *args).result()


def test_sync_push(server: Server, tmp_path: Path) -> None:
    figures = sync_push.main(["--reports", "23", "--batch", "7", "--out", str(tmp_path / "out.json")], server)
    assert figures["reports"] == 23
    assert figures["reports_per_second"] > 0
    assert 0 < figures["request_bytes_per_report"] < 2000
    assert _written(tmp_path / "out.json")["database"] == "postgresql"


def test_round_trips(server: Server, tmp_path: Path) -> None:
    figures = round_trips.main(["--small", "--out", str(tmp_path / "out.json")], server)
    rows = {row["queued_reports"]: row for row in figures["results"]}
    assert set(rows) == {1, 10}
    assert rows[1]["round_trips"] == 1 and rows[10]["round_trips"] == 1, "one round trip syncs everything"
    assert rows[10]["bytes_total"] > rows[10]["floor_gzip_json_bytes"] > 0


def test_anonymity_cost(server: Server, tmp_path: Path) -> None:
    figures = anonymity_cost.main(["--out", str(tmp_path / "out.json")], server)
    rows = figures["rows"]
    assert rows["named report in /sync"]["round_trips"] == 1
    assert rows["tip: the tip alone"]["round_trips"] == 1 and rows["tip: the tip alone"]["bytes_sent"] > 0
    assert (
        rows["tip: mailbox poll, one sealed reply"]["bytes_received"]
        > rows["tip: mailbox poll, nothing new"]["bytes_received"]
    ), "the sealed reply came in the poll"


def test_load(server: Server, tmp_path: Path) -> None:
    figures = load.main(["--phones", "3", "--seconds", "1.5", "--out", str(tmp_path / "out.json")], server)
    assert figures["syncs"] > 0 and figures["errors"] == 0
    assert len(figures["workers"]) == 2 and all(w["rss_peak_mib"] > 0 for w in figures["workers"])


def test_image_bombs(server: Server, tmp_path: Path) -> None:
    figures = image_bombs.main(["--small", "--out", str(tmp_path / "out.json")], server)
    uploads = figures["uploads"]
    assert len(uploads) == 4 and all(u["status"] in (200, 422, 503) for u in uploads), uploads  # 503: slot busy
    assert all(u["code"] == "image_too_large" for u in uploads if u["kind"].startswith("png 40 M")), uploads
    assert figures["legit_syncs"] > 0 and figures["legit_errors"] == 0, "syncs are answered during the storm"
    assert len(figures["workers"]) == 2 and all(w["rss_peak_mib"] > 0 for w in figures["workers"])


def test_scale(server: Server, tmp_path: Path) -> None:
    figures = scale.main(["--small", "--out", str(tmp_path / "out.json")], server)
    (phase,) = figures["phases"]
    cases = {row["case"] for row in phase["results"]}
    assert {"queue newest, page 1", "stats 30 days", "sync pull, back after a week"} <= cases
    statements = {row["case"]: row["sql_statements"] for row in phase["sql"] if "sql_statements" in row}
    assert statements["queue newest, page 1"] <= 6, "the queue page loads its relations with the page"


@pytest.mark.browser
def test_pwa_2g(server: Server, tmp_path: Path) -> None:
    figures = _own_thread(pwa_2g.main, ["--small", "--out", str(tmp_path / "out.json")], server)
    (text,) = figures["results"]
    assert text["requests"] >= 1 and text["bytes_up"] > 0 and text["bytes_down"] > 0
    assert text["online_to_sent_s"] >= pwa_2g.PROFILE["latency_ms"] / 1000, "the 2G latency was applied"


@pytest.mark.browser
def test_live_console(server: Server, tmp_path: Path) -> None:
    figures = _own_thread(live_console.main, ["--small", "--out", str(tmp_path / "out.json")], server)
    assert figures["sync_to_console"]["rounds"] == 3 and figures["notifier"] == "table poll"
    assert 0 < figures["sync_to_console"]["median_s"] < 30
    assert 0 < figures["reply_to_phone_in_foreground"]["median_s"] < 30
    assert _written(tmp_path / "out.json")["database"] == "postgresql"


def test_pwa_voice_2g(server: Server, tmp_path: Path) -> None:
    figures = _own_thread(pwa_voice_2g.main, ["--small", "--out", str(tmp_path / "out.json")], server)
    (whole,) = figures["results"]
    (recording,) = figures["recordings"]
    assert recording["bytes"] > 0 and recording["content_type"] == "audio/webm" and recording["bits_per_s"] > 0
    assert whole["chunk_requests"] >= 1 and whole["resent_bytes"] == 0, whole
    assert whole["online_to_sent_s"] >= pwa_voice_2g.PROFILE["latency_ms"] / 1000, "the 2G latency was applied"
    assert _written(tmp_path / "out.json")["results"][0]["case"] == "whole"


@pytest.mark.browser
def test_pwa_weight(server: Server, tmp_path: Path) -> None:
    figures = _own_thread(pwa_weight.main, ["--small", "--out", str(tmp_path / "out.json")], server)
    shell = figures["first_load"]["shell_html_css_js"]
    assert 0 < shell["compressed_bytes"] < shell["uncompressed_bytes"]
    assert figures["repeat_load"]["body_bytes_from_network"] == 0


def test_sync_peers(tmp_path: Path) -> None:
    """Bình An always runs; Kinto and PouchDB Server only when already installed (``--small`` installs nothing)."""
    out = tmp_path / "out.json"
    figures = sync_peers.main(["--small", "--peers", "binhan-sqlite,kinto,pouchdb", "--out", str(out)])
    row = figures["peers"]["binhan-sqlite"]
    assert row["rounds"] == 2 and row["reports_per_second"] > 0
    low, high = row["reports_per_second_min_max"]
    assert low <= row["reports_per_second"] <= high
    for name in ("kinto", "pouchdb"):
        assert "unavailable" in figures["peers"][name] or figures["peers"][name]["rounds"] == 2
    assert _written(out)["batch"] == 10


@pytest.mark.skipif(
    nginx_binary() is None or shutil.which("caddy") is None,
    reason="needs Debian's nginx and Caddy (scripts/test.sh installs them)",
)
def test_proxy_h2(tmp_path: Path) -> None:
    """Chromium syncs through nginx (HTTP/1.1, HTTP/2) and Caddy (HTTP/2): one round trip for one report and for
    100, never under the floor, and HPACK sending HTTP/2's learnt request headers as indexes."""
    figures = _own_thread(proxy_h2.main, ["--small", "--out", str(tmp_path / "out.json")])
    for front in proxy_h2.FRONTS:
        one, hundred = figures[front]["one_report_syncs"][0], figures[front]["hundred_reports"]
        assert one["round_trips"] == hundred["round_trips"] == 1
        assert one["total"] > one["floor_gzip_json_bytes"] and hundred["total"] > hundred["floor_gzip_json_bytes"]
    http1, http2 = (figures[front]["one_report_syncs"][0]["up"] for front in proxy_h2.FRONTS[:2])
    assert http2 < http1 - 300, "Chromium's ~800 B of request headers go as HPACK indexes on HTTP/2"
    assert _written(tmp_path / "out.json")["one_report_syncs"] == 1


def test_report_insert(tmp_path: Path) -> None:
    """The push's INSERT, replayed from psycopg with and without each kind of index: every variant stores its
    whole batch (the run checks it) and is measured."""
    figures = report_insert.main(["--small", "--out", str(tmp_path / "out.json")])
    assert list(figures["insert"]) == list(report_insert.VARIANTS)
    assert all(row["median_ms"] > 0 for row in figures["insert"].values())
    assert figures["table_rows_at_start"] == 200 and _written(tmp_path / "out.json")["batch"] == 10


def test_pull_month(tmp_path: Path) -> None:
    figures = pull_month.main(["--small", "--out", str(tmp_path / "out.json")])
    assert figures["changes"] == 20 and figures["round_trips"] == 1, "a month of changes comes in one round trip"
    assert figures["bytes_total"] > figures["floor_gzip_json_bytes"] > 0


def test_sms_parts(tmp_path: Path) -> None:
    figures = sms_parts.main(["--small", "--out", str(tmp_path / "out.json")])
    rows = {row["encoding"]: row for row in figures["rows"]}
    assert figures["reports"] == 30 and rows["plain_ucs2"]["vs_plain_ucs2"] == 1.0
    assert rows["codec"]["mean_parts"] <= min(rows["codec_D"]["mean_parts"], rows["codec_U"]["mean_parts"])
    assert _written(tmp_path / "out.json")["price_vnd_per_sms_assumed"] == sms_parts.PRICE_VND
