"""A phone's sync through an HTTPS reverse proxy: HTTP/1.1 against HTTP/2, nginx against Caddy, on the air.

    python benchmarks/proxy_h2.py [--small] [--syncs 3]

Starts Bình An (gunicorn, SQLite) behind Debian's nginx (one ``server`` speaking HTTP/2, one HTTP/1.1 only) and
Debian's Caddy (HTTP/2), each set up as docs/deploy-proxy.md configures production, on loopback ports with a
throwaway self-signed certificate. A byte-counting TCP relay sits in front of each, so what is counted is what a
phone puts on the air above TCP: TLS handshake and records, HTTP framing and headers.

The phone is Debian's Chromium (Playwright, mobile user agent, Vietnamese) calling the sync through the PWA's
own ``request`` (pwa/lib/api.js: its headers, the body gzip-compressed above 200 characters) with the PWA's rules
(benchmarks/round_trips.py: batches of at most 100 items, compact results, the cursor carried from answer to
answer, calls repeated while the answer says ``more``). Chromium keeps its connection open between calls, so
HTTP/2's header compression (HPACK) has learnt the headers after the first call, as on a phone:

- set-up: a page of the app's origin (``/api/v1/rules``), the TLS handshakes and a first sync that catches up
  (the commune's announcements);
- then ``--syncs`` syncs of one new report each (HPACK has learnt the headers by then), and one of 100 reports.

Each sync is set against its floor, the gzip size of its reports' own JSON (round_trips.floor_bytes); issue 12's
targets are one report ≤ 2.0× the floor and 100 reports ≤ 1.3×, in one round trip. Also given: the seconds those
bytes take on the 2G profile of benchmarks/pwa_2g.py (50 kbit/s up, 250 kbit/s down; latency left out).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import Browser, Page, sync_playwright

from benchmarks import corpus
from benchmarks.live import check, free_port, gunicorn, machine, stop, write_results
from benchmarks.relay import Relay
from benchmarks.round_trips import BROWSER_HEADERS, batches, floor_bytes
from benchmarks.wire import WireClient
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.cluster.nginx import nginx_binary

UP_BPS, DOWN_BPS = 50_000, 250_000  # benchmarks/pwa_2g.py's 2G profile

NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream binhan {{ server 127.0.0.1:{app}; keepalive 8; }}
    server {{
        listen 127.0.0.1:{h2} ssl http2;
        {common}
    }}
    server {{
        listen 127.0.0.1:{h1} ssl;
        {common}
    }}
}}
"""

COMMON = """
        ssl_certificate {tmp}/cert.pem;
        ssl_certificate_key {tmp}/key.pem;
        ssl_protocols TLSv1.3;
        add_header Strict-Transport-Security "max-age=31536000" always;
        server_tokens off;
        client_max_body_size 3m;
        location / {{
            proxy_pass http://binhan;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
"""


CADDYFILE = """\
{{
    admin off
    auto_https off
    storage file_system {tmp}/caddy
    servers {{
        protocols h1 h2
    }}
}}
https://localhost:{port} {{
    bind 127.0.0.1
    tls {tmp}/cert.pem {tmp}/key.pem
    header -Server
    header Strict-Transport-Security "max-age=31536000"
    request_body {{
        max_size 3MB
    }}
    skip_log /api/v1/tips*
    reverse_proxy 127.0.0.1:{app}
}}
"""
FRONTS = ("nginx, HTTP/1.1", "nginx, HTTP/2", "Caddy, HTTP/2")
GROUPS = ("DONG-01", "DONG-02", "TAY-01")  # one phone per front, each with its own cursor


def certificate(tmp: str) -> None:
    """A throwaway P-256 certificate for localhost (cert.pem, key.pem in ``tmp``), one day long."""
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
            *("-days", "1", "-subj", "/CN=localhost", "-keyout", f"{tmp}/key.pem", "-out", f"{tmp}/cert.pem"),
        ],
        check=True,
        capture_output=True,
    )


def _listening(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            threading.Event().wait(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


@contextmanager
def nginx(app_port: int, tmp: str) -> Iterator[tuple[int, int]]:
    """Debian's nginx: (HTTP/2 port, HTTP/1.1 port), both TLS, both proxying to ``app_port``."""
    binary = nginx_binary()
    check(binary is not None, "nginx is not installed (apt-get install -y nginx)")
    h2, h1 = free_port(), free_port()
    conf = Path(tmp) / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, app=app_port, h2=h2, h1=h1, common=COMMON.format(tmp=tmp)))
    with open(Path(tmp) / "nginx.stderr", "wb") as log:
        proc = subprocess.Popen([str(binary), "-c", str(conf), "-p", tmp], stderr=log)
    try:
        _listening(h2)
        yield h2, h1
    finally:
        stop(proc)


@contextmanager
def caddy(app_port: int, tmp: str) -> Iterator[int]:
    """Debian's Caddy (HTTP/2 and HTTP/1.1, no HTTP/3), TLS, proxying to ``app_port``: its port."""
    binary = shutil.which("caddy")
    check(binary is not None, "Caddy is not installed (apt-get install -y caddy)")
    port = free_port()
    conf = Path(tmp) / "Caddyfile"
    conf.write_text(CADDYFILE.format(tmp=tmp, app=app_port, port=port))
    env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "XDG_DATA_HOME": tmp, "XDG_CONFIG_HOME": tmp}
    command = [str(binary), "run", "--config", str(conf), "--adapter", "caddyfile"]
    with open(Path(tmp) / "caddy.log", "wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _listening(port)
        yield port
    finally:
        stop(proc)


def _settled(relay: Relay) -> tuple[int, int]:
    """The relay's counts once what the last answer set off (acknowledgements, window updates) has crossed it."""
    threading.Event().wait(0.1)
    return relay.up, relay.down


def _row(before: tuple[int, int], after: tuple[int, int], floor: int | None = None) -> dict[str, Any]:
    up, down = after[0] - before[0], after[1] - before[1]
    row: dict[str, Any] = {"up": up, "down": down, "total": up + down}
    if floor is not None:
        row.update(floor_gzip_json_bytes=floor, total_over_floor=round((up + down) / floor, 2))
    row["seconds_on_2g"] = round(up * 8 / UP_BPS + down * 8 / DOWN_BPS, 3)
    return row


# The PWA's own API call (pwa/lib/api.js), loaded once into a page of the app's origin.
LOAD_API_JS = "async () => { window.binhanApi = await import('/lib/api.js'); }"
SYNC_JS = "({ token, body }) => window.binhanApi.request('/api/v1/sync', { method: 'POST', json: body, token })"


def full_sync(page: Page, token: str, cursor: str | None, items: list[dict[str, Any]]) -> tuple[str, int]:
    """Push every item and pull until ``more`` is false, as pushAndPull() in pwa/js/sync.js, from the page: the
    new cursor and the number of calls (round trips) it took."""
    queue = batches(items)
    more, calls = True, 0
    while queue or more:
        body = {"cursor": cursor, "push": queue.pop(0) if queue else [], "results": "compact"}
        answer = page.evaluate(SYNC_JS, {"token": token, "body": body})
        check(all(result["status"] == "created" for result in answer["results"]), answer["results"])
        cursor, more, calls = answer["cursor"], answer["more"], calls + 1
    return cursor or "", calls


def measure(browser: Browser, port: int, enrolled: dict[str, Any], syncs: int) -> dict[str, Any]:
    """One phone through the front at ``port``: set-up, ``syncs`` one-report syncs, then 100 reports at once."""
    token, households = enrolled["device_token"], [h["id"] for h in enrolled["group"]["households"]]
    relay = Relay(port)
    context = browser.new_context(
        ignore_https_errors=True,  # the throwaway certificate
        bypass_csp=True,  # the JSON page's CSP (default-src 'none') would refuse to load the PWA's module
        user_agent=BROWSER_HEADERS["User-Agent"],
        locale="vi-VN",
    )
    try:
        page = context.new_page()
        page.goto(f"https://localhost:{relay.port}/api/v1/rules")
        page.evaluate(LOAD_API_JS)
        cursor, _ = full_sync(page, token, enrolled["cursor"], [])
        setup = _row((0, 0), _settled(relay))
        ones = []
        for n in range(syncs):
            items = corpus.reports(1, households, 100 + n, id_seed=uuid.uuid4().int)
            before = _settled(relay)
            cursor, calls = full_sync(page, token, cursor, items)
            ones.append({**_row(before, _settled(relay), floor_bytes(items)), "round_trips": calls})
        items = corpus.reports(100, households, 7, id_seed=uuid.uuid4().int)
        before = _settled(relay)
        _, calls = full_sync(page, token, cursor, items)
        hundred = {**_row(before, _settled(relay), floor_bytes(items)), "round_trips": calls}
    finally:
        context.close()
        relay.close()
    return {"setup": setup, "one_report_syncs": ones, "hundred_reports": hundred}


def run(syncs: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"machine": machine(), "one_report_syncs": syncs}
    with ExitStack() as stack:
        server = stack.enter_context(gunicorn())
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="binhan-proxy-"))
        certificate(tmp)
        h2, h1 = stack.enter_context(nginx(server.port, tmp))
        caddy_port = stack.enter_context(caddy(server.port, tmp))
        driver = stack.enter_context(sync_playwright())
        # localhost is the certificate's name; the relays listen on IPv4 only.
        resolve = "--host-resolver-rules=MAP localhost 127.0.0.1"
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, resolve])
        stack.callback(browser.close)
        codes = server.enrolment_codes(*GROUPS)
        for front, port, code in zip(FRONTS, (h1, h2, caddy_port), codes, strict=True):
            with WireClient(server.host, server.port, keep_alive=True) as client:
                enrolled = client.post_json("/api/v1/enrol", {"code": code}, compress=False)
            check(enrolled.status == 201, enrolled.body)
            figures[front] = measure(browser, port, enrolled.body, syncs)
    return figures


def table(figures: dict[str, Any]) -> str:
    lines = [f"{'':16} {'set-up (TLS + catch-up)':>24} {'1 report (last), × floor':>34} {'100 reports, × floor':>26}"]
    for front in FRONTS:
        row = figures[front]
        setup, one, hundred = row["setup"], row["one_report_syncs"][-1], row["hundred_reports"]
        lines.append(
            f"{front:16} {setup['up']:>8} up {setup['down']:>6} down "
            f"{one['up']:>8} up {one['down']:>5} down {one['total_over_floor']:>5}× "
            f"{hundred['total']:>10} B {hundred['total_over_floor']:>5}×"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="1 one-report sync per front")
    parser.add_argument("--syncs", type=int, default=3, help="one-report syncs per front")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    figures = run(1 if args.small else args.syncs)
    write_results("proxy_h2", figures, args.out)
    print(table(figures))
    return figures


if __name__ == "__main__":
    main()
