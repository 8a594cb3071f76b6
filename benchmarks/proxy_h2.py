"""A phone's sync through an HTTPS reverse proxy (nginx), HTTP/1.1 against HTTP/2: what header compression saves.

    python benchmarks/proxy_h2.py [--small] [--syncs 3]

Starts Bình An (gunicorn, SQLite) and Debian's nginx (``apt-get install nginx``) on loopback ports with a
throwaway self-signed certificate, one ``server`` speaking HTTP/2 and one HTTP/1.1 only, both proxying to the
same gunicorn as docs/deploy-proxy.md configures production. A byte-counting TCP relay sits in front of nginx,
so what is counted is what a phone puts on the air above TCP: TLS handshake, records and HTTP framing. curl
(built with nghttp2) plays the phone with the headers Chromium on Android sends (benchmarks/round_trips.py),
syncing one new report per call, all calls over one connection as the PWA's fetch would reuse it.

Printed per protocol: bytes of the first sync (handshake included), of each later sync on the same connection
(where HPACK's dynamic table has learnt the headers), and the time those bytes take on the 2G profile of
benchmarks/pwa_2g.py (50 kbit/s up, 250 kbit/s down; latency not included, it is the same for both).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import corpus
from benchmarks.live import check, free_port, gunicorn, machine, stop, write_results
from benchmarks.relay import Relay
from benchmarks.round_trips import BROWSER_HEADERS
from benchmarks.wire import WireClient

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


@contextmanager
def nginx(app_port: int) -> Iterator[tuple[int, int]]:
    """nginx with a throwaway certificate: (HTTP/2 port, HTTP/1.1 port), both TLS, both proxying to ``app_port``."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    check(Path(binary).exists(), "nginx is not installed (apt-get install -y nginx)")
    with tempfile.TemporaryDirectory(prefix="binhan-proxy-") as tmp:
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
                *("-days", "1", "-subj", "/CN=localhost", "-keyout", f"{tmp}/key.pem", "-out", f"{tmp}/cert.pem"),
            ],
            check=True,
            capture_output=True,
        )
        h2, h1 = free_port(), free_port()
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, app=app_port, h2=h2, h1=h1, common=COMMON.format(tmp=tmp)))
        proc = subprocess.Popen([binary, "-c", str(conf), "-p", tmp], stderr=subprocess.PIPE)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", h2), timeout=0.2).close()
                    break
                except OSError:
                    threading.Event().wait(0.1)
            yield h2, h1
        finally:
            stop(proc)


def curl_syncs(port: int, http2: bool, token: str, bodies: list[dict[str, Any]], tmp: Path) -> list[dict[str, Any]]:
    """Each body POSTed in turn over one connection (curl reuses it across ``--next``); the parsed answers."""
    args = ["curl", "--silent", "--insecure", "--compressed", "--http2" if http2 else "--http1.1"]
    for index, body in enumerate(bodies):
        path = tmp / f"body{index}.json"
        path.write_text(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
        headers = [*(f"{k}: {v}" for k, v in BROWSER_HEADERS.items()), f"Authorization: Bearer {token}"]
        headers.append("Content-Type: application/json")
        args += ["--next"] if index else []
        args += ["--insecure", "--compressed", "--http2" if http2 else "--http1.1", "--data-binary", f"@{path}"]
        args += [arg for header in headers for arg in ("-H", header)]
        args += ["-w", "\\n", f"https://localhost:{port}/api/v1/sync"]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def measure(relay: Relay, http2: bool, syncs: int, households: list[int], token: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        counts = []
        for n in range(1, syncs + 1):  # n syncs on one connection; the difference is the n-th sync's cost
            items = corpus.reports(n, households, seed=n, id_seed=uuid.uuid4().int)
            bodies = [{"cursor": None, "push": [item]} for item in items]
            relay.reset()
            answers = curl_syncs(relay.port, http2, token, bodies, Path(tmp))
            threading.Event().wait(0.3)  # the relay forwards the last bytes (TLS close) after curl exits
            check([a["results"][0]["status"] for a in answers] == ["created"] * n, answers)
            counts.append((relay.up, relay.down))
    first = {"up": counts[0][0], "down": counts[0][1]}
    later = [{"up": counts[i][0] - counts[i - 1][0], "down": counts[i][1] - counts[i - 1][1]} for i in range(1, syncs)]
    return {"first_sync": {**first, **_on_2g(first)}, "later_syncs": [{**row, **_on_2g(row)} for row in later]}


def _on_2g(row: dict[str, int]) -> dict[str, float]:
    return {
        "total": row["up"] + row["down"],
        "seconds_on_2g": round(row["up"] * 8 / UP_BPS + row["down"] * 8 / DOWN_BPS, 3),
    }


def run(syncs: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"machine": machine(), "syncs_per_connection": syncs}
    with gunicorn() as server, nginx(server.port) as (h2, h1):
        with WireClient(server.host, server.port, keep_alive=True) as client:
            enrolled = client.post_json("/api/v1/enrol", {"code": server.enrolment_code("DONG-01")}, compress=False)
            check(enrolled.status == 201, enrolled.body)
        token = enrolled.body["device_token"]
        households = [h["id"] for h in enrolled.body["group"]["households"]]
        for name, port, http2 in (("http1.1+tls", h1, False), ("http2+tls", h2, True)):
            relay = Relay(port)
            try:
                figures[name] = measure(relay, http2, syncs, households, token)
            finally:
                relay.close()
    return figures


def table(figures: dict[str, Any]) -> str:
    lines = [f"{'':14} {'first sync (handshake incl.)':>30} {'each later sync on the connection':>36}"]
    for name in ("http1.1+tls", "http2+tls"):
        row = figures[name]
        first = row["first_sync"]
        later = row["later_syncs"][-1] if row["later_syncs"] else {"up": 0, "down": 0, "seconds_on_2g": 0}
        lines.append(
            f"{name:14} {first['up']:>8} up {first['down']:>6} down {first['seconds_on_2g']:>5} s "
            f"{later['up']:>12} up {later['down']:>6} down {later['seconds_on_2g']:>5} s"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="2 syncs per connection")
    parser.add_argument("--syncs", type=int, default=3)
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    figures = run(2 if args.small else args.syncs)
    write_results("proxy_h2", figures, args.out)
    print(table(figures))
    return figures


if __name__ == "__main__":
    main()
