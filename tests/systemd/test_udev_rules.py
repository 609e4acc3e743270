"""udev rules: they read as udev reads them, and each kiosk device gets its stable name,
group kiosk and mode 0660, while other devices (a staff keyboard, a mouse) are untouched.

udevadm cannot check rules offline here (`udevadm verify` arrived in systemd 253; bookworm
has 252 and no udev in the test image), so a strict reader and a small evaluator of the
keys the rules use stand in for it (tests/systemd/udev_rules.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.systemd.conftest import groups_in
from tests.systemd.udev_rules import Device, apply, parse
from tests.systemd.unitfiles import SYSTEMD_DIR

RULES_FILE = SYSTEMD_DIR / "udev" / "99-kiosk.rules"
RULES = parse(RULES_FILE)
SCANNER_ENV = {"ID_INPUT_KEYBOARD": "1", "ID_VENDOR_ID": "05e0", "ID_MODEL_ID": "1200"}


def test_rules_name_only_groups_that_exist_on_the_kiosk(kiosk_root: Path) -> None:
    """udev ignores a GROUP it cannot resolve: each must be made by sysusers.d/kiosk.conf
    (the real systemd-sysusers, into a tmp root)."""
    groups = groups_in(kiosk_root)
    for rule in RULES:
        for group in rule.assigns("GROUP"):
            assert group in groups, f"line {rule.line}: group {group} is not created"


def test_no_rule_opens_a_device_to_other_users() -> None:
    for rule in RULES:
        for mode in rule.assigns("MODE"):
            assert int(mode, 8) & 0o007 == 0, f"line {rule.line}: MODE {mode}"


def test_every_kiosk_name_comes_with_group_kiosk_and_mode_0660() -> None:
    named = [r for r in RULES if any(s.startswith("kiosk-") for s in r.assigns("SYMLINK", None))]
    assert len(named) >= 4
    for rule in named:
        if rule.assigns("GROUP"):
            assert rule.assigns("GROUP") == ["kiosk"] and rule.assigns("MODE") == ["0660"]


def test_the_scanner_gets_its_name_its_tags_and_the_kiosk_group() -> None:
    scanner = apply(RULES, Device("event7", "input", env=dict(SCANNER_ENV)))
    assert scanner.symlinks == ["kiosk-scanner"]
    assert (scanner.group, scanner.mode) == ("kiosk", "0660")
    assert {"kiosk-scanner", "systemd"} <= set(scanner.tags)


@pytest.mark.parametrize(
    "device",
    [
        Device("event3", "input", env={"ID_INPUT_KEYBOARD": "1", "ID_VENDOR_ID": "046d"}),
        Device("event8", "input", env={**SCANNER_ENV, "ID_INPUT_KEYBOARD": ""}),
        Device("event2", "input", env={"ID_INPUT_MOUSE": "1", "ID_VENDOR_ID": "05e0"}),
        Device("js0", "input", env=dict(SCANNER_ENV)),
    ],
    ids=["staff-keyboard", "scanner-non-keyboard-node", "mouse", "not-an-event-node"],
)
def test_other_input_devices_are_left_alone(device: Device) -> None:
    after = apply(RULES, device)
    assert (after.symlinks, after.tags, after.group) == ([], [], "root")


@pytest.mark.parametrize(
    ("interfaces", "vendor"),
    [(":070102:", "0416"), (":070101:070102:", "04b8"), (":ff0000:", "04b8"), (":ff0000:", "0519")],
    ids=["printer-class", "printer-class-epson", "epson-vendor-class", "star-vendor-class"],
)
def test_usb_receipt_printers_are_named_and_kept_to_the_kiosk(interfaces: str, vendor: str) -> None:
    printer = apply(
        RULES,
        Device(
            "1-1.3",
            "usb",
            env={"DEVTYPE": "usb_device", "ID_USB_INTERFACES": interfaces},
            attrs={"idVendor": vendor},
        ),
    )
    assert printer.symlinks == ["kiosk-printer"]
    assert (printer.group, printer.mode) == ("kiosk", "0660")


@pytest.mark.parametrize(
    ("interfaces", "vendor"),
    [(":ff0000:", "0bda"), (":030101:", "04b8"), (":080650:", "0781")],
    ids=["unknown-vendor-class", "epson-keyboard", "usb-stick"],
)
def test_other_usb_devices_are_not_taken_for_printers(interfaces: str, vendor: str) -> None:
    device = Device(
        "1-1.4",
        "usb",
        env={"DEVTYPE": "usb_device", "ID_USB_INTERFACES": interfaces},
        attrs={"idVendor": vendor},
    )
    assert apply(RULES, device).symlinks == []


def test_usblp_node_is_named_and_kept_to_the_kiosk() -> None:
    lp = apply(RULES, Device("lp0", "usbmisc"))
    assert (lp.symlinks, lp.group, lp.mode) == (["kiosk-printer-lp"], "kiosk", "0660")


def test_a_serial_adapter_with_a_serial_number_is_named_by_it() -> None:
    env = {
        "ID_BUS": "usb",
        "ID_VENDOR_ID": "0403",
        "ID_SERIAL_SHORT": "A50285BI",
        "ID_USB_INTERFACE_NUM": "00",
    }
    tty = apply(RULES, Device("ttyUSB0", "tty", env=env))
    assert tty.symlinks == ["kiosk-serial-0403-A50285BI-if00"]
    assert (tty.group, tty.mode) == ("kiosk", "0660")


def test_a_serial_adapter_without_a_serial_number_is_named_by_its_usb_port() -> None:
    env = {"ID_BUS": "usb", "ID_VENDOR_ID": "1a86", "ID_PATH_TAG": "platform-xhci-usb-0_1_2_1_0"}
    tty = apply(RULES, Device("ttyUSB1", "tty", env=env))
    assert tty.symlinks == ["kiosk-serial-platform-xhci-usb-0_1_2_1_0"]


def test_a_usb_com_scanner_is_a_kiosk_serial_device() -> None:
    env = {
        "ID_BUS": "usb",
        "ID_VENDOR_ID": "0c2e",
        "ID_SERIAL_SHORT": "X1",
        "ID_USB_INTERFACE_NUM": "00",
    }
    tty = apply(RULES, Device("ttyACM0", "tty", env=env))
    assert tty.symlinks == ["kiosk-serial-0c2e-X1-if00"] and tty.group == "kiosk"


@pytest.mark.parametrize(
    "device",
    [
        Device("ttyS0", "tty", env={}),
        Device("ttyUSB2", "tty", env={"ID_BUS": "usb", "ID_VENDOR_ID": "12d1"}),
        Device("ttyAMA0", "tty", env={"ID_BUS": ""}),
    ],
    ids=["on-board-uart", "usb-modem", "pi-uart"],
)
def test_other_serial_ports_are_left_alone(device: Device) -> None:
    after = apply(RULES, device)
    assert (after.symlinks, after.group) == ([], "root")


def test_gpio_chips_belong_to_group_gpio() -> None:
    chip = apply(RULES, Device("gpiochip0", "gpio"))
    assert (chip.group, chip.mode, chip.symlinks) == ("gpio", "0660", [])


def test_removal_events_change_nothing() -> None:
    gone = apply(RULES, Device("event7", "input", env=dict(SCANNER_ENV), action="remove"))
    assert (gone.symlinks, gone.group) == ([], "root")


@pytest.mark.skipif(shutil.which("udevadm") is None, reason="udev is not installed here")
def test_udevadm_verify_accepts_the_rules() -> None:
    """Where udevadm has `verify` (systemd >= 253), the real parser has the last word."""
    udevadm = shutil.which("udevadm")
    assert udevadm
    helped = subprocess.run([udevadm, "--help"], capture_output=True, text=True, check=False)
    if " verify " not in helped.stdout:
        pytest.skip("this udevadm has no verify (systemd < 253)")
    done = subprocess.run(
        [udevadm, "verify", "--resolve-names=never", str(RULES_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
