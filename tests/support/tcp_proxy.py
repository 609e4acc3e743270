"""A loopback TCP proxy to break the network between a client and the broker on purpose.

    with TcpProxy(broker.host, broker.port) as proxy:   # the client connects to proxy.port
        proxy.cut()        # every open connection dropped, new ones refused
        proxy.restore()    # connections are accepted and forwarded again
        proxy.drop(DOWN)   # bytes from the broker to the client vanish (the socket stays up)

Threads: one accepts, two per connection copy bytes (one each way). Nothing here knows
MQTT; the proxy only ends sockets it opened itself.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType

UP = "up"  # client → broker
DOWN = "down"  # broker → client
CHUNK = 65536


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.host = "127.0.0.1"
        self._listener = socket.create_server((self.host, 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._refusing = False
        self._dropping: set[str] = set()
        self._closed = threading.Event()
        self.accepted = 0  # connections forwarded so far
        self.refused = 0  # connections closed at once during a cut
        self.dropped_bytes = {UP: 0, DOWN: 0}
        self._threads: list[threading.Thread] = []
        self._spawn(self._accept_loop, "proxy-accept")

    # -- faults ---------------------------------------------------------------------------

    def cut(self) -> None:
        """Drop every open connection now (both ends see it end) and refuse new ones."""
        with self._lock:
            self._refusing = True
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            _close(client)
            _close(upstream)

    def restore(self) -> None:
        """Accept and forward again, every byte both ways."""
        with self._lock:
            self._refusing = False
            self._dropping.clear()

    def drop(self, direction: str) -> None:
        """From now on, bytes going `direction` (UP or DOWN) are read and thrown away while
        the connection stays open: a one-way black hole."""
        with self._lock:
            self._dropping.add(direction)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    # -- plumbing -------------------------------------------------------------------------

    def _spawn(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                refusing = self._refusing
            if refusing:
                self.refused += 1
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._pairs.append((client, upstream))
                self.accepted += 1
            self._spawn(self._copy, "proxy-up", client, upstream, UP)
            self._spawn(self._copy, "proxy-down", upstream, client, DOWN)

    def _copy(self, source: socket.socket, sink: socket.socket, direction: str) -> None:
        try:
            while True:
                data = source.recv(CHUNK)
                if not data:
                    break
                with self._lock:
                    dropping = direction in self._dropping
                if dropping:
                    self.dropped_bytes[direction] += len(data)
                    continue
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)
            with self._lock:
                self._pairs = [p for p in self._pairs if source not in p]

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        self.cut()
        _close(self._listener)
        for thread in self._threads:
            thread.join(5)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
