"""The ESC/POS links beyond the shared contract: a serial port's lock, and USB.

This machine has no USB printer. The USB adapter is run as it is here (pyusb is not
installed, or finds no printer) and, through python-escpos's own Usb class, against a
stand-in for the pyusb device: what it proves is the wiring (endpoints, timeouts in
milliseconds, answers read on the IN endpoint), not a real printer's behaviour; that is
`make test-hw` (drivers/printer_transports.py says what it checks).
"""

from __future__ import annotations

import errno
import gc
import importlib
import logging
import os
import time
from array import array
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import serial

from appliance import config as config_mod
from appliance.bootstrap import DeviceUnavailable, _real_printer, build
from appliance.core.events import PrinterStatusChanged, PrintFailed, ReceiptPrinted
from appliance.core.receipt import Receipt
from appliance.shell.clock import SystemClock
from drivers.escpos_decode import Cut, EscPosDecoder, StatusKind, StatusRequest, printed_text
from drivers.printer_escpos import EscPosReceiptPrinter, PrinterFault
from drivers.printer_transports import SerialTransport, Transport, UsbTransport, usb_id
from tests.drivers.test_printer_contract import TIMEOUT_S, Rig, _peer_rig
from tests.support.printer_peer import PtyPrinterPeer

ESCPOS_USB = importlib.import_module("escpos.printer.usb")


def _rig(printer: EscPosReceiptPrinter) -> Rig:
    def nothing(*_: object) -> None:
        raise AssertionError("no device-side controls here")

    return Rig(printer, nothing, nothing, nothing, list, list)


# --- serial ----------------------------------------------------------------------------------


def test_a_serial_port_held_by_another_program_is_not_shared(
    tmp_path: Path, monotonic: Any, receipt: Receipt
) -> None:
    """GIVEN another program holding the printer's serial port WHEN a receipt is printed
    THEN PrintFailed(cannot connect), nothing printed; WHEN it lets go THEN it prints."""
    with PtyPrinterPeer(tmp_path / "usb-Prolific_PL2303-if00-port0") as peer:
        other = serial.Serial(peer.serial_port, 9600, timeout=0.1, exclusive=True)
        rig = _peer_rig(monotonic, peer)
        try:
            rig.start()
            assert rig.wait_for(PrinterStatusChanged).reason == PrinterFault.CANNOT_CONNECT
            rig.printer.print_receipt(receipt)
            assert rig.wait_for(PrintFailed).reason == PrinterFault.CANNOT_CONNECT
            other.close()
            rig.printer.print_receipt(receipt)
            rig.wait_for(ReceiptPrinted)
            assert len(peer.receipts) == 1
        finally:
            other.close()
            rig.printer.close()


@pytest.mark.parametrize("baudrate", [1234, 0])
def test_a_non_standard_serial_speed_is_refused(baudrate: int) -> None:
    with pytest.raises(ValueError, match="baudrate"):
        SerialTransport("/dev/ttyUSB0", baudrate)


# --- USB: construction and config ------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [("04b8", 0x04B8), ("0E15", 0x0E15), ("0519", 0x0519)])
def test_usb_ids_are_read_as_lsusb_shows_them(text: str, value: int) -> None:
    assert usb_id(text) == value


@pytest.mark.parametrize("text", ["0000", "4b8", "04b8a", "zzzz", ""])
def test_a_usb_id_that_would_match_another_device_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        usb_id(text)


@pytest.mark.parametrize(("in_ep", "out_ep"), [(0x01, 0x01), (0x82, 0x82), (0x80, 0x01)])
def test_usb_endpoints_must_be_bulk_in_and_out(in_ep: int, out_ep: int) -> None:
    with pytest.raises(ValueError, match="endpoints"):
        UsbTransport("04b8", "0e15", in_ep, out_ep)


@pytest.mark.parametrize("link", ["serial", "usb"])
def test_an_absent_printer_is_offline_with_a_reason(
    link: str,
    tmp_path: Path,
    monotonic: Any,
    receipt: Receipt,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """GIVEN escpos-serial on a port that is not there, or escpos-usb and no such printer
    on this machine (pyusb not installed, or no device) WHEN started and printed to THEN
    off-line "cannot connect", PrintFailed, and a log line that names the printer and
    says why; no crash, no hang."""
    transport: Transport
    if link == "serial":
        path = str(tmp_path / "no-such-port")
        transport, why = SerialTransport(path), [path, "No such file"]
    else:
        absent = "pyusb is not installed" if not ESCPOS_USB.is_usable() else "not found"
        transport, why = UsbTransport("04b8", "0e15"), ["USB 04b8:0e15", absent]
    printer = EscPosReceiptPrinter(transport, monotonic=monotonic, timeout_s=TIMEOUT_S)
    rig = _rig(printer)
    with caplog.at_level(logging.WARNING), printer:
        rig.start()
        status = rig.wait_for(PrinterStatusChanged)
        assert (status.online, status.reason) == (False, PrinterFault.CANNOT_CONNECT)
        printer.print_receipt(receipt)
        assert rig.wait_for(PrintFailed).reason == PrinterFault.CANNOT_CONNECT
    assert all(text in caplog.text for text in why), caplog.text


# --- USB: python-escpos's Usb over a stand-in for the pyusb device ---------------------------


class _Backend:
    """Not pyusb's libusb1 backend, so python-escpos does not try to detach usblp."""


class FakeUsbPrinter:
    """What pyusb shows of a ready USB receipt printer: ESC/POS in on the bulk OUT
    endpoint, one status byte per request out on the bulk IN endpoint."""

    def __init__(self) -> None:
        self.backend = _Backend()
        self.silent = False
        self.writes: list[tuple[int, int]] = []
        self.reads: list[tuple[int, int]] = []
        self.receipts: list[str] = []
        self._decoder = EscPosDecoder()
        self._text: list[str] = []
        self._answers = bytearray()

    def set_configuration(self) -> None:
        pass

    def reset(self) -> None:
        self._answers.clear()

    def write(self, endpoint: int, data: bytes, timeout: int) -> int:
        self.writes.append((endpoint, timeout))
        for command in self._decoder.receive_data(bytes(data)):
            if isinstance(command, StatusRequest):
                if not self.silent:
                    gs = command.kind in (StatusKind.GS_PAPER_SENSOR, StatusKind.GS_DRAWER)
                    self._answers.append(0x00 if gs else 0x12)
            elif isinstance(command, Cut):
                self.receipts.append("".join(self._text))
                self._text.clear()
            else:
                self._text.append(printed_text(command))
        return len(data)

    def read(self, endpoint: int, size: int, timeout: int) -> array[int]:
        self.reads.append((endpoint, timeout))
        if not self._answers:  # as pyusb's USBTimeoutError
            raise OSError(errno.ETIMEDOUT, "Operation timed out")
        data = bytes(self._answers[:size])
        del self._answers[:size]
        return array("B", data)


@pytest.fixture
def usb_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[FakeUsbPrinter]]:
    """pyusb as python-escpos imports it, with the printers in the list on the bus."""
    bus: list[FakeUsbPrinter] = []
    pyusb = SimpleNamespace(
        core=SimpleNamespace(
            find=lambda **match: bus[0] if bus and match["idVendor"] == 0x04B8 else None,
            USBError=OSError,
        ),
        util=SimpleNamespace(dispose_resources=lambda device: None),
    )
    monkeypatch.setattr(ESCPOS_USB, "_DEP_USB", True)
    monkeypatch.setattr(ESCPOS_USB, "usb", pyusb, raising=False)
    yield bus
    gc.collect()  # a Usb dropped after the patch is undone would fail in its __del__


def test_usb_prints_through_python_escpos_with_bounded_transfers(
    usb_bus: list[FakeUsbPrinter], monotonic: Any, receipt: Receipt
) -> None:
    """GIVEN a ready USB printer (endpoints 0x81 / 0x02) WHEN a receipt is printed THEN
    ReceiptPrinted and the receipt on paper; every write went to 0x02 and every read came
    from 0x81, each with a timeout in milliseconds (0 would be "forever")."""
    device = FakeUsbPrinter()
    usb_bus.append(device)
    transport = UsbTransport("04b8", "0e15", in_ep=0x81, out_ep=0x02)
    rig = _rig(EscPosReceiptPrinter(transport, monotonic=monotonic, timeout_s=1.5))
    with rig.printer:
        rig.start()
        assert rig.wait_for(PrinterStatusChanged).online
        rig.printer.print_receipt(receipt)
        assert rig.wait_for(ReceiptPrinted).sale_id == receipt.sale_id

    [printed] = device.receipts
    assert "TOTAL" in printed and "Żubrówka" in printed
    assert set(device.writes) == {(0x02, 1500)}
    assert {ep for ep, _ in device.reads} == {0x81}
    assert all(0 < timeout <= 8000 for _, timeout in device.reads)


def test_a_usb_printer_that_does_not_answer_is_a_fault(
    usb_bus: list[FakeUsbPrinter], monotonic: Any, receipt: Receipt
) -> None:
    """GIVEN a USB printer that takes data but never answers a status request WHEN a
    receipt is printed THEN PrintFailed(no status answer) and nothing printed."""
    device = FakeUsbPrinter()
    device.silent = True
    usb_bus.append(device)
    rig = _rig(EscPosReceiptPrinter(UsbTransport("04b8", "0e15"), monotonic=monotonic))
    with rig.printer:
        rig.start()
        assert rig.wait_for(PrinterStatusChanged).reason == PrinterFault.NO_STATUS_ANSWER
        rig.printer.print_receipt(receipt)
        assert rig.wait_for(PrintFailed).reason == PrinterFault.NO_STATUS_ANSWER
    assert device.receipts == []


def test_a_usb_printer_not_on_the_bus_is_named_in_the_reason(
    usb_bus: list[FakeUsbPrinter], monotonic: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """GIVEN pyusb and no matching device WHEN started THEN off-line "cannot connect" and
    the log says python-escpos's "not found or cable not plugged in"."""
    rig = _rig(EscPosReceiptPrinter(UsbTransport("0519", "0001"), monotonic=monotonic))
    with caplog.at_level(logging.WARNING), rig.printer:
        rig.start()
        assert rig.wait_for(PrinterStatusChanged).reason == PrinterFault.CANNOT_CONNECT
    assert "not plugged in" in caplog.text


# --- config and the composition root ---------------------------------------------------------


def _config(tmp_path: Path, printer: str, **keys: object) -> config_mod.Config:
    settings: dict[str, dict[str, object]] = {
        "kiosk": {"data_dir": str(tmp_path)},
        "devices": {"scanner": "sim", "gpio": "sim", "printer": printer},
        "broker": {"enabled": False},
        "printer": {"timeout_s": 1.0, **keys},
    }
    return config_mod.merge(config_mod.Config(), settings, "test")


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"usb_vendor": "0000"}, "printer.usb_vendor: '0000' does not match"),
        ({"usb_product": "e15"}, "printer.usb_product: 'e15' does not match"),
        ({"usb_in_ep": "01"}, "printer.usb_in_ep: '01' does not match"),
        ({"usb_out_ep": "82"}, "printer.usb_out_ep: '82' does not match"),
        ({"serial_port": "COM3"}, "printer.serial_port: 'COM3' does not match"),
        ({"serial_baudrate": 300}, "printer.serial_baudrate: 300 is outside"),
    ],
)
def test_bad_printer_keys_are_refused_by_name(
    tmp_path: Path, keys: dict[str, object], message: str
) -> None:
    with pytest.raises(config_mod.ConfigError, match=message):
        _config(tmp_path, "escpos-usb", **keys)


@pytest.mark.parametrize(
    ("printer", "message"),
    [
        ("escpos-serial", r"printer\.serial_port is not set"),
        ("escpos-usb", r"printer\.usb_vendor and printer\.usb_product are not set"),
    ],
)
def test_an_unconfigured_printer_is_refused_by_name(
    tmp_path: Path, printer: str, message: str
) -> None:
    with pytest.raises(DeviceUnavailable, match=message):
        build(_config(tmp_path, printer), SystemClock())


@pytest.mark.parametrize(
    ("printer", "keys"),
    [
        ("escpos-serial", {"serial_port": "/dev/serial/by-id/usb-no-such-printer"}),
        ("escpos-usb", {"usb_vendor": "04b8", "usb_product": "0e15", "usb_in_ep": "81"}),
    ],
)
def test_a_configured_printer_that_is_not_there_shows_offline_not_a_twin(
    tmp_path: Path, printer: str, keys: dict[str, object]
) -> None:
    """GIVEN escpos-serial or escpos-usb and no such printer WHEN the kiosk starts THEN
    the printer is reported off-line ("cannot connect"), and no twin takes its place."""
    with build(_config(tmp_path, printer, **keys), SystemClock()) as kiosk:
        assert isinstance(kiosk.devices.printer, EscPosReceiptPrinter)
        kiosk.start()
        deadline = time.monotonic() + 5
        while kiosk.state.devices.printer_online and time.monotonic() < deadline:
            kiosk.run_once(0.05)
        assert not kiosk.state.devices.printer_online
        assert kiosk.state.devices.printer_reason == PrinterFault.CANNOT_CONNECT


@pytest.mark.hw
@pytest.mark.skipif(os.environ.get("KIOSK_HW") != "1", reason="needs the kiosk's printer")
def test_the_kiosks_own_printer_answers_and_prints(receipt: Receipt) -> None:
    """GIVEN the printer kiosk.toml names (network, serial or USB), paper in, cover shut
    WHEN started and a receipt printed THEN on-line and ReceiptPrinted; a person reads the
    paper."""
    config = config_mod.load()
    if config.devices.printer == "sim":
        pytest.skip("devices.printer is sim")
    printer = _real_printer(config, time.monotonic)
    assert isinstance(printer, EscPosReceiptPrinter)
    rig = _rig(printer)
    with printer:
        rig.start()
        status = rig.wait_for(PrinterStatusChanged)
        assert status.online, status.reason
        printer.print_receipt(receipt)
        rig.wait_for(ReceiptPrinted)
