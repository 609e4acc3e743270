"""A network receipt printer on 127.0.0.1 for tests: it reads ESC/POS and answers status.

The status bytes are written here from the Epson references (not imported from the
adapter), so a wrong bit in the adapter shows up as a failing test:
  DLE EOT 1: 0x12, +0x08 off-line (paper out or cover open)
  DLE EOT 2: 0x12, +0x04 cover open, +0x20 stopped at paper end
  DLE EOT 3: 0x12 (no error)
  DLE EOT 4: 0x12, +0x0C near end (low or out), +0x60 paper end
  GS r 1:    0x00, +0x03 near end; processed in order, so an off-line printer does not
             answer it (it holds the request until it is back on-line)
`receipts` holds the text between cuts: everything that would come out of the printer,
including what was sent while it was off-line (a real one prints that when it recovers).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

from drivers.escpos_decode import (
    Cut,
    EscPosDecoder,
    Pulse,
    StatusKind,
    StatusRequest,
    printed_text,
)

Paper = Literal["ok", "low", "out"]


@dataclass
class _Connection:
    decoder: EscPosDecoder = field(default_factory=EscPosDecoder)
    text: list[str] = field(default_factory=list)


class PrinterPeer:
    def __init__(self, *, paper: Paper = "ok", cover_open: bool = False, silent: bool = False):
        self.paper: Paper = paper
        self.cover_open = cover_open
        self.silent = silent
        """Never answer a status request (a printer that does not support them, or hangs)."""
        self.receipts: list[str] = []
        self.torn: list[str] = []
        """Receipts during which the paper ran out (fail_next_print)."""
        self.pulses: list[Pulse] = []
        self.status_requests: list[StatusKind] = []
        self.connections = 0
        self._fail_next = False
        self._changed = threading.Condition()
        self._closed = False
        self._server = socket.create_server(("127.0.0.1", 0))
        self.host = "127.0.0.1"
        self.port: int = self._server.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._server, selectors.EVENT_READ)
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._conns: dict[socket.socket, _Connection] = {}
        self._thread = threading.Thread(target=self._serve, name="printer-peer", daemon=True)
        self._thread.start()

    @property
    def offline(self) -> bool:
        return self.paper == "out" or self.cover_open

    def fail_next_print(self) -> None:
        """The paper runs out at the end of the next receipt (before its cut)."""
        self._fail_next = True

    def wait_until(self, condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
        """Wait (bounded) until `condition()` holds after something arrived."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def status_byte(self, kind: StatusKind) -> int | None:
        """The printer's answer to a status request, or None when it would not answer."""
        near_end = self.paper in ("low", "out")
        end = self.paper == "out"
        if kind is StatusKind.PRINTER:
            return 0x12 | (0x08 if self.offline else 0)
        if kind is StatusKind.OFFLINE_CAUSE:
            return 0x12 | (0x04 if self.cover_open else 0) | (0x20 if end else 0)
        if kind is StatusKind.ERROR_CAUSE:
            return 0x12
        if kind is StatusKind.PAPER_SENSOR:
            return 0x12 | (0x0C if near_end else 0) | (0x60 if end else 0)
        if self.offline:
            return None
        if kind is StatusKind.GS_PAPER_SENSOR:
            return 0x03 if near_end else 0x00
        return 0x00  # GS r 2: drawer pin 3 low

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake_w.send(b"x")
        self._thread.join(timeout=5.0)
        self._wake_w.close()

    def __enter__(self) -> PrinterPeer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _serve(self) -> None:
        try:
            while True:
                for key, _ in self._selector.select():
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is self._wake_r:
                        return
                    if sock is self._server:
                        self._accept()
                    else:
                        self._read(sock)
        finally:
            for sock in [*self._conns, self._server, self._wake_r]:
                sock.close()
            self._selector.close()

    def _accept(self) -> None:
        conn, _ = self._server.accept()
        self._conns[conn] = _Connection()
        self._selector.register(conn, selectors.EVENT_READ)
        with self._changed:
            self.connections += 1
            self._changed.notify_all()

    def _read(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(4096)
        except OSError:
            data = b""
        if not data:
            self._selector.unregister(sock)
            del self._conns[sock]
            sock.close()
            return
        conn = self._conns[sock]
        for command in conn.decoder.receive_data(data):
            if isinstance(command, StatusRequest):
                self._answer(sock, command.kind)
            elif isinstance(command, Pulse):
                with self._changed:
                    self.pulses.append(command)
                    self._changed.notify_all()
            elif isinstance(command, Cut):
                self._cut(conn)
            else:
                conn.text.append(printed_text(command))

    def _answer(self, sock: socket.socket, kind: StatusKind) -> None:
        self.status_requests.append(kind)
        answer = self.status_byte(kind)
        if answer is None or self.silent:
            return
        with contextlib.suppress(OSError):  # the host went away; it will find out itself
            sock.sendall(bytes([answer]))

    def _cut(self, conn: _Connection) -> None:
        text = "".join(conn.text)
        conn.text.clear()
        with self._changed:
            if self._fail_next:
                self._fail_next = False
                self.paper = "out"
                self.torn.append(text)
            else:
                self.receipts.append(text)
            self._changed.notify_all()
