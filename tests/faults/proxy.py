"""A fault-injecting HTTP/1.1 reverse proxy for tests: the bad village network, on 127.0.0.1.

Why our own and not mitmproxy: the faults we need are few and must hit exact moments of an exchange (before
the server saw the request, after it answered, in the middle of a body), the randomness must be seeded so a
failing run can be replayed, and a small asyncio proxy starts in milliseconds inside the test process.

Every request is read whole from the client, sent to the server on a fresh connection with
``Connection: close``, and the whole answer is read before anything goes back; the client connection is closed
after each answer. For each request whose method and path the plan's ``applies`` accepts, one fault kind is
drawn (or none), plus independent delay and low bandwidth:

- ``drop_before``: the connection is closed before the server sees anything.
- ``drop_after``: the server handled the request; its answer is thrown away and the connection closed.
- ``duplicate``: the request reaches the server twice (one after the other, or both at once); the client gets
  one of the answers.
- ``cut_request``: the server gets the head and part of the body, then the connection closes (both sides).
- ``cut_response``: the client gets part of the answer (head and some of the body), then the connection closes.
- ``delay`` and ``slow``: a pause before forwarding; the answer trickles at ``bandwidth`` bytes a second.

When the server is down (killed by the test), the proxy answers 502 like nginx would, and counts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

KINDS = ("drop_before", "drop_after", "duplicate", "cut_request", "cut_response")
_HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"upgrade"}
_BAD_GATEWAY = (
    b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 26\r\nConnection: close\r\n\r\n"
    b"<h1>502 Bad Gateway</h1>\r\n"
)


def api_only(method: str, path: str) -> bool:
    """The default target of faults: the phone's API calls, not the app shell (which the service worker keeps)."""
    return path.startswith("/api/")


@dataclass
class FaultPlan:
    """Probabilities per request. The five kinds are exclusive (their sum must stay <= 1); delay and slow add."""

    drop_before: float = 0.0
    drop_after: float = 0.0
    duplicate: float = 0.0
    cut_request: float = 0.0
    cut_response: float = 0.0
    delay: float = 0.0
    max_delay: float = 0.3
    slow: float = 0.0
    bandwidth: int = 64_000  # bytes per second when an answer is slow (2G-ish is ~ 10-30 KB/s)
    applies: Callable[[str, str], bool] = api_only

    def draw(self, rng: random.Random) -> tuple[str | None, float, bool]:
        """One request's fate: (fault kind or None, delay in seconds, slow?)."""
        roll, kind, edge = rng.random(), None, 0.0
        for name in KINDS:
            edge += getattr(self, name)
            if roll < edge:
                kind = name
                break
        delay = rng.uniform(0, self.max_delay) if rng.random() < self.delay else 0.0
        return kind, delay, rng.random() < self.slow


@dataclass
class Request:
    method: str
    path: str
    head: bytes  # request line and headers, rewritten for the upstream connection, ending in CRLFCRLF
    body: bytes
    cut_at: float = 0.5  # where a cut falls, as a share of the body (drawn with the fault)


@dataclass
class FaultProxy:
    """The proxy, running its own event loop in a daemon thread so that synchronous tests can use it."""

    upstream_port: int
    seed: int
    plan: FaultPlan = field(default_factory=FaultPlan)
    upstream_host: str = "127.0.0.1"
    enabled: bool = True
    counts: Counter[str] = field(default_factory=Counter)
    port: int = 0
    # Called (in the proxy's thread, before forwarding) with the number of each request faults may hit: lets a
    # test crash the server at an exact point of the client's work rather than at a time it may miss.
    on_api_request: Callable[[int], None] | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)

    # --- control, from the test's thread ---------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0, limit=1 << 20), self._loop
        ).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self._server is not None:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def faults(self) -> dict[str, int]:
        """Faults injected so far, by kind (requests and 502s of a down server included)."""
        with self._lock:
            return dict(self.counts)

    def summary(self) -> str:
        """The figures of a run, for its closing print."""
        counts = self.faults()
        kinds = ", ".join(f"{kind} {counts.get(kind, 0)}" for kind in (*KINDS, "delay", "slow"))
        return (
            f"{kinds}; answered 502 while the server was down {counts.get('server_down', 0)}, server killed "
            f"mid-request {counts.get('server_died_mid_request', 0)} (of {counts.get('api_requests', 0)} API "
            f"requests, {counts.get('requests', 0)} in all)"
        )

    def _count(self, name: str) -> None:
        with self._lock:
            self.counts[name] += 1

    def _draw(self, request: Request) -> tuple[str | None, float, bool]:
        with self._lock:
            self.counts["requests"] += 1
            if not self.plan.applies(request.method, request.path):
                return None, 0.0, False
            self.counts["api_requests"] += 1  # requests faults may hit (when enabled)
            number = self.counts["api_requests"]
            if self.on_api_request is not None:
                self.on_api_request(number)
            if not self.enabled:
                return None, 0.0, False
            fate = self.plan.draw(self._rng)
            request.cut_at = self._rng.random()
        kind, delay, slow = fate
        for name in (kind, "delay" if delay else None, "slow" if slow else None):
            if name:
                self._count(name)
        return fate

    # --- the exchange, in the proxy's loop -------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await _read_request(reader)
            if request is None:
                return
            kind, delay, slow = self._draw(request)
            if delay:
                await asyncio.sleep(delay)
            if kind == "drop_before":
                return
            if kind == "cut_request":
                await self._send_cut(request, request.cut_at)
                return
            if kind == "duplicate":
                answer = await self._duplicate(request, request.cut_at)
            else:
                answer = await self._forward(request)
            if kind == "drop_after":
                return
            if kind == "cut_response":
                answer = _cut_answer(answer, request.cut_at)
            await _write(writer, answer, self.plan.bandwidth if slow else 0)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                writer.close()
                await writer.wait_closed()

    async def _forward(self, request: Request) -> bytes:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        except OSError:
            self._count("server_down")
            return _BAD_GATEWAY
        try:
            up_writer.write(request.head + request.body)
            await up_writer.drain()
            answer = await asyncio.wait_for(up_reader.read(), timeout=120)
        except (OSError, TimeoutError):
            answer = b""
        finally:
            with contextlib.suppress(Exception):
                up_writer.close()
        if not answer:  # the server died while handling it: the client sees a cut connection
            self._count("server_died_mid_request")
        return answer

    async def _duplicate(self, request: Request, coin: float) -> bytes:
        if coin < 0.5:  # both at once: the race a retry racing its original makes
            first, second = await asyncio.gather(self._forward(request), self._forward(request))
        else:
            first = await self._forward(request)
            second = await self._forward(request)
        return second if coin < 0.25 or coin >= 0.75 else first

    async def _send_cut(self, request: Request, cut_at: float) -> None:
        whole = request.head + request.body
        keep = len(request.head) + int(len(request.body) * cut_at) if request.body else int(len(whole) * cut_at)
        try:
            _, up_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        except OSError:
            self._count("server_down")
            return
        with contextlib.suppress(OSError):
            up_writer.write(whole[:keep])
            await up_writer.drain()
            await asyncio.sleep(0.05)
            up_writer.close()


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head[:-4].split(b"\r\n")
    method, target, _version = lines[0].decode("latin-1").split(" ", 2)
    headers = [line.split(b":", 1) for line in lines[1:] if b":" in line]
    length = 0
    chunked = False
    kept = [lines[0]]
    for name, value in headers:
        lower = name.strip().lower()
        if lower == b"content-length":
            length = int(value.strip())
        if lower == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        if lower not in _HOP_BY_HOP:
            kept.append(name + b":" + value)
    body = await _read_chunked(reader) if chunked else (await reader.readexactly(length) if length else b"")
    kept.append(b"Connection: close")
    return Request(method, target.split("?", 1)[0], b"\r\n".join(kept) + b"\r\n\r\n", body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """Keeps the chunked framing as it is (the server decodes it); reads up to the last chunk."""
    out = b""
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        out += size_line + await reader.readexactly(size + 2)
        if size == 0:
            return out


def _cut_answer(answer: bytes, cut_at: float) -> bytes:
    """The head and a share of the body; with no body, a share of the head."""
    head, sep, body = answer.partition(b"\r\n\r\n")
    if body:
        return head + sep + body[: int(len(body) * cut_at)]
    return answer[: max(1, int(len(answer) * cut_at))]


async def _write(writer: asyncio.StreamWriter, answer: bytes, bandwidth: int) -> None:
    answer = _close_after(answer)
    if not bandwidth:
        writer.write(answer)
        await writer.drain()
        return
    step = max(256, bandwidth // 20)
    for start in range(0, len(answer), step):
        writer.write(answer[start : start + step])
        await writer.drain()
        await asyncio.sleep(step / bandwidth)


def _close_after(answer: bytes) -> bytes:
    """Tell the client the connection ends with this answer (we close it), whatever the server said."""
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return answer
    lines = [line for line in head.split(b"\r\n") if line.split(b":", 1)[0].strip().lower() not in _HOP_BY_HOP]
    return b"\r\n".join([*lines, b"Connection: close"]) + sep + body
