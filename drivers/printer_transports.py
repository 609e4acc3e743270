"""How the ESC/POS printer is reached: TCP port 9100, a serial line or USB (python-escpos).

drivers.printer_escpos.EscPosReceiptPrinter does all the status, print and confirm work;
a transport only opens, writes, asks one status byte, closes and aborts. Each wraps the
python-escpos printer class for its link (Network, Serial, Usb) and writes through its
`_raw`, but opens the link itself or bounds what python-escpos leaves unbounded:

* Network.open() drops its socket unclosed when connect fails: a socket of our own,
  every call bounded by the socket timeout.
* Serial.open() sets no write timeout (a printer holding off flow control blocks a write
  forever) and does not lock the port; Serial._read() asks for 16 bytes and so waits out
  the whole read timeout for every one-byte answer (python-escpos#407). Our port is
  exclusive, has a write timeout, and reads answers one byte at a time.
* Usb() defaults to timeout 0, which pyusb and libusb take as "wait forever" (an open
  cover then blocks every write: odoo/odoo PR #247055), and Usb._read() uses pyusb's
  default read timeout: both get our timeout, in milliseconds as pyusb wants.

A link that cannot be opened raises PrinterUnavailable (an OSError) with the reason.

What only a real printer on a Pi checks (`make test-hw`; the tests here run the network
and serial transports against a peer on a TCP port and a pty): a USB printer found by
vendor:product, usblp detached and the interface claimed, its bulk endpoints right for the
model (many cheap printers are 0x81/0x02 or 0x81/0x03, not python-escpos's 0x82/0x01), and
its answers on the IN endpoint; "Resource busy" when CUPS or ipp-usb holds it; a USB or
serial printer unplugged and plugged back; the serial line's real speed and wiring.
Without pyusb or the system's libusb, escpos-usb reports the printer unavailable with the
reason ("pyusb is not installed", "No backend available"); it never crashes.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import termios
from collections.abc import Iterator
from typing import Any, Protocol

import serial
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network, Serial, Usb
from escpos.printer.usb import is_usable as usb_is_usable

_USB_DRAIN_MS = 10  # pyusb takes 0 as "no timeout"


class PrinterUnavailable(OSError):
    """The printer's link cannot be opened (not there, busy, no permission, no driver)."""


class Transport(Protocol):
    """One link to one printer. Only the printer's worker thread calls it, but `abort`."""

    @property
    def name(self) -> str: ...

    def open(self, timeout_s: float) -> None:
        """Open the link; every later write and read is bounded by `timeout_s`."""

    def write(self, data: bytes) -> None:
        """Send everything (bounded); OSError when it cannot."""

    def ask(self, request: bytes, timeout_s: float) -> bytes:
        """Drop unread bytes, send `request`, return the answer (b"": none in time)."""
        ...

    def close(self) -> None:
        """Close the link; idempotent, never raises."""

    def abort(self) -> None:
        """From another thread: make a blocked write or read return now."""


class NetworkTransport:
    """Raw TCP (port 9100, "JetDirect") through escpos.printer.Network."""

    def __init__(self, host: str, port: int = 9100) -> None:
        self._host, self._port = host, port
        self._printer = Network(host, port)
        self._sock: socket.socket | None = None
        self._timeout_s = 5.0

    @property
    def name(self) -> str:
        return f"{self._host}:{self._port}"

    def open(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        sock = socket.create_connection((self._host, self._port), timeout=timeout_s)
        self._printer.device = sock
        self._sock = sock

    def write(self, data: bytes) -> None:
        self._open_socket()
        self._printer._raw(data)  # sendall, bounded by the socket timeout

    def ask(self, request: bytes, timeout_s: float) -> bytes:
        sock = self._open_socket()
        self._drain(sock)
        sock.settimeout(timeout_s)
        try:
            answer: bytes = self._printer.query_status(request)  # _raw, then recv(16)
        finally:
            _settimeout(sock, self._timeout_s)
        return answer

    def close(self) -> None:
        if self._sock is not None:
            self._sock = None
            self._printer.close()  # shutdown + close; forgets the socket

    def abort(self) -> None:
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _open_socket(self) -> socket.socket:
        if self._sock is None:  # python-escpos would connect on first use, unbounded
            raise PrinterUnavailable(f"printer {self.name} is not connected")
        return self._sock

    def _drain(self, sock: socket.socket) -> None:
        """Discard bytes nobody asked for (a late answer), so answers stay in step."""
        sock.setblocking(False)
        try:
            while sock.recv(64):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        finally:
            _settimeout(sock, self._timeout_s)


def _settimeout(sock: socket.socket, timeout_s: float) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.settimeout(timeout_s)


class SerialTransport:
    """RS-232 or a USB-serial adapter (8N1) through escpos.printer.Serial and pyserial."""

    def __init__(self, path: str, baudrate: int = 9600) -> None:
        """`path`: a stable name (/dev/serial/by-id/...): ttyUSBn numbers move on replug."""
        if baudrate not in serial.Serial.BAUDRATES:
            raise ValueError(f"baudrate {baudrate} is not a standard rate")
        self._path, self._baudrate = path, baudrate
        self._printer = Serial(path, baudrate)
        self._port: serial.Serial | None = None
        self._timeout_s = 5.0

    @property
    def name(self) -> str:
        return self._path

    def open(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        try:
            with _tty_errors():
                port = serial.Serial(
                    self._path,
                    self._baudrate,
                    timeout=timeout_s,
                    write_timeout=timeout_s,
                    exclusive=True,  # a second program must not read half the answers
                )
        except ValueError as exc:  # settings the port refuses
            raise PrinterUnavailable(f"{self._path}: {exc}") from None
        self._printer.device = port
        self._port = port

    def write(self, data: bytes) -> None:
        self._open_port()
        self._printer._raw(data)  # SerialTimeoutException (an OSError) after write_timeout

    def ask(self, request: bytes, timeout_s: float) -> bytes:
        port = self._open_port()
        with _tty_errors():
            port.reset_input_buffer()  # a late answer must not pass for this one
            port.timeout = timeout_s
            try:
                self._printer._raw(request)
                return port.read(1)  # not Serial._read(): it waits out the timeout for 16
            finally:
                port.timeout = self._timeout_s

    def close(self) -> None:
        port, self._port = self._port, None
        if port is None:
            return
        with contextlib.suppress(OSError, termios.error):
            # Unsent bytes must not print later, and a tty close waits for them to drain.
            port.reset_output_buffer()
        with contextlib.suppress(OSError, termios.error):
            port.close()
        self._printer.device = False  # python-escpos's "never opened": its close() skips

    def abort(self) -> None:
        port = self._port
        if port is not None:
            with contextlib.suppress(OSError):
                port.cancel_write()
                port.cancel_read()

    def _open_port(self) -> serial.Serial:
        if self._port is None:  # python-escpos would open on first use, without timeouts
            raise PrinterUnavailable(f"printer {self._path} is not open")
        return self._port


@contextlib.contextmanager
def _tty_errors() -> Iterator[None]:
    """termios.error is no OSError: a line hung up (EIO) must read as a lost printer."""
    try:
        yield
    except termios.error as exc:
        code, text = exc.args if len(exc.args) == 2 else (None, str(exc))
        raise PrinterUnavailable(code, f"serial line: {text}") from exc


def usb_id(text: str) -> int:
    """A USB vendor or product id as written in lsusb ("04b8") → int; 0 is no id."""
    if len(text) != 4:
        raise ValueError(f"USB id {text!r} is not 4 hex digits")
    value = int(text, 16)
    if value == 0:
        raise ValueError("USB id 0000 would match any device")
    return value


class UsbTransport:
    """A USB printer class device through escpos.printer.Usb and pyusb."""

    def __init__(self, vendor: str, product: str, in_ep: int = 0x82, out_ep: int = 0x01) -> None:
        """`vendor`, `product`: hex as lsusb shows them ("04b8", "0e15"). `in_ep` and
        `out_ep`: the bulk endpoints (lsusb -v, bEndpointAddress)."""
        if not (0x81 <= in_ep <= 0x8F and 0x01 <= out_ep <= 0x0F):
            raise ValueError(f"USB endpoints in 0x{in_ep:02x} out 0x{out_ep:02x} are not bulk")
        self._vendor_id, self._product_id = usb_id(vendor), usb_id(product)
        self._in_ep, self._out_ep = in_ep, out_ep
        # Built at open: python-escpos's Usb needs pyusb even to be garbage collected.
        self._printer: Any = None
        self._timeout_ms = 5000

    @property
    def name(self) -> str:
        return f"USB {self._vendor_id:04x}:{self._product_id:04x}"

    def open(self, timeout_s: float) -> None:
        if not usb_is_usable():
            raise PrinterUnavailable(f"{self.name}: pyusb is not installed")
        self._timeout_ms = max(1, round(timeout_s * 1000))
        printer = Usb(
            self._vendor_id, self._product_id, {}, self._timeout_ms, self._in_ep, self._out_ep
        )
        try:
            printer.open()  # finds it, detaches usblp, sets the configuration, resets it
        except DeviceNotFoundError as exc:
            raise PrinterUnavailable(" ".join(str(exc).split())) from None
        except Exception as exc:  # pyusb's NoBackendError (no libusb) is a ValueError
            raise PrinterUnavailable(f"{self.name}: {exc!r}") from exc
        if not printer._device:  # python -O strips the assert that catches "not found"
            raise PrinterUnavailable(f"{self.name}: not found or cable not plugged in")
        self._printer = printer

    def write(self, data: bytes) -> None:
        self._open_printer()._raw(data)  # bounded by Usb(timeout=ms)

    def ask(self, request: bytes, timeout_s: float) -> bytes:
        printer = self._open_printer()
        self._drain(printer.device)
        printer._raw(request)
        # not Usb._read(): it waits pyusb's default time, not ours
        return bytes(printer.device.read(self._in_ep, 16, max(1, round(timeout_s * 1000))))

    def close(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            with contextlib.suppress(Exception):  # gone already: nothing left to release
                printer.close()  # releases the interface

    def abort(self) -> None:
        """Nothing to do: every USB transfer is bounded by its own timeout."""

    def _open_printer(self) -> Any:
        if self._printer is None:
            raise PrinterUnavailable(f"{self.name} is not open")
        return self._printer

    def _drain(self, device: Any) -> None:
        for _ in range(8):
            try:
                if not device.read(self._in_ep, 64, _USB_DRAIN_MS):
                    return
            except OSError as exc:  # pyusb's USBError is one; a timeout: nothing was left
                if exc.errno == errno.ETIMEDOUT:
                    return
                raise
