"""A TCP relay on a free loopback port, between a client (curl, the phone's Chromium) and a server: it counts
the bytes each way, and can cut every connection at once, as when the signal goes (an emulated "offline" in
Chromium only stops new requests; an upload already under way would go on)."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import suppress

# SO_LINGER on with a zero timeout: close() resets the connection (RST) instead of finishing it politely.
_RESET = b"\x01\x00\x00\x00\x00\x00\x00\x00"


class Relay:
    """Relays 127.0.0.1:``port`` to 127.0.0.1:``target``; ``up``/``down`` count the bytes each way."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.up = self.down = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        self.down_until = 0.0
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        """Counts from zero again."""
        self.up = self.down = 0

    def cut(self, seconds: float = 0) -> None:
        """Every open connection reset, and none for ``seconds``: a request in flight is lost; the server keeps
        what it committed."""
        self.down_until = time.monotonic() + seconds
        with self.lock:
            conns, self.conns = self.conns, []
        for sock in conns:
            with suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
                sock.close()

    def close(self) -> None:
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if time.monotonic() < self.down_until:  # no signal: the connection goes nowhere
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                self.conns += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, "up"), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, "down"), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, direction: str) -> None:
        try:
            while data := source.recv(65536):
                with self.lock:
                    setattr(self, direction, getattr(self, direction) + len(data))
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
