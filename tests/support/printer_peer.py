"""A receipt printer for tests, on 127.0.0.1 or a pty: it reads ESC/POS and answers status.

PrinterPeer listens on a loopback TCP port (a network printer, one decoder per
connection). PtyPrinterPeer is a serial printer: it reads the pty's master side, and the
adapter opens the slave through `serial_port`, a link as /dev/serial/by-id/... is. The
peer keeps its own slave descriptor open, so the master never sees a hang-up between the
adapter's opens; close() closes both ends and removes the link (the printer unplugged).

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
import os
import selectors
import socket
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
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
    recv: Callable[[], bytes]
    send: Callable[[bytes], object]
    close: Callable[[], None]
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
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._conns: dict[socket.socket | int, _Connection] = {}
        self._server: socket.socket | None = None
        self._listen()
        self._thread = threading.Thread(target=self._serve, name="printer-peer", daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.host = "127.0.0.1"
        self.port: int = self._server.getsockname()[1]
        self._selector.register(self._server, selectors.EVENT_READ)

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
                    source = key.fileobj
                    if source is self._wake_r:
                        return
                    if source is self._server:
                        self._accept()
                    else:
                        assert isinstance(source, socket.socket | int)
                        self._read(source)
        finally:
            for conn in self._conns.values():
                conn.close()
            self._stop_listening()
            self._wake_r.close()
            self._selector.close()

    def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()

    def _add(self, source: socket.socket | int, conn: _Connection) -> None:
        self._conns[source] = conn
        self._selector.register(source, selectors.EVENT_READ)
        with self._changed:
            self.connections += 1
            self._changed.notify_all()

    def _accept(self) -> None:
        assert self._server is not None
        sock, _ = self._server.accept()
        self._add(sock, _Connection(lambda: sock.recv(4096), sock.sendall, sock.close))

    def _read(self, source: socket.socket | int) -> None:
        conn = self._conns[source]
        try:
            data = conn.recv()
        except OSError:
            data = b""
        if not data:
            self._selector.unregister(source)
            del self._conns[source]
            conn.close()
            return
        for command in conn.decoder.receive_data(data):
            if isinstance(command, StatusRequest):
                self._answer(conn, command.kind)
            elif isinstance(command, Pulse):
                with self._changed:
                    self.pulses.append(command)
                    self._changed.notify_all()
            elif isinstance(command, Cut):
                self._cut(conn)
            else:
                conn.text.append(printed_text(command))

    def _answer(self, conn: _Connection, kind: StatusKind) -> None:
        self.status_requests.append(kind)
        answer = self.status_byte(kind)
        if answer is None or self.silent:
            return
        with contextlib.suppress(OSError):  # the host went away; it will find out itself
            conn.send(bytes([answer]))

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


class PtyPrinterPeer(PrinterPeer):
    """A serial receipt printer: the adapter opens `serial_port` (a link to a pty slave)."""

    def __init__(
        self, link: Path, *, paper: Paper = "ok", cover_open: bool = False, silent: bool = False
    ) -> None:
        self.serial_port = str(link)
        super().__init__(paper=paper, cover_open=cover_open, silent=silent)

    def _listen(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/LF translation, before the adapter opens it
        link = Path(self.serial_port)
        link.symlink_to(os.ttyname(slave))

        def close() -> None:
            os.close(master)
            os.close(slave)
            link.unlink(missing_ok=True)  # the pts number may go to another pty

        self._add(
            master, _Connection(lambda: os.read(master, 4096), self._write_all(master), close)
        )

    @staticmethod
    def _write_all(fd: int) -> Callable[[bytes], object]:
        def write(data: bytes) -> None:
            while data:
                data = data[os.write(fd, data) :]

        return write
