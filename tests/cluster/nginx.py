"""Debian's nginx in front of several app servers, as docs/deploy-proxy.md sets it up, for one test.

It runs in the foreground (``daemon off``) as the test's own user, with everything it writes (pid, logs, temp
files) in the test's temporary directory, and balances round robin between the upstream ports. A connection
error or a timeout on one app server (it was killed) sends the request to the next one
(``proxy_next_upstream error timeout``) when nothing of it was sent yet; otherwise the phone gets the 502 and
retries, as its outbox does after any 5xx.

The access log names the app server of each request (``$upstream_addr``: two addresses when nginx moved on
to the next one), so a test can tell where each chunk of a photo landed.
"""

from __future__ import annotations

import getpass
import http.client
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

from benchmarks.live import free_port

CONFIG = """
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}

http {{
    log_format cluster '$request_method $uri $status $request_time $upstream_addr';
    access_log {tmp}/access.log cluster;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    client_max_body_size 3m;
    gzip off;

    upstream binhan {{
{servers}
        keepalive 16;
    }}

    server {{
        listen 127.0.0.1:{port};
        location = /__nginx {{ return 204; }}  # answered by nginx itself: the test knows it is nginx listening
        location / {{
            proxy_pass http://binhan;
            # docs/deploy-proxy.md, binhan_proxy.conf:
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 60s;
            proxy_request_buffering off;
            # an app server that is down: try the other one (a request already sent is not sent again)
            proxy_connect_timeout 2s;
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
        }}
    }}
}}
"""


class Entry(NamedTuple):
    method: str
    path: str
    status: int
    seconds: float
    upstreams: list[str]


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


class NginxUnavailable(Exception):
    """nginx is not installed or does not start here: the caller skips, with this reason."""


def two_free_ports() -> list[int]:
    """Two different free ports: the app servers' fixed upstream addresses."""
    ports: list[int] = []
    while len(ports) < 2:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


class Nginx:
    def __init__(self, tmp: Path, upstream_ports: list[int]) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.upstream_ports = upstream_ports
        self.proc: subprocess.Popen[bytes] | None = None
        self.conf = tmp / "nginx.conf"

    def start(self) -> Nginx:
        binary = nginx_binary()
        if binary is None:
            raise NginxUnavailable("nginx is not installed (apt-get install nginx; .ci/run installs it)")
        self.tmp.mkdir(parents=True, exist_ok=True)
        # As root, nginx would hand its workers to "nobody"; keep them the test's user (they write the temp dirs).
        user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in self.upstream_ports
        )
        self.conf.write_text(CONFIG.format(user=user, tmp=self.tmp, servers=servers, port=self.port))
        command = [binary, "-p", str(self.tmp), "-c", str(self.conf), "-e", str(self.tmp / "error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        if checked.returncode != 0:
            raise NginxUnavailable(f"nginx refuses its configuration: {checked.stderr.strip()[-800:]}")
        self.proc = subprocess.Popen(
            [*command, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise NginxUnavailable(f"nginx exited with {self.proc.returncode}: {self.error_log()[-800:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/__nginx")
                answer = conn.getresponse()
                conn.close()
                if answer.status == 204 and answer.getheader("Server", "").startswith("nginx"):
                    return self
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        self.stop()
        raise NginxUnavailable(f"nginx did not listen within 15 s: {self.error_log()[-800:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGQUIT)  # graceful: finish the requests in flight
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def error_log(self) -> str:
        path = self.tmp / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def access_entries(self) -> list[Entry]:
        """Every request nginx logged: method, path, status, seconds, the app servers tried (in order)."""
        path = self.tmp / "access.log"
        entries = []
        for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
            method, uri, status, seconds, upstream = line.split(" ", 4)
            # app servers only: "-" is no upstream; the group's name ("binhan") means none was live then
            tried = [u.strip() for u in upstream.split(",") if u.strip().startswith("127.0.0.1:")]
            entries.append(Entry(method, uri, int(status), float(seconds), tried))
        return entries
